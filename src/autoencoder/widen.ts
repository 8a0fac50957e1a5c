// Widen a trained decoder k times without changing what it computes (Net2WiderNet, Chen et al. 2016).
//
// Every channel c of the decoder becomes k copies (c·k … c·k + k − 1, side by side, so a GroupNorm group of the
// wide decoder holds the copies of one group of the narrow one and sees the same mean and variance). Then:
//
//   a layer's outputs      copied:   W'[o·k + j, …] = W[o, …],  bias, norm scale and shift likewise
//   a layer's inputs       split:    W'[…, i·k + j] = W[…, i]/k + n_j,   Σ_j n_j = 0
//   attention's q          × 1/√k:   q·k sums over k times the channels, and sdpa divides by √(kC), not √C
//
// so the copies of one input add back to the old weight exactly and the wide decoder draws the same image. The
// n_j (a different draw for every output row) are what let the copies drift apart under training: copies whose
// next layer reads them with equal weights would get equal gradients and stay copies for ever.
// Only the decoder widens; the encoder, and with it the latent space the flow model was trained in, is untouched.

import type { HostTensor } from '../engine/index.ts';
import { Rng } from '../engine/random.ts';
import { AutoEncoder } from './model.ts';

/** Noise on the split input weights, as a share of the tensor's own standard deviation (divided by k). */
const SPLIT_NOISE = 0.5;

/** `ae` with its decoder `decoderCh` wide (a multiple k of its present width), computing the same function. */
export function widenDecoder(ae: AutoEncoder, decoderCh: number, seed: number): AutoEncoder {
  const from = ae.params.decoder_ch ?? ae.params.ch;
  const k = decoderCh / from;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`decoder_ch ${decoderCh} must be a whole multiple of the decoder's present width ${from}`);
  const wide = new AutoEncoder({ ...ae.params, decoder_ch: decoderCh });
  const old = new Map([...ae.namedParameters()].map(([key, p]) => [key, p.value!]));
  const rng = new Rng(seed);
  for (const [key, p] of wide.namedParameters()) {
    const v = old.get(key);
    if (!v) throw new Error(`widenDecoder: ${key} has no value in the narrow AE`);
    const w = key.startsWith('decoder.') ? widenTensor(v, p.shape, k, rng) : v;
    if (k > 1 && /^decoder\.mid\.attn_1\.q\.(weight|bias)$/.test(key)) {
      const d = w.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] /= Math.sqrt(k);
    }
    p.set(w);
  }
  return wide;
}

/** One tensor: axis 0 (outputs) copied, axis 1 of a conv weight (inputs) split, where the new shape is k× wider. */
function widenTensor(v: HostTensor, shape: readonly number[], k: number, rng: Rng): HostTensor {
  const src = v.data as Float32Array;
  const [O, I = 1, ...rest] = v.shape;
  const S = rest.reduce((a, b) => a * b, 1);
  const kO = shape[0] / O;
  const kI = v.shape.length === 4 ? shape[1] / I : 1;
  if ((kO !== 1 && kO !== k) || (kI !== 1 && kI !== k) || shape.length !== v.shape.length)
    throw new Error(`widenDecoder: cannot widen [${v.shape}] to [${shape}] by ${k}`);
  let std = 0;
  for (const x of src) std += x * x;
  std = Math.sqrt(std / src.length);
  const out = new Float32Array(src.length * kO * kI);
  for (let o = 0; o < O * kO; o++) {
    const oo = Math.floor(o / kO);
    for (let i = 0; i < I; i++)
      for (let s = 0; s < S; s++) {
        const w = src[(oo * I + i) * S + s] / kI;
        const n = Array.from(kI > 1 ? rng.normals(kI - 1) : [], (x) => (x * SPLIT_NOISE * std) / kI);
        const last = -n.reduce((a, b) => a + b, 0);
        for (let j = 0; j < kI; j++) out[(o * I * kI + i * kI + j) * S + s] = w + (j < kI - 1 ? n[j] : last);
      }
  }
  return { dtype: 'float32', shape: [...shape], data: out };
}
