// Readers: name an attribute back from the pixels of an image. The analyzer (analyze.ts) uses them to decide
// whether an output shows the requested edit, without trusting anything but the pixels and the world's rules.
//
// Method: analysis by synthesis. The world is fully known, so to read "which shape is this blob" we render every
// candidate shape into the blob's place and keep the best overlap; to read "which word" we compare letter cells
// with the built-in font; to read "which character" we render all 360 identities into the box. Colours are named
// with a tolerance around the palette, transformed by the scene's lighting (night shrinks all colour distances).

import type { RGBImage } from '../image/rgb.ts';
import { CHARACTER_SIZES, IDENTITY_COUNT, identityTraits, spriteAt } from '../world/characters.ts';
import { GLYPH_ADVANCE, GLYPH_H, GLYPH_W, GLYPHS, LETTERS } from '../world/font.ts';
import {
  BACKGROUND_COLOR_NAMES,
  COLOR_TOLERANCE,
  lightingGain,
  lightPixel,
  luma,
  type RGB,
  type TimeOfDay,
} from '../world/palette.ts';
import { backgroundRow } from '../world/render.ts';
import {
  characterRect,
  pixelRect,
  TEXT_UNIT,
  type Background,
  type CharacterPlacement,
  type Rect,
} from '../world/scene.ts';
import {
  inkAt,
  insideShape,
  SHAPES,
  SIZE_NAMES,
  SIZES,
  STYLES,
  type Shape,
  type Size,
  type Style,
} from '../world/shapes.ts';

/** How a scene is shown: lighting and grayscale change every colour, so readers transform the palette likewise. */
export interface Look {
  time: TimeOfDay;
  grayscale: boolean;
}

export function lit(c: RGB, look: Look): RGB {
  const l = lightPixel(c, look.time);
  if (!look.grayscale) return l;
  const y = luma(l[0], l[1], l[2]);
  return [y, y, y];
}

export function tolerance(look: Look): number {
  return COLOR_TOLERANCE * lightingGain(look.time);
}

/** Euclidean RGB distance of pixel p (byte offset) of img to colour c (Math.hypot is slow in hot loops). */
export function pixelDistance(img: RGBImage, p: number, c: RGB): number {
  const dr = img.data[p]! - c[0];
  const dg = img.data[p + 1]! - c[1];
  const db = img.data[p + 2]! - c[2];
  return Math.sqrt(dr * dr + dg * dg + db * db);
}

/** 1 where the pixel is within `tol` of colour c. */
export function colorMask(img: RGBImage, c: RGB, tol: number): Uint8Array {
  const m = new Uint8Array(img.width * img.height);
  const t2 = tol * tol;
  const d = img.data;
  for (let i = 0, p = 0; i < m.length; i++, p += 3) {
    const dr = d[p]! - c[0];
    const dg = d[p + 1]! - c[1];
    const db = d[p + 2]! - c[2];
    if (dr * dr + dg * dg + db * db <= t2) m[i] = 1;
  }
  return m;
}

// ---- blobs ------------------------------------------------------------------------------------------------------

export interface Blob {
  x0: number;
  y0: number;
  x1: number; // exclusive
  y1: number;
  count: number;
}

/** 8-connected components of a mask, then components whose boxes overlap are merged (dots inside an outline). */
export function blobs(mask: Uint8Array, w: number, h: number): Blob[] {
  const label = new Int32Array(w * h).fill(-1);
  const out: Blob[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]! >= 0) continue;
    const b: Blob = { x0: w, y0: h, x1: 0, y1: 0, count: 0 };
    label[start] = out.length;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      b.count++;
      if (x < b.x0) b.x0 = x;
      if (y < b.y0) b.y0 = y;
      if (x + 1 > b.x1) b.x1 = x + 1;
      if (y + 1 > b.y1) b.y1 = y + 1;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (mask[j] && label[j]! < 0) {
            label[j] = out.length;
            stack.push(j);
          }
        }
      }
    }
    out.push(b);
  }
  // merge overlapping boxes until stable
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!;
        const c = out[j]!;
        if (a.x0 < c.x1 && c.x0 < a.x1 && a.y0 < c.y1 && c.y0 < a.y1) {
          out[i] = {
            x0: Math.min(a.x0, c.x0),
            y0: Math.min(a.y0, c.y0),
            x1: Math.max(a.x1, c.x1),
            y1: Math.max(a.y1, c.y1),
            count: a.count + c.count,
          };
          out.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return out;
}

/** The blob's silhouette: its pixels plus every hole (pixels the outside cannot reach 4-connectedly). */
export function silhouette(mask: Uint8Array, w: number, b: Blob): Uint8Array {
  const bw = b.x1 - b.x0 + 2;
  const bh = b.y1 - b.y0 + 2;
  // local grid with a 1-pixel frame of "outside" around the blob's box
  const on = (x: number, y: number): boolean => {
    const gx = x - 1 + b.x0;
    const gy = y - 1 + b.y0;
    return x >= 1 && y >= 1 && x <= bw - 2 && y <= bh - 2 && mask[gy * w + gx] === 1;
  };
  const outside = new Uint8Array(bw * bh);
  const stack = [0];
  outside[0] = 1;
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % bw;
    const y = (i - x) / bw;
    for (const [dx, dy] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ] as const) {
      const xx = x + dx;
      const yy = y + dy;
      if (xx < 0 || yy < 0 || xx >= bw || yy >= bh) continue;
      const j = yy * bw + xx;
      if (!outside[j] && !on(xx, yy)) {
        outside[j] = 1;
        stack.push(j);
      }
    }
  }
  const sw = b.x1 - b.x0;
  const sil = new Uint8Array(sw * (b.y1 - b.y0));
  for (let y = 0; y < b.y1 - b.y0; y++)
    for (let x = 0; x < sw; x++) sil[y * sw + x] = outside[(y + 1) * bw + x + 1] ? 0 : 1;
  return sil;
}

// ---- shapes -----------------------------------------------------------------------------------------------------

// Extent of each filled shape in local units (u, v), measured once by sampling: used to put a candidate's centre
// where its box lines up with a blob's box.
const EXTENT: Record<Shape, [number, number, number, number]> = Object.fromEntries(
  SHAPES.map((s) => {
    let [u0, v0, u1, v1] = [1, 1, -1, -1];
    const n = 400;
    for (let j = 0; j <= n; j++) {
      for (let i = 0; i <= n; i++) {
        const u = -1 + (2 * i) / n;
        const v = -1 + (2 * j) / n;
        if (!insideShape(s, u, v)) continue;
        u0 = Math.min(u0, u);
        v0 = Math.min(v0, v);
        u1 = Math.max(u1, u);
        v1 = Math.max(v1, v);
      }
    }
    return [s, [u0, v0, u1, v1]];
  }),
) as Record<Shape, [number, number, number, number]>;

export interface ObjectReading {
  shape: Shape;
  size: Size;
  /** centre as a fraction of the image side */
  x: number;
  y: number;
  /** overlap of the best candidate's silhouette with the blob's (1 = exact) */
  iou: number;
}

/** IoU of the filled candidate (shape, centre, half) with the silhouette of blob b, over the union of their boxes. */
function candidateIou(sil: Uint8Array, b: Blob, shape: Shape, cx: number, cy: number, half: number): number {
  const x0 = Math.min(b.x0, Math.floor(cx - half));
  const y0 = Math.min(b.y0, Math.floor(cy - half));
  const x1 = Math.max(b.x1, Math.ceil(cx + half));
  const y1 = Math.max(b.y1, Math.ceil(cy + half));
  const sw = b.x1 - b.x0;
  let inter = 0;
  let union = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const a = x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 && sil[(y - b.y0) * sw + (x - b.x0)] === 1;
      const c = insideShape(shape, (x + 0.5 - cx) / half, (y + 0.5 - cy) / half);
      if (a && c) inter++;
      if (a || c) union++;
    }
  }
  return union ? inter / union : 0;
}

/** Name the shape and size of a blob: best IoU over shapes x sizes, centred by the box, refined by sub-pixel shifts. */
export function readObject(mask: Uint8Array, w: number, b: Blob): ObjectReading {
  const sil = silhouette(mask, w, b);
  const bcx = (b.x0 + b.x1) / 2;
  const bcy = (b.y0 + b.y1) / 2;
  const scored: { shape: Shape; size: Size; cx: number; cy: number; half: number; iou: number }[] = [];
  for (const shape of SHAPES) {
    const [u0, v0, u1, v1] = EXTENT[shape];
    for (const size of SIZE_NAMES) {
      const half = (SIZES[size] * w) / 2;
      const cx = bcx - (half * (u0 + u1)) / 2;
      const cy = bcy - (half * (v0 + v1)) / 2;
      scored.push({ shape, size, cx, cy, half, iou: candidateIou(sil, b, shape, cx, cy, half) });
    }
  }
  scored.sort((p, q) => q.iou - p.iou);
  let best = scored[0]!;
  for (const c of scored.slice(0, 4)) {
    for (let dy = -0.5; dy <= 0.5; dy += 0.25) {
      for (let dx = -0.5; dx <= 0.5; dx += 0.25) {
        const iou = candidateIou(sil, b, c.shape, c.cx + dx, c.cy + dy, c.half);
        if (iou > best.iou) best = { ...c, cx: c.cx + dx, cy: c.cy + dy, iou };
      }
    }
  }
  return { shape: best.shape, size: best.size, x: best.cx / w, y: best.cy / w, iou: best.iou };
}

/** Accept a shape reading when its silhouette overlaps the best candidate this much. */
export const SHAPE_IOU = 0.75;

/** Every object of colour c in the image (as seen under `look`) that reads as a shape. */
export function findObjects(img: RGBImage, c: RGB, look: Look): ObjectReading[] {
  const mask = colorMask(img, lit(c, look), tolerance(look));
  const minSide = SIZES.small * img.width * 0.6;
  const found: ObjectReading[] = [];
  for (const b of blobs(mask, img.width, img.height)) {
    if (Math.max(b.x1 - b.x0, b.y1 - b.y0) < minSide) continue;
    const r = readObject(mask, img.width, b);
    if (r.iou >= SHAPE_IOU) found.push(r);
  }
  return found;
}

/** Which drawing style the object at a known place shows: best IoU of each style's ink with the colour mask. */
export function readStyle(
  img: RGBImage,
  obj: { shape: Shape; size: Size; x: number; y: number },
  c: RGB,
  look: Look,
): { style: Style; iou: number; scores: Record<Style, number> } {
  const S = img.width;
  const box = { cx: obj.x * S, cy: obj.y * S, half: (SIZES[obj.size] * S) / 2, unit: S / 64 };
  const tol = tolerance(look);
  const want = lit(c, look);
  const x0 = Math.max(0, Math.floor(box.cx - box.half) - 1);
  const y0 = Math.max(0, Math.floor(box.cy - box.half) - 1);
  const x1 = Math.min(S, Math.ceil(box.cx + box.half) + 1);
  const y1 = Math.min(img.height, Math.ceil(box.cy + box.half) + 1);
  let best = { style: 'filled' as Style, iou: -1 };
  const scores = {} as Record<Style, number>;
  for (const style of STYLES) {
    let inter = 0;
    let union = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = (y * S + x) * 3;
        const d = pixelDistance(img, p, want);
        const a = d <= tol;
        const e = inkAt(obj.shape, style, box, x, y);
        if (a && e) inter++;
        if (a || e) union++;
      }
    }
    const iou = union ? inter / union : 0;
    scores[style] = iou;
    if (iou > best.iou) best = { style, iou };
  }
  return { ...best, scores };
}

// ---- colours ----------------------------------------------------------------------------------------------------

/** The palette colour most pixels of `pixels` show (within tolerance), with its share; null if none. */
export function dominantColor<K extends string>(
  img: RGBImage,
  pixels: Iterable<number>,
  palette: Record<K, RGB>,
  look: Look,
): { color: K; share: number } | null {
  const names = Object.keys(palette) as K[];
  const cols = names.map((n) => lit(palette[n], look));
  const tol = tolerance(look);
  const counts = new Array<number>(names.length).fill(0);
  let total = 0;
  for (const i of pixels) {
    total++;
    const p = i * 3;
    let bestK = -1;
    let bestD = tol;
    cols.forEach((c, k) => {
      const d = pixelDistance(img, p, c);
      if (d <= bestD) {
        bestD = d;
        bestK = k;
      }
    });
    if (bestK >= 0) counts[bestK]!++;
  }
  if (total === 0) return null;
  let k = 0;
  for (let j = 1; j < counts.length; j++) if (counts[j]! > counts[k]!) k = j;
  return counts[k]! > 0 ? { color: names[k]!, share: counts[k]! / total } : null;
}

// ---- background and lighting -----------------------------------------------------------------------------------

export function allBackgrounds(): Background[] {
  const out: Background[] = BACKGROUND_COLOR_NAMES.map((color) => ({ kind: 'solid', color }));
  for (const from of BACKGROUND_COLOR_NAMES)
    for (const to of BACKGROUND_COLOR_NAMES) if (from !== to) out.push({ kind: 'gradient', from, to });
  return out;
}

/** Mean absolute error (per channel) of the output on the given pixels against a background under a look. */
export function backgroundError(img: RGBImage, pixels: number[], bg: Background, look: Look): number {
  if (pixels.length === 0) return Infinity;
  const rows = new Map<number, RGB>();
  let err = 0;
  for (const i of pixels) {
    const y = Math.floor(i / img.width);
    let c = rows.get(y);
    if (!c) rows.set(y, (c = lit(backgroundRow(bg, y, img.height), look)));
    const p = i * 3;
    err += Math.abs(img.data[p]! - c[0]) + Math.abs(img.data[p + 1]! - c[1]) + Math.abs(img.data[p + 2]! - c[2]);
  }
  return err / (pixels.length * 3);
}

/** Accept a background / lighting reading when the mean absolute error is below this (scaled by lighting gain). */
export const BACKGROUND_TOLERANCE = 10;

/** Which background (of all 64) and which lighting the given background pixels show; null if none fits. */
export function readBackground(
  img: RGBImage,
  pixels: number[],
  grayscale = false,
): { background: Background; time: TimeOfDay; error: number } | null {
  let best: { background: Background; time: TimeOfDay; error: number } | null = null;
  for (const time of ['day', 'night'] as const) {
    for (const background of allBackgrounds()) {
      const error = backgroundError(img, pixels, background, { time, grayscale });
      if (!best || error < best.error) best = { background, time, error };
    }
  }
  if (!best || best.error > BACKGROUND_TOLERANCE * lightingGain(best.time)) return null;
  return best;
}

// ---- text -------------------------------------------------------------------------------------------------------

/** Read the word written in colour c inside a search rectangle (fractions of the side), ignoring the `exclude`
 * rectangles (other items): template matching per letter. */
export function readWord(img: RGBImage, area: Rect, c: RGB, look: Look, exclude: Rect[] = []): string | null {
  const S = img.width;
  const unit = TEXT_UNIT * S;
  const want = lit(c, look);
  const tol = tolerance(look);
  const x0 = Math.max(0, Math.floor(area[0] * S));
  const y0 = Math.max(0, Math.floor(area[1] * S));
  const x1 = Math.min(S, Math.ceil(area[2] * S));
  const y1 = Math.min(img.height, Math.ceil(area[3] * S));
  const excluded = exclude.map((r) => pixelRect(r, S, 0));
  const ink = (x: number, y: number): boolean => {
    if (x < 0 || y < 0 || x >= S || y >= img.height) return false;
    if (excluded.some(([a, b, c2, d]) => x >= a && x < c2 && y >= b && y < d)) return false;
    const p = (y * S + x) * 3;
    return pixelDistance(img, p, want) <= tol;
  };
  let bx0 = Infinity,
    by0 = Infinity,
    bx1 = -Infinity,
    by1 = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (!ink(x, y)) continue;
      bx0 = Math.min(bx0, x);
      by0 = Math.min(by0, y);
      bx1 = Math.max(bx1, x + 1);
      by1 = Math.max(by1, y + 1);
    }
  }
  if (!Number.isFinite(bx0)) return null;
  // every glyph has ink on its top and bottom rows, so the ink box gives the text's top; its left edge is the first
  // letter's left edge, or one cell further right when the word starts with a letter like I (blank first column)
  const cells = (bx1 - bx0) / unit;
  const n = Math.round((cells + 1) / GLYPH_ADVANCE);
  if (n < 1 || n > 12 || Math.abs((by1 - by0) / unit - GLYPH_H) > 1.5) return null;
  let bestWord: string | null = null;
  let bestCost = Infinity;
  for (const shift of [0, -1]) {
    let word = '';
    let cost = 0;
    for (let i = 0; i < n; i++) {
      const ox = bx0 + (i * GLYPH_ADVANCE + shift) * unit;
      const bits = new Uint8Array(GLYPH_W * GLYPH_H);
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          bits[gy * GLYPH_W + gx] = ink(Math.floor(ox + (gx + 0.5) * unit), Math.floor(by0 + (gy + 0.5) * unit))
            ? 1
            : 0;
        }
      }
      let letter = '?';
      let d = Infinity;
      for (const ch of LETTERS) {
        const g = GLYPHS.get(ch)!;
        let e = 0;
        for (let k = 0; k < g.length; k++) e += g[k] === bits[k] ? 0 : 1;
        if (e < d) {
          d = e;
          letter = ch;
        }
      }
      word += d <= 3 ? letter : '?';
      cost += d;
    }
    if (cost < bestCost) {
      bestCost = cost;
      bestWord = word;
    }
  }
  return bestWord;
}

// ---- characters ------------------------------------------------------------------------------------------------

// The sprites of all identities drawn into a box depend only on the box's side, its sub-pixel offset and the look;
// a benchmark meets few distinct combinations, so they are cached (-1 marks transparent pixels).
const SPRITE_CACHE = new Map<string, Int16Array[]>();

function spriteTable(side: number, fx: number, fy: number, bw: number, bh: number, look: Look): Int16Array[] {
  const key = `${side}|${fx}|${fy}|${bw}|${bh}|${look.time}|${look.grayscale}`;
  let table = SPRITE_CACHE.get(key);
  if (table) return table;
  table = [];
  for (let id = 0; id < IDENTITY_COUNT; id++) {
    const t = identityTraits(id);
    const sp = new Int16Array(bw * bh * 3).fill(-1);
    for (let y = 0; y < bh; y++) {
      const v = (y + 0.5 - fy) / side;
      for (let x = 0; x < bw; x++) {
        const u = (x + 0.5 - fx) / side;
        const c = u >= 0 && u < 1 && v >= 0 && v < 1 ? spriteAt(t, u, v) : null;
        if (c) sp.set(lit(c, look), (y * bw + x) * 3);
      }
    }
    table.push(sp);
  }
  if (SPRITE_CACHE.size > 64) SPRITE_CACHE.delete(SPRITE_CACHE.keys().next().value!);
  SPRITE_CACHE.set(key, table);
  return table;
}

/** The whole-pixel box a character at this place covers in an S-pixel image, and the sprite's offset inside it. */
function spriteBox(place: Pick<CharacterPlacement, 'size' | 'x' | 'y'>, S: number) {
  const r = characterRect({ ...place, identity: 0 });
  const side = CHARACTER_SIZES[place.size] * S;
  const ox = r[0] * S;
  const oy = r[1] * S;
  const bx0 = Math.floor(ox);
  const by0 = Math.floor(oy);
  return { side, bx0, by0, bw: Math.ceil(ox + side) - bx0, bh: Math.ceil(oy + side) - by0, fx: ox - bx0, fy: oy - by0 };
}

/** Accept an identity reading when the mean absolute error over the box is below this (scaled by lighting gain). */
export const IDENTITY_TOLERANCE = 16;

/**
 * Which of the 360 identities is drawn in the character's box: render every identity (over the background seen
 * beside the box) and keep the one with the lowest mean absolute error; the 8 best are retried shifted by up to
 * 2 pixels.
 */
export function readIdentity(
  img: RGBImage,
  place: Pick<CharacterPlacement, 'size' | 'x' | 'y'>,
  bg: Background,
  look: Look,
): { identity: number; error: number } | null {
  const S = img.width;
  const { side, bx0, by0, bw, bh, fx, fy } = spriteBox(place, S);
  const SHIFT = 2;
  // the output crop, with a SHIFT-pixel frame (pixels outside the image count as black)
  const cw = bw + 2 * SHIFT;
  const ch = bh + 2 * SHIFT;
  const crop = new Float32Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const gx = bx0 - SHIFT + x;
      const gy = by0 - SHIFT + y;
      if (gx < 0 || gy < 0 || gx >= S || gy >= img.height) continue;
      const p = (gy * S + gx) * 3;
      crop.set([img.data[p]!, img.data[p + 1]!, img.data[p + 2]!], (y * cw + x) * 3);
    }
  }
  // The background behind the sprite is read from the output itself: per row, the mean of the pixels just left and
  // right of the box (items keep a margin, so those are background). Then a background edit elsewhere in the chain
  // does not disturb the identity reading. Falls back to the expected background where both sides are off-image.
  const bgRows = Array.from({ length: bh }, (_, y): RGB => {
    const gy = by0 + y;
    const sides = [bx0 - 1, bx0 + bw].filter((x) => x >= 0 && x < S && gy >= 0 && gy < img.height);
    if (sides.length === 0) return lit(backgroundRow(bg, gy, img.height), look);
    const c = [0, 0, 0];
    for (const x of sides) for (let k = 0; k < 3; k++) c[k]! += img.data[(gy * S + x) * 3 + k]! / sides.length;
    return [c[0]!, c[1]!, c[2]!];
  });
  const sprites = spriteTable(side, fx, fy, bw, bh, look);
  const renderCandidate = (id: number): Float32Array => {
    const sp = sprites[id]!;
    const cand = new Float32Array(bw * bh * 3);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const i = (y * bw + x) * 3;
        if (sp[i]! < 0) cand.set(bgRows[y]!, i);
        else {
          cand[i] = sp[i]!;
          cand[i + 1] = sp[i + 1]!;
          cand[i + 2] = sp[i + 2]!;
        }
      }
    }
    return cand;
  };
  /** mean absolute error at shift (sx, sy); stops early (returning Infinity) once it exceeds `bound` */
  const errorAt = (cand: Float32Array, sx: number, sy: number, bound = Infinity): number => {
    const total = bw * bh * 3;
    const limit = bound * total;
    let err = 0;
    for (let y = 0; y < bh; y++) {
      const crow = ((y + sy) * cw + sx) * 3;
      const krow = y * bw * 3;
      for (let k = 0; k < bw * 3; k++) err += Math.abs(crop[crow + k]! - cand[krow + k]!);
      if (err > limit) return Infinity;
    }
    return err / total;
  };
  // stage 1: every identity at the expected place, keeping the 8 best; stage 2: those 8 at every shift
  const KEEP = 8;
  const ranked: { identity: number; error: number; cand: Float32Array }[] = [];
  for (let id = 0; id < IDENTITY_COUNT; id++) {
    const cand = renderCandidate(id);
    const bound = ranked.length < KEEP ? Infinity : ranked[KEEP - 1]!.error;
    const error = errorAt(cand, SHIFT, SHIFT, bound);
    if (error === Infinity) continue;
    ranked.push({ identity: id, error, cand });
    ranked.sort((a, b) => a.error - b.error);
    if (ranked.length > KEEP) ranked.pop();
  }
  let best: { identity: number; error: number } | null = null;
  for (const r of ranked) {
    for (let sy = 0; sy <= 2 * SHIFT; sy++) {
      for (let sx = 0; sx <= 2 * SHIFT; sx++) {
        const error = sx === SHIFT && sy === SHIFT ? r.error : errorAt(r.cand, sx, sy);
        if (!best || error < best.error) best = { identity: r.identity, error };
      }
    }
  }
  if (!best || best.error > IDENTITY_TOLERANCE * lightingGain(look.time)) return null;
  return best;
}

/**
 * Is this identity drawn, at this size, with its centre at one of `centres`? The words of an edit name a region, not
 * a place, so the analyzers look for the character over every centre the region allows. Each centre is first scored
 * cheaply — the mean absolute error of the identity's own opaque sprite pixels there — and the 3 best are then read
 * against all identities (readIdentity, which also tries ±2 pixels): the answer needs the same positive evidence as
 * at a known place.
 */
export function identityAmong(
  img: RGBImage,
  identity: number,
  size: CharacterPlacement['size'],
  centres: { x: number; y: number }[],
  bg: Background,
  look: Look,
): boolean {
  const S = img.width;
  const scored = centres.map((p) => {
    const { side, bx0, by0, bw, bh, fx, fy } = spriteBox({ ...p, size }, S);
    const sp = spriteTable(side, fx, fy, bw, bh, look)[identity]!;
    let err = 0;
    let n = 0;
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const i = (y * bw + x) * 3;
        if (sp[i]! < 0) continue;
        const gx = bx0 + x;
        const gy = by0 + y;
        const inside = gx >= 0 && gy >= 0 && gx < S && gy < img.height;
        for (let k = 0; k < 3; k++) err += Math.abs((inside ? img.data[(gy * S + gx) * 3 + k]! : 0) - sp[i + k]!);
        n += 3;
      }
    }
    return { p, error: err / Math.max(1, n) };
  });
  scored.sort((a, b) => a.error - b.error);
  return scored.slice(0, 3).some(({ p }) => readIdentity(img, { size, ...p }, bg, look)?.identity === identity);
}
