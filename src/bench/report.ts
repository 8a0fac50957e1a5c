// Aggregating per-sample results into results.json, a text table, and an HTML report with image grids.
//
// Averages: success is the share of samples whose edit the analyzer found; psnr / ssim / uneditedPsnr are means
// over the samples that have them (uneditedPsnr is undefined where the mask covers the whole image: day/night,
// grayscale, new-scene character reference, text-to-image). PSNR is capped at MAX_PSNR (100 dB = identical).
// Multi-turn chains count per turn: families.multiturn.* are means over all turns, and .curve has one point per
// turn (success, PSNR to the target, unedited PSNR to the turn's input, drift PSNR — strict, and with the places the
// words left free licensed: drift.ts —, character identity kept).
// overall.* is over the single-turn samples (the five families and text-to-image).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePng } from '../image/rgb.ts';
import { CATEGORY, FAMILIES, KONTEXT_FAMILIES } from '../world/tasks.ts';
import { MAX_PSNR, mean } from './metrics.ts';
import { plotCurves } from './plot.ts';
import type { Novelty, SampleResult, TurnResult } from './run.ts';

export interface Metrics {
  n: number;
  success: number | null;
  psnr: number | null;
  ssim: number | null;
  uneditedPsnr: number | null;
}

export interface CurvePoint extends Metrics {
  turn: number;
  driftPsnr: number | null;
  /** drift with the places an add or a move could put its shape licensed (drift.ts); absent in older runs */
  licensedDriftPsnr?: number | null;
  identity: number | null;
}

/** Held-out rows against their own tasks: `success` is theirs, `expected` the mean over the same rows of their task's
 *  success among the rows without the held-out kind. The seen rows are a different task mix (a held-out template
 *  may phrase only a hard task), so this, not `seen`, says what the held-out thing itself costs. Rows whose task has
 *  no row to compare with are left out of both (n counts the rest). */
export interface TaskMatched {
  n: number;
  success: number;
  expected: number;
}

export interface FamilyMetrics extends Metrics {
  category: string;
  /** multi-turn only */
  identity?: number | null;
  driftPsnr?: number | null;
  licensedDriftPsnr?: number | null;
  curve?: CurvePoint[];
}

export interface Results {
  model: string;
  modelSpec: string;
  data: string;
  synthetic: boolean;
  /** the model was given ground truth (only the oracle asks for it) */
  sawGroundTruth: boolean;
  createdAt: string;
  maxPsnr: number;
  n: number;
  overall: Metrics;
  families: Record<string, FamilyMetrics>;
  tasks: Record<string, Metrics>;
  /** rows that involve each held-out kind (novel) against the rows without any held-out thing (seen), and against
   *  their own tasks' rows without that kind (matched) */
  heldOut: Record<string, { novel: Metrics; seen: Metrics; matched?: TaskMatched | null }>;
  /** row counts per KontextBench category string */
  categories: Record<string, number>;
  samples: SampleResult[];
}

const rate = (xs: (boolean | null)[]): number | null => {
  const v = xs.filter((x): x is boolean => x !== null);
  return v.length ? v.filter(Boolean).length / v.length : null;
};

function metricsOf(
  items: { success: boolean | null; psnr: number | null; ssim: number | null; uneditedPsnr: number | null }[],
): Metrics {
  return {
    n: items.length,
    success: rate(items.map((s) => s.success)),
    psnr: mean(items.map((s) => s.psnr)),
    ssim: mean(items.map((s) => s.ssim)),
    uneditedPsnr: mean(items.map((s) => s.uneditedPsnr)),
  };
}

function curveOf(chains: SampleResult[]): CurvePoint[] {
  const turns = Math.max(0, ...chains.map((c) => c.turns?.length ?? 0));
  return Array.from({ length: turns }, (_, k) => {
    const at = chains.map((c) => c.turns?.[k]).filter((t): t is TurnResult => !!t);
    return {
      turn: k + 1,
      ...metricsOf(at),
      driftPsnr: mean(at.map((t) => t.driftPsnr)),
      licensedDriftPsnr: mean(at.map((t) => t.licensedDriftPsnr ?? null)),
      identity: rate(at.map((t) => t.identity)),
    };
  });
}

function taskMatched(single: SampleResult[], kind: Novelty): TaskMatched | null {
  const judged = single.filter((s) => s.success !== null);
  const rateWithout = new Map<string | null, number | null>();
  for (const task of new Set(judged.map((s) => s.task)))
    rateWithout.set(
      task,
      rate(judged.filter((s) => s.task === task && !s.novel?.includes(kind)).map((s) => s.success)),
    );
  const rows = judged.filter((s) => s.novel?.includes(kind) && rateWithout.get(s.task) != null);
  if (!rows.length) return null;
  return {
    n: rows.length,
    success: rows.filter((s) => s.success).length / rows.length,
    expected: rows.reduce((a, s) => a + rateWithout.get(s.task)!, 0) / rows.length,
  };
}

export function summarize(
  samples: SampleResult[],
  meta: { model: string; modelSpec: string; data: string; synthetic: boolean; sawGroundTruth: boolean },
): Results {
  const families: Record<string, FamilyMetrics> = {};
  const present = new Set(samples.map((s) => s.family));
  for (const f of FAMILIES) {
    if (!(KONTEXT_FAMILIES as readonly string[]).includes(f) && !present.has(f)) continue;
    const of = samples.filter((s) => s.family === f);
    const category = of[0]?.category ?? CATEGORY[f];
    if (f === 'multiturn') {
      const turns = of.flatMap((s) => s.turns ?? []);
      families[f] = {
        category,
        ...metricsOf(turns),
        n: of.length,
        identity: rate(turns.map((t) => t.identity)),
        driftPsnr: mean(turns.map((t) => t.driftPsnr)),
        licensedDriftPsnr: mean(turns.map((t) => t.licensedDriftPsnr ?? null)),
        curve: curveOf(of),
      };
    } else families[f] = { category, ...metricsOf(of) };
  }
  const tasks: Record<string, Metrics> = {};
  for (const name of [...new Set(samples.map((s) => s.task).filter((t): t is string => !!t))].sort()) {
    const of = samples.filter((s) => s.task === name);
    tasks[name] = name.startsWith('multiturn') ? metricsOf(of.flatMap((s) => s.turns ?? [])) : metricsOf(of);
  }
  const single = samples.filter((s) => s.family !== 'multiturn');
  const seen = metricsOf(single.filter((s) => !s.novel?.length));
  const heldOut: Results['heldOut'] = {};
  for (const k of ['template', 'pair', 'word', 'identity'] as const) {
    const of = single.filter((s) => s.novel?.includes(k));
    if (of.length) heldOut[k] = { novel: metricsOf(of), seen, matched: taskMatched(single, k) };
  }
  const categories: Record<string, number> = {};
  for (const s of samples) categories[s.category] = (categories[s.category] ?? 0) + 1;
  return {
    ...meta,
    createdAt: new Date().toISOString(),
    maxPsnr: MAX_PSNR,
    n: samples.length,
    overall: metricsOf(samples.filter((s) => s.family !== 'multiturn')),
    families,
    tasks,
    heldOut,
    categories,
    samples,
  };
}

// ---- text table --------------------------------------------------------------------------------------------------

const fmt = (v: number | null | undefined, pct = false): string =>
  v === null || v === undefined ? '-' : pct ? `${(v * 100).toFixed(1)}%` : v.toFixed(v >= 10 ? 1 : 3);

export function formatTable(r: Results): string {
  const lines = [
    `model ${r.modelSpec} on ${r.data} ` +
      `(${r.n} rows${r.synthetic ? '' : ', no ground truth'}${r.sawGroundTruth ? ', MODEL SAW GROUND TRUTH' : ''})`,
  ];
  if (!r.synthetic) {
    for (const [c, n] of Object.entries(r.categories)) lines.push(`  ${c.padEnd(32)} ${n} outputs`);
    return lines.join('\n');
  }
  const head =
    `  ${'family / task'.padEnd(22)} ${'n'.padStart(5)} ${'success'.padStart(8)} ${'PSNR'.padStart(7)} ` +
    `${'SSIM'.padStart(6)} ${'unedited'.padStart(9)}`;
  lines.push(head);
  const row = (name: string, m: Metrics): string =>
    `  ${name.padEnd(22)} ${String(m.n).padStart(5)} ${fmt(m.success, true).padStart(8)} ${fmt(m.psnr).padStart(7)} ` +
    `${fmt(m.ssim).padStart(6)} ${fmt(m.uneditedPsnr).padStart(9)}`;
  for (const [f, m] of Object.entries(r.families)) {
    lines.push(row(f, m));
    for (const [t, tm] of Object.entries(r.tasks))
      if (t.startsWith(`${f}.`) && f !== 'multiturn') lines.push(row(`  ${t}`, tm));
  }
  lines.push(row('overall (single-turn)', r.overall));
  const held = Object.entries(r.heldOut ?? {});
  if (held.length) {
    lines.push(row('seen (nothing held out)', held[0][1].seen));
    for (const [k, v] of held) lines.push(row(`held-out ${k}`, v.novel));
    const matched = held.filter(([, v]) => v.matched);
    if (matched.length) lines.push("  held-out rows against their own tasks' other rows (same task mix):");
    for (const [k, v] of matched)
      lines.push(
        `    ${k.padEnd(10)} ${String(v.matched!.n).padStart(5)} rows ${fmt(v.matched!.success, true).padStart(7)} ` +
          `vs ${fmt(v.matched!.expected, true)} at their tasks' rate without it`,
      );
  }
  const curve = r.families.multiturn?.curve;
  if (curve?.length) {
    lines.push('  multi-turn by turn:   success   PSNR  unedited  drift  licensed  identity');
    for (const p of curve) {
      lines.push(
        `    turn ${p.turn}             ${fmt(p.success, true).padStart(7)} ${fmt(p.psnr).padStart(6)} ` +
          `${fmt(p.uneditedPsnr).padStart(9)} ${fmt(p.driftPsnr).padStart(6)} ` +
          `${fmt(p.licensedDriftPsnr ?? null).padStart(9)} ${fmt(p.identity, true).padStart(9)}`,
      );
    }
  }
  return lines.join('\n');
}

// ---- HTML --------------------------------------------------------------------------------------------------------

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const img = (src: string | null, label: string): string =>
  src ? `<figure><img src="${esc(src)}" alt="${esc(label)}"><figcaption>${esc(label)}</figcaption></figure>` : '';

function metricsTable(rows: [string, Metrics][], extra = false): string {
  const head =
    '<tr><th></th><th>n</th><th>success</th><th>PSNR</th><th>SSIM</th><th>unedited PSNR</th>' +
    `${extra ? '<th>drift PSNR</th><th>drift PSNR, named cells licensed</th><th>identity kept</th>' : ''}</tr>`;
  const body = rows
    .map(([name, m]) => {
      const c = m as CurvePoint;
      return (
        `<tr><td>${esc(name)}</td><td>${m.n}</td><td>${fmt(m.success, true)}</td><td>${fmt(m.psnr)}</td>` +
        `<td>${fmt(m.ssim)}</td><td>${fmt(m.uneditedPsnr)}</td>` +
        `${extra ? `<td>${fmt(c.driftPsnr)}</td><td>${fmt(c.licensedDriftPsnr ?? null)}</td><td>${fmt(c.identity, true)}</td>` : ''}</tr>`
      );
    })
    .join('\n');
  return `<table>${head}${body}</table>`;
}

function sampleRow(s: SampleResult): string {
  const verdict =
    s.success === null
      ? ''
      : s.success
        ? '<span class="ok">success</span>'
        : `<span class="bad">fail</span> ${esc(s.failures.slice(0, 3).join('; '))}`;
  let cells: string;
  if (s.turns) {
    cells =
      img(s.inputs[0] ?? null, 'input') +
      s.turns
        .map((t) => img(t.output, `turn ${t.turn} ${t.success ? 'ok' : 'fail'}`) + img(t.target, `target ${t.turn}`))
        .join('');
    const steps = s.turns
      .map((t) => {
        const why = t.success ? '' : ` <span class="bad">(${esc(t.failures[0] ?? 'fail')})</span>`;
        return `${t.turn}. ${esc(t.instruction)}${why}`;
      })
      .join('<br>');
    return (
      `<div class="sample"><div class="key">${esc(s.key)}</div><div class="instr">${steps}</div>` +
      `<div class="grid">${cells}</div></div>`
    );
  }
  cells =
    s.inputs.map((p, i) => img(p, s.inputs.length > 1 ? `input ${i + 1}` : 'input')).join('') +
    img(s.output, 'output') +
    img(s.target, 'target') +
    img(s.mask, 'mask');
  return (
    `<div class="sample"><div class="key">${esc(s.key)} ${esc(s.task ?? '')}</div>` +
    `<div class="instr">${esc(s.instruction)}</div><div class="verdict">${verdict}</div>` +
    `<div class="grid">${cells}</div></div>`
  );
}

export function renderHtml(r: Results, examples: number): string {
  const parts: string[] = [];
  parts.push(
    `<h1>kontext bench: ${esc(r.modelSpec)}</h1><p>data: ${esc(r.data)} &middot; ${r.n} rows &middot; ` +
      `${esc(r.createdAt)} &middot; PSNR capped at ${r.maxPsnr} dB</p>`,
  );
  if (r.synthetic) {
    parts.push('<h2>Summary</h2>', metricsTable([...Object.entries(r.families), ['overall (single-turn)', r.overall]]));
    const held = Object.entries(r.heldOut ?? {});
    if (held.length)
      parts.push(
        '<h2>Held out of training</h2>',
        metricsTable([
          ['seen (nothing held out)', held[0][1].seen],
          ...held.map(([k, v]): [string, Metrics] => [`held-out ${k}`, v.novel]),
        ]),
        '<p>Against their own tasks (the seen rows are another task mix):</p><ul>' +
          held
            .filter(([, v]) => v.matched)
            .map(
              ([k, v]) =>
                `<li>held-out ${esc(k)}: ${fmt(v.matched!.success, true)} of ${v.matched!.n} rows, ` +
                `${fmt(v.matched!.expected, true)} at their tasks' rate without it</li>`,
            )
            .join('') +
          '</ul>',
      );
    const curve = r.families.multiturn?.curve;
    if (curve?.length) {
      parts.push(
        '<h2>Multi-turn</h2><img class="plot" src="multiturn.png" alt="multi-turn curves">',
        metricsTable(
          curve.map((p) => [`turn ${p.turn}`, p]),
          true,
        ),
      );
    }
  }
  const groups = new Map<string, SampleResult[]>();
  for (const s of r.samples) {
    const g = r.synthetic ? (s.family ?? s.category) : s.category;
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  for (const [g, list] of groups) {
    const fam = r.families[g];
    parts.push(`<h2>${esc(g)}${fam ? ` <small>${esc(fam.category)}</small>` : ''} (${list.length})</h2>`);
    if (r.synthetic) {
      const tasks = Object.entries(r.tasks).filter(([t]) => list.some((s) => s.task === t));
      parts.push(metricsTable(tasks));
    }
    parts.push(...list.slice(0, examples).map(sampleRow));
    if (list.length > examples) parts.push(`<p>... ${list.length - examples} more in results.json</p>`);
  }
  const css =
    'body{font-family:sans-serif;margin:1.5em;background:#fafafa}table{border-collapse:collapse;margin:.5em 0}' +
    'td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child{text-align:left}\n' +
    '.sample{margin:.6em 0;padding:.4em;border-top:1px solid #ddd}.grid{display:flex;flex-wrap:wrap;gap:6px}' +
    'figure{margin:0;text-align:center;font-size:11px}\n' +
    'figure img{width:128px;height:128px;object-fit:contain;border:1px solid #999}' +
    '.synthetic figure img{image-rendering:pixelated}.key{font-size:12px;color:#666}.ok{color:#080}.bad{color:#b00}' +
    '.plot{max-width:100%}';
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>kontext bench ${esc(r.modelSpec)}</title>` +
    `<style>${css}</style></head>` +
    `<body class="${r.synthetic ? 'synthetic' : 'real'}">${parts.join('\n')}</body></html>\n`
  );
}

/** Write report.html (and multiturn.png when there are multi-turn chains) into the results folder. */
export async function writeReport(r: Results, outDir: string, examples = 12): Promise<string[]> {
  const written = [join(outDir, 'report.html')];
  await writeFile(written[0]!, renderHtml(r, examples));
  const curve = r.families.multiturn?.curve;
  if (curve?.length) {
    const p = join(outDir, 'multiturn.png');
    await writePng(plotCurves(curve, r.maxPsnr, r.modelSpec), p);
    written.push(p);
  }
  return written;
}
