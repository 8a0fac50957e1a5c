// Is model A better than model B? Two runs of `kontext bench run` on the same rows, compared row by row.
//
// A success rate on 60 rows moves by several points from one sampling seed to the next, so "45.0 % against 41.7 %"
// says little by itself. Both models answered the same rows, though, and most rows come out the same for both:
// what decides is the discordant rows — those A gets right and B wrong (b), and the reverse (c). If the two were
// equally good, each discordant row would fall either way with probability ½, so the chance of a split at least as
// uneven as the one seen is the exact two-sided McNemar test: p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½).
// Several runs per side (bench seeds 0–3, say) are paired run by run and pooled: more rows, the same test — though a
// row counted once per seed is not an independent row each time (an easy row stays easy), so a pooled p is somewhat
// too small; read it as a guide, and a single seed's p as the strict one.
// Chain turns are paired by (row, turn) and reported apart from the single-turn rows, as the bench reports them.

import { UserError } from '../errors.ts';
import type { Results } from './report.ts';
import type { SampleResult } from './run.ts';

export interface PairedCount {
  /** rows judged in both runs */
  n: number;
  /** successes of each side */
  a: number;
  b: number;
  /** rows only A got right, and only B */
  aOnly: number;
  bOnly: number;
  /** exact two-sided McNemar p-value on aOnly vs bOnly (1 when there are no discordant rows) */
  p: number;
  /** paired mean of PSNR to the target, A minus B (dB), over the rows where both have it */
  psnrDiff: number | null;
}

export interface Comparison {
  a: string[];
  b: string[];
  /** per family, per task, the single-turn rows overall, and chain turns */
  families: Record<string, PairedCount>;
  tasks: Record<string, PairedCount>;
  overall: PairedCount;
  chainTurns: PairedCount | null;
}

/** log of n choose k */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

/** Exact two-sided McNemar (sign) test: the chance of a split of b + c discordant rows at least as uneven. */
export function mcnemarP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

interface Pair {
  a: { success: boolean; psnr: number | null };
  b: { success: boolean; psnr: number | null };
}

function count(pairs: Pair[]): PairedCount {
  let a = 0;
  let b = 0;
  let aOnly = 0;
  let bOnly = 0;
  let diff = 0;
  let withPsnr = 0;
  for (const p of pairs) {
    a += +p.a.success;
    b += +p.b.success;
    if (p.a.success && !p.b.success) aOnly++;
    if (p.b.success && !p.a.success) bOnly++;
    if (p.a.psnr !== null && p.b.psnr !== null) {
      diff += p.a.psnr - p.b.psnr;
      withPsnr++;
    }
  }
  return {
    n: pairs.length,
    a,
    b,
    aOnly,
    bOnly,
    p: mcnemarP(aOnly, bOnly),
    psnrDiff: withPsnr ? diff / withPsnr : null,
  };
}

/** The rows of run `a` and run `b` paired by key; both must be runs on the same dataset. */
function pairRuns(
  a: Results,
  b: Results,
  names: [string, string],
): { single: [SampleResult, SampleResult][]; turns: Pair[] } {
  const byKey = new Map(b.samples.map((s) => [s.key, s]));
  const single: [SampleResult, SampleResult][] = [];
  const turns: Pair[] = [];
  let shared = 0;
  for (const sa of a.samples) {
    const sb = byKey.get(sa.key);
    if (!sb) continue;
    shared++;
    if (sa.instruction !== sb.instruction)
      throw new UserError(
        `row '${sa.key}' asks "${sa.instruction}" in ${names[0]} and "${sb.instruction}" in ${names[1]}: ` +
          'the two runs are on different datasets; compare runs of the same --data',
      );
    if (sa.success === null || sb.success === null) continue; // no ground truth (the real KontextBench)
    if (sa.turns && sb.turns) {
      for (const [k, ta] of sa.turns.entries()) {
        const tb = sb.turns[k];
        if (tb && ta.success !== null && tb.success !== null)
          turns.push({ a: { success: ta.success, psnr: ta.psnr }, b: { success: tb.success, psnr: tb.psnr } });
      }
    } else single.push([sa, sb]);
  }
  if (!shared)
    throw new UserError(
      `${names[0]} and ${names[1]} share no rows: compare two runs of 'kontext bench run' on the same --data`,
    );
  return { single, turns };
}

/**
 * Compare runs `a[i]` with `b[i]` (the same dataset, each pair typically at the same bench seed), pooling the pairs.
 * `names` label the runs in errors.
 */
export function compareRuns(a: Results[], b: Results[], names: { a: string[]; b: string[] }): Comparison {
  if (a.length !== b.length || a.length === 0)
    throw new UserError(
      `give as many runs for B as for A (${a.length} against ${b.length}): run i of A is compared with run i of B`,
    );
  const single: [SampleResult, SampleResult][] = [];
  const turns: Pair[] = [];
  for (const [i, ra] of a.entries()) {
    const p = pairRuns(ra, b[i]!, [names.a[i]!, names.b[i]!]);
    single.push(...p.single);
    turns.push(...p.turns);
  }
  if (!single.length && !turns.length)
    throw new UserError('the runs have no judged rows in common (a benchmark without ground truth cannot be compared)');
  const pair = ([sa, sb]: [SampleResult, SampleResult]): Pair => ({
    a: { success: sa.success!, psnr: sa.psnr },
    b: { success: sb.success!, psnr: sb.psnr },
  });
  const group = (key: (s: SampleResult) => string | null): Record<string, PairedCount> => {
    const out: Record<string, Pair[]> = {};
    for (const p of single) {
      const k = key(p[0]);
      if (k) (out[k] ??= []).push(pair(p));
    }
    return Object.fromEntries(Object.entries(out).map(([k, ps]) => [k, count(ps)]));
  };
  return {
    a: names.a,
    b: names.b,
    families: group((s) => s.family),
    tasks: group((s) => s.task),
    overall: count(single.map(pair)),
    chainTurns: turns.length ? count(turns) : null,
  };
}

const pct = (k: number, n: number): string => (n ? `${((100 * k) / n).toFixed(1)}%` : '-');
const rows = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;
/** "= 0.004" or "< 0.001" */
const pFmt = (p: number): string => (p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`);

/** The comparison as a text table, with a one-line verdict on the single-turn rows (5 % level). */
export function formatComparison(c: Comparison): string {
  const lines = [
    `A: ${c.a.join(', ')}`,
    `B: ${c.b.join(', ')}`,
    `  ${'family / task'.padEnd(24)} ${'n'.padStart(5)} ${'A'.padStart(7)} ${'B'.padStart(7)} ` +
      `${'A only'.padStart(7)} ${'B only'.padStart(7)} ${'p'.padStart(7)} ${'PSNR A−B'.padStart(9)}`,
  ];
  const row = (name: string, m: PairedCount): string =>
    `  ${name.padEnd(24)} ${String(m.n).padStart(5)} ${pct(m.a, m.n).padStart(7)} ${pct(m.b, m.n).padStart(7)} ` +
    `${String(m.aOnly).padStart(7)} ${String(m.bOnly).padStart(7)} ${pFmt(m.p).replace('= ', '').padStart(7)} ` +
    `${(m.psnrDiff === null ? '-' : `${m.psnrDiff >= 0 ? '+' : ''}${m.psnrDiff.toFixed(2)}`).padStart(9)}`;
  for (const [f, m] of Object.entries(c.families)) {
    lines.push(row(f, m));
    for (const [t, tm] of Object.entries(c.tasks)) if (t.startsWith(`${f}.`)) lines.push(row(`  ${t}`, tm));
  }
  lines.push(row('overall (single-turn)', c.overall));
  if (c.chainTurns) lines.push(row('multi-turn (turns)', c.chainTurns));
  const o = c.overall;
  lines.push(
    o.p < 0.05
      ? `${o.aOnly > o.bOnly ? 'A' : 'B'} makes more single-turn edits succeed: ${rows(Math.max(o.aOnly, o.bOnly))} ` +
          `against ${Math.min(o.aOnly, o.bOnly)} (exact McNemar p ${pFmt(o.p)})`
      : `no difference the rows can show: ${rows(o.aOnly)} only A gets right, ${o.bOnly} only B ` +
          `(exact McNemar p ${pFmt(o.p)}; equally good models split them this unevenly ${Math.round(o.p * 100)} % of the time)`,
  );
  return lines.join('\n');
}
