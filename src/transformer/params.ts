// FluxParams: the configuration of a Flux transformer, field for field as in black-forest-labs/flux `FluxParams`
// (../shared/docs/kontext-reference.md §1). Names stay snake_case so configs read the same as the reference and
// fixtures.

export interface FluxParams {
  in_channels: number;
  out_channels: number;
  vec_in_dim: number;
  context_in_dim: number;
  hidden_size: number;
  mlp_ratio: number;
  num_heads: number;
  depth: number;
  depth_single_blocks: number;
  axes_dim: number[];
  theta: number;
  qkv_bias: boolean;
  guidance_embed: boolean;
}

/** FLUX.1 Kontext [dev] (= flux-dev architecture). */
export const FLUX_KONTEXT_DEV: FluxParams = {
  in_channels: 64,
  out_channels: 64,
  vec_in_dim: 768,
  context_in_dim: 4096,
  hidden_size: 3072,
  mlp_ratio: 4.0,
  num_heads: 24,
  depth: 19,
  depth_single_blocks: 38,
  axes_dim: [16, 56, 56],
  theta: 10000,
  qkv_bias: true,
  guidance_embed: true,
};

export function checkFluxParams(p: FluxParams): void {
  if (p.hidden_size % p.num_heads !== 0) {
    throw new Error(`FluxParams: hidden_size ${p.hidden_size} is not divisible by num_heads ${p.num_heads}`);
  }
  const headDim = p.hidden_size / p.num_heads;
  const sum = p.axes_dim.reduce((a, b) => a + b, 0);
  if (sum !== headDim)
    throw new Error(`FluxParams: axes_dim ${JSON.stringify(p.axes_dim)} sums to ${sum}, head dim is ${headDim}`);
}
