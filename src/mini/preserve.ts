// Keep what the edit did not touch: pixels the model left alone are taken from the input image itself.
//
// A small autoencoder cannot give back a scene exactly (kontext-mini's round trip is ~27 dB: thin strokes blur,
// small words stop reading), so even a perfect transformer would soften every pixel it was asked to keep, and
// a chain of edits would soften them again at every turn. Editing tools answer this by compositing: the edited
// region from the model, the rest from the original.
//
// The edited region is found without any ground truth, by comparing the model's output with the input's own
// round trip through the same autoencoder (decode(encode(input))). Both went through the same decoder, so its
// blur cancels and what differs is what the transformer changed:
//
//   d(p)    = max over r,g,b of |output(p) − roundTrip(p)|          (0…255)
//   edited  = d > threshold, grown by `grow` pixels (max filter)    — the edit's rim belongs to the edit
//   mask    = edited blurred by a 3×3 box                            — a feathered seam
//   result  = mask·output + (1 − mask)·input
//
// Every pixel the model changed by more than the threshold keeps the model's value exactly (its 3×3
// neighbourhood lies inside the grown region, so the blurred mask is 1 there); every other pixel moves towards
// the input by at most the blend. A global edit (daynight, style, background) changes nearly every pixel, so its
// mask covers the image and the output passes through. The mask is computed at the model's resolution and can be
// scaled to the caller's image, so a large input keeps its own full-resolution pixels outside the edit.
//
// What the model changed by mistake passes the threshold like an edit. The shapes the picture shows (mini/seen.ts)
// that the instruction does not name are taken out of the mask (keptShapesMask), so a shape smudged, recoloured or
// wiped by mistake comes back as the input has it — as a user would mask the edit to the thing named.

import type { RGBImage } from '../image/rgb.ts';
import { colorMask, lit, tolerance } from '../bench/read.ts';
import { OBJECT_COLORS, type ObjectColor } from '../world/palette.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { forEachInk, type Shape, SHAPES, type Size, SIZES } from '../world/shapes.ts';

export interface PreserveOptions {
  /** a pixel whose r, g or b differs from the round trip by more than this (0–255) counts as edited */
  threshold: number;
  /** pixels the edited region is grown by before feathering (≥ 1) */
  grow: number;
  /**
   * a pixel whose colourfulness (max − min of r, g, b) differs from the round trip's by more than this also counts
   * as edited: a pastel turned grey moves each channel by less than the threshold; absent = not used
   */
  chroma?: number;
  /**
   * keep the input through the colour map the model applied (colormap.ts), when one explains at least this share of
   * the pixels (0–1) — of the whole image (night lighting, grayscale) or of one edited region (a recolour, a
   * removal onto flat ground): the input's own shapes in the model's colours; absent = not used
   */
  colorMap?: number;
}

/**
 * Pixels taken as they are from a source the model copied (a replaced word's glyph image: glyph.ts; the picture's
 * own thing at its new place: moved.ts), laid over the output step's result: the image, and a mask (1 = taken).
 */
export interface Taken {
  image: RGBImage;
  mask: Float32Array;
  /**
   * the edit is these pixels alone (a shape moved, taken at its new place and its old; a shape resized, at its new
   * size and the ground of its old place; every shape a redraw names, recoloured, restyled or taken away; a shape
   * added): the rest of the answer is the model's noise — a stray
   * fragment of a shape it moved, a restyle's smudge on the ground — and the picture's own pixels are kept there
   */
  alone?: boolean;
}

/** `top` laid over `under` (the same size): top's pixels where its mask is set, under's elsewhere; both masks. */
export function layOver(top: Taken, under: Taken): Taken {
  const image = { ...under.image, data: Uint8Array.from(under.image.data) };
  const mask = Float32Array.from(under.mask);
  for (let p = 0; p < mask.length; p++)
    if (top.mask[p]) {
      image.data.set(top.image.data.subarray(p * 3, p * 3 + 3), p * 3);
      mask[p] = Math.max(mask[p]!, top.mask[p]!);
    }
  return { image, mask };
}

export const DEFAULT_PRESERVE: PreserveOptions = { threshold: 32, grow: 1 };

/** What is wrong with a setting (one rule for the editor and for a model's config.json), or null. */
export function preserveProblem(o: PreserveOptions): string | null {
  if (!(Number.isInteger(o?.grow) && o.grow >= 1)) return `grow must be an integer ≥ 1, got ${o?.grow}`;
  if (!(o.threshold >= 0 && o.threshold < 255)) return `threshold must be from 0 to 254, got ${o.threshold}`;
  if (o.chroma !== undefined && !(o.chroma >= 0 && o.chroma < 255))
    return `chroma must be from 0 to 254, got ${o.chroma}`;
  if (o.colorMap !== undefined && !(o.colorMap > 0 && o.colorMap <= 1))
    return `colorMap must be a share above 0 and at most 1, got ${o.colorMap}`;
  return null;
}

function sameSize(a: RGBImage, b: RGBImage, what: string): void {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`${what}: sizes differ (${a.width}x${a.height} and ${b.width}x${b.height})`);
}

/**
 * Per-pixel edit mask in [0, 1] (1: take the model's pixel), width×height, row-major. `kept`: pixels whose change is
 * no edit (a thing the edit leaves alone, kept as the input has it): they neither count as edited nor grow the mask
 * over the ground around them.
 */
export function editMask(
  output: RGBImage,
  roundTrip: RGBImage,
  o: PreserveOptions = DEFAULT_PRESERVE,
  kept?: ArrayLike<number>,
): Float32Array {
  sameSize(output, roundTrip, 'editMask');
  const problem = preserveProblem(o);
  if (problem) throw new Error(`editMask: ${problem}`);
  const { width: W, height: H } = output;
  const edited = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(output.data[p * 3 + c] - roundTrip.data[p * 3 + c]));
    edited[p] =
      !kept?.[p] &&
      (d > o.threshold || (o.chroma !== undefined && Math.abs(chroma(output, p) - chroma(roundTrip, p)) > o.chroma))
        ? 1
        : 0;
  }
  const grown = boxFilter(edited, W, H, o.grow, (n) => (n > 0 ? 1 : 0));
  return boxFilter(grown, W, H, 1, (n) => n / 9, true);
}

/** max − min of pixel p's r, g, b: 0 for a grey */
function chroma(img: RGBImage, p: number): number {
  const r = img.data[p * 3];
  const g = img.data[p * 3 + 1];
  const b = img.data[p * 3 + 2];
  return Math.max(r, g, b) - Math.min(r, g, b);
}

/**
 * Sum over the (2r+1)² square around each pixel (clamped at the borders: an edge pixel repeats), mapped by f.
 * `clampEdges` false counts only pixels inside the image, true repeats the border pixel (for the blur, so an
 * edit that reaches the border stays 1 there).
 */
function boxFilter(
  m: ArrayLike<number>,
  W: number,
  H: number,
  r: number,
  f: (sum: number) => number,
  clampEdges = false,
): Float32Array {
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++) {
          let yy = y + dy;
          let xx = x + dx;
          if (clampEdges) {
            yy = Math.min(H - 1, Math.max(0, yy));
            xx = Math.min(W - 1, Math.max(0, xx));
          } else if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          s += m[yy * W + xx];
        }
      out[y * W + x] = f(s);
    }
  return out;
}

/** The mask as a gray image (so it can be cut and scaled like the output). */
export function maskImage(mask: Float32Array, width: number, height: number): RGBImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.fill(Math.round(mask[p] * 255), p * 3, p * 3 + 3);
  return { width, height, data };
}

/**
 * A pixel of the composite `result` within `levels` (0–255, every channel) of `original` (the same size) is the
 * original's: a feathered seam's rounding or the model's faint noise on ground it left alone moves a pixel a level or
 * two, and an edit moves it by far more (in a chain, what moved stays moved for every later turn).
 */
export function settled(result: RGBImage, original: RGBImage, levels = 2): RGBImage {
  sameSize(result, original, 'settled');
  const [r, o] = [result.data, original.data];
  const data = Uint8Array.from(r);
  for (let i = 0; i < data.length; i += 3)
    if (
      Math.abs(r[i]! - o[i]!) <= levels &&
      Math.abs(r[i + 1]! - o[i + 1]!) <= levels &&
      Math.abs(r[i + 2]! - o[i + 2]!) <= levels
    )
      data.set(o.subarray(i, i + 3), i);
  return { width: result.width, height: result.height, data };
}

/** mask·edited + (1 − mask)·original; `mask` is a gray image of the same size (its red channel is read). */
export function composite(edited: RGBImage, original: RGBImage, mask: RGBImage): RGBImage {
  sameSize(edited, original, 'composite');
  sameSize(edited, mask, 'composite');
  const data = new Uint8Array(edited.data.length);
  for (let p = 0; p < edited.width * edited.height; p++) {
    const m = mask.data[p * 3] / 255;
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      data[i] = Math.round(m * edited.data[i] + (1 - m) * original.data[i]);
    }
  }
  return { width: edited.width, height: edited.height, data };
}

/**
 * Where the shapes an edit leaves alone are drawn in `image` (the input at the model's size): 1 on the pixels of
 * their silhouettes, at the place and size read (mini/seen.ts) and grown by `grow` pixels, that show the shape's
 * colour by day or by night — its ink, not the ground inside an outline, which a background change recolours — and
 * not where a silhouette meets a shape the edit names (`edited`), whose pixels stay the model's. The editor takes
 * these pixels from the input, so a shape the model smudged or recoloured without being asked comes back whole.
 */
export function keptShapesMask(
  kept: readonly SeenShape[],
  image: RGBImage,
  grow = 1,
  edited: readonly SeenShape[] = [],
): Float32Array {
  const { width: W, height: H } = image;
  const named = silhouettes(edited, W, H, grow);
  const out = new Float32Array(W * H);
  for (const s of kept) {
    const c = OBJECT_COLORS[s.color as ObjectColor];
    if (!c) continue;
    const inks = (['day', 'night'] as const).map((time) => {
      const look = { time, grayscale: false };
      return colorMask(image, lit(c, look), tolerance(look));
    });
    const sil = silhouettes([s], W, H, grow);
    for (let p = 0; p < W * H; p++) if (sil[p] && !named[p] && inks.some((ink) => ink[p])) out[p] = 1;
  }
  return out;
}

/** The median colour (per channel) of `img`'s pixels where `mask` is set, as three bytes (black for an empty mask). */
export function medianColour(img: RGBImage, mask: ArrayLike<number>): Uint8Array {
  const channels: number[][] = [[], [], []];
  for (let p = 0; p < mask.length; p++)
    if (mask[p]) for (let c = 0; c < 3; c++) channels[c]!.push(img.data[p * 3 + c]!);
  return Uint8Array.from(channels.map((v) => v.sort((a, b) => a - b)[v.length >> 1] ?? 0));
}

/** 1 on the pixels of the shapes' silhouettes (filled, whatever their style), grown by `grow` pixels. */
export function silhouettes(shapes: readonly SeenShape[], W: number, H: number, grow: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (const s of shapes) {
    if (s.x === undefined || s.y === undefined || !(s.size && s.size in SIZES) || !SHAPES.includes(s.shape as Shape))
      continue;
    const box = { cx: s.x * W, cy: s.y * H, half: (SIZES[s.size as Size] * W) / 2, unit: W / 64 };
    forEachInk(s.shape as Shape, 'filled', box, W, H, (x, y) => {
      m[y * W + x] = 1;
    });
  }
  return grown(m, W, H, grow);
}

/** The box of a mask's pixels (1 = in), corners included, or null for an empty mask. */
export function maskBox(
  m: ArrayLike<number>,
  W: number,
  H: number,
): [x0: number, y0: number, x1: number, y1: number] | null {
  let [x0, y0, x1, y1] = [W, H, -1, -1];
  for (let p = 0; p < W * H; p++)
    if (m[p]) {
      const [x, y] = [p % W, Math.floor(p / W)];
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  return x1 < 0 ? null : [x0, y0, x1, y1];
}

/** A mask (1 = in) grown by `by` pixels every way. */
export function grown(m: ArrayLike<number>, W: number, H: number, by: number): Uint8Array {
  return Uint8Array.from(boxFilter(m, W, H, by, (n) => (n > 0 ? 1 : 0)));
}
