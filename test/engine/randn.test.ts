// The project's random normal generator (engine/random.ts randn) must be normal: the Kontext benchmark drew its
// "randn" inputs and weights from a uniform distribution on [-scale, scale] (a standard deviation of 0.58·scale).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { mulberry32, randn } from '../../src/engine/random.ts';

function moments(x: Float32Array): { mean: number; variance: number; skew: number; kurtosis: number } {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += (d * d) / n;
    m3 += (d * d * d) / n;
    m4 += (d * d * d * d) / n;
  }
  return { mean, variance: m2, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

const within = (x: Float32Array, k: number) => x.reduce((s, v) => s + (Math.abs(v) <= k ? 1 : 0), 0) / x.length;

describe('bench randn', () => {
  const n = 200_000; // standard errors: mean 0.0022, variance 0.0032, fractions ≤ 0.0011
  const x = randn(n, mulberry32(7));

  it('has mean 0 and variance 1, and the skew and kurtosis of a normal (0 and 3)', () => {
    const m = moments(x);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.015);
    expect(Math.abs(m.skew)).toBeLessThan(0.03);
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.06); // a uniform distribution has 1.8
  });

  it('puts 68.3% of the samples within 1σ, 95.4% within 2σ, 99.73% within 3σ', () => {
    expect(Math.abs(within(x, 1) - 0.6827)).toBeLessThan(0.005);
    expect(Math.abs(within(x, 2) - 0.9545)).toBeLessThan(0.003);
    expect(Math.abs(within(x, 3) - 0.9973)).toBeLessThan(0.001);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('scales to N(0, scale²), fills odd lengths, and is reproducible from the seed', () => {
    const y = randn(100_001, mulberry32(3), 0.1);
    expect(Math.sqrt(moments(y).variance)).toBeCloseTo(0.1, 2);
    expect(y[100_000]).not.toBe(0);
    expect(randn(5, mulberry32(3), 0.1)).toEqual(y.subarray(0, 5));
  });

  it('is the only randn of the benchmarks (none draws "normal" numbers from a uniform)', () => {
    const dir = join(import.meta.dirname, '../../bench');
    const own = readdirSync(dir).filter(
      (f) =>
        f.endsWith('.ts') && f !== 'util.ts' && /\b(const|function)\s+randn\b/.test(readFileSync(join(dir, f), 'utf8')),
    );
    expect(own).toEqual([]);
  });
});
