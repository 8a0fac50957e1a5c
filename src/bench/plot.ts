// Line plots drawn by hand into an RGBImage (no plotting library): panels of series over x (turns, training
// steps), linear or log y. The multi-turn plot is two panels over the turns, left PSNR in dB (to the target,
// unedited region to the turn's input, drift, drift licensed), right rates (edit success, character identity kept).
// Text uses the world's 5x7 font, so labels are upper case.

import { createImage, type RGBImage } from '../image/rgb.ts';
import { drawText, textCells } from '../world/font.ts';
import type { RGB } from '../world/palette.ts';
import type { CurvePoint } from './report.ts';

const W = 760;
const H = 380;
const FONT = 2; // pixels per glyph cell
const INK: RGB = [40, 40, 40];
const GRID: RGB = [225, 225, 225];

function put(img: RGBImage, x: number, y: number, c: RGB): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  img.data.set(c, (Math.round(y) * img.width + Math.round(x)) * 3);
}

function rect(img: RGBImage, x0: number, y0: number, x1: number, y1: number, c: RGB): void {
  for (let y = Math.round(y0); y <= Math.round(y1); y++)
    for (let x = Math.round(x0); x <= Math.round(x1); x++) put(img, x, y, c);
}

/** A line of width ~2 px: Bresenham-style stepping with a 2x2 brush. */
function line(img: RGBImage, x0: number, y0: number, x1: number, y1: number, c: RGB): void {
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  for (let i = 0; i <= steps; i++) {
    const x = x0 + ((x1 - x0) * i) / steps;
    const y = y0 + ((y1 - y0) * i) / steps;
    rect(img, x - 1, y - 1, x, y, c);
  }
}

function text(
  img: RGBImage,
  s: string,
  x: number,
  y: number,
  c: RGB = INK,
  align: 'left' | 'center' | 'right' = 'left',
): void {
  const w = textCells(s).w * FONT;
  const x0 = align === 'left' ? x : align === 'center' ? x - w / 2 : x - w;
  drawText(img, s.toUpperCase(), Math.round(x0), Math.round(y), FONT, c);
}

export interface PlotSeries {
  label: string;
  color: RGB;
  /** [x, y] points; a null y breaks the line */
  points: [number, number | null][];
}

export interface PlotPanel {
  title: string;
  xLabel: string;
  series: PlotSeries[];
  /** y range (default: 0 .. the largest value) */
  yMin?: number;
  yMax?: number;
  /** log10 y axis (values ≤ 0 are skipped) */
  log?: boolean;
  yFormat?: (v: number) => string;
  /** x tick labels at these values (default: 5 evenly spaced) */
  xTicks?: number[];
  /** draw a square at every point (few points) */
  markers?: boolean;
}

const fmtNum = (v: number): string => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}K` : String(+v.toPrecision(3)));

function panel(img: RGBImage, x0: number, y0: number, w: number, h: number, p: PlotPanel): void {
  const left = x0 + 64;
  const right = x0 + w - 16;
  const top = y0 + 30;
  const bottom = y0 + h - 80;
  text(img, p.title, (left + right) / 2, y0 + 6, INK, 'center');
  const tf = (v: number) => (p.log ? Math.log10(v) : v);
  const all = p.series.flatMap((s) =>
    s.points.filter((q): q is [number, number] => q[1] !== null && Number.isFinite(q[1]) && (!p.log || q[1] > 0)),
  );
  const xs = all.map((q) => q[0]);
  const ys = all.map((q) => tf(q[1]));
  const xMin = Math.min(...xs, Infinity);
  const xMax = Math.max(...xs, -Infinity);
  const lo = p.yMin !== undefined ? tf(p.yMin) : p.log ? Math.floor(Math.min(...ys, 0)) : 0;
  const hi = p.yMax !== undefined ? tf(p.yMax) : p.log ? Math.ceil(Math.max(...ys, lo + 1)) : Math.max(...ys, 1e-9);
  const X = (x: number): number =>
    xMax <= xMin ? (left + right) / 2 : left + ((right - left) * (x - xMin)) / (xMax - xMin);
  const Y = (v: number): number =>
    bottom - ((bottom - top) * (Math.max(lo, Math.min(hi, tf(v))) - lo)) / (hi - lo || 1);
  const yTicks = p.log
    ? Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
    : [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  for (const t of yTicks) {
    rect(img, left, Y(t), right, Y(t), GRID);
    text(img, (p.yFormat ?? fmtNum)(t), left - 6, Y(t) - 7, INK, 'right');
  }
  const xTicks =
    p.xTicks ?? (Number.isFinite(xMin) ? [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(xMin + f * (xMax - xMin))) : []);
  for (const t of xTicks) text(img, fmtNum(t), X(t), bottom + 6, INK, 'center');
  text(img, p.xLabel, (left + right) / 2, bottom + 22, INK, 'center');
  rect(img, left, top, left + 1, bottom, INK);
  rect(img, left, bottom, right, bottom + 1, INK);
  p.series.forEach((s, k) => {
    let prev: [number, number] | null = null;
    for (const [x, v] of s.points) {
      if (v === null || !Number.isFinite(v) || (p.log && v <= 0)) {
        prev = null;
        continue;
      }
      const q: [number, number] = [X(x), Y(v)];
      if (prev) line(img, prev[0], prev[1], q[0], q[1], s.color);
      if (p.markers) rect(img, q[0] - 3, q[1] - 3, q[0] + 3, q[1] + 3, s.color);
      prev = q;
    }
    // legend
    const ly = bottom + 42 + Math.floor(k / 2) * 18;
    const lx = left + (k % 2) * ((right - left) / 2);
    rect(img, lx, ly + 2, lx + 14, ly + 12, s.color);
    text(img, s.label, lx + 22, ly, INK);
  });
}

/** Panels side by side, each W/2 wide. */
export function plotPanels(panels: PlotPanel[]): RGBImage {
  const pw = W / 2;
  const img = createImage(pw * panels.length, H, [255, 255, 255]);
  for (const [i, p] of panels.entries()) panel(img, i * pw, 0, pw, H, p);
  return img;
}

/** Colours for series, in order. */
export const SERIES_COLORS: RGB[] = [
  [40, 80, 220],
  [220, 40, 40],
  [40, 170, 60],
  [245, 140, 20],
  [140, 60, 200],
  [20, 160, 170],
  [120, 120, 120],
  [200, 60, 150],
];

export function plotCurves(curve: CurvePoint[], maxPsnr: number, title: string): RGBImage {
  const top = Math.min(
    maxPsnr,
    Math.max(
      40,
      ...curve.flatMap((p) => [p.psnr ?? 0, p.uneditedPsnr ?? 0, p.driftPsnr ?? 0, p.licensedDriftPsnr ?? 0]),
    ),
  );
  const pts = (f: (p: CurvePoint) => number | null) => curve.map((p, i): [number, number | null] => [i + 1, f(p)]);
  const turns = curve.map((_, i) => i + 1);
  return plotPanels([
    {
      title: `PSNR DB: ${title.slice(0, 24)}`,
      xLabel: 'TURN',
      xTicks: turns,
      yMin: 0,
      yMax: top,
      yFormat: (v) => String(Math.round(v)),
      markers: true,
      series: [
        { label: 'to target', color: SERIES_COLORS[0], points: pts((p) => p.psnr) },
        { label: 'unedited', color: SERIES_COLORS[2], points: pts((p) => p.uneditedPsnr) },
        { label: 'drift', color: SERIES_COLORS[3], points: pts((p) => p.driftPsnr) },
        { label: 'licensed', color: SERIES_COLORS[5], points: pts((p) => p.licensedDriftPsnr ?? null) },
      ],
    },
    {
      title: 'RATE',
      xLabel: 'TURN',
      xTicks: turns,
      yMin: 0,
      yMax: 1,
      yFormat: (v) => `${Math.round(v * 100)}%`,
      markers: true,
      series: [
        { label: 'success', color: SERIES_COLORS[1], points: pts((p) => p.success) },
        { label: 'identity', color: SERIES_COLORS[4], points: pts((p) => p.identity) },
      ],
    },
  ]);
}
