// Warm start of a flow run from a trained folder: tensors of the same shape copied, the latent-facing layers of
// another latent width left at their initialisation, another vocabulary refused.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostTensor, initParameters } from '../../src/engine/index.ts';
import { MiniModel } from '../../src/mini/model.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { warmStart } from '../../src/train/warm-start.ts';
import { tinyConfig, tinyModelDir, tinyPipeline } from '../mini/tiny.ts';

let dir: string;
beforeAll(async () => {
  dir = await tinyModelDir();
});
afterAll(async () => rm(dirname(dir), { recursive: true, force: true }));

const values = (m: MiniModel) =>
  new Map([...m.namedParameters()].map(([k, p]) => [k, Array.from((p.value as HostTensor).data as Float32Array)]));

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

  it('refuses a folder with another vocabulary', async () => {
    const tok = new MiniTokenizer(['make', 'the', 'square', 'green']);
    const model = new MiniModel(tinyConfig(tok.vocabSize));
    await expect(warmStart(model, dir, tok)).rejects.toThrow(
      /has another vocabulary than this run \(tokenizer\.json differs\): warm starts need the same seed and vocabSamples/,
    );
  });
});
