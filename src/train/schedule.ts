// Schedules of a training run: learning rate with linear warm-up and cosine decay, and the EMA decay ramp.

export interface LrSchedule {
  lr: number;
  /** steps of linear warm-up from 0 */
  warmup: number;
  /** total steps; the cosine reaches `minLr` here */
  steps: number;
  /** final learning rate as a fraction of `lr` (default 0.1) */
  minFraction?: number;
}

/** lr(step) for a 1-based step: warm-up, then cosine from lr down to minFraction·lr. */
export function learningRate(s: LrSchedule, step: number): number {
  if (step <= s.warmup) return (s.lr * step) / Math.max(1, s.warmup);
  const minLr = s.lr * (s.minFraction ?? 0.1);
  const p = Math.min(1, (step - s.warmup) / Math.max(1, s.steps - s.warmup));
  return minLr + 0.5 * (s.lr - minLr) * (1 + Math.cos(Math.PI * p));
}

/**
 * EMA decay at a step: min(target, (1 + step) / (10 + step)), so early averages do not remember the random
 * initialisation for thousands of steps.
 */
export function emaDecay(target: number, step: number): number {
  return Math.min(target, (1 + step) / (10 + step));
}
