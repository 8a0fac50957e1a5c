// Pixel metrics: PSNR (optionally inside or outside a mask) and SSIM, on 8-bit RGB images.
//
// PSNR = 10 log10(255^2 / MSE). Identical images have infinite PSNR; we cap at MAX_PSNR so results stay finite
// numbers in JSON ("perfect" reads as 100 dB). SSIM follows Wang et al. 2004: 11x11 Gaussian window, sigma 1.5,
// K1 = 0.01, K2 = 0.03, on the luma channel (BT.601), averaged over all valid window positions.

import type { RGBImage } from '../image/rgb.ts';

export const MAX_PSNR = 100;

export function sameSize(a: RGBImage, b: RGBImage): boolean {
  return a.width === b.width && a.height === b.height;
}

/** PSNR over the pixels where `select(i)` is true (all pixels when omitted); null when no pixel is selected. */
export function psnr(a: RGBImage, b: RGBImage, select?: (i: number) => boolean): number | null {
  if (!sameSize(a, b)) throw new Error(`psnr: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  let se = 0;
  let n = 0;
  const pixels = a.width * a.height;
  for (let i = 0; i < pixels; i++) {
    if (select && !select(i)) continue;
    const p = i * 3;
    for (let c = 0; c < 3; c++) {
      const d = a.data[p + c]! - b.data[p + c]!;
      se += d * d;
    }
    n += 3;
  }
  if (n === 0) return null;
  if (se === 0) return MAX_PSNR;
  return Math.min(MAX_PSNR, 10 * Math.log10((255 * 255) / (se / n)));
}

/** PSNR outside an edit mask (mask[i] = 1 where the edit may change pixels): how well the rest was preserved. */
export function uneditedPsnr(output: RGBImage, input: RGBImage, mask: Uint8Array): number | null {
  return psnr(output, input, (i) => mask[i] === 0);
}

function lumaPlane(img: RGBImage): Float64Array {
  const out = new Float64Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const p = i * 3;
    out[i] = 0.299 * img.data[p]! + 0.587 * img.data[p + 1]! + 0.114 * img.data[p + 2]!;
  }
  return out;
}

const WINDOW = 11;
const GAUSS = (() => {
  const g = new Float64Array(WINDOW);
  let s = 0;
  for (let i = 0; i < WINDOW; i++) s += g[i] = Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5));
  return g.map((v) => v / s);
})();

/** Separable 'valid' Gaussian filter: output (w-10) x (h-10). */
function blur(plane: Float64Array, w: number, h: number): Float64Array {
  const ow = w - WINDOW + 1;
  const oh = h - WINDOW + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += GAUSS[k]! * plane[y * w + x + k]!;
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let xx = 0; xx < ow; xx++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += GAUSS[k]! * tmp[(y + k) * ow + xx]!;
      out[y * ow + xx] = s;
    }
  }
  return out;
}

/** Structural similarity of two same-size images (luma), in [-1, 1]; 1 for identical images. */
export function ssim(a: RGBImage, b: RGBImage): number {
  if (!sameSize(a, b)) throw new Error(`ssim: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  const { width: w, height: h } = a;
  if (w < WINDOW || h < WINDOW) throw new Error(`ssim: images must be at least ${WINDOW}x${WINDOW}`);
  const x = lumaPlane(a);
  const y = lumaPlane(b);
  const xx = x.map((v) => v * v);
  const yy = y.map((v) => v * v);
  const xy = x.map((v, i) => v * y[i]!);
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((p) => blur(p, w, h)) as Float64Array[];
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let i = 0; i < mx!.length; i++) {
    const ux = mx![i]!;
    const uy = my![i]!;
    const vx = sxx![i]! - ux * ux;
    const vy = syy![i]! - uy * uy;
    const cxy = sxy![i]! - ux * uy;
    sum += ((2 * ux * uy + C1) * (2 * cxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
  }
  return sum / mx!.length;
}

/** Nearest-neighbour resize, for model outputs that come back at another size than asked. */
export function resizeNearest(img: RGBImage, width: number, height: number): RGBImage {
  if (img.width === width && img.height === height) return img;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      const s = (sy * img.width + sx) * 3;
      data.set(img.data.subarray(s, s + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/** Mean of the finite numbers in a list, null if there are none. */
export function mean(values: (number | null | undefined)[]): number | null {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return n ? s / n : null;
}
