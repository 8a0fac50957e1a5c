// Warm start of a flow run from a trained folder: tensors of the same shape copied, the latent-facing layers of
// another latent width left at their initialisation, a deeper model starting as the same function, another
// vocabulary refused.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostTensor, initParameters } from '../../src/engine/index.ts';
import { createImage } from '../../src/image/rgb.ts';
import { MiniModel } from '../../src/mini/model.ts';
import { MiniPipeline } from '../../src/mini/pipeline.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { flowInit } from '../../src/train/train-flow.ts';
import { warmStart } from '../../src/train/warm-start.ts';
import { tinyConfig, tinyModelDir, tinyPipeline } from '../mini/tiny.ts';

let dir: string;
beforeAll(async () => {
  dir = await tinyModelDir();
});
afterAll(async () => rm(dirname(dir), { recursive: true, force: true }));

const values = (m: MiniModel) =>
  new Map([...m.namedParameters()].map(([k, p]) => [k, Array.from((p.value as HostTensor).data as Float32Array)]));

/** An edit of a yellow image with a blue band, and a text-to-image request: both paths of the pipeline. */
function requests() {
  const image = createImage(32, 32, [200, 180, 40]);
  for (let i = 0; i < 32 * 12; i++) image.data.set([20, 60, 220], (32 * 10 + i) * 3);
  return [
    { prompt: 'make the circle blue', images: [image], seed: 3 },
    { prompt: 'red circle', images: [], seed: 4 },
  ];
}

describe('warmStart', () => {
  it('copies every tensor whose shape agrees; a wider latent keeps img_in and the final projection fresh', async () => {
    const trained = values(tinyPipeline().model); // what tinyModelDir saved
    const { tokenizer } = tinyPipeline();
    const cfg = tinyConfig(tokenizer.vocabSize);
    cfg.transformer = { ...cfg.transformer, in_channels: 32, out_channels: 32 }; // 8 latent channels instead of 4
    const model = new MiniModel(cfg);
    initParameters(model, 9);
    const fresh = values(model);
    const r = await warmStart(model, dir, tokenizer);
    const kept = [
      'transformer.img_in.weight',
      'transformer.final_layer.linear.weight',
      'transformer.final_layer.linear.bias',
    ];
    expect(r.kept).toEqual(kept);
    expect(r.copied).toBe(r.total - kept.length);
    const now = values(model);
    for (const [k, v] of now) expect(v, k).toEqual(kept.includes(k) ? fresh.get(k) : trained.get(k));
  });

  it('a deeper model warm-started from a shallower one gives the same images (new blocks start as the identity)', async () => {
    const shallow = tinyPipeline(); // 1 double + 1 single block, every weight random (what tinyModelDir saved)
    const { tokenizer, ae } = shallow;
    const cfg = tinyConfig(tokenizer.vocabSize);
    cfg.transformer = { ...cfg.transformer, depth: 3, depth_single_blocks: 2 };
    const model = new MiniModel(cfg);
    initParameters(model, 9, flowInit);
    const r = await warmStart(model, dir, tokenizer);
    expect(r.kept.length).toBeGreaterThan(0);
    expect(r.kept.every((k) => /double_blocks\.[12]\.|single_blocks\.1\./.test(k))).toBe(true);
    const deep = new MiniPipeline(model, ae, tokenizer);
    const reqs = requests();
    const [a, b] = [await shallow.run(reqs), await deep.run(reqs)];
    for (const i of [0, 1]) expect(Array.from(b[i]!.data)).toEqual(Array.from(a[i]!.data));
    // the identity is flowInit's doing: with the default initialisation the same warm start changes the images
    const noisy = new MiniModel(cfg);
    initParameters(noisy, 9);
    await warmStart(noisy, dir, tokenizer);
    const c = await new MiniPipeline(noisy, ae, tokenizer).run(reqs);
    expect(Array.from(c[0]!.data)).not.toEqual(Array.from(a[0]!.data));
  });

  it('a deeper text encoder warm-started from a shallower one gives the same images (new layers add nothing)', async () => {
    const shallow = tinyPipeline();
    const { tokenizer, ae } = shallow;
    const cfg = tinyConfig(tokenizer.vocabSize);
    const depth = cfg.text.depth;
    cfg.text = { ...cfg.text, depth: depth + 2 };
    const model = new MiniModel(cfg);
    initParameters(model, 9); // the default initialisation: the warm start alone must make the new layers identities
    const r = await warmStart(model, dir, tokenizer);
    expect(r.kept.length).toBe(2 * 12); // 2 layers × (2 norms, qkv, proj, fc1, fc2) × (weight, bias)
    expect(r.kept.every((k) => new RegExp(`^text_encoder\\.layers\\.(${depth}|${depth + 1})\\.`).test(k))).toBe(true);
    const now = values(model);
    // the residual outputs are zeroed; the layers' inputs keep their initialisation, so they can learn
    for (const k of r.kept.filter((k) => /\.(attn\.proj|fc2|attn\.qkv|fc1)\.weight$/.test(k)))
      expect(
        now.get(k)!.every((x) => x === 0),
        k,
      ).toBe(/\.(attn\.proj|fc2)\./.test(k));
    const deep = new MiniPipeline(model, ae, tokenizer);
    const reqs = requests();
    const [a, b] = [await shallow.run(reqs), await deep.run(reqs)];
    for (const i of [0, 1]) expect(Array.from(b[i]!.data)).toEqual(Array.from(a[i]!.data));
  });

  it('a model with wider MLPs warm-started from a narrower one gives the same images (new hidden units read out with zeros)', async () => {
    const narrow = tinyPipeline();
    const { tokenizer, ae } = narrow;
    const cfg = tinyConfig(tokenizer.vocabSize);
    const ratio = cfg.transformer.mlp_ratio;
    cfg.transformer = { ...cfg.transformer, mlp_ratio: 2 * ratio };
    const model = new MiniModel(cfg);
    initParameters(model, 9, flowInit);
    const r = await warmStart(model, dir, tokenizer);
    expect(r.kept).toEqual([]);
    expect(r.copied).toBe(r.total);
    expect(r.grown).toEqual([
      'transformer.double_blocks.0.img_mlp.0.weight',
      'transformer.double_blocks.0.img_mlp.0.bias',
      'transformer.double_blocks.0.img_mlp.2.weight',
      'transformer.double_blocks.0.txt_mlp.0.weight',
      'transformer.double_blocks.0.txt_mlp.0.bias',
      'transformer.double_blocks.0.txt_mlp.2.weight',
      'transformer.single_blocks.0.linear1.weight',
      'transformer.single_blocks.0.linear1.bias',
      'transformer.single_blocks.0.linear2.weight',
    ]);
    // the old units are copied, the new ones read in at their initialisation and out with zeros
    const h = cfg.transformer.hidden_size;
    const old = values(narrow.model).get('transformer.single_blocks.0.linear2.weight') as number[];
    const now = values(model).get('transformer.single_blocks.0.linear2.weight') as number[];
    const oldCols = h + h * ratio;
    const newCols = h + 2 * h * ratio;
    expect(now.length).toBe(h * newCols);
    for (let row = 0; row < h; row++) {
      expect(now.slice(row * newCols, row * newCols + oldCols)).toEqual(old.slice(row * oldCols, (row + 1) * oldCols));
      expect(now.slice(row * newCols + oldCols, (row + 1) * newCols).every((x) => x === 0)).toBe(true);
    }
    const fresh = new MiniModel(cfg);
    initParameters(fresh, 9, flowInit);
    const w0 = values(fresh).get('transformer.double_blocks.0.img_mlp.0.weight') as number[];
    const w1 = values(model).get('transformer.double_blocks.0.img_mlp.0.weight') as number[];
    expect(w1.slice(h * h * ratio)).toEqual(w0.slice(h * h * ratio)); // new rows: the run's initialisation
    expect(w1.slice(h * h * ratio).some((x) => x !== 0)).toBe(true);
    const wide = new MiniPipeline(model, ae, tokenizer);
    const reqs = requests();
    const [a, b] = [await narrow.run(reqs), await wide.run(reqs)];
    for (const i of [0, 1]) expect(Array.from(b[i]!.data)).toEqual(Array.from(a[i]!.data));
  });

  it('refuses a folder with another vocabulary', async () => {
    const tok = new MiniTokenizer(['make', 'the', 'square', 'green']);
    const model = new MiniModel(tinyConfig(tok.vocabSize));
    await expect(warmStart(model, dir, tok)).rejects.toThrow(
      /has another vocabulary than this run \(tokenizer\.json differs\): warm starts need the same seed and vocabSamples/,
    );
  });
});
