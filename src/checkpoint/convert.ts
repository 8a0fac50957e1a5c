// Write a checkpoint source out as one BFL-layout safetensors file, tensor by tensor: diffusers → BFL conversion,
// and casting (e.g. bf16 → f8 for a smaller file) without ever holding more than one tensor in memory.
import type { DType } from '../engine/dtype.ts';
import { castFloat, type FloatDType } from '../io/floats.ts';
import { writeSafetensors, type LazyTensor } from '../io/safetensors.ts';
import type { CheckpointSource } from './source.ts';

export interface ConvertOptions {
  /** the dtype to store each tensor in (default: as stored); only float → float casts */
  dtype?: (key: string, stored: DType) => DType;
  metadata?: Record<string, string>;
}

export async function convertCheckpoint(
  source: CheckpointSource,
  outPath: string,
  opts: ConvertOptions = {},
): Promise<void> {
  const tensors = new Map<string, LazyTensor>();
  for (const key of source.keys()) {
    const stored = source.dtype(key);
    const dtype = opts.dtype?.(key, stored) ?? stored;
    tensors.set(key, {
      dtype,
      shape: source.shape(key),
      data: async () => {
        const t = await source.read(key);
        return (dtype === t.dtype ? t : castFloat(t, dtype as FloatDType)).data;
      },
    });
  }
  await writeSafetensors(outPath, tensors, opts.metadata);
}
