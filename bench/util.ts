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
