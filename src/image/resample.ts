// Lanczos-3 resampling in plain TypeScript, for where sharp (libvips, native) cannot run: a browser page.
//
// Separable, as PIL and libvips do it: each output pixel is a weighted sum of the input pixels around the point it
// maps to, with weights L(d) = sinc(d)·sinc(d/3) for |d| < 3 (d in input pixels, stretched by the shrink factor when
// shrinking, so that the kernel also averages away what the smaller image cannot hold), normalised to sum to 1.
// Rows first into a float buffer, then columns, then rounded and clamped to 0–255. Within a few levels of sharp's
// lanczos3 (test/image/resample.test.ts); the Node pipeline keeps sharp, which is faster on large images.

import type { RGBImage } from './rgb.ts';

const A = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const p = Math.PI * x;
  return Math.sin(p) / p;
}

/** For each of `outN` output positions: the first input index and the normalised weights from there on. */
function weights(inN: number, outN: number): { first: Int32Array; taps: number; w: Float32Array } {
  const scale = inN / outN;
  const stretch = Math.max(scale, 1);
  const support = A * stretch;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outN);
  const w = new Float32Array(outN * taps);
  for (let o = 0; o < outN; o++) {
    const centre = (o + 0.5) * scale; // in input coordinates, pixel i covering [i, i + 1)
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inN, Math.ceil(centre + support));
    first[o] = lo;
    let sum = 0;
    for (let i = lo; i < hi && i - lo < taps; i++) {
      const d = (i + 0.5 - centre) / stretch;
      const v = Math.abs(d) < A ? sinc(d) * sinc(d / A) : 0;
      w[o * taps + i - lo] = v;
      sum += v;
    }
    if (sum !== 0) for (let k = 0; k < taps; k++) w[o * taps + k] /= sum;
  }
  return { first, taps, w };
}

/** `img` resampled to width×height (stretching if the aspect differs), Lanczos-3. */
export function resampleLanczos(img: RGBImage, width: number, height: number): RGBImage {
  if (img.width === width && img.height === height) return img;
  if (!(width >= 1 && height >= 1 && Number.isInteger(width) && Number.isInteger(height)))
    throw new RangeError(`resampleLanczos: size ${width}x${height} must be positive integers`);
  const W = img.width;
  const H = img.height;
  // rows: H × width × 3
  const h = weights(W, width);
  const rows = new Float32Array(H * width * 3);
  for (let y = 0; y < H; y++) {
    for (let o = 0; o < width; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = h.first[o]!;
      const n = Math.min(h.taps, W - base);
      for (let k = 0; k < n; k++) {
        const wk = h.w[o * h.taps + k]!;
        const p = (y * W + base + k) * 3;
        r += wk * img.data[p]!;
        g += wk * img.data[p + 1]!;
        b += wk * img.data[p + 2]!;
      }
      const q = (y * width + o) * 3;
      rows[q] = r;
      rows[q + 1] = g;
      rows[q + 2] = b;
    }
  }
  // columns: height × width × 3
  const v = weights(H, height);
  const data = new Uint8Array(height * width * 3);
  const clamp = (x: number) => (x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x));
  for (let o = 0; o < height; o++) {
    const base = v.first[o]!;
    const n = Math.min(v.taps, H - base);
    for (let x = 0; x < width * 3; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v.w[o * v.taps + k]! * rows[(base + k) * width * 3 + x]!;
      data[o * width * 3 + x] = clamp(s);
    }
  }
  return { width, height, data };
}
