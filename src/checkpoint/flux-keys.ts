// The BFL key layout of a Flux transformer checkpoint (../shared/docs/kontext-reference.md §3.2), computed from
// FluxParams, and the inverse: FluxParams inferred from a checkpoint's keys and shapes.
//
// Keys follow the module tree of black-forest-labs/flux `Flux` (model.py) in registration order, so the map's order
// is the order of the official file. Weights are [out, in]. Layer norms have no parameters, so no norm1/norm2 keys.
import { checkFluxParams, type FluxParams } from '../transformer/params.ts';
import { UserError } from '../errors.ts';

export type KeyShapes = Map<string, number[]>;

/** Every parameter of `Flux(params)`: BFL name → shape, in state_dict order. */
export function expectedFluxKeys(p: FluxParams): KeyShapes {
  const H = p.hidden_size;
  const D = H / p.num_heads; // head dim: the size of the q/k RMSNorm scales
  const mlp = Math.trunc(H * p.mlp_ratio); // int(hidden_size * mlp_ratio)
  const keys: KeyShapes = new Map();
  const linear = (name: string, out: number, inp: number, bias = true) => {
    keys.set(`${name}.weight`, [out, inp]);
    if (bias) keys.set(`${name}.bias`, [out]);
  };
  const mlpEmbedder = (name: string, inp: number) => {
    linear(`${name}.in_layer`, H, inp);
    linear(`${name}.out_layer`, H, H);
  };

  linear('img_in', H, p.in_channels);
  mlpEmbedder('time_in', 256); // timestep_embedding(t, 256)
  mlpEmbedder('vector_in', p.vec_in_dim);
  if (p.guidance_embed) mlpEmbedder('guidance_in', 256);
  linear('txt_in', H, p.context_in_dim);

  for (let i = 0; i < p.depth; i++) {
    for (const s of ['img', 'txt']) {
      const b = `double_blocks.${i}.${s}`;
      linear(`${b}_mod.lin`, 6 * H, H); // shift, scale, gate for attention and for MLP
      linear(`${b}_attn.qkv`, 3 * H, H, p.qkv_bias);
      keys.set(`${b}_attn.norm.query_norm.scale`, [D]);
      keys.set(`${b}_attn.norm.key_norm.scale`, [D]);
      linear(`${b}_attn.proj`, H, H);
      linear(`${b}_mlp.0`, mlp, H);
      linear(`${b}_mlp.2`, H, mlp);
    }
  }
  for (let j = 0; j < p.depth_single_blocks; j++) {
    const b = `single_blocks.${j}`;
    linear(`${b}.linear1`, 3 * H + mlp, H); // [q; k; v; mlp_in]
    linear(`${b}.linear2`, H, H + mlp); // [attn, gelu(mlp)] -> H
    keys.set(`${b}.norm.query_norm.scale`, [D]);
    keys.set(`${b}.norm.key_norm.scale`, [D]);
    linear(`${b}.modulation.lin`, 3 * H, H);
  }
  linear('final_layer.linear', p.out_channels, H); // patch_size 1: the 2×2 patching happens outside the model
  linear('final_layer.adaLN_modulation.1', 2 * H, H); // rows [shift; scale]
  return keys;
}

/** Distinct block indices `prefix.{i}.` present among the keys. */
export function blockIndices(keys: Iterable<string>, prefix: string): number[] {
  const found = new Set<number>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.`);
  for (const k of keys) {
    const m = re.exec(k);
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The RoPE split of a head when the checkpoint does not say: [16, 56, 56] for head dim 128 (FLUX), and the same
 * proportions for other sizes: axis 0 gets 4·⌈D/32⌉ dims, the row and column axes split the rest (48 → [8, 20, 20],
 * the tiny fixtures' choice). Every part must be even (RoPE rotates pairs).
 */
export function defaultAxesDim(headDim: number): number[] {
  const a0 = 4 * Math.ceil(headDim / 32);
  const rest = (headDim - a0) / 2;
  if (!Number.isInteger(rest) || rest % 2 !== 0 || rest <= 0) {
    throw new UserError(`cannot choose a RoPE split (axes_dim) for head dim ${headDim}; pass axes_dim explicitly`);
  }
  return [a0, rest, rest];
}

export interface InferOptions {
  /** RoPE dims per axis (sum = head dim). Not stored in checkpoints; default `defaultAxesDim(head dim)`. */
  axes_dim?: number[];
  /** RoPE base. Not stored in checkpoints; default 10000 (all FLUX.1 models). */
  theta?: number;
}

/**
 * FluxParams from a checkpoint's BFL keys and shapes. Everything but the RoPE settings is determined by the shapes:
 *   hidden_size, in_channels  ← img_in.weight [H, in]          head dim   ← *.norm.query_norm.scale [D]
 *   num_heads = H / D                                          mlp_ratio  ← *_mlp.0.weight [mlp, H] (or linear1)
 *   depth, depth_single_blocks ← number of double_blocks.i / single_blocks.j
 *   vec_in_dim ← vector_in.in_layer.weight [H, v]   context_in_dim ← txt_in.weight [H, c]
 *   out_channels ← final_layer.linear.weight [out, H]   qkv_bias ← presence of *.qkv.bias
 *   guidance_embed ← presence of guidance_in
 * axes_dim and theta cannot be inferred: see InferOptions.
 */
export function inferFluxParams(shapes: KeyShapes, opts: InferOptions = {}): FluxParams {
  const need = (key: string, rank: number): number[] => {
    const s = shapes.get(key);
    if (!s)
      throw new UserError(
        `cannot infer the transformer configuration: the checkpoint has no '${key}' (is it a Flux transformer?)`,
      );
    if (s.length !== rank)
      throw new UserError(
        `cannot infer the transformer configuration: '${key}' has shape [${s}], expected rank ${rank}`,
      );
    return s;
  };
  const keys = [...shapes.keys()];
  const [H, inChannels] = need('img_in.weight', 2);
  const depth = blockIndices(keys, 'double_blocks').length;
  const depthSingle = blockIndices(keys, 'single_blocks').length;
  const normKey =
    depth > 0 ? 'double_blocks.0.img_attn.norm.query_norm.scale' : 'single_blocks.0.norm.query_norm.scale';
  const [D] = need(normKey, 1);
  if (H % D !== 0)
    throw new UserError(
      `cannot infer the transformer configuration: hidden size ${H} is not a multiple of the head dim ${D}`,
    );
  const mlp =
    depth > 0 ? need('double_blocks.0.img_mlp.0.weight', 2)[0] : need('single_blocks.0.linear1.weight', 2)[0] - 3 * H;
  if (Math.trunc(H * (mlp / H)) !== mlp)
    throw new UserError(`cannot infer the transformer configuration: MLP width ${mlp} is not int(${H} × ratio)`);
  const params: FluxParams = {
    in_channels: inChannels,
    out_channels: need('final_layer.linear.weight', 2)[0],
    vec_in_dim: need('vector_in.in_layer.weight', 2)[1],
    context_in_dim: need('txt_in.weight', 2)[1],
    hidden_size: H,
    mlp_ratio: mlp / H,
    num_heads: H / D,
    depth,
    depth_single_blocks: depthSingle,
    axes_dim: opts.axes_dim ?? defaultAxesDim(D),
    theta: opts.theta ?? 10000,
    qkv_bias: shapes.has('double_blocks.0.img_attn.qkv.bias'), // only the double blocks' qkv can lack a bias
    guidance_embed: shapes.has('guidance_in.in_layer.weight'),
  };
  try {
    checkFluxParams(params);
  } catch (err) {
    throw new UserError(`inferred transformer configuration is inconsistent: ${(err as Error).message}`);
  }
  return params;
}
