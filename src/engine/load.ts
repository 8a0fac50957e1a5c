// Loading parameter values into a module tree from any tensor source (a safetensors file, a checkpoint layout),
// tensor by tensor, so that a checkpoint larger than memory loads when its weights are quantized on the way in.

import { numel } from './dtype.ts';
import type { Module } from './module.ts';
import { quantizeWeight, type WeightFormat } from './quantize.ts';
import { spillDir, spillParameter } from './spill.ts';

/** What a loader needs from a checkpoint: names, shapes and float32 values in the module's key names. */
export interface TensorSource {
  keys(): string[];
  shape(key: string): number[];
  readF32(key: string): Promise<Float32Array>;
}

export interface LoadOptions {
  /** 'f32' (default) keeps every weight in float32; 'int8' / 'int4' quantize Linear weights (MatMulNBits);
   *  embedding tables (Parameter.lookup) stay float32. */
  weights?: WeightFormat;
  blockSize?: number;
  /** MatMulNBits accuracy level for quantized weights (0: float32 compute, 4: int8 compute, faster) */
  accuracyLevel?: number;
  /** write each weight to files in this directory as soon as it is loaded (see spill.ts), keeping one tensor in
   *  host memory at a time; `true` picks a temporary directory */
  spill?: string | boolean;
  onProgress?: (done: number, total: number, key: string) => void;
}

/** Can this parameter run as MatMulNBits? (a Linear weight [out, in] whose in-features split into blocks) */
export function quantizable(key: string, shape: number[], blockSize = 32): boolean {
  return shape.length === 2 && key.endsWith('.weight') && shape[1] % blockSize === 0 && shape[1] >= blockSize;
}

/**
 * Set every parameter of `module` from `source`. Keys and shapes must match (validate the checkpoint first for
 * a readable report); a mismatch here throws naming the key.
 */
export async function loadParameters(module: Module, source: TensorSource, o: LoadOptions = {}): Promise<void> {
  const format = o.weights ?? 'f32';
  const block = o.blockSize ?? 32;
  const params = [...module.namedParameters()];
  const dir = o.spill === true ? spillDir() : o.spill || null;
  let done = 0;
  for (const [key, p] of params) {
    const shape = source.shape(key);
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`loadParameters: ${key} is [${shape}] in the checkpoint, the model expects [${p.shape}]`);
    }
    const data = await source.readF32(key);
    if (data.length !== numel(p.shape))
      throw new Error(`loadParameters: ${key} read ${data.length} values, expected ${numel(p.shape)}`);
    if (format !== 'f32' && !p.lookup && quantizable(key, p.shape, block)) {
      p.setQuantized({
        ...quantizeWeight(data, p.shape[0], p.shape[1], format === 'int4' ? 4 : 8, block),
        accuracyLevel: o.accuracyLevel,
      });
    } else {
      p.set({ dtype: 'float32', shape: [...p.shape], data });
    }
    if (dir) await spillParameter(p, dir);
    o.onProgress?.(++done, params.length, key);
  }
}
