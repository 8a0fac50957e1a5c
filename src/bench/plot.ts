// The multi-turn plot, drawn by hand into an RGBImage (no plotting library): two panels over the turns,
// left PSNR in dB (to the target, unedited region to the turn's input, drift), right rates (edit success,
// character identity kept). Text uses the world's 5x7 font, so labels are upper case.

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
  for (let y = Math.round(y0); y <= Math.round(y1); y++) for (let x = Math.round(x0); x <= Math.round(x1); x++) put(img, x, y, c);
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

function text(img: RGBImage, s: string, x: number, y: number, c: RGB = INK, align: 'left' | 'center' | 'right' = 'left'): void {
  const w = textCells(s).w * FONT;
  const x0 = align === 'left' ? x : align === 'center' ? x - w / 2 : x - w;
  drawText(img, s.toUpperCase(), Math.round(x0), Math.round(y), FONT, c);
}

interface Series {
  label: string;
  color: RGB;
  values: (number | null)[];
}

function panel(img: RGBImage, x0: number, y0: number, w: number, h: number, title: string, max: number, ticks: number[], tickLabel: (v: number) => string, series: Series[], turns: number): void {
  const left = x0 + 56;
  const right = x0 + w - 12;
  const top = y0 + 30;
  const bottom = y0 + h - 80;
  text(img, title, (left + right) / 2, y0 + 6, INK, 'center');
  const X = (turn: number): number => (turns <= 1 ? (left + right) / 2 : left + ((right - left) * (turn - 1)) / (turns - 1));
  const Y = (v: number): number => bottom - ((bottom - top) * Math.max(0, Math.min(max, v))) / max;
  for (const t of ticks) {
    rect(img, left, Y(t), right, Y(t), GRID);
    text(img, tickLabel(t), left - 6, Y(t) - 7, INK, 'right');
  }
  for (let t = 1; t <= turns; t++) text(img, String(t), X(t), bottom + 6, INK, 'center');
  text(img, 'TURN', (left + right) / 2, bottom + 22, INK, 'center');
  rect(img, left, top, left + 1, bottom, INK);
  rect(img, left, bottom, right, bottom + 1, INK);
  series.forEach((s, k) => {
    let prev: [number, number] | null = null;
    s.values.forEach((v, i) => {
      if (v === null) {
        prev = null;
        return;
      }
      const p: [number, number] = [X(i + 1), Y(v)];
      if (prev) line(img, prev[0], prev[1], p[0], p[1], s.color);
      rect(img, p[0] - 3, p[1] - 3, p[0] + 3, p[1] + 3, s.color);
      prev = p;
    });
    // legend
    const ly = bottom + 42 + Math.floor(k / 2) * 18;
    const lx = left + (k % 2) * ((right - left) / 2);
    rect(img, lx, ly + 2, lx + 14, ly + 12, s.color);
    text(img, s.label, lx + 22, ly, INK);
  });
}

export function plotCurves(curve: CurvePoint[], maxPsnr: number, title: string): RGBImage {
  const img = createImage(W, H, [255, 255, 255]);
  const turns = curve.length;
  const top = Math.min(maxPsnr, Math.max(40, ...curve.flatMap((p) => [p.psnr ?? 0, p.uneditedPsnr ?? 0, p.driftPsnr ?? 0])));
  const dbTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * top));
  panel(img, 0, 0, W / 2, H, `PSNR DB: ${title.slice(0, 24)}`, top, dbTicks, (v) => String(v), [
    { label: 'to target', color: [40, 80, 220], values: curve.map((p) => p.psnr) },
    { label: 'unedited', color: [40, 170, 60], values: curve.map((p) => p.uneditedPsnr) },
    { label: 'drift', color: [245, 140, 20], values: curve.map((p) => p.driftPsnr) },
  ], turns);
  panel(img, W / 2, 0, W / 2, H, 'RATE', 1, [0, 0.25, 0.5, 0.75, 1], (v) => `${Math.round(v * 100)}%`, [
    { label: 'success', color: [220, 40, 40], values: curve.map((p) => p.success) },
    { label: 'identity', color: [140, 60, 200], values: curve.map((p) => p.identity) },
  ], turns);
  return img;
}
