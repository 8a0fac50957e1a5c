// Load a Flux transformer from a checkpoint (BFL single file or diffusers folder): infer the configuration from
// the tensor shapes, validate every key and shape against it, check memory, then stream the weights in
// (quantizing Linear weights to int8/int4 on the way when asked).

import { expectedFluxKeys, inferFluxParams, type InferOptions } from '../checkpoint/flux-keys.ts';
import { openCheckpoint } from '../checkpoint/source.ts';
import { validateCheckpoint } from '../checkpoint/validate.ts';
import { loadParameters, type WeightFormat } from '../engine/index.ts';
import { checkTransformerMemory, type MemoryEstimate } from '../pipeline/memory.ts';
import { Flux } from './model.ts';
import type { FluxParams } from './params.ts';

export interface LoadFluxOptions extends InferOptions {
  /** the configuration, when known (otherwise inferred from the checkpoint; RoPE settings from InferOptions) */
  params?: FluxParams;
  weights?: WeightFormat;
  /** write weights to files that ONNX Runtime memory-maps (one host copy fewer; see engine/spill.ts);
   *  default: yes for int8/int4 weights */
  spill?: boolean | string;
  /** MatMulNBits accuracy level for int8/int4 weights (4: int8 compute, faster on CPU; 0: float32 compute) */
  accuracyLevel?: number;
  /** sequence length (text + target + context tokens) the model will run at, for the memory check */
  tokens?: number;
  onProgress?: (done: number, total: number, key: string) => void;
}

/**
 * Refuse a transformer run that will not fit (what loadFlux checks before reading weights; callers may check
 * earlier).
 */
export function checkFluxMemory(
  params: FluxParams,
  o: Pick<LoadFluxOptions, 'weights' | 'spill' | 'tokens'> = {},
  available?: number,
): MemoryEstimate {
  return checkTransformerMemory(
    {
      shapes: expectedFluxKeys(params),
      hidden: params.hidden_size,
      heads: params.num_heads,
      mlpHidden: Math.trunc(params.hidden_size * params.mlp_ratio),
      batch: 1,
      tokens: o.tokens ?? 512 + 2 * 4096,
      spilled: !!(o.spill ?? (o.weights !== undefined && o.weights !== 'f32')),
    },
    o.weights ?? 'f32',
    available,
  );
}

export async function loadFlux(path: string, o: LoadFluxOptions = {}): Promise<Flux> {
  const spill = o.spill ?? (o.weights !== undefined && o.weights !== 'f32');
  const source = await openCheckpoint(path, 'transformer');
  try {
    const params = o.params ?? inferFluxParams(source.shapes(), o);
    validateCheckpoint(source, expectedFluxKeys(params));
    checkFluxMemory(params, { ...o, spill });
    const model = new Flux(params);
    await loadParameters(model, source, {
      weights: o.weights,
      spill,
      accuracyLevel: o.accuracyLevel,
      onProgress: o.onProgress,
    });
    return model;
  } finally {
    await source.close();
  }
}

/**
 * Check a transformer checkpoint without loading it (headers only): its configuration (inferred unless given)
 * and every key and shape. Throws the UserError loadFlux would; returns the configuration.
 */
export async function inspectFlux(path: string, o: InferOptions & { params?: FluxParams } = {}): Promise<FluxParams> {
  const source = await openCheckpoint(path, 'transformer');
  try {
    const params = o.params ?? inferFluxParams(source.shapes(), o);
    validateCheckpoint(source, expectedFluxKeys(params));
    return params;
  } finally {
    await source.close();
  }
}
