// The one error path of every command (src/cli/main.ts): mistakes are one line and exit 2, internal failures one
// short line and exit 1 (the stack with --debug or KONTEXT_DEBUG=1); and, for the embedded model (edit, generate),
// every argument, image and the output file are checked before the model is loaded.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createImage, readImage, writePng } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { tinyModelDir } from '../mini/tiny.ts';
import { cli, pngBytes } from './helpers.ts';

let root: string;
let model: string;
const at = (name: string) => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-cli-errors-'));
  model = await tinyModelDir('float16');
  await writePng(createImage(48, 32, [30, 90, 200]), at('in.png'));
  await writePng(createImage(16, 16, [200, 90, 30]), at('style.png'));
  await writeFile(at('truncated.png'), pngBytes(64, 64, { cut: 200 }));
  await writeFile(at('huge.png'), pngBytes(9000, 9000, { rows: 1 })); // 81 MP on paper, a few bytes of data
  await mkdir(at('folder.png'));
  await mkdir(at('not-a-model'));
  await writeFile(at('exists.png'), 'old');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(model), { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.KONTEXT_DEBUG;
});

/** A mistake: exit 2 and exactly one line, `kontext <command>: ...`, matching `message`. */
async function expectMistake(argv: string[], message: RegExp): Promise<void> {
  const r = await cli(...argv);
  expect({ argv, code: r.code, errors: r.errors }).toMatchObject({
    code: 2,
    errors: [expect.stringMatching(new RegExp(`^kontext ${argv[0]}: `))],
  });
  expect(r.errors[0], argv.join(' ')).toMatch(message);
  expect(r.errors[0].split('\n'), argv.join(' ')).toHaveLength(1);
}

describe('kontext: parse errors and unknown commands', () => {
  it('an unknown command is one line and exit 2', async () => {
    const r = await cli('frobnicate', 'x');
    expect(r.code).toBe(2);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^kontext: unknown command 'frobnicate'; use edit, generate, .* \(kontext --help\)$/);
  });

  it('a name of an object property is no command either ("constructor"), and --help says what each command does', async () => {
    const r = await cli('constructor');
    expect(r.code).toBe(2);
    expect(r.errors[0]).toMatch(/^kontext: unknown command 'constructor'; use edit, /);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    const listed = help.logs
      .join('\n')
      .match(/^ {2}(\w+) +\S.*$/gm)!
      .map((l) => l.trim().split(/ +/)[0]);
    expect(listed).toEqual([
      'edit',
      'generate',
      'chat',
      'session',
      'serve',
      'page',
      'worker',
      'models',
      'encode',
      'verify',
      'bench',
      'train',
    ]);
    expect(help.logs.join('\n')).toMatch(
      /^ {2}edit {7}edit an image from words \(the embedded model, or a FLUX\.1 Kontext/m,
    );
    for (const name of listed) expect((await cli(name, '--help')).code, name).toBe(0); // each one loads
  });

  it("node:util parseArgs errors become one line naming the command's --help", async () => {
    const cases: [string[], string][] = [
      [['edit', 'in.png', 'x', '--bogus'], `kontext edit: Unknown option '--bogus'; see 'kontext edit --help'`],
      [
        ['generate', 'x', '--out'],
        `kontext generate: Option '--out <value>' argument missing; see 'kontext generate --help'`,
      ],
      [
        ['generate', 'x', '--json=1'],
        `kontext generate: Option '--json' does not take an argument; see 'kontext generate --help'`,
      ],
      [
        ['edit', 'in.png', 'x', '--seed', '-1'],
        `kontext edit: Option '--seed' argument is ambiguous (a value that starts with '-' is written --seed=-1); ` +
          `see 'kontext edit --help'`,
      ],
      [['verify', '--bogus'], `kontext verify: Unknown option '--bogus'; see 'kontext verify --help'`],
      [['train', 'flow', '--bogus'], `kontext train: Unknown option '--bogus'; see 'kontext train --help'`],
    ];
    for (const [argv, line] of cases) {
      const r = await cli(...argv);
      expect({ argv, code: r.code, errors: r.errors }).toEqual({ argv, code: 2, errors: [line] });
    }
  });

  it('train export --preserve sets the output step of the exported config.json; a bad setting is one line', async () => {
    const out = at('exported');
    const setting = { threshold: 32, grow: 1, colorMap: 0.9 };
    expect((await cli('train', 'export', model, '--out', out, '--preserve', JSON.stringify(setting))).code).toBe(0);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.sampling.preserve).toEqual(setting);
    expect((await cli('train', 'export', out, '--out', at('exported-off'), '--preserve', 'off')).code).toBe(0);
    expect(JSON.parse(await readFile(join(at('exported-off'), 'config.json'), 'utf8')).sampling.preserve).toBe(
      undefined,
    );
    await expectMistake(
      ['train', 'export', model, '--out', at('x'), '--preserve', '{threshold: 32}'],
      /^kontext train: --preserve must be JSON such as '\{"threshold":32,"grow":1\}' or 'off', got \{threshold: 32\}$/,
    );
    await expectMistake(
      ['train', 'export', model, '--out', at('x'), '--preserve', '{"threshold":32,"grow":1,"colorMap":2}'],
      /^kontext train: --preserve: colorMap must be a share above 0 and at most 1, got 2$/,
    );
    expect(existsSync(at('x'))).toBe(false);
  });

  it('train export --ae takes a wider decoder of the same latent space and refuses another latent space', async () => {
    const { loadMiniAe } = await import('../../src/mini/load.ts');
    const { widenDecoder } = await import('../../src/autoencoder/widen.ts');
    const { exportAe } = await import('../../src/train/train-ae.ts');
    const ae = await loadMiniAe(join(model, 'ae.safetensors'));
    const wide = widenDecoder(ae, 16, 1);
    const values = new Map([...wide.namedParameters()].map(([k, p]) => [k, p.value!]));
    await exportAe(wide, at('wide-ae.safetensors'), values, 'float32', true);
    expect((await cli('train', 'export', model, '--out', at('wide'), '--ae', at('wide-ae.safetensors'))).code).toBe(0);
    expect(JSON.parse(await readFile(join(at('wide'), 'config.json'), 'utf8')).ae.decoder_ch).toBe(16);
    // another latent scale: the transformer's latents would be read wrongly
    await exportAe(ae, at('other-ae.safetensors'), new Map([...ae.namedParameters()].map(([k, p]) => [k, p.value!])));
    await expectMistake(
      ['train', 'export', model, '--out', at('y'), '--ae', at('other-ae.safetensors')],
      /^kontext train: .*other-ae\.safetensors is not the model's latent space: its encoder configuration or latent scale\/shift differ from those of .*'s autoencoder \(only the decoder may change, e\.g\. decoder_ch\)$/,
    );
    expect(existsSync(at('y'))).toBe(false);
  });

  it('usage mistakes of verify and train are one line too', async () => {
    await expectMistake(
      ['verify'],
      /^kontext verify: expected one fixture folder, got 0: kontext verify <fixture-dir>; see 'kontext verify --help'$/,
    );
    await expectMistake(
      ['train', 'nothing'],
      /say what to train: kontext train ae\|flow .*; see 'kontext train --help'$/,
    );
    await expectMistake(
      ['train', 'flow'],
      /--config and --out are required: kontext train flow --config <json> --out <dir>/,
    );
    await writeFile(at('bad-flow.json'), JSON.stringify({ kind: 'flow', ae: at('none'), loss: { changed: -2 } }));
    await expectMistake(
      ['train', 'flow', '--config', at('bad-flow.json'), '--out', at('bad-run')],
      /^kontext train: loss\.changed must be a number >= 0 \(the extra weight of tokens the edit changes; 0 or absent: the plain loss\), got -2$/,
    );
    await writeFile(at('bad-t.json'), JSON.stringify({ kind: 'flow', ae: at('none'), loss: { uniformT: 1.5 } }));
    await expectMistake(
      ['train', 'flow', '--config', at('bad-t.json'), '--out', at('bad-run')],
      /^kontext train: loss\.uniformT must be a number from 0 to 1 \(the share of noise levels drawn uniformly instead of logit-normal; 0 or absent: none\), got 1\.5$/,
    );
    const mix = { ctx0: 0.1, ctx2: 0.1, families: { local: 1 }, tasks: { 'local.shrink': 2 } };
    await writeFile(at('bad-mix.json'), JSON.stringify({ kind: 'flow', ae: at('none'), mix }));
    await expectMistake(
      ['train', 'flow', '--config', at('bad-mix.json'), '--out', at('bad-run')],
      /^kontext train: mix\.tasks names the task 'local\.shrink', which the world does not have; tasks: local\.recolor, .*, multiturn\.chain$/,
    );
    await writeFile(at('bad-grid.json'), JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, grid: 2.5 }));
    await expectMistake(
      ['train', 'flow', '--config', at('bad-grid.json'), '--out', at('bad-run')],
      /^kontext train: grid must be a whole number of pixels between 1 and the resolution \(the token side, e\.g\. 8\), got 2\.5$/,
    );
    await writeFile(
      at('bad-gridc.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, gridCharacters: true }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-gridc.json'), '--out', at('bad-run')],
      /^kontext train: gridCharacters must be true or false, with a grid \(e\.g\. "grid": 8\)$/,
    );
    await writeFile(
      at('bad-grids.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, grid: 8, gridScenes: 'yes' }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-grids.json'), '--out', at('bad-run')],
      /^kontext train: gridScenes must be true or false, with a grid \(e\.g\. "grid": 8\)$/,
    );
    await writeFile(
      at('bad-gridr.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, gridResize: true }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-gridr.json'), '--out', at('bad-run')],
      /^kontext train: gridResize must be true or false, with a grid \(e\.g\. "grid": 8\)$/,
    );
    await writeFile(
      at('bad-unknown.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, unknownWords: 1.5 }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-unknown.json'), '--out', at('bad-run')],
      /^kontext train: unknownWords must be a number from 0 to 1 \(the share of edit instructions given made-up words for their phrasing; 0 or absent: none\), got 1\.5$/,
    );
    await writeFile(
      at('bad-extra.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, extraWords: 'some' }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-extra.json'), '--out', at('bad-run')],
      /^kontext train: extraWords must be a number from 0 to 1 \(the share of instructions given made-up words around them; 0 or absent: none\), got "some"$/,
    );
    await writeFile(
      at('bad-grey.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, greyInputs: -0.1 }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('bad-grey.json'), '--out', at('bad-run')],
      /^kontext train: greyInputs must be a number from 0 to 1 \(the share of local and text edits drawn on a greyed scene; 0 or absent: none\), got -0\.1$/,
    );
    await writeFile(at('bad-glyph.json'), JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, glyph: 2 }));
    await expectMistake(
      ['train', 'flow', '--config', at('bad-glyph.json'), '--out', at('bad-run')],
      /^kontext train: glyph must be a number from 0 to 1 \(the share of two-image steps that are word replacements with the new word's glyph image; 0 or absent: none\), got 2$/,
    );
    await writeFile(
      at('glyph-one.json'),
      JSON.stringify({ kind: 'flow', ae: at('none'), resolution: 64, glyph: 0.5, textLength: { 0: 88, 1: 56 } }),
    );
    await expectMistake(
      ['train', 'flow', '--config', at('glyph-one.json'), '--out', at('bad-run')],
      /^kontext train: glyph needs two-image steps: give textLength a "2" \(text tokens with two images\) and mix\.ctx2 above 0$/,
    );
  });
});

describe('kontext: internal failures', () => {
  const run = (...extra: string[]) =>
    cli('edit', at('in.png'), 'make it blue', '--out', at('internal.png'), '--model', model, '--quiet', ...extra);

  it('exit 1 with one short line, no stack trace', async () => {
    vi.spyOn(MiniEditor, 'load').mockRejectedValue(new TypeError('boom\nsecond line'));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      'kontext edit: internal error: TypeError: boom (a bug or a problem of this machine; ' +
        'run again with --debug or KONTEXT_DEBUG=1 for the stack trace)',
    ]);
    expect(existsSync(at('internal.png'))).toBe(false);
  });

  it('the stack trace with --debug (anywhere on the line) or KONTEXT_DEBUG=1', async () => {
    vi.spyOn(MiniEditor, 'load').mockRejectedValue(new Error('boom'));
    for (const r of [
      await run('--debug'),
      await cli('--debug', 'edit', at('in.png'), 'x', '--out', at('internal.png'), '--model', model),
    ]) {
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/^kontext edit: internal error: boom\nError: boom\n\s+at /);
    }
    process.env.KONTEXT_DEBUG = '1';
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/^kontext edit: internal error: boom\nError: boom\n\s+at /);
  });

  it('something thrown that is not an Error is still one line and exit 1', async () => {
    vi.spyOn(MiniEditor, 'load').mockRejectedValue('a string');
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^kontext edit: internal error: a string \(/)]);
  });
});

describe('kontext edit / generate (embedded model): everything is checked before the model loads', () => {
  it('refuses each mistake with one line and exit 2, without loading the model', async () => {
    const load = vi.spyOn(MiniEditor, 'load');
    const edit = (...a: string[]) => ['edit', at('in.png'), 'make it blue', '--model', model, ...a];
    const gen = (...a: string[]) => ['generate', 'a red circle', '--model', model, ...a];
    const out = ['--out', at('o.png')];
    const cases: [string[], RegExp][] = [
      // numbers and seeds
      [
        edit(...out, '--seed', '4294967296'),
        /--seed must be an integer from 0 to 4294967295 \(seeds are 32-bit\), got '4294967296'/,
      ],
      [edit(...out, '--seed', 'abc'), /--seed must be an integer from 0 to 4294967295 .*got 'abc'/],
      [edit(...out, '--seed', '1.5'), /--seed must be an integer from 0 to 4294967295 .*got '1.5'/],
      [gen(...out, '--seed', '1e3'), /--seed must be an integer .*got '1e3'/],
      [edit(...out, '--steps', '0'), /--steps must be an integer from 1 to 1000, got '0'/],
      [edit(...out, '--guidance', 'lots'), /--guidance must be a number from 0 to 30, got 'lots'/],
      [gen(...out, '--width', '5000'), /--width must be an integer from 8 to 4096, got '5000'/],
      [gen(...out, '--height', ''), /--height must be an integer from 8 to 4096, got ''/],
      // options of the released-checkpoint mode
      [
        edit(...out, '--width', '64'),
        /^kontext edit: --width applies only with --transformer .*answers at the input image's size$/,
      ],
      [edit(...out, '--area', '4096', '--weights', 'int4'), /--weights, --area apply only with --transformer/],
      // images
      [
        ['edit', at('in.png'), at('style.png'), at('in.png'), 'x', '--model', model, ...out],
        /kontext-mini takes at most 2 images .*got 3/,
      ],
      [['edit', at('missing.png'), 'x', '--model', model, ...out], /input image .*missing\.png does not exist/],
      [
        ['edit', at('folder.png'), 'x', '--model', model, ...out],
        /input image .*folder\.png is a folder, not an image file/,
      ],
      [
        ['edit', at('truncated.png'), 'x', '--model', model, ...out],
        /cannot decode the image in '.*truncated\.png' \(.*\): the file is truncated or corrupt/,
      ],
      [
        ['edit', at('huge.png'), 'x', '--model', model, ...out],
        /image '.*huge\.png' is 9000x9000 = 81\.0 MP, above the limit of 64 MP; downscale it first/,
      ],
      // the instruction: empty, or before the image
      [
        ['edit', at('in.png'), '  ', '--model', model, ...out],
        /^kontext edit: the instruction is empty; say what to change, e\.g\. "make the circle blue"$/,
      ],
      [
        ['generate', '', '--model', model, ...out],
        /^kontext generate: the prompt is empty; say what to draw, e\.g\. "a red circle on a blue background"$/,
      ],
      [
        ['edit', 'make it blue', at('in.png'), '--model', model, ...out],
        /^kontext edit: 'make it blue' is not a file and '.*in\.png' is: the images come first, the instruction last: kontext edit .*in\.png "make it blue" --out out\.png$/,
      ],
      // the output file
      [edit(), /--out is required: the image file to write \(\.png, \.jpg, \.jpeg, \.webp\)/],
      [
        gen('--out', at('no/such/folder/o.png')),
        /--out .*o\.png: folder .*no\/such\/folder does not exist; create it first \(mkdir -p /,
      ],
      [
        gen('--out', at('folder.png')),
        /--out .*folder\.png is a folder; give a file name, e.g. .*folder\.png\/out\.png/,
      ],
      [
        gen('--out', at('exists.png')),
        /--out .*exists\.png already exists; pass --force to replace it, or choose another name/,
      ],
      [gen('--out', at('in.png/o.png')), /--out .*: .*in\.png is not a folder/],
      [edit('--out', at('in.png')), /--out .*in\.png is also an input image; write the result to another file/],
      [edit('--out', at('in.png'), '--force'), /is also an input image/],
      [
        gen('--out', at('o.gif')),
        /--out .*o\.gif: cannot write '\.gif' images; name the file \.png, \.jpg, \.jpeg, \.webp/,
      ],
      [gen('--out', at('output')), /--out .*output: the name has no extension/],
      // the model folder
      [
        ['generate', 'x', '--model', at('not-a-model'), ...out],
        /not-a-model is not a kontext-mini model folder: config\.json is missing/,
      ],
      [
        ['generate', 'x', '--model', at('in.png'), ...out],
        /--model .*in\.png is a file; give a kontext-mini model folder/,
      ],
    ];
    for (const [argv, message] of cases) await expectMistake(argv, message);
    expect(load).not.toHaveBeenCalled();
    expect(existsSync(at('o.png'))).toBe(false);
  });

  it('an input reached by another name (a link) is not overwritten either', async () => {
    await symlink(at('in.png'), at('link.png'));
    await expectMistake(
      ['edit', at('link.png'), 'x', '--model', model, '--out', at('in.png'), '--force'],
      /in\.png is also an input image/,
    );
  });

  it('the largest seed works; the extension sets the format; --force replaces', async () => {
    const webp = at('gen.webp');
    let r = await cli(
      'generate',
      'a red circle',
      '--model',
      model,
      '--seed',
      '4294967295',
      '--width',
      '24',
      '--height',
      '16',
      '--out',
      webp,
      '--json',
    );
    expect(r.code, r.errors.join('\n')).toBe(0);
    expect(JSON.parse(r.logs.at(-1)!)).toMatchObject({ seed: 4294967295, width: 24, height: 16 });
    expect((await sharp(webp).metadata()).format).toBe('webp');

    const jpg = at('edit.JPG');
    r = await cli('edit', at('in.png'), 'make it blue', '--model', model, '--seed', '0', '--out', jpg, '--quiet');
    expect(r.code, r.errors.join('\n')).toBe(0);
    expect((await sharp(jpg).metadata()).format).toBe('jpeg');
    expect(await readImage(jpg)).toMatchObject({ width: 48, height: 32 });

    await expectMistake(
      ['edit', at('in.png'), 'x', '--model', model, '--out', jpg],
      /edit\.JPG already exists; pass --force/,
    );
    r = await cli('edit', at('in.png'), 'x', '--model', model, '--out', jpg, '--force', '--quiet');
    expect(r.code, r.errors.join('\n')).toBe(0);
  });
});
