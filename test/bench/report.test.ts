// The held-out comparison against the rows' own tasks (report.ts, TaskMatched): a held-out template that phrases
// only a hard task must not read as a phrasing failure, and one that fails where its task succeeds must.
import { describe, expect, it } from 'vitest';
import { formatTable, summarize } from '../../src/bench/report.ts';
import type { Novelty, SampleResult } from '../../src/bench/run.ts';

const row = (task: string, success: boolean, novel: Novelty[] = []): SampleResult => ({
  key: `k${Math.random()}`,
  family: task.startsWith('local') ? 'local' : 'style',
  task,
  category: 'c',
  instruction: 'i',
  inputs: [],
  output: 'o.png',
  target: null,
  mask: null,
  success,
  failures: [],
  psnr: null,
  ssim: null,
  uneditedPsnr: null,
  resized: false,
  seconds: 0,
  novel,
});
const meta = { model: 'm', modelSpec: 'm', data: 'd', synthetic: true, sawGroundTruth: false };

describe('held-out rows against their own tasks', () => {
  const samples = [
    // local.recolor: templates 1 of 2, other rows 2 of 2
    row('local.recolor', true, ['template']),
    row('local.recolor', false, ['template']),
    row('local.recolor', true),
    row('local.recolor', true, ['pair']),
    // style.reference: template 0 of 1, other rows 1 of 4
    row('style.reference', false, ['template']),
    row('style.reference', true),
    row('style.reference', false),
    row('style.reference', false),
    row('style.reference', false),
    // local.resize: only a template row, nothing to compare it with
    row('local.resize', false, ['template']),
  ];
  const r = summarize(samples, meta);

  it('weighs each held-out row by its task rate without the held-out kind, leaving out tasks with no such rows', () => {
    const m = r.heldOut.template!.matched!;
    expect(m.n).toBe(3);
    expect(m.success).toBeCloseTo(1 / 3, 12);
    expect(m.expected).toBeCloseTo((1 + 1 + 0.25) / 3, 12);
    // the plain comparison still holds all four template rows against the rows with nothing held out
    expect(r.heldOut.template!.novel.n).toBe(4);
    expect(r.heldOut.template!.seen.n).toBe(5);
    // a kind counts against its own absence only: the pair row's task rate without pairs is that of the three
    // rows without one, template rows included (2 of 3)
    expect(r.heldOut.pair!.matched!.n).toBe(1);
    expect(r.heldOut.pair!.matched!.success).toBe(1);
    expect(r.heldOut.pair!.matched!.expected).toBeCloseTo(2 / 3, 12);
  });

  it('prints the comparison under the held-out rows', () => {
    const table = formatTable(r);
    expect(table).toContain("template       3 rows   33.3% vs 75.0% at their tasks' rate without it");
  });
});
