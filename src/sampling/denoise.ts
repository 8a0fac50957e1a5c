// Euler sampling of the flow (../shared/docs/kontext-reference.md §7.3, BFL `denoise`).
//
// The model predicts the velocity v ≈ ε − x₀; from t = 1 (noise) to t = 0 (data), each step moves the target
// tokens by (t_next − t)·v. Kontext appends the clean context tokens after the noisy target tokens at every step
// and keeps only the first N predictions (§6.6).

import { compile, type EngineOptions, type HostTensor, roundBf16 } from '../engine/index.ts';
import type { Taps } from '../transformer/layers.ts';
import { type Flux, fluxGraph } from '../transformer/model.ts';

export interface DenoiseInputs {
  /** packed noisy target tokens [B, N, C] (the initial noise), float32 */
  img: Float32Array;
  /** their ids [B, N, 3] */
  imgIds: Float32Array;
  /** packed clean context tokens [B, M, C] and ids [B, M, 3] (Kontext); omitted for text-to-image */
  context?: { tokens: Float32Array; ids: Float32Array } | null;
  /** text embeddings [B, T, context_in_dim] and ids [B, T, 3] */
  txt: Float32Array;
  txtIds: Float32Array;
  /** pooled text vector [B, vec_in_dim] */
  vec: Float32Array;
  batch: number;
  /** the schedule t₀ = 1 > t₁ > … > t_n = 0 (getSchedule) */
  timesteps: number[];
  /** distilled guidance strength (Kontext dev: 2.5); ignored by models without guidance embedding */
  guidance: number;
}

export interface DenoiseOptions {
  /**
   * 'bf16': feed t and guidance rounded as the bf16 reference does (1000·t computed in bf16: 2.5 → 2496, §2.13),
   * which is what the released weights saw. 'none': exact float32 values (the float32 fixtures).
   */
  timestepRounding?: 'bf16' | 'none';
  onStep?: (step: number, total: number) => void;
  taps?: Taps;
  engine?: EngineOptions;
}

/** bf16(1000 · bf16(t)) / 1000: the value whose ×1000 the bf16 reference embeds. */
function bf16Time(t: number): number {
  return roundBf16(1000 * roundBf16(t)) / 1000;
}

/** Run the sampler; returns the final packed target tokens [B, N, C]. */
export async function denoise(model: Flux, inp: DenoiseInputs, o: DenoiseOptions = {}): Promise<Float32Array> {
  const C = model.params.in_channels;
  const B = inp.batch;
  const N = inp.img.length / (B * C);
  const M = inp.context ? inp.context.tokens.length / (B * C) : 0;
  const T = inp.txt.length / (B * model.params.context_in_dim);
  for (const [name, arr, per] of [
    ['img', inp.img, N * C],
    ['imgIds', inp.imgIds, N * 3],
    ['txtIds', inp.txtIds, T * 3],
    ['vec', inp.vec, model.params.vec_in_dim],
  ] as const) {
    if (!Number.isInteger(per) || arr.length !== B * per)
      throw new RangeError(`denoise: ${name} has ${arr.length} values, expected ${B}×${per}`);
  }
  if (inp.context && inp.context.ids.length !== B * M * 3)
    throw new RangeError(`denoise: context ids have ${inp.context.ids.length} values, expected ${B * M * 3}`);

  const compiled = await compile(
    fluxGraph(model, { batch: B, imgTokens: N + M, txtTokens: T }, { taps: o.taps }),
    o.engine,
  );
  const round = o.timestepRounding === 'bf16' ? bf16Time : (t: number) => t;
  const imgIn = new Float32Array(B * (N + M) * C);
  const idsIn = new Float32Array(B * (N + M) * 3);
  for (let b = 0; b < B; b++) {
    idsIn.set(inp.imgIds.subarray(b * N * 3, (b + 1) * N * 3), b * (N + M) * 3);
    if (inp.context) {
      imgIn.set(inp.context.tokens.subarray(b * M * C, (b + 1) * M * C), (b * (N + M) + N) * C);
      idsIn.set(inp.context.ids.subarray(b * M * 3, (b + 1) * M * 3), (b * (N + M) + N) * 3);
    }
  }
  const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });
  const feeds: Record<string, HostTensor> = {
    img: f32([B, N + M, C], imgIn),
    img_ids: f32([B, N + M, 3], idsIn),
    txt: f32([B, T, model.params.context_in_dim], inp.txt),
    txt_ids: f32([B, T, 3], inp.txtIds),
    y: f32([B, model.params.vec_in_dim], inp.vec),
  };
  if (model.params.guidance_embed) feeds.guidance = f32([B], new Float32Array(B).fill(round(inp.guidance)));
  return euler(
    inp.img,
    inp.timesteps,
    async (x, t) => {
      for (let b = 0; b < B; b++) imgIn.set(x.subarray(b * N * C, (b + 1) * N * C), b * (N + M) * C);
      feeds.timesteps = f32([B], new Float32Array(B).fill(round(t)));
      const pred = (await compiled.run(feeds)).out.data as Float32Array;
      if (M === 0) return pred;
      const v = new Float32Array(B * N * C); // keep only the target tokens' predictions
      for (let b = 0; b < B; b++) v.set(pred.subarray(b * (N + M) * C, b * (N + M) * C + N * C), b * N * C);
      return v;
    },
    o.onStep,
  );
}

/**
 * Euler steps of dx/dt = v(x, t) from timesteps[0] = 1 (noise) to the last (0, data): x ← x + (t_next − t)·v,
 * with dt rounded to float32 as the reference. `x0` is not modified.
 */
export async function euler(
  x0: Float32Array,
  timesteps: number[],
  velocity: (x: Float32Array, t: number) => Promise<Float32Array>,
  onStep?: (step: number, total: number) => void,
): Promise<Float32Array> {
  const x = Float32Array.from(x0);
  const steps = timesteps.length - 1;
  for (let s = 0; s < steps; s++) {
    const v = await velocity(x, timesteps[s]);
    const dt = Math.fround(timesteps[s + 1] - timesteps[s]);
    for (let i = 0; i < x.length; i++) x[i] += dt * v[i];
    onStep?.(s + 1, steps);
  }
  return x;
}
