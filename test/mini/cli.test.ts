// `kontext edit IMAGE "instruction"` and `kontext generate` with a model folder (a tiny random one here; the
// shipped model is exercised the same way by the README's first command and the benchmark).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createImage, readImage, writePng } from '../../src/image/rgb.ts';
import { NOT_THE_WORLD_NOTE } from '../../src/mini/seen.ts';
import { captionParts, inPartsNote, sceneNote } from '../../src/world/caption-parts.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { namedStylePrompt, STYLE_REFERENCE_NOTE } from '../../src/mini/style-reference.ts';
import { type Sample, streamSamples } from '../../src/world/dataset.ts';
import { SHAPES, STYLES } from '../../src/world/shapes.ts';
import { tinyModelDir } from './tiny.ts';

let root: string;
let model: string;
let errors: string[];
let logs: string[];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-mini-cli-'));
  model = await tinyModelDir('float16');
  await writePng(createImage(48, 32, [185, 215, 240]), join(root, 'in.png'));
  await writeFile(join(root, 'not-an-image.png'), 'hello');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(dirname(model), { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<number> {
  errors = [];
  logs = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  try {
    return await main(argv);
  } finally {
    vi.restoreAllMocks();
  }
}

describe('kontext edit / generate with a kontext-mini folder', () => {
  it('edits an image given as positional arguments; the answer has the input size', async () => {
    const out = join(root, 'out.png');
    expect(
      await cli(
        'edit',
        join(root, 'in.png'),
        'make the circle blue',
        '--out',
        out,
        '--model',
        model,
        '--seed',
        '4',
        '--json',
        '--quiet',
      ),
    ).toBe(0);
    const r = JSON.parse(logs.at(-1)!);
    expect(r).toMatchObject({ out, width: 48, height: 32, seed: 4, unknownWords: [], unshown: [] });
    const img = await readImage(out);
    expect([img.width, img.height]).toEqual([48, 32]);
  });

  it("says when no try's answer shows all of the edit, with the tries made and what may make it", async () => {
    // the editor's answer as kontext-mini gives it where none of its tries showed the recolour, with the tries it
    // made (retries.test.ts: 1 + retries, or 1 where the input is not kept); spied on anew for each run (cli()
    // restores every mock after it)
    const answer = async (tries: number, ...more: string[]) => {
      vi.spyOn(MiniEditor.prototype, 'edit').mockResolvedValue({
        image: createImage(48, 32, [30, 90, 200]),
        seed: 4,
        unknownWords: [],
        unshown: ['make the blue circle red'],
        tries,
      });
      const argv = ['edit', join(root, 'in.png'), 'make the circle red', '--out', join(root, 'unshown.png')];
      return cli(...argv, '--force', '--model', model, '--retries', '2', ...more);
    };
    expect(await answer(3)).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      'note: the answer does not show all of "make the blue circle red" as the editor reads it, in any of 3 tries; ' +
        'the answer that showed the most is written (another --seed, or more --retries, may make it)',
    ]);
    // the tries the editor made, not the retries asked (with --no-preserve an edit is sampled once)
    expect(await answer(1, '--no-preserve')).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      expect.stringContaining('as the editor reads it, in its one try;'),
    ]);
    expect(await answer(1, '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).unshown).toEqual(['make the blue circle red']);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([]); // --json: in the result, not on stderr
  });

  it('says which words of the instruction the model does not know (it reads them without meaning)', async () => {
    const out = join(root, 'unknown.png');
    const run = (...more: string[]) =>
      cli(
        'edit',
        join(root, 'in.png'),
        'Please make the crimson circle BLUE',
        '--out',
        out,
        '--force',
        '--model',
        model,
        ...more,
      );
    expect(await run()).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      'note: the model does not know "crimson" and reads it without meaning: ' +
        "it knows the synthetic world's words (shapes, colours, sizes, places, backgrounds, day and night, styles, " +
        "characters) and a label's letters, such as 'FLUX'; `kontext models mini` lists the words it knows",
    ]);
    expect(await run('--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).unknownWords).toEqual(['crimson']);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([]); // --json: in the result, not on stderr
  });

  it('reads a typo of a word the model knows as that word, says so, and edits as if it were spelled right', async () => {
    const edit = (prompt: string, out: string, ...more: string[]) =>
      cli('edit', join(root, 'in.png'), prompt, '--out', out, '--force', '--model', model, '--seed', '5', ...more);
    expect(await edit('make the cirlce bleu', join(root, 'typo.png'))).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      'note: read "cirlce" as "circle" and "bleu" as "blue", typos of words the model knows',
    ]);
    expect(await edit('make the circle blue', join(root, 'spelled.png'))).toBe(0);
    expect(await readFile(join(root, 'typo.png'))).toEqual(await readFile(join(root, 'spelled.png')));
    expect(await edit('make the cirlce bleu', join(root, 'typo.png'), '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({
      unknownWords: [],
      typos: [
        { typed: 'cirlce', read: 'circle' },
        { typed: 'bleu', read: 'blue' },
      ],
      otherWords: [],
    });
    // another word for the world's ("ball" for its circle) is read as that word: the same edit, and said
    expect(await edit('make the ball blue', join(root, 'ball.png'), '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({
      unknownWords: [],
      otherWords: [{ typed: 'ball', read: 'circle' }],
      phrasings: [],
      note: 'read "ball" as "circle", the world\'s word for it',
    });
    expect(await readFile(join(root, 'ball.png'))).toEqual(await readFile(join(root, 'spelled.png')));
  });

  it('says when the instruction asks a colour the world never draws, or two edits (made one after the other)', async () => {
    const out = join(root, 'red-bg.png');
    const run = (...more: string[]) =>
      cli('edit', join(root, 'in.png'), 'make the background red', '--out', out, '--force', ...more);
    expect(await run()).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      'note: the model has drawn backgrounds only in white, cream, sky blue, mint green, lavender, peach, light gray ' +
        'and sand (plain, or a gradient between two), so a "red" background is outside what it learnt',
    ]);
    expect(await run('--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({
      unknownWords: [],
      note: expect.stringContaining('"red" background'),
    });
    // both notes, one line: an unknown word and a colour outside the world
    expect(await cli('edit', join(root, 'in.png'), 'make the crimson circle black', '--out', out, '--force')).toBe(0);
    const [note] = errors.filter((e) => e.startsWith('note:'));
    expect(note).toMatch(
      /^note: the model does not know "crimson" .*; the model draws shapes only in .* so a "black" circle is outside what it learnt; `kontext models mini` lists the words it knows$/,
    );
    // two edits at once: made one after the other, and said so
    expect(
      await cli('edit', join(root, 'in.png'), 'make the circle blue and the background red', '--out', out, '--force'),
    ).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))[0]).toBe(
      'note: the model learnt one edit per instruction, and this asks for 2 ("make the circle blue", "make the ' +
        'background red"): kontext-mini makes them one after the other, each on the last answer; the model has ' +
        'drawn backgrounds only in white, cream, sky blue, mint green, lavender, peach, light gray and sand (plain, ' +
        'or a gradient between two), so a "red" background is outside what it learnt',
    );
    expect(logs.at(-1)).toMatch(/^wrote .*red-bg\.png \(48x32, 2 edits one after the other, seed \d+, /);
    expect(
      await cli(
        'edit',
        join(root, 'in.png'),
        'make the circle blue, then make it night',
        '--out',
        out,
        '--force',
        '--json',
      ),
    ).toBe(0);
    expect(JSON.parse(logs.at(-1)!).edits).toEqual(['make the circle blue', 'make it night']);
  });

  it('says when an input is transparent (its hidden colours are what the model sees), and only then', async () => {
    // 40×20 RGBA: the left half opaque blue, the right half fully transparent over black, as many exporters store it
    const rgba = Buffer.alloc(40 * 20 * 4);
    for (let i = 0; i < 40 * 20; i++) if (i % 40 < 20) rgba.set([30, 90, 200, 255], 4 * i);
    const sprite = join(root, 'sprite.png');
    await sharp(rgba, { raw: { width: 40, height: 20, channels: 4 } })
      .png()
      .toFile(sprite);
    const opaque = join(root, 'opaque-rgba.png');
    await sharp(rgba, { raw: { width: 40, height: 20, channels: 4 } })
      .removeAlpha()
      .ensureAlpha()
      .png()
      .toFile(opaque);
    const out = join(root, 'sprite-out.png');
    const run = (input: string, ...more: string[]) =>
      cli('edit', input, 'make the circle blue', '--out', out, '--force', '--model', model, ...more);
    expect(await run(sprite)).toBe(0);
    // (the black stored under it is what the model sees: the picture is no longer a ground of the world's)
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      `note: ${NOT_THE_WORLD_NOTE}`,
      `note: ${sprite} is 50.0 % transparent; its transparent pixels are read with the colours stored under them ` +
        '(often black; diffusers reads them the same way) and the answer is opaque: flatten the picture onto a ' +
        'background first if that is not what you want',
    ]);
    expect(await run(sprite, '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).transparentInputs).toEqual([sprite]);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([]); // --json: in the result
    expect(await run(opaque)).toBe(0); // an alpha channel that is all opaque is no news
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([`note: ${NOT_THE_WORLD_NOTE}`]);
  });

  it('says when the instruction names a shape the picture does not show, and what it shows', async () => {
    const scene = join(root, 'scene.png');
    const [s] = [...streamSamples({ split: 'test', seed: 7, families: ['local'], count: 1 })] as [Sample];
    await writePng(s.inputs[0]!, scene);
    const shown = [...s.before!.objects].sort((a, b) => a.x - b.x).map((o) => `a ${o.color} ${o.shape}`);
    const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
    const missing = SHAPES.find((shape) => !s.before!.objects.some((o) => o.shape === shape))!;
    const run = (prompt: string, ...more: string[]) =>
      cli('edit', scene, prompt, '--out', join(root, 'scene-out.png'), '--force', '--model', model, ...more);
    expect(await run(`make the ${missing} red`)).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([
      `note: the picture shows no ${missing} (it shows ${list}), so the model will change something else or nothing`,
    ]);
    expect(await run(`make the ${missing} red`, '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).note).toContain(`the picture shows no ${missing} (`);
    const shows = () => errors.filter((e) => e.includes('the picture shows no'));
    const there = s.before!.objects[0]!;
    expect(await run(`make the ${there.shape} red`)).toBe(0); // there: no such note, and named as it is seen
    expect(shows()).toEqual([]);
    expect(errors.join('\n')).toContain(
      `read "the ${there.shape}" as "the ${there.color} ${there.shape}", as the picture shows it`,
    );
    // every shape: one edit each, said before, and made so
    const each = [...s.before!.objects].sort((a, b) => a.x - b.x).map((o) => `"remove the ${o.color} ${o.shape}"`);
    expect(await run('remove all the shapes')).toBe(0);
    expect(errors.join('\n')).toContain(`read "remove all the shapes" as ${each.length} edits`);
    expect(errors.join('\n')).toContain(each.join(', '));
    expect(logs.at(-1)).toContain(`${each.length} edits one after the other`);
    // a picture of no shapes at all (no picture of the world's): nothing to tell
    expect(
      await cli(
        'edit',
        join(root, 'in.png'),
        'make the star red',
        '--out',
        join(root, 'plain-out.png'),
        '--force',
        '--model',
        model,
      ),
    ).toBe(0);
    expect(shows()).toEqual([]);
  });

  it('generates from words', async () => {
    const out = join(root, 'gen.png');
    expect(
      await cli(
        'generate',
        'a red circle',
        '--out',
        out,
        '--model',
        model,
        '--width',
        '40',
        '--height',
        '40',
        '--quiet',
      ),
    ).toBe(0);
    expect(logs.at(-1)).toMatch(/wrote .*gen.png \(40x40, seed \d+/);
    expect(existsSync(out)).toBe(true);
  });

  it("makes the creature's new scene as edits of the picture, said before it runs; --one-pass at once", async () => {
    const s = [...streamSamples({ split: 'test', seed: 3, families: ['character'], count: 40 })].find(
      (x) => x.task === 'character.scene',
    )!;
    const input = join(root, 'creature.png');
    await writePng(s.inputs[0]!, input);
    const out = join(root, 'scene.png');
    // (the embedded model: the tiny one keeps no input, and makes every edit in one pass)
    const run = (...more: string[]) =>
      cli('edit', input, s.instruction, '--out', out, '--force', '--seed', '1', ...more);
    expect(await run('--json')).toBe(0);
    const edits = JSON.parse(logs.at(-1)!).edits as string[];
    expect(edits.length).toBe(s.before!.objects.length + 2 + s.after.objects.length);
    expect(await run()).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([`note: ${sceneNote(edits)}`]);
    expect(await run('--json', '--one-pass')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).edits).toEqual([s.instruction]);
  });

  it('draws a caption of shapes on a ground in parts, said before it runs; --one-pass draws it at once', async () => {
    const out = join(root, 'parts.png');
    const prompt = 'a red circle on the left on a white background';
    // (the embedded model: the tiny one keeps no input, and draws every picture in one pass)
    const run = (...more: string[]) => cli('generate', prompt, '--out', out, '--force', ...more);
    expect(await run('--seed', '3')).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([`note: ${inPartsNote(captionParts(prompt))}`]);
    expect(logs.at(-1)).toMatch(/wrote .*parts.png \(64x64, 2 edits one after the other, seed 3/);
    expect(await run('--seed', '3', '--json')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).edits).toEqual(['A white background', 'add a medium red circle on the left']);
    expect(await run('--seed', '3', '--json', '--one-pass')).toBe(0);
    expect(JSON.parse(logs.at(-1)!).edits).toEqual([prompt]);
    expect(await run('--seed', '3', '--one-pass')).toBe(0);
    expect(errors.filter((e) => e.startsWith('note:'))).toEqual([]);
  });

  it('--candidates N answers with the best of seeds S … S+N−1: the same as one of them run alone', async () => {
    const run = async (name: string, seed: string, ...flags: string[]) => {
      const out = join(root, name);
      const argv = ['edit', join(root, 'in.png'), 'make the circle blue', '--out', out, '--model', model];
      expect(await cli(...argv, '--seed', seed, '--quiet', '--json', ...flags)).toBe(0);
      return readImage(out);
    };
    const best = await run('best.png', '9', '--candidates', '2');
    expect(JSON.parse(logs.at(-1)!).seed).toBe(9);
    const singles = [await run('s9.png', '9'), await run('s10.png', '10')];
    expect(singles[0]!.data).not.toEqual(singles[1]!.data);
    expect(singles.some((s) => Buffer.from(s.data).equals(Buffer.from(best.data)))).toBe(true);
  });

  it('reads a style reference as a named style (says which); --no-read-style gives both images to the model', async () => {
    await writePng(createImage(24, 24, [200, 40, 40]), join(root, 'ref.png'));
    const argv = [
      'edit',
      join(root, 'in.png'),
      join(root, 'ref.png'),
      'restyle image 1 like image 2',
      '--model',
      model,
    ];
    expect(await cli(...argv, '--out', join(root, 'styled.png'), '--seed', '2', '--quiet', '--json')).toBe(0);
    const r = JSON.parse(logs.at(-1)!);
    expect(STYLES).toContain(r.style);
    expect(r.edits).toEqual([namedStylePrompt(r.style)]);
    expect(r.note).toBe(STYLE_REFERENCE_NOTE); // said before it runs: the words are not what is read
    expect([r.width, r.height]).toEqual([48, 32]);
    expect(await cli(...argv, '--out', join(root, 'styled2.png'), '--seed', '2', '--quiet')).toBe(0);
    expect(logs.at(-1)).toContain(`the reference's style read as ${r.style}, made as "${r.edits[0]}"`);
    expect(
      await cli(...argv, '--out', join(root, 'both.png'), '--seed', '2', '--quiet', '--json', '--no-read-style'),
    ).toBe(0);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({
      style: null,
      note: expect.not.stringMatching(/^with two images/),
    });
    const [styled, both] = [await readImage(join(root, 'styled.png')), await readImage(join(root, 'both.png'))];
    expect(Buffer.from(styled.data).equals(Buffer.from(both.data))).toBe(false);
  });

  it('makes the edits asked after a style reference, and says so before and after', async () => {
    await writePng(createImage(24, 24, [200, 40, 40]), join(root, 'ref2.png'));
    const prompt = 'restyle image 1 like image 2 and make the cirlce blue';
    const argv = ['edit', join(root, 'in.png'), join(root, 'ref2.png'), prompt, '--model', model, '--seed', '2'];
    expect(await cli(...argv, '--out', join(root, 'then.png'), '--quiet', '--json')).toBe(0);
    const r = JSON.parse(logs.at(-1)!);
    expect(r.edits).toEqual([namedStylePrompt(r.style), 'make the circle blue']);
    expect(r.note).toMatch(/^with two images .* then makes "make the circle blue" on that, one after the other;/);
    expect(r.note).toContain('read "cirlce" as "circle"');
    expect(await cli(...argv, '--out', join(root, 'then2.png'), '--quiet')).toBe(0);
    expect(logs.at(-1)).toContain(
      `the reference's style read as ${r.style}, made as "${r.edits[0]}", then "make the circle blue"`,
    );
  });

  it('keeps the input where the model changed nothing (its config.json says how); --no-preserve does not', async () => {
    const keeping = await tinyModelDir('float16');
    try {
      // threshold 254: no pixel of the random model counts as edited, so every pixel is the input's own
      const cfg = JSON.parse(await readFile(join(keeping, 'config.json'), 'utf8'));
      cfg.sampling.preserve = { threshold: 254, grow: 1 };
      await writeFile(join(keeping, 'config.json'), JSON.stringify(cfg));
      const input = await readImage(join(root, 'in.png'));
      const run = async (name: string, ...flags: string[]) => {
        const out = join(root, name);
        const argv = ['edit', join(root, 'in.png'), 'make the circle blue', '--out', out, '--model', keeping];
        expect(await cli(...argv, '--seed', '4', '--quiet', ...flags)).toBe(0);
        return readImage(out);
      };
      expect((await run('kept.png')).data).toEqual(input.data);
      expect((await run('raw.png', '--no-preserve')).data).not.toEqual(input.data);
    } finally {
      await rm(dirname(keeping), { recursive: true, force: true });
    }
  });

  it('answers mistakes with exit 2 and one line that says what to fix', async () => {
    // a released checkpoint's edit (the options below are the embedded model's only)
    const released = [
      'edit',
      '--transformer',
      join(root, 't.safetensors'),
      '--prompt',
      'x',
      '--out',
      join(root, 'o.png'),
    ];
    const cases: [string[], RegExp][] = [
      [
        ['edit', join(root, 'missing.png'), 'x', '--out', join(root, 'o.png'), '--model', model],
        /input image .*missing.png does not exist/,
      ],
      [
        ['edit', join(root, 'not-an-image.png'), 'x', '--out', join(root, 'o.png'), '--model', model],
        /cannot read .*not-an-image.png as an image/,
      ],
      [['edit', 'make it blue', '--out', join(root, 'o.png'), '--model', model], /give the image and the instruction/],
      [['edit', join(root, 'in.png'), 'x', '--model', model], /--out is required/],
      [
        ['edit', join(root, 'in.png'), 'x', '--out', join(root, 'o.png'), '--model', join(root, 'nope')],
        /model folder .*nope does not exist/,
      ],
      [
        ['edit', join(root, 'in.png'), 'x', '--out', join(root, 'o.png'), '--model', model, '--seed', 'abc'],
        /--seed must be an integer from 0 to 4294967295 \(seeds are 32-bit\), got 'abc'/,
      ],
      [['generate', '--out', join(root, 'o.png'), '--model', model], /give one prompt/],
      [
        ['generate', 'x', '--out', join(root, 'o.png'), '--model', model, '--steps', '0'],
        /--steps must be an integer from 1 to 1000, got '0'/,
      ],
      [
        ['edit', join(root, 'in.png'), 'x', '--out', join(root, 'o.png'), '--model', model, '--candidates', '17'],
        /--candidates must be an integer from 1 to 16, got '17'/,
      ],
      [
        ['edit', join(root, 'in.png'), 'x', '--out', join(root, 'o.png'), '--model', model, '--retries', '9'],
        /--retries must be an integer from 0 to 8, got '9'/,
      ],
      [[...released, '--candidates', '2'], /--candidates applies only with the embedded model/],
      [[...released, '--retries', '2'], /--retries applies only with the embedded model/],
      [[...released, '--no-read-style'], /--no-read-style applies only with the embedded model/],
      [[...released, '--one-pass'], /--one-pass applies only with the embedded model/],
    ];
    for (const [argv, message] of cases) {
      expect(await cli(...argv), argv.join(' ')).toBe(2);
      expect(errors.join('\n'), argv.join(' ')).toMatch(message);
    }
  });
});
