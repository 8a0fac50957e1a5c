// Sampling kontext-mini: Euler steps of the rectified flow from noise (t = 1) to the image (t = 0) on the shifted
// schedule, with classifier-free guidance against the empty prompt (the model is trained with 10% of prompts
// dropped), and the clean context tokens appended at every step as in Kontext. Requests are batched: all requests of
// one call share their number of context images.

import { compile, type HostTensor } from '../engine/index.ts';
import { CLS, PAD } from '../prompt/mini-tokenizer.ts';
import { euler } from '../sampling/denoise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { tokenSide } from './config.ts';
import { feedParams } from './latents.ts';
import { type MiniModel, velocityGraph } from './model.ts';

export interface SampleRequest {
  /** token ids of the instruction, already padded to the text length */
  ids: number[];
  /** packed tokens of each context image */
  context: Float32Array[];
  /** initial noise, packed like the target tokens */
  noise: Float32Array;
}

export interface SampleOptions {
  numInferenceSteps: number;
  guidanceScale: number;
  /** parameter values by key (a Trainer's buffers); omitted: the model's own */
  values?: Map<string, HostTensor>;
  onStep?: (step: number, total: number) => void;
}

/**
 * The feeds of the sampling graph that stay fixed over the steps: instruction ids, the empty prompt ([CLS] then
 * padding) for the unconditional half, the guidance scale and the context tokens.
 */
export function textFeeds(
  reqs: SampleRequest[],
  N: number,
  C: number,
  guidanceScale: number,
): Record<string, HostTensor> {
  const B = reqs.length;
  const T = reqs[0].ids.length;
  const k = reqs[0].context.length;
  if (reqs.some((r) => r.ids.length !== T || r.context.length !== k))
    throw new Error('requests of one batch need the same text length and number of context images');
  const ids = new BigInt64Array(B * T);
  const uncond = new BigInt64Array(B * T).fill(BigInt(PAD));
  reqs.forEach((r, b) => {
    for (const [i, id] of r.ids.entries()) ids[b * T + i] = BigInt(id);
    uncond[b * T] = BigInt(CLS);
  });
  const feeds: Record<string, HostTensor> = {
    ids: { dtype: 'int64', shape: [B, T], data: ids },
    uncond_ids: { dtype: 'int64', shape: [B, T], data: uncond },
    guidance: { dtype: 'float32', shape: [], data: new Float32Array([guidanceScale]) },
  };
  if (k) {
    const ctx = new Float32Array(B * k * N * C);
    for (const [b, r] of reqs.entries()) {
      for (const [i, t] of r.context.entries()) ctx.set(t, (b * k + i) * N * C);
    }
    feeds.context = { dtype: 'float32', shape: [B, k * N, C], data: ctx };
  }
  return feeds;
}

/** The final target tokens of every request. */
export async function sampleTokens(m: MiniModel, reqs: SampleRequest[], o: SampleOptions): Promise<Float32Array[]> {
  if (!reqs.length) return [];
  const B = reqs.length;
  const T = reqs[0].ids.length;
  const k = reqs[0].context.length;
  const C = m.config.transformer.in_channels;
  const N = tokenSide(m.config) ** 2;
  const c = await compile(velocityGraph(m, B, k, T, o.values ? 'input' : 'constant'));
  const feeds = textFeeds(reqs, N, C, o.guidanceScale);
  feedParams(c.inputs, feeds, o.values);
  const x0 = new Float32Array(B * N * C);
  for (const [b, r] of reqs.entries()) x0.set(r.noise, b * N * C);
  const x = await euler(
    x0,
    getSchedule(o.numInferenceSteps, N),
    async (xt, t) => {
      feeds.target = { dtype: 'float32', shape: [B, N, C], data: xt };
      feeds.t = { dtype: 'float32', shape: [B], data: new Float32Array(B).fill(t) };
      return (await c.run(feeds)).velocity.data as Float32Array;
    },
    o.onStep,
  );
  return reqs.map((_, b) => x.slice(b * N * C, (b + 1) * N * C));
}
