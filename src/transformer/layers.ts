// The Flux building blocks, after black-forest-labs/flux `src/flux/modules/layers.py`
// (../shared/docs/kontext-reference.md §2). Module and parameter names are the checkpoint keys.

import { F, Linear, Module, type Parameter, type Tensor } from '../engine/index.ts';

/** Named points inside the model where a caller may read or replace a tensor (tracing, FluxSpace edits). */
export type Taps = (name: string, t: Tensor) => Tensor;
export const noTaps: Taps = (_n, t) => t;

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------------------
// Positional embedding (§2.5)

/**
 * RoPE frequencies of one axis exactly as BFL `rope` computes them in float32:
 * ω[k] = 1 / theta^(2k/dim).
 */
export function ropeOmega(dim: number, theta: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let k = 0; k < dim / 2; k++) out[k] = f32(1 / f32(theta ** f32((2 * k) / dim)));
  return out;
}

/**
 * EmbedND: ids [B, L, n_axes] → pe [B, 1, L, Σdim/2, 2, 2], the rotation matrix [[cos, −sin], [sin, cos]] of
 * angle pos·ω for every token and frequency, the axes' frequencies concatenated.
 */
export function embedND(ids: Tensor, axesDim: number[], theta: number): Tensor {
  const [B, L] = ids.shape;
  const angles = axesDim.map((dim, i) => {
    const pos = F.slice(ids, 2, i, i + 1); // [B, L, 1]
    const omega = F.cast(
      ids.graph.constant({ dtype: 'float32', shape: [dim / 2], data: ropeOmega(dim, theta) }, 'rope_omega'),
      ids.dtype,
    );
    return F.mul(pos, omega); // [B, L, dim/2]
  });
  const phi = F.concat(angles, -1); // [B, L, P]
  const P = phi.shape[2];
  const c = F.unsqueeze(F.cos(phi), -1);
  const s = F.unsqueeze(F.sin(phi), -1);
  const rot = F.concat([c, F.neg(s), s, c], -1); // [B, L, P, 4]
  return F.reshape(rot, [B, 1, L, P, 2, 2]);
}

/**
 * Sinusoidal embedding of t (§2.3): t' = 1000·t, freqs[k] = exp(−ln(10000)·k/half), [cos(t'·f), sin(t'·f)].
 * t: [B] → [B, dim].
 */
export function timestepEmbedding(t: Tensor, dim = 256, maxPeriod = 10000, timeFactor = 1000): Tensor {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  // float32 step by step, as torch: exp(f32(f32(−ln(max_period)) · k) / half)
  const negLog = f32(-Math.log(maxPeriod));
  for (let k = 0; k < half; k++) freqs[k] = f32(Math.exp(f32(f32(negLog * k) / half)));
  const f = F.cast(t.graph.constant({ dtype: 'float32', shape: [1, half], data: freqs }, 'timestep_freqs'), t.dtype);
  const args = F.mul(F.unsqueeze(F.mul(t, timeFactor), -1), f); // [B, half]
  return F.concat([F.cos(args), F.sin(args)], -1);
}

// ---------------------------------------------------------------------------------------------------------

/** MLPEmbedder: out_layer(SiLU(in_layer(x))) (§2.4). */
export class MLPEmbedder extends Module {
  readonly in_layer: Linear;
  readonly out_layer: Linear;
  constructor(inDim: number, hidden: number) {
    super();
    this.in_layer = this.child('in_layer', new Linear(inDim, hidden));
    this.out_layer = this.child('out_layer', new Linear(hidden, hidden));
  }
  forward(x: Tensor): Tensor {
    return this.out_layer.forward(F.silu(this.in_layer.forward(x)));
  }
}

/** RMSNorm with a learned `scale` (eps 1e-6) (§2.6). */
export class RMSNorm extends Module {
  readonly scale: Parameter;
  constructor(dim: number) {
    super();
    this.scale = this.param('scale', [dim]);
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.rmsNorm(x, this.scale, 1e-6));
  }
}

/** QKNorm: separate RMSNorms for queries and keys, over the head dim, before RoPE. */
export class QKNorm extends Module {
  readonly query_norm: RMSNorm;
  readonly key_norm: RMSNorm;
  constructor(dim: number) {
    super();
    this.query_norm = this.child('query_norm', new RMSNorm(dim));
    this.key_norm = this.child('key_norm', new RMSNorm(dim));
  }
}

/** `B L (K H D) -> K B H L D`: split fused qkv features into q, k, v of shape [B, H, L, D] (§2.8). */
export function splitHeads(qkv: Tensor, numHeads: number): [Tensor, Tensor, Tensor] {
  const [B, L, F3] = qkv.shape;
  const D = F3 / 3 / numHeads;
  const x = F.transpose(F.reshape(qkv, [B, L, 3, numHeads, D]), [2, 0, 3, 1, 4]); // [3, B, H, L, D]
  const [q, k, v] = F.split(x, [1, 1, 1], 0).map((t) => F.reshape(t, [B, numHeads, L, D]));
  return [q, k, v];
}

/** `B H L D -> B L (H D)` (head-major concatenation). */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, L, D] = x.shape;
  return F.reshape(F.transpose(x, [0, 2, 1, 3]), [B, L, H * D]);
}

/**
 * Attention with RoPE on q and k (§2.8); q, k, v [B, H, L, D] → [B, L, H·D]. Inference graphs run it without a
 * [B, H, L, L] score matrix, training graphs as MatMul–Softmax–MatMul (F.sdpa).
 */
export function ropeAttention(q: Tensor, k: Tensor, v: Tensor, pe: Tensor): Tensor {
  return F.sdpa(F.rope(q, pe), F.rope(k, pe), v);
}

export class SelfAttention extends Module {
  readonly qkv: Linear;
  readonly norm: QKNorm;
  readonly proj: Linear;
  constructor(dim: number, numHeads: number, qkvBias: boolean) {
    super();
    this.qkv = this.child('qkv', new Linear(dim, dim * 3, qkvBias));
    this.norm = this.child('norm', new QKNorm(dim / numHeads));
    this.proj = this.child('proj', new Linear(dim, dim));
  }
}

/** torch Sequential(Linear, GELU(tanh), Linear): keys `0.*` and `2.*`. */
export class GeluMLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, hidden: number) {
    super();
    this.fc1 = this.child('0', new Linear(dim, hidden));
    this.fc2 = this.child('2', new Linear(hidden, dim));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.gelu(this.fc1.forward(x), 'tanh'));
  }
}

export interface ModulationOut {
  shift: Tensor;
  scale: Tensor;
  gate: Tensor;
}

/** Modulation: Linear(SiLU(vec)) split into [shift, scale, gate] (×2 for double blocks) (§2.7). */
export class Modulation extends Module {
  readonly lin: Linear;
  constructor(
    dim: number,
    readonly double: boolean,
  ) {
    super();
    this.lin = this.child('lin', new Linear(dim, (double ? 6 : 3) * dim));
  }
  forward(vec: Tensor): ModulationOut[] {
    const out = F.unsqueeze(this.lin.forward(F.silu(vec)), 1); // [B, 1, k·dim]
    const c = F.chunk(out, this.double ? 6 : 3, -1);
    const sets = [{ shift: c[0], scale: c[1], gate: c[2] }];
    if (this.double) sets.push({ shift: c[3], scale: c[4], gate: c[5] });
    return sets;
  }
}

/** (1 + scale) ⊙ LayerNorm(x) + shift, LayerNorm without affine, eps 1e-6. */
export function modulate(x: Tensor, m: ModulationOut): Tensor {
  return F.add(F.mul(F.layerNorm(x, 1e-6), F.add(m.scale, 1)), m.shift);
}

// ---------------------------------------------------------------------------------------------------------

/** DoubleStreamBlock (§2.9): separate weights for image and text tokens, joint attention over [txt; img]. */
export class DoubleStreamBlock extends Module {
  readonly img_mod: Modulation;
  readonly img_attn: SelfAttention;
  readonly img_mlp: GeluMLP;
  readonly txt_mod: Modulation;
  readonly txt_attn: SelfAttention;
  readonly txt_mlp: GeluMLP;
  constructor(
    hidden: number,
    readonly numHeads: number,
    mlpRatio: number,
    qkvBias: boolean,
  ) {
    super();
    const mlp = Math.trunc(hidden * mlpRatio);
    this.img_mod = this.child('img_mod', new Modulation(hidden, true));
    this.img_attn = this.child('img_attn', new SelfAttention(hidden, numHeads, qkvBias));
    this.img_mlp = this.child('img_mlp', new GeluMLP(hidden, mlp));
    this.txt_mod = this.child('txt_mod', new Modulation(hidden, true));
    this.txt_attn = this.child('txt_attn', new SelfAttention(hidden, numHeads, qkvBias));
    this.txt_mlp = this.child('txt_mlp', new GeluMLP(hidden, mlp));
  }

  private qkv(attn: SelfAttention, x: Tensor, m: ModulationOut): [Tensor, Tensor, Tensor] {
    const [q, k, v] = splitHeads(attn.qkv.forward(modulate(x, m)), this.numHeads);
    return [attn.norm.query_norm.forward(q), attn.norm.key_norm.forward(k), v];
  }

  forward(img: Tensor, txt: Tensor, vec: Tensor, pe: Tensor, taps: Taps = noTaps): { img: Tensor; txt: Tensor } {
    return this.scope(() => {
      const [img1, img2] = this.img_mod.forward(vec);
      const [txt1, txt2] = this.txt_mod.forward(vec);
      const [iq, ik, iv] = this.qkv(this.img_attn, img, img1);
      const [tq, tk, tv] = this.qkv(this.txt_attn, txt, txt1);
      // text first, then image (§2.12.5)
      const attn = ropeAttention(F.concat([tq, iq], 2), F.concat([tk, ik], 2), F.concat([tv, iv], 2), pe);
      const T = txt.shape[1];
      const txtA = F.slice(attn, 1, 0, T);
      const imgA = F.slice(attn, 1, T, attn.shape[1]);

      const imgAttnOut = taps(`${this.path}.img_attn.out`, this.img_attn.proj.forward(imgA));
      let i = F.add(img, F.mul(img1.gate, imgAttnOut));
      i = F.add(i, F.mul(img2.gate, this.img_mlp.forward(modulate(i, img2))));

      const txtAttnOut = taps(`${this.path}.txt_attn.out`, this.txt_attn.proj.forward(txtA));
      let t = F.add(txt, F.mul(txt1.gate, txtAttnOut));
      t = F.add(t, F.mul(txt2.gate, this.txt_mlp.forward(modulate(t, txt2))));
      return { img: i, txt: t };
    });
  }
}

/** SingleStreamBlock (§2.10): parallel attention and MLP on [txt; img] from one fused linear1. */
export class SingleStreamBlock extends Module {
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm: QKNorm;
  readonly modulation: Modulation;
  readonly mlpHidden: number;
  constructor(
    readonly hidden: number,
    readonly numHeads: number,
    mlpRatio: number,
  ) {
    super();
    this.mlpHidden = Math.trunc(hidden * mlpRatio);
    this.linear1 = this.child('linear1', new Linear(hidden, hidden * 3 + this.mlpHidden));
    this.linear2 = this.child('linear2', new Linear(hidden + this.mlpHidden, hidden));
    this.norm = this.child('norm', new QKNorm(hidden / numHeads));
    this.modulation = this.child('modulation', new Modulation(hidden, false));
  }

  forward(x: Tensor, vec: Tensor, pe: Tensor): Tensor {
    return this.scope(() => {
      const [mod] = this.modulation.forward(vec);
      const [qkv, mlp] = F.split(this.linear1.forward(modulate(x, mod)), [3 * this.hidden, this.mlpHidden], -1);
      const [q, k, v] = splitHeads(qkv, this.numHeads);
      const attn = ropeAttention(this.norm.query_norm.forward(q), this.norm.key_norm.forward(k), v, pe);
      const out = this.linear2.forward(F.concat([attn, F.gelu(mlp, 'tanh')], -1));
      return F.add(x, F.mul(mod.gate, out));
    });
  }
}

/** LastLayer (§2.11): shift is the FIRST half of adaLN_modulation's output, scale the second. */
export class LastLayer extends Module {
  readonly linear: Linear;
  readonly adaLN: Linear;
  constructor(hidden: number, outChannels: number) {
    super();
    this.linear = this.child('linear', new Linear(hidden, outChannels));
    this.adaLN = this.child('adaLN_modulation', new AdaLNSeq(hidden)).lin;
  }
  forward(x: Tensor, vec: Tensor): Tensor {
    return this.scope(() => {
      const [shift, scale] = F.chunk(F.unsqueeze(this.adaLN.forward(F.silu(vec)), 1), 2, -1);
      return this.linear.forward(F.add(F.mul(F.layerNorm(x, 1e-6), F.add(scale, 1)), shift));
    });
  }
}

/** Sequential(SiLU, Linear): the Linear is child `1`. */
class AdaLNSeq extends Module {
  readonly lin: Linear;
  constructor(hidden: number) {
    super();
    this.lin = this.child('1', new Linear(hidden, 2 * hidden));
  }
}
