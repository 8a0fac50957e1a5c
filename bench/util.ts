// Timing helpers for the benchmarks: warm up, then take the median of repeated runs.

import { cpus } from 'node:os';

export async function timeit(
  fn: () => Promise<unknown>,
  opts: { warmup?: number; runs?: number; minMs?: number } = {},
): Promise<number> {
  const { warmup = 2, runs = 7, minMs = 0 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < runs || performance.now() - start < minMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function machine(): Record<string, string | number> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * n samples of a normal distribution N(0, scale²), from a uniform generator on [0, 1) such as mulberry32 (Box–Muller:
 * each pair of uniforms gives two independent normals). Benchmark inputs and weights that stand for activations
 * and trained parameters are drawn from it.
 */
export function randn(n: number, r: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - r())) * scale; // 1 − r() is in (0, 1]: log never sees 0
    const theta = 2 * Math.PI * r();
    out[i] = radius * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = radius * Math.sin(theta);
  }
  return out;
}
