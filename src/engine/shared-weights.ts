// One copy of a model's weights for all of its sessions.
//
// ONNX Runtime gives every session its own copy of each initializer, plus a pre-packed layout of MatMul weights,
// so a model compiled for three input shapes held its weights 1 + 3 × 1.6 times (measured). onnxruntime-node
// exposes neither ORT's shared-initializer options (AddInitializer, a prepacked-weights container) nor symbolic
// shapes we could use (graphs here have concrete shapes throughout), so with 'shared' weights the serializer writes
// float parameters as graph inputs, and every run feeds them from the parameters' own host arrays. The node binding
// wraps a typed array without copying it; MatMul then reads the weight in place (ORT fuses our Transpose into
// Gemm/FusedMatMul transB), and a Parameter changed in place or with set() is seen by every session at once.
//
// The cost (BENCHMARKS.md, 2026-12-01): MLAS packs weight panels on each call instead of once, +2 % on a small
// Flux forward and up to +17 % on a 3072-wide block; and ~2.5 µs per bound input and run (+0.1 ms on the 1 ms
// flux-tiny forward). In exchange a session holds no weights (1.7 GB less per shape for a 1.1 GB model) and is
// created in milliseconds. Conv weights stay initializers (serialize.ts: BAKED_CONSUMERS), as do quantized and
// spilled parameters (ORT memory-maps those files). 'baked' is one option away for single-shape throughput.

import * as ort from 'onnxruntime-node';
import type { HostTensor } from './dtype.ts';
import type { Parameter } from './module.ts';

/**
 * 'shared': float parameters are fed from host memory at every run (one copy for all sessions).
 * 'baked': parameters are initializers, copied and pre-packed by each session (fastest for one shape, and what
 * GPU providers need: an input would be uploaded at every run).
 * 'auto': 'shared' on the cpu provider, 'baked' on the others.
 */
export type WeightsMode = 'auto' | 'shared' | 'baked';

export function bindsWeights(mode: WeightsMode, executionProvider: string): boolean {
  return mode === 'shared' || (mode === 'auto' && executionProvider === 'cpu');
}

// One ORT tensor per parameter value: made on first use, alive while the value is (a new value gets a new one).
const wrapped = new WeakMap<HostTensor, ort.Tensor>();

/** The ORT tensor over a bound parameter's host array (no copy). */
export function boundTensor(p: Parameter): ort.Tensor {
  const v = p.value;
  if (!v) {
    throw new Error(
      `parameter ${p.key} has no host value any more (spilled, quantized or released after compile); ` +
        'compile the graph again',
    );
  }
  let t = wrapped.get(v);
  if (!t) {
    // the dtypes serialize.ts binds (BINDABLE)
    t = new ort.Tensor(v.dtype as 'float32' | 'float16' | 'float64', v.data as Float32Array, v.shape);
    wrapped.set(v, t);
  }
  return t;
}
