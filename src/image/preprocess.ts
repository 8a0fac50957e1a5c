// Kontext image preprocessing (../shared/docs/kontext-reference.md §6.1–6.3, §7.5), after BFL `prepare_kontext`:
//
//   ar = W0 / H0 of the input (exact, not rounded)
//   (w, h) = the preferred resolution minimising |ar − w/h|
//            (Python `min` over (|ar − w/h|, w, h): ties → smaller w, h)
//   resize to w × h with Lanczos, aspect NOT preserved exactly (PIL `resize`, no crop)
//   x = uint8 / 127.5 − 1  → [1, 3, h, w] float32 (CHW)
// and the inverse for the decoded output: clamp to [−1, 1], uint8 = trunc(127.5·(x + 1)) (BFL truncates).
//
// The 17 preferred resolutions are all ≈1 MP (area 1024²). Small models work at smaller sizes, so the bucket list
// is a function of an `area`: the same 17 aspect ratios scaled to that area and rounded to multiples of 16
// (for area 1024² this is exactly the reference list).
//
// Resampling uses sharp's lanczos3 (libvips), not PIL's: same filter family, not bit-identical pixels.
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { MAX_INPUT_PIXELS, readImage, type RGBImage } from './rgb.ts';

/** BFL `PREFERED_KONTEXT_RESOLUTIONS`: (width, height), all multiples of 16, ≈1 MP. */
export const KONTEXT_RESOLUTIONS: ReadonlyArray<readonly [width: number, height: number]> = [
  [672, 1568],
  [688, 1504],
  [720, 1456],
  [752, 1392],
  [800, 1328],
  [832, 1248],
  [880, 1184],
  [944, 1104],
  [1024, 1024],
  [1104, 944],
  [1184, 880],
  [1248, 832],
  [1328, 800],
  [1392, 752],
  [1456, 720],
  [1504, 688],
  [1568, 672],
];

/** The area the reference resolutions are designed for. */
export const REFERENCE_AREA = 1024 * 1024;

/** Image sides must be multiples of 16: 8× VAE downsampling, then 2×2 patches. */
export const SIZE_MULTIPLE = 16;
/** Largest target we accept: 4 MP (16384 tokens; Kontext was trained around 1 MP). */
export const MAX_TARGET_PIXELS = 4 * 1024 * 1024;
/** Longest side we accept. */
export const MAX_TARGET_SIDE = 4096;

export interface Size {
  width: number;
  height: number;
}

/** The bucket list for an area: the reference list scaled by √(area / 1024²), sides rounded to multiples of 16. */
export function kontextBuckets(area = REFERENCE_AREA): Size[] {
  if (!(area >= SIZE_MULTIPLE * SIZE_MULTIPLE))
    throw new UserError(`bucket area ${area} is too small (at least ${SIZE_MULTIPLE}² pixels)`);
  if (!(area <= MAX_TARGET_PIXELS)) {
    throw new UserError(
      `bucket area ${area} is too large (at most ${MAX_TARGET_PIXELS} pixels ` +
        `= ${MAX_TARGET_PIXELS / (1024 * 1024)} MP, the output limit); Kontext works best at 1048576 (1024²)`,
    );
  }
  const s = Math.sqrt(area / REFERENCE_AREA);
  const round16 = (x: number) => Math.max(SIZE_MULTIPLE, Math.round((x * s) / SIZE_MULTIPLE) * SIZE_MULTIPLE);
  const seen = new Set<string>();
  const out: Size[] = [];
  for (const [w, h] of KONTEXT_RESOLUTIONS) {
    const b = { width: round16(w), height: round16(h) };
    const id = `${b.width}x${b.height}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(b); // small areas collapse neighbouring ratios onto one size
    }
  }
  return out;
}

/** BFL's bucket choice for an input of width×height: nearest aspect ratio, ties by smaller width, then height. */
export function chooseBucket(width: number, height: number, area = REFERENCE_AREA): Size {
  if (!(width > 0 && height > 0)) throw new UserError(`image has zero size (${width}x${height})`);
  const ar = width / height;
  let best: [number, number, number] | undefined;
  for (const b of kontextBuckets(area)) {
    const key: [number, number, number] = [Math.abs(ar - b.width / b.height), b.width, b.height];
    if (
      !best ||
      key[0] < best[0] ||
      (key[0] === best[0] && (key[1] < best[1] || (key[1] === best[1] && key[2] < best[2])))
    )
      best = key;
  }
  return { width: best![1], height: best![2] };
}

/** Throw a UserError unless width×height is a valid image size for the model. */
export function checkTargetSize(size: Size, what = 'target size'): void {
  const { width, height } = size;
  const desc = `${what} ${width}x${height}`;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new UserError(`${desc}: width and height must be positive integers`);
  if (width % SIZE_MULTIPLE !== 0 || height % SIZE_MULTIPLE !== 0) {
    const fix = (x: number) => Math.max(SIZE_MULTIPLE, Math.round(x / SIZE_MULTIPLE) * SIZE_MULTIPLE);
    throw new UserError(
      `${desc}: both sides must be multiples of ${SIZE_MULTIPLE} (e.g. ${fix(width)}x${fix(height)})`,
    );
  }
  if (width > MAX_TARGET_SIDE || height > MAX_TARGET_SIDE || width * height > MAX_TARGET_PIXELS) {
    throw new UserError(
      `${desc} is too large (limit ${MAX_TARGET_SIDE} per side and ${MAX_TARGET_PIXELS / (1024 * 1024)} MP); ` +
        `Kontext works best around 1 MP`,
    );
  }
}

/**
 * BFL `aspect_ratio_to_height_width`: the size of about `area` pixels with aspect "W:H" (or a number W/H),
 * each side floored to a multiple of 16 — "16:9" gives 1360×768.
 */
export function aspectRatioSize(ratio: string | number, area = REFERENCE_AREA): Size {
  let r: number;
  if (typeof ratio === 'number') r = ratio;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(ratio);
    if (!m) throw new UserError(`aspect ratio '${ratio}' must look like "16:9"`);
    r = Number(m[1]) / Number(m[2]);
  }
  if (!(r > 0 && Number.isFinite(r))) throw new UserError(`aspect ratio ${ratio} must be positive`);
  // Python round
  const roundHalfEven = (x: number) => (x - Math.floor(x) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
  const floor16 = (x: number) => Math.floor(roundHalfEven(x) / SIZE_MULTIPLE) * SIZE_MULTIPLE;
  const size = { width: floor16(Math.sqrt(area * r)), height: floor16(Math.sqrt(area / r)) };
  checkTargetSize(size, `aspect ratio ${ratio} at ${area} pixels gives`);
  return size;
}

/** Lanczos (lanczos3) resize to exactly width×height, stretching if the aspect differs (PIL `resize`). */
export async function resizeLanczos(img: RGBImage, width: number, height: number): Promise<RGBImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
    limitInputPixels: false,
  })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** HWC uint8 → CHW float32 in [−1, 1]: x = u / 127.5 − 1 (numpy float64, then .float(), as BFL). */
export function toCHW(img: RGBImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[c * n + i] = img.data[i * 3 + c] / 127.5 - 1;
  }
  return out;
}

/**
 * CHW float (a decoded [1, 3, h, w] image) → RGB uint8, as BFL `save_image`: clamp to [−1, 1], then
 * uint8 = trunc(127.5·(x + 1)) in float32. NaN becomes 0.
 */
export function toImage(chw: Float32Array, height: number, width: number): RGBImage {
  const n = width * height;
  if (chw.length !== 3 * n)
    throw new RangeError(`toImage: ${chw.length} values, a 3x${height}x${width} image needs ${3 * n}`);
  const F = Math.fround;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const x = Math.min(1, Math.max(-1, chw[c * n + i]));
      data[i * 3 + c] = Number.isNaN(x) ? 0 : Math.trunc(F(127.5 * F(x + 1)));
    }
  }
  return { width, height, data };
}

export interface KontextImage {
  /** [1, 3, height, width] float32 in [−1, 1] */
  data: Float32Array;
  width: number;
  height: number;
  /** the size of the input before resizing */
  source: Size;
}

export interface PreprocessOptions {
  /** bucket area in pixels (default 1024², the reference list) */
  area?: number;
  /** resize to this size instead of the bucket (validated: multiples of 16, within limits) */
  size?: Size;
}

function checkRGB(img: RGBImage): void {
  const { width, height } = img;
  if (!(width > 0 && height > 0)) throw new UserError(`image has zero size (${width}x${height})`);
  if (width * height > MAX_INPUT_PIXELS) {
    throw new UserError(
      `image is ${width}x${height}, above the limit of ${MAX_INPUT_PIXELS / (1024 * 1024)} MP; downscale it first`,
    );
  }
  if (img.data.length !== width * height * 3)
    throw new UserError(`image data has ${img.data.length} bytes, ${width}x${height} RGB needs ${width * height * 3}`);
}

/**
 * The conditioning image as the model sees it: choose the bucket from the input's exact aspect (or take
 * `opts.size`), Lanczos-resize to it and map to [−1, 1] CHW. Accepts a decoded image, a path or encoded bytes
 * (decoded and checked by readImage: not an image, zero size, too many pixels).
 * The default output (target) size of Kontext is this same size (§6.3).
 */
export async function preprocessKontextImage(
  input: RGBImage | string | Uint8Array,
  opts: PreprocessOptions = {},
): Promise<KontextImage> {
  const img = typeof input === 'string' || input instanceof Uint8Array ? await readImage(input) : input;
  checkRGB(img);
  const size = opts.size ?? chooseBucket(img.width, img.height, opts.area);
  if (opts.size) checkTargetSize(opts.size, 'conditioning size');
  const resized = await resizeLanczos(img, size.width, size.height);
  return {
    data: toCHW(resized),
    width: size.width,
    height: size.height,
    source: { width: img.width, height: img.height },
  };
}

/**
 * The output size: the conditioning size unless the caller asks for width/height (validated) or an aspect ratio
 * (BFL `--aspect_ratio`, about `area` pixels).
 */
export function targetSize(
  conditioning: Size,
  opts: { width?: number; height?: number; aspectRatio?: string | number; area?: number } = {},
): Size {
  if (opts.aspectRatio !== undefined) {
    if (opts.width !== undefined || opts.height !== undefined)
      throw new UserError('give either an aspect ratio or a width and height, not both');
    return aspectRatioSize(opts.aspectRatio, opts.area);
  }
  if (opts.width !== undefined || opts.height !== undefined) {
    const size = { width: opts.width ?? conditioning.width, height: opts.height ?? conditioning.height };
    checkTargetSize(size);
    return size;
  }
  return { ...conditioning };
}
