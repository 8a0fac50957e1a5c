// Parameter initialisation for training from scratch, following torch.nn defaults in spirit:
// matrices and conv kernels ~ U(−1/√fan_in, 1/√fan_in), biases 0, norm scales 1.
// `overrides` lets a model choose otherwise for some keys (e.g. zero-initialised modulation, adaLN-Zero).

import type { Module, Parameter } from './module.ts';

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    const data = new Float32Array(p.numel);
    if (how === 'ones') data.fill(1);
    else if (how !== 'zeros' && 'uniform' in how)
      for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * how.uniform;
    else if (how !== 'zeros') {
      for (let i = 0; i < data.length; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - rand()));
        const th = 2 * Math.PI * rand();
        data[i] = r * Math.cos(th) * how.normal;
        if (i + 1 < data.length) data[i + 1] = r * Math.sin(th) * how.normal;
      }
    }
    p.set({ dtype: 'float32', shape: [...p.shape], data });
  }
}
