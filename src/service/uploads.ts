// Uploaded images: base64 of a PNG or JPEG file in a JSON string, optionally as a data: URL
// ("data:image/png;base64,..."). Each is checked (is it base64, is it PNG/JPEG by its first bytes, is it within
// --max-pixels by its header, before any pixel is decoded), decoded, and stored in the session store's
// content-addressed images/ folder; jobs then refer to it by hash. The client never names a file. An upload with
// transparent pixels is read as the CLI reads it (alpha dropped, the colours under it kept): the job says so in
// its notes, as the CLI's note does.

import sharp from 'sharp';
import { readImage, type RGBImage, transparencyNote, transparentShare } from '../image/rgb.ts';
import type { SessionStore } from '../session/store.ts';
import { badRequest } from './errors.ts';
import { checkPixels } from './limits.ts';
import type { Limits } from './options.ts';

const DATA_URL = /^data:image\/(png|jpeg|jpg);base64,/i;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

const isPng = (b: Buffer) => b.length > 8 && b[0] === 0x89 && b.toString('latin1', 1, 4) === 'PNG';
const isJpeg = (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Decode one upload; `name` (e.g. "images[0]") is used in error messages. `transparent` is the share of its
 * pixels that are not opaque (see transparentShare).
 */
export async function decodeUpload(
  value: string,
  name: string,
  l: Limits,
): Promise<{ image: RGBImage; transparent: number }> {
  const b64 = value.replace(DATA_URL, '');
  if (!BASE64.test(b64))
    throw badRequest(
      `${name} is not base64 (give the PNG or JPEG file's bytes in base64, optionally as a data:image/png;base64, URL)`,
    );
  const bytes = Buffer.from(b64, 'base64');
  if (!isPng(bytes) && !isJpeg(bytes))
    throw badRequest(`${name} is not a PNG or JPEG file (its first bytes say otherwise)`);
  let meta: { width?: number; height?: number };
  try {
    meta = await sharp(bytes).metadata(); // reads the header only
  } catch (e) {
    throw badRequest(
      `${name} cannot be read as an image: ${(e as Error).message
        .split('\n')[0]
        .trim()
        .replace(/[:.]+$/, '')}`,
    );
  }
  checkPixels(name, meta.width ?? 0, meta.height ?? 0, l);
  const image = await readImage(bytes); // a corrupt file is a UserError, answered 400
  return { image, transparent: await transparentShare(bytes) };
}

/**
 * Decode and store uploads; returns their hashes, in order, and a note for each upload with transparent pixels.
 * Nothing is stored unless all of them are valid.
 */
export async function storeUploads(
  store: SessionStore,
  values: string[],
  l: Limits,
  field = 'images',
): Promise<{ hashes: string[]; notes: string[] }> {
  const names = values.map((_, i) => `${field}[${i}]`);
  const uploads = await Promise.all(values.map((v, i) => decodeUpload(v, names[i]!, l)));
  const notes = uploads.flatMap((u, i) => (u.transparent > 0 ? [transparencyNote(names[i]!, u.transparent)] : []));
  return { hashes: await Promise.all(uploads.map((u) => store.images.put(u.image))), notes };
}
