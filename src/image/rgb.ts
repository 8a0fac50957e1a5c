// The one image type of the project: 8-bit RGB, row-major, interleaved (r,g,b per pixel).
// The synthetic world draws into it, the pipeline reads and writes it, the benchmark compares it.
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

export function createImage(width: number, height: number, fill: [number, number, number] = [0, 0, 0]): RGBImage {
  const data = new Uint8Array(width * height * 3);
  if (data.length === 0) return { width, height, data };
  data.set(fill, 0);
  for (let n = 3; n < data.length; n *= 2) data.copyWithin(n, 0, Math.min(n, data.length - n)); // doubling copies
  return { width, height, data };
}

/** Decode PNG/JPEG/WebP/... (anything sharp reads) from a path or bytes into RGB (alpha is dropped, as PIL .convert("RGB")). */
export async function readImage(source: string | Uint8Array): Promise<RGBImage> {
  const what = typeof source === 'string' ? `'${source}'` : 'the given bytes';
  let meta: { width?: number; height?: number };
  try {
    meta = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new UserError(`cannot read an image from ${what}: ${(err as Error).message}. Give a PNG, JPEG or WebP file.`);
  }
  const { width = 0, height = 0 } = meta;
  if (width === 0 || height === 0) throw new UserError(`image ${what} has zero size (${width}x${height})`);
  if (width * height > MAX_INPUT_PIXELS) {
    throw new UserError(
      `image ${what} is ${width}x${height} = ${(width * height / 1e6).toFixed(1)} MP, above the limit of ` +
        `${MAX_INPUT_PIXELS / (1024 * 1024)} MP; downscale it first (Kontext works at about 1 MP anyway)`,
    );
  }
  const { data, info } = await sharp(source, { limitInputPixels: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new UserError(`image ${what} decoded to ${info.channels} channels, expected RGB`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
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
