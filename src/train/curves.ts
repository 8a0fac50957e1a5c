// Loss and validation curves of a run, drawn from its log.jsonl: curves.png (two panels: training loss on a log
// axis with a moving average, validation metrics) and curves.html (the same data as inline SVG, with a table).

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlotPanel, type PlotSeries, plotPanels, SERIES_COLORS } from '../bench/plot.ts';
import { writePng } from '../image/rgb.ts';

interface LogRow {
  step: number;
  loss?: number;
  val?: Record<string, number>;
}

export async function readLog(out: string): Promise<LogRow[]> {
  const p = join(out, 'log.jsonl');
  if (!existsSync(p)) return [];
  return (await readFile(p, 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LogRow);
}

/** Moving average over a window of `k` points. */
function smooth(points: [number, number][], k: number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= k) sum -= points[i - k][1];
    out.push([points[i][0], sum / Math.min(i + 1, k)]);
  }
  return out;
}

/** Validation metrics grouped for plotting: dB-like values (> 1.5 somewhere) and rates/losses apart. */
function valPanels(rows: LogRow[]): PlotPanel[] {
  const vals = rows.filter((r) => r.val);
  const keys = [...new Set(vals.flatMap((r) => Object.keys(r.val!)))];
  const series = (ks: string[]): PlotSeries[] =>
    ks.map((k, i) => ({
      label: k,
      color: SERIES_COLORS[i % SERIES_COLORS.length],
      points: vals.map((r): [number, number | null] => [r.step, r.val![k] ?? null]),
    }));
  const big = keys.filter((k) => vals.some((r) => (r.val![k] ?? 0) > 1.5));
  const small = keys.filter((k) => !big.includes(k));
  const panels: PlotPanel[] = [];
  if (big.length) panels.push({ title: 'VALIDATION', xLabel: 'STEP', series: series(big), markers: vals.length < 40 });
  if (small.length)
    panels.push({ title: 'VALIDATION', xLabel: 'STEP', series: series(small), yMin: 0, markers: vals.length < 40 });
  return panels;
}

export function curvePanels(rows: LogRow[]): PlotPanel[] {
  const loss = rows.filter((r) => r.loss !== undefined).map((r): [number, number] => [r.step, r.loss!]);
  return [
    {
      title: 'TRAINING LOSS',
      xLabel: 'STEP',
      log: true,
      series: [
        { label: 'loss', color: [170, 190, 235], points: loss },
        { label: 'average', color: SERIES_COLORS[0], points: smooth(loss, 20) },
      ],
    },
    ...valPanels(rows),
  ];
}

function svgPanel(p: PlotPanel, w = 480, h = 300): string {
  const pts = p.series.flatMap((s) =>
    s.points.filter((q): q is [number, number] => q[1] !== null && (!p.log || q[1] > 0)),
  );
  if (!pts.length) return '';
  const tf = (v: number) => (p.log ? Math.log10(v) : v);
  const xs = pts.map((q) => q[0]);
  const ys = pts.map((q) => tf(q[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [p.yMin !== undefined ? tf(p.yMin) : Math.min(...ys), Math.max(...ys)];
  const X = (x: number) => 50 + ((w - 60) * (x - x0)) / (x1 - x0 || 1);
  const Y = (y: number) => h - 30 - ((h - 50) * (tf(y) - y0)) / (y1 - y0 || 1);
  const lines = p.series
    .map((s, i) => {
      const d = s.points
        .filter((q): q is [number, number] => q[1] !== null && (!p.log || q[1] > 0))
        .map(([x, y], k) => `${k ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
        .join('');
      const [r, g, b] = s.color;
      return (
        `<path d="${d}" fill="none" stroke="rgb(${r},${g},${b})" stroke-width="1.5">` +
        `<title>${s.label}</title></path>` +
        `<text x="${60 + 120 * i}" y="14" fill="rgb(${r},${g},${b})">${s.label}</text>`
      );
    })
    .join('');
  const fmt = (v: number) => String(+(p.log ? 10 ** v : v).toPrecision(3));
  return (
    `<svg width="${w}" height="${h}" font-family="sans-serif" font-size="11">` +
    `<rect x="50" y="20" width="${w - 60}" height="${h - 50}" fill="none" stroke="#ccc"/>${lines}` +
    `<text x="4" y="${Y(p.log ? 10 ** y1 : y1) + 4}">${fmt(y1)}</text><text x="4" y="${h - 26}">${fmt(y0)}</text>` +
    `<text x="50" y="${h - 8}">${x0}</text><text x="${w - 40}" y="${h - 8}">${x1}</text>` +
    `<text x="${w / 2}" y="${h - 8}">${p.xLabel.toLowerCase()}</text></svg>`
  );
}

/** Write curves.png and curves.html into the run folder from its log. */
export async function writeCurves(out: string): Promise<void> {
  const rows = await readLog(out);
  if (!rows.length) return;
  const panels = curvePanels(rows);
  await writePng(plotPanels(panels), join(out, 'curves.png'));
  const vals = rows.filter((r) => r.val);
  const keys = [...new Set(vals.flatMap((r) => Object.keys(r.val!)))];
  const cell = (v: number | undefined) => `<td>${v === undefined ? '' : +v.toPrecision(4)}</td>`;
  const table = vals.length
    ? `<table><tr><th>step</th>${keys.map((k) => `<th>${k}</th>`).join('')}</tr>${vals
        .map((r) => `<tr><td>${r.step}</td>${keys.map((k) => cell(r.val![k])).join('')}</tr>`)
        .join('')}</table>`
    : '';
  const style = 'body{font-family:sans-serif;margin:20px}td,th{padding:2px 8px;text-align:right}';
  const head = `<!doctype html><meta charset="utf-8"><title>training curves</title><style>${style}</style>`;
  const plots = panels.map((p) => `<h3>${p.title.toLowerCase()}</h3>${svgPanel(p)}`).join('');
  const html = `${head}<h1>${out}</h1>${plots}${table}`;
  await writeFile(join(out, 'curves.html'), html);
}
