// A global colour change, read off the model's output: the output step's companion for global edits.
//
// The output step (preserve.ts) keeps the input's own pixels wherever the model did not change them. A global
// tone edit — night lighting, grayscale — changes every pixel, so the step passes the model's pixels through
// everywhere, and with them the model's blur: small objects drawn again at night come back as smudges, a grey
// image keeps colour fringes at its edges. Yet such an edit is one map of colours, the same at every pixel:
//
//   output(p) ≈ M · [r, g, b, 1](roundTrip(p))        M: 3×4, affine in the colour (night: a gain and a floor
//                                                    per channel; grayscale: the luma row three times)
//
// When one affine map explains nearly the whole output, the step can keep the input's pixels *through that map*:
// compare the output with M(roundTrip) instead of roundTrip, and composite over M(input) instead of input. What
// the map explains comes from the input, crisp and at the caller's size; what it does not (an object the edit
// also changed) still comes from the model.
//
// When is the map used? Only for a change the identity does not explain (most pixels moved by more than CHANGED
// levels: local edits move at most a fifth, global ones nearly all) and the map does (at least `explain` of the
// pixels within FIT levels of it). A new background is not a colour map — the objects keep their colours while
// the background's changes — so the map leaves too many pixels unexplained and the step stays as it was.
// The same holds for one edited region (regionColorMaps): a recolour sends the object's colours to new ones and
// keeps the rest, a removal sends them to the flat ground around — one affine map over the region, and the region
// can come from the input through it, its outlines and stripes crisp; a shape drawn anew (an add, the new place of
// a moved object) sends one input colour to several, no map explains it, and it stays the model's.
// No ground truth and no reading of the instruction: only the output and the input's own round trip.

import type { RGBImage } from '../image/rgb.ts';

/** A pixel moved by more than this (0–255, any channel) has changed. */
export const CHANGED = 8;
/** A pixel within this of the map's prediction (0–255, every channel) is explained by the map. */
export const FIT = 12;

/** An affine colour map: out_c = Σ_k m[c·4 + k]·[r, g, b, 1]_k, in 0–255 units. */
export type ColorMap = Float64Array;

/** The share of pixels whose largest channel difference between `a` and map(`b`) exceeds `tol`. */
function shareBeyond(a: RGBImage, b: RGBImage, tol: number, map?: ColorMap): number {
  let n = 0;
  const px = a.width * a.height;
  for (let p = 0; p < px; p++) if (offBy(map, a, b, p, tol)) n++;
  return n / px;
}

const scratch = [0, 0, 0];

/** Whether pixel p of `a` differs from the map applied to pixel p of `b` by more than `tol` in some channel. */
function offBy(map: ColorMap | undefined, a: RGBImage, b: RGBImage, p: number, tol: number): boolean {
  apply3(map, b.data, p * 3, scratch);
  for (let c = 0; c < 3; c++) if (Math.abs(a.data[p * 3 + c] - scratch[c]) > tol) return true;
  return false;
}

/** dst[i…i+2] ← map(src[i…i+2]), rounded and clamped to 0–255. */
function mapInto(map: ColorMap, src: ArrayLike<number>, dst: Uint8Array, i: number): void {
  apply3(map, src, i, scratch);
  for (let c = 0; c < 3; c++) dst[i + c] = Math.min(255, Math.max(0, Math.round(scratch[c])));
}

/** y ← map([r, g, b, 1] at data[i…]) (the identity when map is undefined). */
function apply3(map: ColorMap | undefined, data: ArrayLike<number>, i: number, y: number[]): void {
  const r = data[i];
  const g = data[i + 1];
  const b = data[i + 2];
  if (!map) {
    y[0] = r;
    y[1] = g;
    y[2] = b;
    return;
  }
  for (let c = 0; c < 3; c++) y[c] = map[c * 4] * r + map[c * 4 + 1] * g + map[c * 4 + 2] * b + map[c * 4 + 3];
}

/**
 * Least squares of output ≈ M·[roundTrip, 1] over the pixels `use` selects, pulled gently towards the identity
 * (a scene of two or three colours does not fix all twelve numbers; the pull keeps the rest sensible).
 */
function fitMap(output: RGBImage, roundTrip: RGBImage, use: (p: number) => boolean): ColorMap {
  const A = new Float64Array(16); // Σ a aᵀ, a = [r, g, b, 1] / 255
  const B = new Float64Array(12); // Σ o_c a, per output channel c
  let n = 0;
  for (let p = 0; p < output.width * output.height; p++) {
    if (!use(p)) continue;
    n++;
    const a = [roundTrip.data[p * 3] / 255, roundTrip.data[p * 3 + 1] / 255, roundTrip.data[p * 3 + 2] / 255, 1];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) A[i * 4 + j] += a[i] * a[j];
      for (let c = 0; c < 3; c++) B[c * 4 + i] += (output.data[p * 3 + c] / 255) * a[i];
    }
  }
  const ridge = 1e-6 * Math.max(n, 1);
  const M = new Float64Array(12);
  for (let c = 0; c < 3; c++) {
    const S = Float64Array.from(A);
    const rhs = B.slice(c * 4, c * 4 + 4);
    for (let i = 0; i < 4; i++) {
      S[i * 4 + i] += ridge;
      if (i === c) rhs[i] += ridge; // towards out_c = in_c
    }
    const w = solve4(S, rhs);
    for (let k = 0; k < 4; k++) M[c * 4 + k] = k === 3 ? w[k] * 255 : w[k];
  }
  return M;
}

/** x with S x = b for a symmetric positive definite 4×4 S (Gaussian elimination with partial pivoting). */
function solve4(S: Float64Array, b: Float64Array): Float64Array {
  const m = Array.from({ length: 4 }, (_, i) => [...S.slice(i * 4, i * 4 + 4), b[i]]);
  for (let k = 0; k < 4; k++) {
    let piv = k;
    for (let i = k + 1; i < 4; i++) if (Math.abs(m[i][k]) > Math.abs(m[piv][k])) piv = i;
    [m[k], m[piv]] = [m[piv], m[k]];
    for (let i = k + 1; i < 4; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < 5; j++) m[i][j] -= f * m[k][j];
    }
  }
  const x = new Float64Array(4);
  for (let i = 3; i >= 0; i--) {
    let s = m[i][4];
    for (let j = i + 1; j < 4; j++) s -= m[i][j] * x[j];
    x[i] = s / m[i][i];
  }
  return x;
}

/**
 * The global colour map the model applied, or null when there is none to use: the identity explains the output
 * (a local edit), or no affine map explains at least `explain` of its pixels within FIT levels (a new
 * background, a restyle). Fitted three times, each time on the pixels the previous map explains, so the pixels
 * an edit changed otherwise do not pull it.
 */
export function globalColorMap(output: RGBImage, roundTrip: RGBImage, explain: number): ColorMap | null {
  if (shareBeyond(output, roundTrip, CHANGED) <= 0.5) return null;
  const map = robustMap(output, roundTrip, () => true);
  return 1 - shareBeyond(output, roundTrip, FIT, map) >= explain ? map : null;
}

/** Fitted three times over the pixels `use` selects, each time on those the previous map explains (within FIT). */
function robustMap(output: RGBImage, roundTrip: RGBImage, use: (p: number) => boolean): ColorMap {
  let map = fitMap(output, roundTrip, use);
  for (let round = 0; round < 2; round++) {
    const m = map;
    map = fitMap(output, roundTrip, (p) => use(p) && explains(m, output, roundTrip, p));
  }
  return map;
}

/** Whether pixel p of the output is within FIT levels of the map applied to the round trip, in every channel. */
function explains(map: ColorMap, output: RGBImage, roundTrip: RGBImage, p: number): boolean {
  return !offBy(map, output, roundTrip, p, FIT);
}

/**
 * The map with every channel's row their mean: its answers are grey (r = g = b). A grayscale edit's map fitted to a
 * model's answer leaves saturated colours faintly coloured where the answer had few of them to fit.
 */
export function grayMap(map: ColorMap): ColorMap {
  const gray = new Float64Array(12);
  for (let k = 0; k < 4; k++) {
    const mean = (map[k] + map[4 + k] + map[8 + k]) / 3;
    for (let c = 0; c < 3; c++) gray[c * 4 + k] = mean;
  }
  return gray;
}

/**
 * A gain and an offset per channel (out_c = a_c·in_c + b_c), fitted on the pixels `map` explains: a change of
 * lighting (night ↔ day). A full affine map fitted to a scene of a few colours mixes the channels where its pixels do
 * not pin them down, and sends the colour of an object the answer barely shows astray (a pink square made grey).
 */
export function lightingMap(output: RGBImage, roundTrip: RGBImage, map: ColorMap): ColorMap {
  const light = new Float64Array(12);
  const n = output.width * output.height;
  const explained = Uint8Array.from({ length: n }, (_, p) => (explains(map, output, roundTrip, p) ? 1 : 0));
  for (let c = 0; c < 3; c++) {
    // least squares of out on in over the explained pixels, pulled gently towards out = in (as fitMap)
    let m = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let p = 0; p < n; p++) {
      if (!explained[p]) continue;
      const x = roundTrip.data[p * 3 + c] / 255;
      const y = output.data[p * 3 + c] / 255;
      m++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const ridge = 1e-6 * Math.max(m, 1);
    // [sxx + r, sx; sx, m + r] [a; b] = [sxy + r; sy]
    const a11 = sxx + ridge;
    const a22 = m + ridge;
    const det = a11 * a22 - sx * sx;
    const gain = ((sxy + ridge) * a22 - sx * sy) / det;
    const offset = (a11 * sy - sx * (sxy + ridge)) / det;
    light[c * 4 + c] = gain;
    light[c * 4 + 3] = offset * 255;
  }
  return light;
}

/** The image with every pixel passed through the map (rounded, clamped to 0–255). */
export function applyColorMap(img: RGBImage, map: ColorMap): RGBImage {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i += 3) mapInto(map, img.data, data, i);
  return { width: img.width, height: img.height, data };
}

/**
 * The same idea per edited region: where the edit mask (> 0) forms a connected region whose change one affine
 * map explains (at least `explain` of its pixels within FIT levels) — a recolour, a removal onto a flat
 * background —, the region's pixels become the map applied to `input` (the fitted input at the model's size):
 * the input's own shapes in the model's new colours. Regions no map explains (a shape drawn anew) keep the model's.
 */
export function regionColorMaps(
  output: RGBImage,
  roundTrip: RGBImage,
  input: RGBImage,
  mask: Float32Array,
  explain: number,
): RGBImage {
  const W = output.width;
  const H = output.height;
  const label = new Int32Array(W * H).fill(-1);
  const data = output.data.slice();
  for (let s = 0; s < W * H; s++) {
    if (mask[s] <= 0 || label[s] >= 0) continue;
    const region: number[] = [];
    label[s] = s;
    for (let stack = [s]; stack.length; ) {
      const p = stack.pop()!;
      region.push(p);
      const px = p % W;
      for (const q of [p - W, p + W, px > 0 ? p - 1 : -1, px < W - 1 ? p + 1 : -1])
        if (q >= 0 && q < W * H && mask[q] > 0 && label[q] < 0) {
          label[q] = s;
          stack.push(q);
        }
    }
    if (region.length < 4) continue;
    const map = robustMap(output, roundTrip, (p) => label[p] === s);
    if (region.filter((p) => explains(map, output, roundTrip, p)).length < explain * region.length) continue;
    for (const p of region) mapInto(map, input.data, data, p * 3);
  }
  return { width: W, height: H, data };
}
