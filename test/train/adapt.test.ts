// The decoder fitted to a flow model's own latents (train/adapt.ts): the pairs decode to exactly what the pipeline
// draws for the same request, crops keep pixels and latent cells aligned, and a decoder-only run with `adapt`
// (and a widened decoder) trains, exports and loads; a model folder in another latent space is refused by name.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, Graph } from '../../src/engine/index.ts';
import { toImage } from '../../src/image/preprocess.ts';
import { hashSeed } from '../../src/engine/random.ts';
import { loadMini, loadMiniAe, saveMini } from '../../src/mini/load.ts';
import { cropPair, modelPairs } from '../../src/train/adapt.ts';
import { exampleOf } from '../../src/train/flow.ts';
import { type AeTrainConfig, trainAe } from '../../src/train/train-ae.ts';
import { makeSample } from '../../src/world/dataset.ts';
import { tinyAeConfig, tinyModelDir, tinyPipeline } from '../mini/tiny.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('adapt pairs', () => {
  it('a pair decodes to the image the pipeline draws for the same example and noise', async () => {
    const dir = await tinyModelDir();
    dirs.push(dir);
    const pipe = await loadMini(dir);
    const pairs = await modelPairs({ model: dir, pairs: 3, share: 0.5 }, pipe.ae, 7, 32, true);
    expect(pairs.latents.length).toBe(3);
    const dataSeed = hashSeed(7, 'adapt');
    const s = makeSample({ split: 'train', seed: dataSeed, size: 32 }, 1);
    const e = exampleOf(s, s.index % 5);
    expect(pairs.targets[1].data).toEqual(e.target.data);
    const [drawn] = await pipe.run([{ prompt: e.instruction, images: e.inputs, seed: hashSeed(dataSeed, 'noise', 1) }]);
    // the raw latent through the decoder alone (decode() would first undo the normalisation the pairs undid)
    const g = new Graph();
    g.build(() => g.output('image', pipe.ae.decoder.forward(g.input('latent', [1, 4, 16, 16]))));
    const c = await compile(g);
    const px = (await c.run({ latent: { dtype: 'float32', shape: [1, 4, 16, 16], data: pairs.latents[1] } })).image
      .data as Float32Array;
    const mine = toImage(px, 32, 32);
    let worst = 0;
    for (let i = 0; i < mine.data.length; i++) worst = Math.max(worst, Math.abs(mine.data[i] - drawn.data[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('a crop takes the latent cells under its pixels', () => {
    const H = 8; // latent side of a 32 px image at f = 4
    const latent = new Float32Array(2 * H * H).map((_, i) => i); // value = (ch·H + y)·H + x
    const data = new Uint8Array(32 * 32 * 3).map((_, i) => Math.floor(i / 3) % 251);
    const p = cropPair({ latents: [latent], targets: [{ width: 32, height: 32, data }] }, 0, 8, 4, 12, 20);
    expect(p.image.width).toBe(8);
    expect(p.image.data[0]).toBe((20 * 32 + 12) % 251); // first pixel: (x 12, y 20)
    expect(p.latent.length).toBe(2 * 2 * 2);
    // cells x 3–4, y 5–6 (pixels 12–19, 20–27 at f = 4), channel by channel
    const cells = [5 * H + 3, 5 * H + 4, 6 * H + 3, 6 * H + 4];
    expect([...p.latent]).toEqual([...cells, ...cells.map((v) => H * H + v)]);
  });
});

describe('trainAe with adapt', () => {
  const base = (decoderFrom: string, model: string): AeTrainConfig => {
    const c = tinyAeConfig();
    return { ...c, ae: { ...c.ae, decoder_ch: 16 }, decoderFrom, adapt: { model, pairs: 4, share: 0.5 }, steps: 2 };
  };

  it('trains a widened decoder on the model’s pairs and exports it', async () => {
    const model = await tinyModelDir();
    const out = join(await mkdtemp(join(tmpdir(), 'kontext-adapt-')), 'run');
    dirs.push(model, out);
    const r = await trainAe(base(join(model, 'ae.safetensors'), model), out, { quiet: true });
    expect(r.step).toBe(2);
    const trained = await loadMiniAe(join(out, 'ae.safetensors'));
    expect(trained.params.decoder_ch).toBe(16);
    const conv = [...trained.namedParameters()].find(([k]) => k === 'decoder.conv_in.weight')![1];
    expect(conv.shape[0]).toBe(32);
  });

  it('refuses a model folder whose encoder is another', async () => {
    const model = await tinyModelDir();
    const other = join(await mkdtemp(join(tmpdir(), 'kontext-adapt-')), 'other');
    dirs.push(model, other);
    await saveMini(other, tinyPipeline(9));
    await expect(
      trainAe(base(join(other, 'ae.safetensors'), model), join(other, 'run'), { quiet: true }),
    ).rejects.toThrow(
      /adapt.model .* has another encoder than the AE being trained \(encoder\.conv_in\.weight differs\)/,
    );
  });
});
