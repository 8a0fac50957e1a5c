// The one image type of the project: 8-bit RGB, row-major, interleaved (r,g,b per pixel).
// The synthetic world draws into it, the pipeline reads and writes it, the benchmark compares it.
import { statSync } from 'node:fs';
import sharp from 'sharp';
import { UserError } from '../errors.ts';

export interface RGBImage {
  width: number;
  height: number;
  /** length width*height*3, pixel (x,y) channel c at (y*width + x)*3 + c */
  data: Uint8Array;
}

/** Largest image we accept as input (pixels). Kontext buckets are ~1 MP; larger inputs are resized down anyway. */
export const MAX_INPUT_PIXELS = 64 * 1024 * 1024;

/**
 * The formats readImage decodes: raster images only. SVG (a renderer that follows links to files beside the
 * drawing), libvips' own formats and anything else sharp may be built with are refused by their header.
 */
const RASTER_FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

export function createImage(width: number, height: number, fill: [number, number, number] = [0, 0, 0]): RGBImage {
  const data = new Uint8Array(width * height * 3);
  if (data.length === 0) return { width, height, data };
  data.set(fill, 0);
  for (let n = 3; n < data.length; n *= 2) data.copyWithin(n, 0, Math.min(n, data.length - n)); // doubling copies
  return { width, height, data };
}

/** An error's message up to its first line break, without trailing punctuation (sharp's end in ':' or '\n'). */
function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]
    .trim()
    .replace(/[:.]+$/, '');
}

/** Bytes in a path's file or a buffer (-1 when the path cannot be read: sharp's own error says why). */
function byteLength(source: string | Uint8Array): number {
  if (typeof source !== 'string') return source.length;
  try {
    return statSync(source).size;
  } catch {
    return -1;
  }
}

/**
 * Decode PNG/JPEG/WebP (also GIF, TIFF, HEIF/AVIF; see RASTER_FORMATS) from a path or bytes into RGB (alpha is
 * dropped, as PIL .convert("RGB")), turned upright by its EXIF orientation as viewers show it (diffusers'
 * load_image does the same with exif_transpose; a phone's portrait photo is stored as landscape pixels plus a tag).
 */
export async function readImage(source: string | Uint8Array): Promise<RGBImage> {
  const what = typeof source === 'string' ? `'${source}'` : 'the given bytes';
  let meta: { width?: number; height?: number; format?: string };
  try {
    meta = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (err) {
    // an empty file (an upload or a copy that wrote nothing) says so instead of libvips' "unsupported image format"
    if (byteLength(source) === 0) throw new UserError(`${what} is empty (0 bytes). Give a PNG, JPEG or WebP file.`);
    throw new UserError(`cannot read an image from ${what}: ${firstLine(err)}. Give a PNG, JPEG or WebP file.`, {
      cause: err,
    });
  }
  if (!RASTER_FORMATS.has(meta.format ?? '')) {
    throw new UserError(
      `${what} is ${meta.format === 'svg' ? 'an SVG drawing' : `a '${meta.format}' file`}, ` +
        `not a picture kontext reads. Give a PNG, JPEG or WebP file.`,
    );
  }
  const { width = 0, height = 0 } = meta;
  if (width === 0 || height === 0) throw new UserError(`image ${what} has zero size (${width}x${height})`);
  if (width * height > MAX_INPUT_PIXELS) {
    throw new UserError(
      `image ${what} is ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, above the limit of ` +
        `${MAX_INPUT_PIXELS / (1024 * 1024)} MP; downscale it first (Kontext works at about 1 MP anyway)`,
    );
  }
  // the same bound again, enforced by libvips on what it decodes (the first page's header)
  const { data, info } = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, autoOrient: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      // the header was readable, the pixels are not: typically a file cut short by an interrupted download or copy
      throw new UserError(
        `cannot decode the image in ${what} (${firstLine(err)}): the file is truncated or corrupt. ` +
          `Give a complete PNG, JPEG or WebP file.`,
      );
    });
  if (info.channels !== 3) throw new UserError(`image ${what} decoded to ${info.channels} channels, expected RGB`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * The share of an image's pixels that are not opaque (alpha < 255; 0 without an alpha channel). readImage drops
 * alpha and keeps the colours stored under it (as PIL's convert("RGB") and so diffusers do), which a viewer never
 * shows — often black — so callers say so when this is above 0.
 */
export async function transparentShare(source: string | Uint8Array): Promise<number> {
  const meta = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  if (!meta.hasAlpha) return 0;
  const { data } = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return clearShareRGBA(data);
}

/** The share of RGBA pixels (4 bytes each) whose alpha is below 255: the counting behind transparentShare. */
export function clearShareRGBA(rgba: Uint8Array | Uint8ClampedArray): number {
  let n = 0;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i]! < 255) n++;
  return rgba.length ? n / (rgba.length / 4) : 0;
}

/** A transparent share as a note writes it: "50.0", or "< 0.1" for a few pixels of a large picture. */
export function percentText(share: number): string {
  return share < 0.001 ? '< 0.1' : (100 * share).toFixed(1);
}

/** The note for a transparent input named `name` (a path, or "images[0]"): what the model sees there, and the fix. */
export function transparencyNote(name: string, share: number): string {
  return (
    `${name} is ${percentText(share)} % transparent; its transparent pixels are read with the colours stored ` +
    'under them (often black; diffusers reads them the same way) and the answer is opaque: flatten the picture ' +
    'onto a background first if that is not what you want'
  );
}

export async function encodePng(img: RGBImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

export async function writePng(img: RGBImage, path: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, await encodePng(img));
}

/** The formats we write; the file name's extension says which (see imageFormatOf). */
export type ImageFormat = 'png' | 'jpeg' | 'webp';
export const IMAGE_EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

/** The format a file name asks for by its extension (case-insensitive), or null for anything else. */
export function imageFormatOf(path: string): ImageFormat | null {
  const m = /\.[^./\\]+$/.exec(path);
  return (m && IMAGE_EXTENSIONS[m[0].toLowerCase()]) || null;
}

/** Encode as PNG (lossless), JPEG (quality 95) or WebP (lossless). */
export async function encodeImage(img: RGBImage, format: ImageFormat): Promise<Buffer> {
  if (format === 'png') return encodePng(img);
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  return (
    format === 'jpeg' ? s.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }) : s.webp({ lossless: true })
  ).toBuffer();
}
