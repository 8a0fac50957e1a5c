// Best of n: sample several candidates of one request from different noise and keep the one the model itself finds
// most likely. No ground truth and no second model: the score is the flow-matching loss the model was trained to
// lower, evaluated on the candidate x as if it were the training target,
//
//   L(x) = mean over t ∈ SCORE_TIMES of ‖v(z_t, t, instruction, context) − (ε_t − x)‖²,   z_t = (1 − t)·x + t·ε_t,
//
// which for a rectified flow is (up to constants and weights) a bound on −log p(x | instruction, context): the
// candidate with the lowest L is the one the model would most expect to see as the answer. The noise ε_t is drawn
// from the request's seed, the same for all of its candidates (a paired comparison: the candidates differ only in
// x, so the noise of the estimate mostly cancels), and independent of the noise that sampled them (a candidate
// scored with its own starting noise would be favoured).
//
// Only the conditional velocity is needed: the sampling graph evaluated at guidance scale 1 gives exactly
// v_u + 1·(v_c − v_u) = v_c, so the scorer reuses the sampler's compiled session.

import { compile, type HostTensor } from '../engine/index.ts';
import { hashSeed } from '../engine/random.ts';
import { randn } from '../sampling/noise.ts';
import { tokenSide } from './config.ts';
import { feedParams } from './latents.ts';
import { type MiniModel, velocityGraph } from './model.ts';
import { type SampleRequest, textFeeds } from './sample.ts';

/** The noise levels the loss is averaged over (the sampler spends most of its steps above 0.5 too). */
export const SCORE_TIMES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface Candidate {
  request: SampleRequest;
  /** the sampled target tokens [N·C] */
  tokens: Float32Array;
  /** seed of the scoring noise: the same for every candidate of one request */
  scoreSeed: number;
}

/**
 * L(x) of each candidate (lower: more likely under the model); all candidates share T and the context count.
 * `onCall(j)` after the j-th of the times.length transformer calls (progress); `times`: the noise levels averaged.
 */
export async function scoreCandidates(
  m: MiniModel,
  cands: Candidate[],
  values?: Map<string, HostTensor>,
  onCall?: (done: number) => void,
  times: readonly number[] = SCORE_TIMES,
): Promise<number[]> {
  if (!cands.length) return [];
  const B = cands.length;
  const reqs = cands.map((c) => c.request);
  const T = reqs[0].ids.length;
  const k = reqs[0].context.length;
  const C = m.config.transformer.in_channels;
  const N = tokenSide(m.config) ** 2;
  const c = await compile(velocityGraph(m, B, k, T, values ? 'input' : 'constant'));
  const feeds = textFeeds(reqs, N, C, 1);
  feedParams(c.inputs, feeds, values);
  const loss = new Array<number>(B).fill(0);
  for (const [j, t] of times.entries()) {
    // ε_t per candidate from its request's score seed: identical within a request
    const drawn = new Map<number, Float32Array>();
    const noiseOf = (seed: number): Float32Array => {
      if (!drawn.has(seed)) drawn.set(seed, randn(hashSeed('score', seed, j), [N * C], 'f32').data as Float32Array);
      return drawn.get(seed)!;
    };
    const eps = cands.map((x) => noiseOf(x.scoreSeed));
    const z = new Float32Array(B * N * C);
    for (let b = 0; b < B; b++) {
      const x = cands[b].tokens;
      for (let i = 0; i < N * C; i++) z[b * N * C + i] = (1 - t) * x[i] + t * eps[b][i];
    }
    feeds.target = { dtype: 'float32', shape: [B, N, C], data: z };
    feeds.t = { dtype: 'float32', shape: [B], data: new Float32Array(B).fill(t) };
    const v = (await c.run(feeds)).velocity.data as Float32Array;
    for (let b = 0; b < B; b++) {
      const x = cands[b].tokens;
      let s = 0;
      for (let i = 0; i < N * C; i++) {
        const d = v[b * N * C + i] - (eps[b][i] - x[i]);
        s += d * d;
      }
      loss[b] += s / (N * C * times.length);
    }
    onCall?.(j + 1);
  }
  return loss;
}

/** Index of the lowest score in each consecutive group of n (the candidates of one request). */
export function bestOf(scores: number[], n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < scores.length; r += n) {
    let best = r;
    for (let i = r + 1; i < r + n; i++) if (scores[i] < scores[best]) best = i;
    out.push(best);
  }
  return out;
}
