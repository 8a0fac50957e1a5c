// Parameter initialisation for training from scratch, following torch.nn defaults in spirit:
// matrices and conv kernels ~ U(−1/√fan_in, 1/√fan_in), biases 0, norm scales 1.
// `overrides` lets a model choose otherwise for some keys (e.g. zero-initialised modulation, adaLN-Zero).

import type { Module, Parameter } from './module.ts';
import { mulberry32, randn } from './random.ts';

export type Init = 'zeros' | 'ones' | { uniform: number } | { normal: number };

export function defaultInit(p: Parameter): Init {
  if (p.shape.length >= 2) return { uniform: 1 / Math.sqrt(p.numel / p.shape[0]) };
  return p.key.endsWith('bias') ? 'zeros' : 'ones';
}

export function initParameters(
  m: Module,
  seed = 0,
  overrides: (p: Parameter) => Init | undefined = () => undefined,
): void {
  const rand = mulberry32(seed);
  for (const [, p] of m.namedParameters()) {
    const how = overrides(p) ?? defaultInit(p);
    let data: Float32Array = new Float32Array(p.numel);
    if (how === 'ones') data.fill(1);
    else if (how !== 'zeros' && 'uniform' in how)
      for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * how.uniform;
    else if (how !== 'zeros') data = randn(p.numel, rand, how.normal);
    p.set({ dtype: 'float32', shape: [...p.shape], data });
  }
}
