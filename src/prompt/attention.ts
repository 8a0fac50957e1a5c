// Multi-head self-attention pieces shared by the text encoders (CLIP, T5), which differ only in the scale and in the
// additive bias: CLIP scales q·kᵀ by 1/√d and masks future positions, T5 does not scale and adds learned
// relative-position biases.

import { F, type Tensor } from '../engine/index.ts';

/** [B, L, H·D] → [B, H, L, D] (features are head-major, as torch's view(B, L, H, D).transpose(1, 2)). */
export function toHeads(x: Tensor, heads: number): Tensor {
  const [B, L, C] = x.shape;
  return F.transpose(F.reshape(x, [B, L, heads, C / heads]), [0, 2, 1, 3]);
}

/** [B, H, L, D] → [B, L, H·D]. */
export function fromHeads(x: Tensor): Tensor {
  const [B, H, L, D] = x.shape;
  return F.reshape(F.transpose(x, [0, 2, 1, 3]), [B, L, H * D]);
}

/** softmax(q·kᵀ·scale + bias)·v over q, k, v [B, H, L, D]; `bias` broadcasts to [B, H, Lq, Lk]. */
export function attend(q: Tensor, k: Tensor, v: Tensor, scale: number, bias: Tensor | null): Tensor {
  let scores = F.matmul(scale === 1 ? q : F.mul(q, scale), F.mT(k));
  if (bias) scores = F.add(scores, bias);
  return F.matmul(F.softmax(scores, -1), v);
}
