// The time schedule of the rectified-flow sampler: BFL `get_schedule` (../shared/docs/kontext-reference.md §7.2).
//
//   t_i = linspace(1, 0, steps + 1)                       (float32)
//   μ   = m·seq_len + b, the line through (256, base_shift) and (4096, max_shift)    (double, Python floats)
//   t_i ← e^μ / (e^μ + (1/t_i − 1)^σ), σ = 1             ("time shift": more steps at high noise for large images)
//
// Evaluated with the float32 roundings of the reference (torch 1.13 on the CPU), which reproduces every value of
// fixtures/flux-reference/schedules.json bit for bit:
//   - linspace: step = (end − start)/(n − 1) in f32; the first half counts up from start (start + i·step), the second
//     half counts down from end (end − (n−1−i)·step). The CPU kernel writes 16 values at a time as two 8-lane
//     `arange(base, step)` vectors (lane l = base + l·step, base picked by the first lane's half) and the remainder
//     one by one.
//   - `1 / t` and `e^μ / x` on a tensor are reciprocal-then-multiply in torch (`__rtruediv__`), each rounded to f32;
//     e^μ (a double) is rounded to f32 when it meets the f32 tensor.
const F = Math.fround;

export interface ScheduleOptions {
  /** μ at 256 image tokens (default 0.5) */
  baseShift?: number;
  /** μ at 4096 image tokens (default 1.15) */
  maxShift?: number;
  /** apply the resolution-dependent shift (default true; false only for flux-schnell) */
  shift?: boolean;
}

/** torch.linspace(start, end, n) for float32 on the CPU, vectorised path included. */
export function linspaceF32(start: number, end: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  start = F(start);
  end = F(end);
  const step = F((end - start) / (n - 1));
  const halfway = Math.floor(n / 2);
  const at = (i: number) => (i < halfway ? F(start + F(step * i)) : F(end - F(step * (n - i - 1))));
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    for (const lane0 of [i, i + 8]) {
      const base = at(lane0);
      for (let l = 0; l < 8; l++) out[lane0 + l] = F(base + F(l * step));
    }
  }
  for (; i < n; i++) out[i] = at(i);
  return out;
}

/** μ for an image of `imageSeqLen` tokens: the line through (256, baseShift) and (4096, maxShift), not clamped. */
export function shiftMu(imageSeqLen: number, baseShift = 0.5, maxShift = 1.15): number {
  const m = (maxShift - baseShift) / (4096 - 256);
  const b = baseShift - m * 256;
  return m * imageSeqLen + b;
}

/** time_shift(μ, σ = 1, t) = e^μ / (e^μ + (1/t − 1)), in the reference's f32 arithmetic (t = 0 → 0, t = 1 → 1). */
export function timeShift(mu: number, t: Float32Array): Float32Array {
  const e = F(Math.exp(mu));
  return t.map((x) => {
    const odds = F(F(1 / x) - 1); // (1/t − 1) ** 1.0
    return F(F(1 / F(e + odds)) * e);
  });
}

/**
 * The num_steps + 1 timesteps from 1 to 0 for an image of `imageSeqLen` tokens (BFL `get_schedule`); the denoiser
 * steps from t[i] to t[i+1]. `imageSeqLen` counts the target tokens only (not the Kontext context tokens, §6.6).
 */
export function getSchedule(numSteps: number, imageSeqLen: number, opts: ScheduleOptions = {}): number[] {
  if (!Number.isInteger(numSteps) || numSteps < 1)
    throw new RangeError(`getSchedule: numSteps must be a positive integer, got ${numSteps}`);
  if (!(imageSeqLen > 0)) throw new RangeError(`getSchedule: imageSeqLen must be positive, got ${imageSeqLen}`);
  const { baseShift = 0.5, maxShift = 1.15, shift = true } = opts;
  let t = linspaceF32(1, 0, numSteps + 1);
  if (shift) t = timeShift(shiftMu(imageSeqLen, baseShift, maxShift), t);
  return [...t];
}
