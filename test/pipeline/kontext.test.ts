import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAutoEncoder } from '../../src/autoencoder/load.ts';
import { UserError } from '../../src/errors.ts';
import { toFloat32 } from '../../src/io/floats.ts';
import { chooseBucket, preprocessKontextImage } from '../../src/image/preprocess.ts';
import { readImage } from '../../src/image/rgb.ts';
import { KontextPipeline } from '../../src/pipeline/kontext.ts';
import type { PromptEmbeds } from '../../src/prompt/embeddings.ts';
import { denoise } from '../../src/sampling/denoise.ts';
import { fluxNoise } from '../../src/sampling/noise.ts';
import { getSchedule } from '../../src/sampling/schedule.ts';
import { contextIds, targetIds, textIds } from '../../src/tokens/ids.ts';
import { pack, unpack } from '../../src/tokens/pack.ts';
import { loadFlux } from '../../src/transformer/load.ts';
import { FIXTURES } from '../fixtures-path.ts';

const AREA = 64 * 64;
let pipe: KontextPipeline;
let embeds: PromptEmbeds;
let photo: Uint8Array;

beforeAll(async () => {
  const params = JSON.parse(readFileSync(join(FIXTURES, 'flux-tiny.json'), 'utf8')).params;
  const transformer = await loadFlux(join(FIXTURES, 'flux-tiny.weights.safetensors'), { params });
  const ae = await loadAutoEncoder(join(FIXTURES, 'ae-tiny.weights.safetensors'));
  pipe = new KontextPipeline(transformer, ae, null, { area: AREA, timestepRounding: 'none' });
  const T = 5;
  embeds = {
    txt: new Float32Array(T * 48).map((_, i) => Math.sin(i)),
    tokens: T,
    vec: new Float32Array(32).map((_, i) => Math.cos(i)),
  };
  // a 2:1 test picture: left half red, right half a blue gradient
  const raw = Buffer.alloc(96 * 48 * 3);
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 96; x++) raw.set(x < 48 ? [200, 30, 30] : [0, 2 * x, 255 - y], (y * 96 + x) * 3);
  photo = await sharp(raw, { raw: { width: 96, height: 48, channels: 3 } })
    .png()
    .toBuffer();
});

describe('KontextPipeline', () => {
  it('an edit equals the composition of the verified parts (preprocess, encode, noise, denoise, decode)', async () => {
    const r = await pipe.generate({
      promptEmbeds: embeds,
      image: photo,
      numInferenceSteps: 3,
      seed: 42,
      guidanceScale: 2.5,
    });
    const bucket = chooseBucket(96, 48, AREA); // 2:1 at 64² pixels
    expect([r.width, r.height]).toEqual([bucket.width, bucket.height]);
    expect([r.image.width, r.image.height]).toEqual([bucket.width, bucket.height]);

    const pre = await preprocessKontextImage(await readImage(photo), { area: AREA });
    const ctxLatent = await pipe.encode(pre.data, pre.height, pre.width);
    const [H, W] = [r.height / 8, r.width / 8];
    const manual = await denoise(pipe.transformer, {
      img: pack(toFloat32(fluxNoise(42, r.height, r.width)), 1, 16, H, W),
      imgIds: targetIds(H / 2, W / 2),
      context: {
        tokens: pack(ctxLatent, 1, 16, pre.height / 8, pre.width / 8),
        ids: contextIds([{ rows: pre.height / 16, cols: pre.width / 16 }]),
      },
      txt: embeds.txt,
      txtIds: textIds(5),
      vec: embeds.vec,
      batch: 1,
      timesteps: getSchedule(3, (H / 2) * (W / 2)),
      guidance: 2.5,
    });
    expect(Array.from(r.latent)).toEqual(Array.from(unpack(manual, 1, 16, H, W)));
  });

  it('is deterministic for a seed, and the seed and the context image change the result', async () => {
    const run = (seed: number) => pipe.generate({ promptEmbeds: embeds, image: photo, numInferenceSteps: 2, seed });
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
    expect(Buffer.from(c.image.data).equals(Buffer.from(a.image.data))).toBe(false);
    // text-to-image: a square of the bucket area
    const t2i = await pipe.generate({ promptEmbeds: embeds, numInferenceSteps: 2, seed: 1 });
    expect([t2i.width, t2i.height]).toEqual([64, 64]);
    const sized = await pipe.generate({
      promptEmbeds: embeds,
      image: photo,
      numInferenceSteps: 1,
      seed: 1,
      width: 48,
      height: 32,
    });
    expect([sized.image.width, sized.image.height]).toEqual([48, 32]);
  });

  it('several context images get the offset layout and all reach the model', async () => {
    const one = await pipe.generate({ promptEmbeds: embeds, image: photo, numInferenceSteps: 1, seed: 3 });
    const two = await pipe.generate({ promptEmbeds: embeds, image: [photo, photo], numInferenceSteps: 1, seed: 3 });
    expect([two.width, two.height]).toEqual([one.width, one.height]);
    expect(Buffer.from(two.image.data).equals(Buffer.from(one.image.data))).toBe(false);
  });

  it('reports progress through encode, every denoising step and decode', async () => {
    const events: string[] = [];
    await pipe.generate({
      promptEmbeds: embeds,
      image: photo,
      numInferenceSteps: 3,
      seed: 0,
      onProgress: (e) => events.push(`${e.stage}:${e.step}/${e.total}`),
    });
    expect(events).toEqual(['encode:0/1', 'denoise:1/3', 'denoise:2/3', 'denoise:3/3', 'decode:0/1']);
  });

  it('bad input gives one clear error each', async () => {
    const bad = async (o: Parameters<KontextPipeline['generate']>[0]) => {
      try {
        await pipe.generate(o);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(await bad({ promptEmbeds: embeds, guidanceScale: 100 })).toBe(
      'guidanceScale 100 is out of range [0, 30] (FLUX.1 Kontext [dev] uses 2.5)',
    );
    expect(await bad({ promptEmbeds: embeds, numInferenceSteps: 0 })).toBe(
      'numInferenceSteps 0 must be an integer in [1, 500] (default 30)',
    );
    expect(await bad({ promptEmbeds: embeds, numInferenceSteps: 2.5 })).toContain(
      'numInferenceSteps 2.5 must be an integer',
    );
    expect(await bad({ promptEmbeds: embeds, seed: -1 })).toBe('seed -1 must be a non-negative integer');
    expect(await bad({ promptEmbeds: embeds, seed: 2 ** 32 + 5 })).toBe(
      'seed 4294967301 is above 4294967295: the noise generator takes 32-bit seeds (it would give the noise of seed 5)',
    );
    expect(await bad({ prompt: 'make it blue' })).toContain('this pipeline has no text encoder');
    expect(await bad({})).toBe('give a prompt (or promptEmbeds)');
    expect(await bad({ promptEmbeds: { ...embeds, vec: new Float32Array(7) } })).toBe(
      'pooled prompt embedding has 7 features, the transformer expects 32',
    );
    expect(await bad({ promptEmbeds: embeds, image: new TextEncoder().encode('not an image at all') })).toMatch(
      /^cannot read an image from the given bytes/,
    );
    expect(await bad({ promptEmbeds: embeds, image: photo, width: 50, height: 32 })).toBe(
      'target size 50x32: both sides must be multiples of 16 (e.g. 48x32)',
    );
    expect(await bad({ promptEmbeds: embeds, image: { width: 0, height: 0, data: new Uint8Array(0) } })).toBe(
      'image has zero size (0x0)',
    );
  });
});
