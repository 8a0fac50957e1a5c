// `kontext edit --transformer ...` (a released-model checkpoint; here the tiny reference fixtures): every option,
// image, output file, prompt-embeddings file and checkpoint header is checked before a model is loaded, and each
// mistake is one line with exit 2.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadAutoEncoder } from '../../src/autoencoder/load.ts';
import { kontextBuckets } from '../../src/image/preprocess.ts';
import { planSize } from '../../src/pipeline/kontext.ts';
import { loadPromptEmbeds } from '../../src/prompt/embeddings.ts';
import { loadFlux } from '../../src/transformer/load.ts';
import { FIXTURES } from '../fixtures-path.ts';
import { cli, pngBytes, writeTensors } from './helpers.ts';
import { joinRegExp } from '../regex.ts';

// the real loaders, watched: a mistake must be reported before either is called
vi.mock('../../src/transformer/load.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/transformer/load.ts')>();
  return { ...m, loadFlux: vi.fn(m.loadFlux) };
});
vi.mock('../../src/autoencoder/load.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/autoencoder/load.ts')>();
  return { ...m, loadAutoEncoder: vi.fn(m.loadAutoEncoder) };
});

const FLUX = join(FIXTURES, 'flux-tiny.weights.safetensors'); // txt 48 features per token, vec 32
const AE = join(FIXTURES, 'ae-tiny.weights.safetensors');

let root: string;
const at = (name: string) => join(root, name);
const txt = (tokens: number, dim = 48, data?: number[]) => ({
  dtype: 'F32' as const,
  shape: [1, tokens, dim],
  data: data ?? Array.from({ length: tokens * dim }, (_, i) => Math.sin(i)),
});
const vec = (dim = 32) => ({ dtype: 'F32' as const, shape: [1, dim], data: new Array(dim).fill(0.1) });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-cli-edit-'));
  await writeTensors(at('embeds.safetensors'), { txt: txt(4), vec: vec() });
  const nan = Array.from({ length: 4 * 48 }, (_, i) => (i === 48 + 2 ? NaN : 0.5));
  await writeTensors(at('nan.safetensors'), { txt: txt(4, 48, nan), vec: vec() });
  await writeTensors(at('inf.safetensors'), {
    txt: txt(2),
    vec: { dtype: 'F32', shape: [1, 32], data: [...new Array(31).fill(0), Infinity] },
  });
  await writeTensors(at('empty.safetensors'), { txt: txt(0), vec: vec() });
  // 50k tokens of 4096 features: 800 MB on paper (a sparse file), refused from the header before anything is read
  await writeTensors(at('long.safetensors'), { txt: { dtype: 'F32', shape: [1, 50_000, 4096] }, vec: vec() });
  await writeTensors(at('ints.safetensors'), {
    txt: { dtype: 'I32', shape: [1, 2, 48], data: new Array(96).fill(1) },
    vec: vec(),
  });
  await writeTensors(at('narrow.safetensors'), { txt: txt(4, 40), vec: vec() });
  await sharp({ create: { width: 100, height: 60, channels: 3, background: { r: 10, g: 200, b: 90 } } })
    .png()
    .toFile(at('in.png'));
  await writeFile(at('truncated.png'), pngBytes(100, 60, { cut: 300 }));
  await writeFile(at('huge.png'), pngBytes(9000, 8000, { rows: 1 }));
  await mkdir(at('folder.png'));
  await mkdir(at('embeds-folder'));
  await writeFile(at('exists.png'), 'old');
});
afterAll(() => rm(root, { recursive: true, force: true }));
beforeEach(() => {
  vi.mocked(loadFlux).mockClear();
  vi.mocked(loadAutoEncoder).mockClear();
});

/** The arguments of a good run, with `change` replacing or adding options (null removes one). */
function args(change: Record<string, string | null> = {}, ...extra: string[]): string[] {
  const o: Record<string, string | null> = {
    transformer: FLUX,
    ae: AE,
    'prompt-embeds': at('embeds.safetensors'),
    image: at('in.png'),
    out: at('o.png'),
    steps: '1',
    seed: '7',
    area: '4096',
    ...change,
  };
  return ['edit', ...Object.entries(o).flatMap(([k, v]) => (v === null ? [] : [`--${k}`, v])), ...extra];
}

async function expectMistake(argv: string[], message: RegExp): Promise<void> {
  const r = await cli(...argv);
  expect({ argv, code: r.code, errors: r.errors }).toMatchObject({
    code: 2,
    errors: [expect.stringMatching(/^kontext edit: /)],
  });
  expect(r.errors[0], argv.join(' ')).toMatch(message);
  expect(r.errors[0].split('\n'), argv.join(' ')).toHaveLength(1);
  expect(r.stderr, argv.join(' ')).not.toMatch(/loading transformer/);
}

describe.skipIf(!existsSync(FLUX))('kontext edit --transformer: checks before loading', () => {
  it('a bad --width is reported even with a --transformer that does not exist: arguments come first', async () => {
    await expectMistake(
      args({ transformer: at('nope/flux1-kontext-dev.safetensors'), width: '50' }),
      /target size 50x48: both sides must be multiples of 16 \(e\.g\. 48x48\)/,
    );
    await expectMistake(
      args({ transformer: at('nope.safetensors'), seed: '4294967296' }),
      /--seed must be an integer from 0 to 4294967295/,
    );
    // and the missing transformer itself, once everything else is right
    await expectMistake(
      args({ transformer: at('nope.safetensors') }),
      /--transformer .*nope\.safetensors does not exist/,
    );
  });

  it('refuses every mistake with one line, exit 2, no model loaded', async () => {
    const cases: [string[], RegExp][] = [
      // options
      [args({ ae: null }), /--ae is required with --transformer: the autoencoder/],
      [
        args({ 'prompt-embeds': null }),
        joinRegExp(
          /give the instruction as --prompt "\.\.\." \(encoded by the checkpoint's T5 and CLIP text encoders\) or as /,
          /--prompt-embeds FILE \(/,
        ),
      ],
      [args({ out: null }), /--out is required with --transformer: the image file to write/],
      [args({}, 'stray'), /unexpected argument 'stray': with a released checkpoint, give images with --image/],
      [args({ model: at('m') }), /--model .*m does not exist/],
      [args({ prompt: 'make it blue' }), /or as --prompt-embeds FILE, not both/],
      [
        args({ 'prompt-embeds': null, prompt: 'make it blue' }),
        /--clip is required with --transformer: the CLIP-L text encoder/,
      ],
      [args({ weights: 'int2' }), /--weights must be f32, int8 or int4, got 'int2'/],
      [args({ steps: '501' }), /--steps must be an integer from 1 to 500, got '501'/],
      [args({ guidance: '31' }), /--guidance must be a number from 0 to 30, got '31'/],
      [args({ seed: '-5' }), /Option '--seed' argument is ambiguous/],
      [args({ seed: '18446744073709551616' }), /--seed must be an integer from 0 to 4294967295/],
      // sizes: output and --area within the 4 MP output limit
      [args({ width: '4096', height: '4096' }), /target size 4096x4096 is too large \(limit 4096 per side and 4 MP\)/],
      [args({ width: '8192' }), /--width must be an integer from 16 to 4096, got '8192'/],
      [args({ area: '2e7' }), /--area must be a number from 256 to 4194304, got '2e7'/],
      [args({ area: '100' }), /--area must be a number from 256 to 4194304, got '100'/],
      [
        args({ area: '4194304', image: at('in.png') }),
        /area 4194304 gives a \d+x\d+ bucket for a 100x60 image, above the output limit .*use a smaller area/,
      ],
      // images
      [args({ image: at('missing.png') }), /input image .*missing\.png does not exist/],
      [args({ image: at('folder.png') }), /input image .*folder\.png is a folder, not an image file/],
      [args({ image: at('truncated.png') }), /cannot decode the image in '.*truncated\.png' .*truncated or corrupt/],
      [args({ image: at('huge.png') }), /image '.*huge\.png' is 9000x8000 = 72\.0 MP, above the limit of 64 MP/],
      // the output file
      [args({ out: at('missing/o.png') }), /folder .*missing does not exist; create it first/],
      [args({ out: at('folder.png') }), /--out .*folder\.png is a folder; give a file name/],
      [args({ out: at('exists.png') }), /exists\.png already exists; pass --force to replace it/],
      [args({ out: at('in.png') }, '--force'), /in\.png is also an input image/],
      [args({ out: at('o.tiff') }), /cannot write '\.tiff' images; name the file \.png, \.jpg, \.jpeg, \.webp/],
      // prompt embeddings
      [args({ 'prompt-embeds': at('none.safetensors') }), /--prompt-embeds .*none\.safetensors does not exist/],
      [args({ 'prompt-embeds': at('embeds-folder') }), /--prompt-embeds .*embeds-folder is a folder; give the file/],
      [
        args({ 'prompt-embeds': at('nan.safetensors') }),
        /nan\.safetensors': txt has a NaN at token 1, feature 2; the embeddings are corrupt/,
      ],
      [args({ 'prompt-embeds': at('inf.safetensors') }), /inf\.safetensors': vec has an infinite value at feature 31/],
      [args({ 'prompt-embeds': at('empty.safetensors') }), /empty\.safetensors': txt has zero tokens/],
      [
        args({ 'prompt-embeds': at('long.safetensors') }),
        /long\.safetensors': txt has 50000 tokens, more than the 4096 accepted/,
      ],
      [
        args({ 'prompt-embeds': at('ints.safetensors') }),
        /ints\.safetensors': txt is int32, prompt embeddings are floating point/,
      ],
      // checkpoints: headers read, nothing loaded
      [
        args({ 'prompt-embeds': at('narrow.safetensors') }),
        /prompt embeddings have 40 features per token, the transformer expects 48/,
      ],
      [args({ ae: FLUX }), /cannot infer the autoencoder configuration/],
      [args({ ae: at('nope-ae') }), /--ae .*nope-ae does not exist/],
    ];
    for (const [argv, message] of cases) await expectMistake(argv, message);
    expect(loadFlux).not.toHaveBeenCalled();
    expect(loadAutoEncoder).not.toHaveBeenCalled();
    expect(existsSync(at('o.png'))).toBe(false);
  });

  it('the library refuses the same: an --area beyond the output limit, sizes planned before anything runs', () => {
    expect(() => kontextBuckets(2e7)).toThrow(
      'bucket area 20000000 is too large (at most 4194304 pixels = 4 MP, the output limit)',
    );
    expect(planSize([{ width: 100, height: 60 }], {}, 4096)).toEqual({
      bucket: { width: 80, height: 48 },
      target: { width: 80, height: 48 },
    });
    expect(planSize([], { width: 32 }, 4096).target).toEqual({ width: 32, height: 64 });
    expect(() => planSize([{ width: 100, height: 60 }], { height: 40 }, 4096)).toThrow(
      'target size 80x40: both sides must be multiples of 16',
    );
  });

  it('the 50k-token file is refused from its header (loadPromptEmbeds allocates nothing)', async () => {
    const before = process.memoryUsage().arrayBuffers;
    await expect(loadPromptEmbeds(at('long.safetensors'))).rejects.toThrow('has 50000 tokens');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('a good run writes the format its extension names; an existing output needs --force', async () => {
    const out = at('edited.webp');
    let r = await cli(...args({ out }, '--json'));
    expect(r.code, r.errors.join('\n')).toBe(0);
    expect(JSON.parse(r.logs.at(-1)!)).toEqual({ out, width: 80, height: 48, seed: 7, transparentInputs: [] });
    expect((await sharp(out).metadata()).format).toBe('webp');
    expect(loadFlux).toHaveBeenCalledTimes(1);
    await expectMistake(args({ out }), /edited\.webp already exists; pass --force/);
    r = await cli(...args({ out, seed: '4294967295' }, '--force', '--quiet'));
    expect(r.code, r.errors.join('\n')).toBe(0);
    expect(r.logs.at(-1)).toBe(`wrote ${out} (80x48, seed 4294967295)`);
    expect(r.stderr).toBe(''); // --quiet: no progress
  });
});
