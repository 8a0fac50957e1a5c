// A built-in 5x7 bitmap font: the text labels of the world are drawn with it, the analyzer reads words back by
// template matching against the same glyphs, and the benchmark plot labels its axes with it.
//
// Glyphs are 5 columns x 7 rows; letters are advanced by 6 columns (one blank column between letters). A glyph is
// drawn at any scale by nearest-neighbour sampling: output pixel (x, y) shows glyph cell
// (floor(dx/unit), floor(dy/unit)).

import type { RGBImage } from '../image/rgb.ts';
import type { RGB } from './palette.ts';

export const GLYPH_W = 5;
export const GLYPH_H = 7;
export const GLYPH_ADVANCE = 6;

// prettier-ignore
const GLYPH_ROWS: Record<string, string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['###..', '#..#.', '#...#', '#...#', '#...#', '#..#.', '###..'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ',': ['.....', '.....', '.....', '.....', '.##..', '..#..', '.#...'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  '%': ['##...', '##..#', '...#.', '..#..', '.#...', '#..##', '...##'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
  _: ['.....', '.....', '.....', '.....', '.....', '.....', '#####'],
};

/** Glyph bitmaps, 35 bytes each (row-major, 1 = ink). */
export const GLYPHS: ReadonlyMap<string, Uint8Array> = new Map(
  Object.entries(GLYPH_ROWS).map(([ch, rows]) => {
    const bits = new Uint8Array(GLYPH_W * GLYPH_H);
    rows.forEach((row, y) => {
      for (let x = 0; x < GLYPH_W; x++) bits[y * GLYPH_W + x] = row[x] === '#' ? 1 : 0;
    });
    return [ch, bits];
  }),
);

export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Width and height of a string in glyph cells (multiply by the unit for pixels). */
export function textCells(text: string): { w: number; h: number } {
  return { w: Math.max(0, text.length * GLYPH_ADVANCE - 1), h: GLYPH_H };
}

/** Is glyph cell (cx, cy) of `text` inked? Cells outside the string are not. */
export function textInkAt(text: string, cx: number, cy: number): boolean {
  if (cy < 0 || cy >= GLYPH_H || cx < 0) return false;
  const i = Math.floor(cx / GLYPH_ADVANCE);
  const gx = cx - i * GLYPH_ADVANCE;
  if (i >= text.length || gx >= GLYPH_W) return false;
  const glyph = GLYPHS.get(text[i]!.toUpperCase()) ?? GLYPHS.get(' ')!;
  return glyph[cy * GLYPH_W + gx] === 1;
}

/**
 * Draw `text` with its top-left corner at pixel (x0, y0), one glyph cell = `unit` pixels (may be fractional).
 * Pixel (x, y) is inked when glyph cell floor((x + 0.5 - x0) / unit) is: nearest-neighbour scaling by pixel centres.
 */
export function drawText(img: RGBImage, text: string, x0: number, y0: number, unit: number, color: RGB): void {
  const { w, h } = textCells(text);
  const xa = Math.max(0, Math.floor(x0));
  const ya = Math.max(0, Math.floor(y0));
  const xb = Math.min(img.width, Math.ceil(x0 + w * unit));
  const yb = Math.min(img.height, Math.ceil(y0 + h * unit));
  for (let y = ya; y < yb; y++) {
    const cy = Math.floor((y + 0.5 - y0) / unit);
    for (let x = xa; x < xb; x++) {
      const cx = Math.floor((x + 0.5 - x0) / unit);
      if (!textInkAt(text, cx, cy)) continue;
      const o = (y * img.width + x) * 3;
      img.data[o] = color[0];
      img.data[o + 1] = color[1];
      img.data[o + 2] = color[2];
    }
  }
}
