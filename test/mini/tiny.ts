// A tiny random kontext-mini (same code paths as the shipped one, seconds to build) for tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoEncoder } from '../../src/autoencoder/model.ts';
import { initParameters } from '../../src/engine/index.ts';
import type { MiniConfig } from '../../src/mini/config.ts';
import { saveMini } from '../../src/mini/load.ts';
import { MiniModel } from '../../src/mini/model.ts';
import { MiniPipeline } from '../../src/mini/pipeline.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import type { AeTrainConfig } from '../../src/train/train-ae.ts';

export function tinyConfig(vocab: number): MiniConfig {
  return {
    format: 'kontext-mini',
    resolution: 32,
    text: { vocab_size: vocab, dim: 32, depth: 1, num_heads: 2, max_length: 24, mlp_ratio: 2 },
    transformer: {
      in_channels: 16,
      out_channels: 16,
      vec_in_dim: 32,
      context_in_dim: 32,
      hidden_size: 32,
      mlp_ratio: 2,
      num_heads: 2,
      depth: 1,
      depth_single_blocks: 1,
      axes_dim: [4, 6, 6],
      theta: 10000,
      qkv_bias: true,
      guidance_embed: false,
    },
    ae: {
      resolution: 32,
      in_channels: 3,
      ch: 8,
      out_ch: 3,
      ch_mult: [1, 2],
      num_res_blocks: 1,
      z_channels: 4,
      norm_groups: 4,
      scale_factor: 1,
      shift_factor: 0,
    },
    textLength: { '0': 24, '1': 16, '2': 8 },
    sampling: { numInferenceSteps: 2, guidanceScale: 2 },
  };
}

/** A few-step `kontext train ae` config for the tiny model's autoencoder (scale and shift measured by the run). */
export function tinyAeConfig(): AeTrainConfig {
  const { scale_factor: _s, shift_factor: _f, ...ae } = tinyConfig(1).ae;
  return {
    kind: 'ae',
    ae,
    imageSize: 32,
    crop: 8,
    batch: 2,
    steps: 4,
    lr: 3e-4,
    warmup: 1,
    weightDecay: 0,
    clipNorm: 1,
    ema: 0.9,
    loss: { edge: 1, kl: 1e-6, detail: 4 },
    seed: 0,
    checkpointEvery: 2,
    validateEvery: 4,
    valImages: 4,
  };
}

export function tinyPipeline(seed = 0): MiniPipeline {
  const tokenizer = new MiniTokenizer(['make', 'the', 'circle', 'blue', 'red']);
  const cfg = tinyConfig(tokenizer.vocabSize);
  const model = new MiniModel(cfg);
  initParameters(model, seed);
  const ae = new AutoEncoder(cfg.ae);
  initParameters(ae, seed + 1);
  return new MiniPipeline(model, ae, tokenizer);
}

/** A tiny model saved as a model folder; returns the folder. */
export async function tinyModelDir(dtype: 'float32' | 'float16' = 'float32'): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'kontext-tiny-')), 'model');
  await saveMini(dir, tinyPipeline(), { dtype });
  return dir;
}
