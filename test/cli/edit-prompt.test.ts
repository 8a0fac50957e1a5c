// Words to image with a released-layout checkpoint, no Python: a tiny diffusers FLUX.1 Kontext folder assembled
// from the reference fixtures (transformer/ in 2 shards, vae/, text_encoder/, sharded text_encoder_2/, tokenizer/,
// tokenizer_2/). `kontext edit --prompt` must give exactly what `--prompt-embeds` gives with the file `kontext
// encode` wrote, and that file must hold what our encoders compute; the text encoders are released before the
// transformer loads.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spillDir } from '../../src/engine/index.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { loadKontextPipeline } from '../../src/pipeline/load.ts';
import { embeddingCache } from '../../src/prompt/embedding-cache.ts';
import { loadPromptEmbeds } from '../../src/prompt/embeddings.ts';
import { FluxTextEncoder } from '../../src/prompt/flux-text-encoder.ts';
import { loadFlux } from '../../src/transformer/load.ts';
import { writeTinyKontextFolder } from '../prompt/encoder-fixtures.ts';
import { cli } from './helpers.ts';
import { joinRegExp } from '../regex.ts';

// the transformer loader, watched: when it runs, the text encoders must already be released
const encoderLoadedAtFluxLoad: boolean[] = [];
let watched: FluxTextEncoder | null = null;
vi.mock('../../src/transformer/load.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/transformer/load.ts')>();
  return {
    ...m,
    loadFlux: vi.fn((...a: Parameters<typeof m.loadFlux>) => {
      if (watched) encoderLoadedAtFluxLoad.push(watched.loaded);
      return m.loadFlux(...a);
    }),
  };
});

let root: string;
let model: string;
const at = (name: string) => join(root, name);
const PROMPT = 'make the cup red';
const RUN = ['--image', '', '--steps', '2', '--seed', '5', '--area', '4096'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-edit-prompt-'));
  model = at('FLUX.1-Kontext-tiny');
  await writeTinyKontextFolder(model);
  await sharp({ create: { width: 96, height: 48, channels: 3, background: { r: 200, g: 40, b: 30 } } })
    .png()
    .toFile(at('in.png'));
  RUN[1] = at('in.png');
});
afterAll(() =>
  Promise.all([rm(root, { recursive: true, force: true }), rm(spillDir(), { recursive: true, force: true })]),
);

describe('kontext encode and kontext edit --prompt with a diffusers folder', () => {
  it('encode writes what our encoders compute, in the format --prompt-embeds reads', async () => {
    const r = await cli('encode', '--prompt', PROMPT, '--model', model, '--out', at('embeds.safetensors'), '--json');
    expect(r.code, r.errors.join('\n')).toBe(0);
    const enc = await FluxTextEncoder.open({ clip: model, t5: model, tokenizers: model });
    expect(JSON.parse(r.logs.at(-1)!)).toMatchObject({
      out: at('embeds.safetensors'),
      tokens: 512,
      contextDim: 64,
      vecDim: 64,
      encoder: enc.id,
    });
    embeddingCache.clear(); // compute again, not from the entry the command left in this process's cache
    const ours = await enc.encode(PROMPT);
    await enc.release();
    const file = await loadPromptEmbeds(at('embeds.safetensors'));
    expect(file.tokens).toBe(512);
    expect(file.txt).toEqual(ours.txt);
    expect(file.vec).toEqual(ours.vec);
    const f = await SafetensorsFile.open(at('embeds.safetensors'));
    expect([f.entry('txt').shape, f.entry('vec').shape, f.entry('txt').dtype]).toEqual([
      [1, 512, 64],
      [1, 64],
      'float32',
    ]);
    expect(f.metadata).toMatchObject({ prompt: PROMPT, encoder: enc.id, t5_weights: 'f32' });
    await f.close();
  });

  it('--prompt gives the image of --prompt-embeds of the encoded file (tokenizer → encoders → DiT → AE)', async () => {
    embeddingCache.clear();
    const a = await cli('edit', '--model', model, '--prompt', PROMPT, ...RUN, '--out', at('a.png'));
    expect(a.code, a.errors.join('\n')).toBe(0);
    expect(a.stderr).toMatch(/loading T5 \d+\/\d+\n[\s\S]*loading transformer \d+\/\d+\n/); // encoders first
    const b = await cli(
      'edit',
      '--model',
      model,
      '--prompt-embeds',
      at('embeds.safetensors'),
      ...RUN,
      '--out',
      at('b.png'),
    );
    expect(b.code, b.errors.join('\n')).toBe(0);
    expect(a.logs.at(-1)).toBe(`wrote ${at('a.png')} (96x48, seed 5)`);
    const [pa, pb] = await Promise.all([sharp(at('a.png')).raw().toBuffer(), sharp(at('b.png')).raw().toBuffer()]);
    expect(pa.equals(pb)).toBe(true);
    // and another prompt gives another image
    const c = await cli('edit', '--model', model, '--prompt', 'make it blue', ...RUN, '--out', at('c.png'));
    expect(c.code, c.errors.join('\n')).toBe(0);
    expect((await sharp(at('c.png')).raw().toBuffer()).equals(pa)).toBe(false);
  });

  it('KontextPipeline.generate({ prompt }): encoder released before the transformer loads, and back', async () => {
    embeddingCache.clear();
    encoderLoadedAtFluxLoad.length = 0;
    vi.mocked(loadFlux).mockClear();
    const pipe = await loadKontextPipeline({ model }, { area: 4096 });
    watched = pipe.textEncoder as FluxTextEncoder;
    const opts = { image: at('in.png'), numInferenceSteps: 2, seed: 5 };
    const first = await pipe.generate({ prompt: PROMPT, ...opts });
    expect(watched.loaded).toBe(false);
    const embeds = await loadPromptEmbeds(at('embeds.safetensors'));
    const again = await pipe.generate({ promptEmbeds: embeds, ...opts });
    expect(again.latent).toEqual(first.latent);
    expect(Buffer.from(first.image.data).equals(await sharp(at('a.png')).raw().toBuffer())).toBe(true); // = the CLI's
    expect(loadFlux).toHaveBeenCalledTimes(1); // embeddings given: the loaded transformer stays
    await pipe.generate({ prompt: 'make it blue', ...opts }); // not cached: transformer out, encoder in, and back
    await pipe.generate({ prompt: PROMPT, ...opts }); // cached: nothing reloads
    expect(loadFlux).toHaveBeenCalledTimes(2);
    expect(encoderLoadedAtFluxLoad).toEqual([false, false]);
    watched = null;
  });

  it('refuses mistakes in one line before loading anything', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['edit', '--model', model, ...RUN, '--out', at('x.png')],
        joinRegExp(
          /^kontext edit: give the instruction as --prompt "\.\.\." \(encoded by the checkpoint's T5 and CLIP text /,
          /encoders\) or as --prompt-embeds FILE \(/,
        ),
      ],
      [
        [
          'edit',
          '--model',
          model,
          '--prompt',
          PROMPT,
          '--prompt-embeds',
          at('embeds.safetensors'),
          ...RUN,
          '--out',
          at('x.png'),
        ],
        /or as --prompt-embeds FILE, not both/,
      ],
      [
        [
          'edit',
          '--model',
          model,
          '--prompt-embeds',
          at('embeds.safetensors'),
          '--t5',
          model,
          ...RUN,
          '--out',
          at('x.png'),
        ],
        /--t5 applies only with --prompt \(the text encoders\); --prompt-embeds are already encoded$/,
      ],
      [
        [
          'edit',
          '--transformer',
          join(model, 'transformer'),
          '--ae',
          join(model, 'vae'),
          '--prompt',
          PROMPT,
          ...RUN,
          '--out',
          at('x.png'),
        ],
        joinRegExp(
          /--clip is required with --transformer: the CLIP-L text encoder, clip_l\.safetensors or a text_encoder\/ /,
          /folder \(or --model DIR, a diffusers FLUX\.1 Kontext folder\)$/,
        ),
      ],
      [
        [
          'edit',
          '--model',
          model,
          '--prompt',
          PROMPT,
          '--t5',
          join(model, 'text_encoder'),
          ...RUN,
          '--out',
          at('x.png'),
        ],
        joinRegExp(
          /does not match the expected T5 text encoder \(\d+ tensors; the checkpoint has 36\): likely cause: this is /,
          /a CLIP text encoder file, not a T5 text encoder; /,
        ),
      ],
      [
        ['edit', '--model', model, '--prompt', PROMPT, '--no-preserve', ...RUN, '--out', at('x.png')],
        /--no-preserve applies only with the embedded model \(a released checkpoint keeps no pixels of its own\)$/,
      ],
      [
        ['edit', '--model', model, '--prompt', PROMPT, '--tokenizers', at('none'), ...RUN, '--out', at('x.png')],
        /--tokenizers .*none does not exist/,
      ],
      [
        ['encode', '--prompt', PROMPT, '--model', model],
        /^kontext encode: --out is required: the safetensors file to write/,
      ],
      [
        ['encode', '--prompt', PROMPT, '--model', model, '--out', at('embeds.safetensors')],
        /embeds\.safetensors already exists; pass --force to replace it/,
      ],
      [
        ['encode', '--prompt', PROMPT, '--model', model, '--out', at('e.png')],
        /--out .*e\.png: name the file \.safetensors \(or \.sft/,
      ],
      [
        ['encode', '--prompt', PROMPT, '--out', at('e.safetensors')],
        /--clip is required: the CLIP-L text encoder, .* \(or --model DIR, a diffusers FLUX\.1 Kontext folder\)$/,
      ],
      [['encode', '--model', model, '--out', at('e.safetensors')], /--prompt is required: the text to encode/],
      [
        ['encode', '--prompt', PROMPT, '--model', model, '--weights', 'int3', '--out', at('e.safetensors')],
        /--weights must be f32, int8 or int4, got 'int3'/,
      ],
    ];
    vi.mocked(loadFlux).mockClear();
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.errors, argv.join(' ')).toHaveLength(1);
      expect(r.errors[0].split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.errors[0], argv.join(' ')).toMatch(message);
    }
    expect(loadFlux).not.toHaveBeenCalled();
    expect(readFileSync(at('embeds.safetensors')).length).toBeGreaterThan(512 * 64 * 4); // not replaced
    expect(await readFile(at('x.png')).catch(() => null)).toBeNull();
  });
});
