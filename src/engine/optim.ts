// AdamW written as graph ops, so the update runs inside the same ONNX Runtime call as forward and backward.
//
//   g  ← g · min(1, clip / ‖g‖)                       (global gradient-norm clipping, optional)
//   m  ← β1·m + (1−β1)·g
//   v  ← β2·v + (1−β2)·g²
//   p  ← p − lr·( m/(1−β1ᵗ) / (sqrt(v/(1−β2ᵗ)) + ε) + λ·p )      (decoupled weight decay, as torch.optim.AdamW)

import type { Tensor } from './graph.ts';
import * as F from './ops.ts';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  /** decoupled weight decay λ (applied to parameters for which `decay` says yes) */
  weightDecay?: number;
  /** clip the global gradient norm to this value (null: no clipping) */
  clipNorm?: number | null;
}

export interface AdamWState {
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
  decay: boolean;
}

/**
 * Emit one AdamW step. `step` is the 1-based step number t and `lr` the learning rate (both scalar graph inputs,
 * so schedules need no recompilation). Returns the new parameters and moments, and the (pre-clip) gradient norm.
 */
export function adamw(
  states: AdamWState[],
  step: Tensor,
  lr: Tensor,
  o: AdamWOptions,
): { params: Tensor[]; m: Tensor[]; v: Tensor[]; gradNorm: Tensor } {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  const sq = states.map((s) => F.reduceSum(F.mul(s.grad, s.grad), [...s.grad.shape.keys()], false));
  const gradNorm = F.sqrt(sq.reduce((a, b) => F.add(a, b)));
  const coef = o.clipNorm ? F.minimum(F.div(o.clipNorm, F.add(gradNorm, 1e-6)), 1) : null;
  const bc1 = F.sub(1, F.pow(b1, step)); // bias corrections 1 − βᵗ
  const bc2 = F.sub(1, F.pow(b2, step));
  const params: Tensor[] = [];
  const ms: Tensor[] = [];
  const vs: Tensor[] = [];
  for (const s of states) {
    const g = coef ? F.mul(s.grad, coef) : s.grad;
    const m = F.add(F.mul(s.m, b1), F.mul(g, 1 - b1));
    const v = F.add(F.mul(s.v, b2), F.mul(F.mul(g, g), 1 - b2));
    let upd = F.div(F.div(m, bc1), F.add(F.sqrt(F.div(v, bc2)), eps));
    if (s.decay && wd > 0) upd = F.add(upd, F.mul(s.param, wd));
    params.push(F.sub(s.param, F.mul(upd, lr)));
    ms.push(m);
    vs.push(v);
  }
  return { params, m: ms, v: vs, gradNorm };
}
