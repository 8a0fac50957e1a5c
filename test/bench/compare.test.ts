// Comparing two benchmark runs row by row: the exact McNemar test and the pairing rules.
import { describe, expect, it } from 'vitest';
import { compareRuns, formatComparison, mcnemarP } from '../../src/bench/compare.ts';
import type { Results } from '../../src/bench/report.ts';
import type { SampleResult } from '../../src/bench/run.ts';

/** A run whose row i (task from `tasks`) succeeded where `ok[i]` is 1. */
function run(ok: number[], tasks: string[], o: { psnr?: number; instruction?: string; turns?: number[][] } = {}) {
  const samples = ok.map(
    (v, i): SampleResult => ({
      key: `row-${i}`,
      family: tasks[i % tasks.length]!.split('.')[0] as SampleResult['family'],
      task: tasks[i % tasks.length]!,
      category: '',
      instruction: o.instruction ?? `edit ${i}`,
      inputs: [],
      output: '',
      target: null,
      mask: null,
      success: v === 1,
      failures: [],
      psnr: o.psnr ?? 20,
      ssim: null,
      uneditedPsnr: null,
      resized: false,
      seconds: 0,
      novel: [],
    }),
  );
  for (const [c, turns] of (o.turns ?? []).entries())
    samples.push({
      ...samples[0]!,
      key: `chain-${c}`,
      family: 'multiturn',
      task: 'multiturn.chain',
      instruction: `chain ${c}`,
      success: turns.every(Boolean),
      turns: turns.map((t, k) => ({
        turn: k + 1,
        task: 'local.recolor',
        instruction: `turn ${k}`,
        input: '',
        output: '',
        target: '',
        mask: '',
        success: t === 1,
        failures: [],
        psnr: 20,
        ssim: null,
        uneditedPsnr: null,
        driftPsnr: null,
        licensedDriftPsnr: null,
        identity: null,
      })),
    });
  return { samples } as unknown as Results;
}

describe('bench compare', () => {
  it('computes the exact two-sided McNemar p-value', () => {
    expect(mcnemarP(0, 0)).toBe(1);
    expect(mcnemarP(5, 5)).toBe(1);
    expect(mcnemarP(10, 0)).toBeCloseTo(2 / 1024, 12);
    expect(mcnemarP(0, 10)).toBeCloseTo(2 / 1024, 12);
    // 18 against 4: 2 * (C(22,0) + ... + C(22,4)) / 2^22 = 2 * 9109 / 4194304
    expect(mcnemarP(18, 4)).toBeCloseTo((2 * 9109) / 4194304, 12);
    expect(mcnemarP(1000, 1000)).toBe(1);
    expect(mcnemarP(600, 400)).toBeLessThan(1e-9); // large counts stay finite
  });

  it('counts the rows only one side gets right, per family, task and overall', () => {
    const tasks = ['local.move', 'global.grayscale'];
    //            rows: 0  1  2  3  4  5  6  7  8  9  (even: local.move, odd: global.grayscale)
    const a = run([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], tasks, { psnr: 22 });
    const b = run([1, 0, 1, 0, 0, 0, 0, 0, 1, 0], tasks, { psnr: 20 });
    const c = compareRuns([a], [b], { a: ['A'], b: ['B'] });
    expect(c.overall).toEqual({ n: 10, a: 8, b: 3, aOnly: 6, bOnly: 1, p: mcnemarP(6, 1), psnrDiff: 2 });
    expect(c.tasks['global.grayscale']).toMatchObject({ n: 5, a: 4, b: 0, aOnly: 4, bOnly: 0 });
    expect(c.families.local).toMatchObject({ n: 5, a: 4, b: 3, aOnly: 2, bOnly: 1 });
    expect(c.chainTurns).toBeNull();
    const text = formatComparison(c);
    expect(text).toMatch(/overall \(single-turn\)\s+10\s+80\.0%\s+30\.0%\s+6\s+1\s+0\.125\s+\+2\.00/);
    expect(text).toMatch(
      /no difference the rows can show: 6 rows only A gets right, 1 only B \(exact McNemar p = 0\.125/,
    );
    // swapped, the same p, the other sign
    const swapped = compareRuns([b], [a], { a: ['B'], b: ['A'] });
    expect(swapped.overall).toMatchObject({ aOnly: 1, bOnly: 6, psnrDiff: -2 });
    expect(formatComparison(swapped)).toContain('no difference the rows can show: 1 row only A gets right, 6 only B');
  });

  it('pools several runs per side, pairing them in order; chain turns apart', () => {
    const tasks = ['text.recolor'];
    const a = run([1, 1, 1, 1, 1, 1, 1, 1], tasks, { turns: [[1, 1, 0]] });
    const b = run([0, 0, 0, 0, 1, 1, 1, 1], tasks, { turns: [[1, 0, 0]] });
    const c = compareRuns([a, a], [b, b], { a: ['A0', 'A1'], b: ['B0', 'B1'] });
    expect(c.overall).toMatchObject({ n: 16, aOnly: 8, bOnly: 0 });
    expect(c.chainTurns).toMatchObject({ n: 6, a: 4, b: 2, aOnly: 2, bOnly: 0 });
    expect(c.families.multiturn).toBeUndefined(); // chains are not single-turn rows
    expect(formatComparison(c)).toMatch(
      /A makes more single-turn edits succeed: 8 rows against 0 \(exact McNemar p = 0\.008\)/,
    );
  });

  it('refuses runs on different data, without common rows, or unpaired lists', () => {
    const a = run([1, 0], ['local.add']);
    expect(() =>
      compareRuns([a], [run([1, 0], ['local.add'], { instruction: 'other' })], { a: ['ra'], b: ['rb'] }),
    ).toThrow(
      `row 'row-0' asks "edit 0" in ra and "other" in rb: the two runs are on different datasets; compare runs of the same --data`,
    );
    const other = { samples: [{ ...a.samples[0]!, key: 'elsewhere' }] } as unknown as Results;
    expect(() => compareRuns([a], [other], { a: ['ra'], b: ['rb'] })).toThrow(
      "ra and rb share no rows: compare two runs of 'kontext bench run' on the same --data",
    );
    expect(() => compareRuns([a, a], [a], { a: ['x', 'y'], b: ['z'] })).toThrow(
      'give as many runs for B as for A (2 against 1): run i of A is compared with run i of B',
    );
  });
});
