// Any image in, any image out, for a model that works at one square size S.
//
// Inputs are letterboxed: scaled (Lanczos) so the longer side is S, centred, and the margins filled with the
// mean colour of the image's border (the world's backgrounds are flat, so the margin reads as more background).
// The answer is cut back to the same box and scaled to the input's width and height, so the output has the
// input's size and aspect. An image that already is S×S passes through untouched, both ways.
// The scaling is sharp's Lanczos in Node; a browser page, which has no sharp, passes resampleLanczos (plain TS).

import { resizeLanczos } from '../image/preprocess.ts';
import type { RGBImage } from '../image/rgb.ts';

/** Scale an image to width×height (Lanczos). */
export type Resize = (img: RGBImage, width: number, height: number) => RGBImage | Promise<RGBImage>;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Fitted {
  image: RGBImage;
  /** where the input lies inside `image` */
  box: Box;
  /** the input's own size */
  width: number;
  height: number;
}

function borderMean(img: RGBImage): [number, number, number] {
  const s = [0, 0, 0];
  let n = 0;
  const add = (x: number, y: number) => {
    for (let c = 0; c < 3; c++) s[c] += img.data[(y * img.width + x) * 3 + c];
    n++;
  };
  for (let x = 0; x < img.width; x++) {
    add(x, 0);
    add(x, img.height - 1);
  }
  for (let y = 1; y < img.height - 1; y++) {
    add(0, y);
    add(img.width - 1, y);
  }
  return s.map((v) => Math.round(v / n)) as [number, number, number];
}

/** Letterbox `img` into an S×S square. */
export async function fitSquare(img: RGBImage, S: number, resize: Resize = resizeLanczos): Promise<Fitted> {
  if (img.width === S && img.height === S)
    return { image: img, box: { x: 0, y: 0, width: S, height: S }, width: S, height: S };
  const scale = S / Math.max(img.width, img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const scaled = await resize(img, w, h);
  const box = { x: Math.floor((S - w) / 2), y: Math.floor((S - h) / 2), width: w, height: h };
  const fill = borderMean(img);
  const data = new Uint8Array(S * S * 3);
  for (let i = 0; i < S * S; i++) data.set(fill, i * 3);
  for (let y = 0; y < h; y++) data.set(scaled.data.subarray(y * w * 3, (y + 1) * w * 3), ((box.y + y) * S + box.x) * 3);
  return { image: { width: S, height: S, data }, box, width: img.width, height: img.height };
}

/** The model's S×S answer back at the input's size: cut out the box, scale to width×height. */
export async function unfit(
  out: RGBImage,
  f: Pick<Fitted, 'box' | 'width' | 'height'>,
  resize: Resize = resizeLanczos,
): Promise<RGBImage> {
  const { x, y, width: w, height: h } = f.box;
  let cut = out;
  if (w !== out.width || h !== out.height) {
    const data = new Uint8Array(w * h * 3);
    for (let r = 0; r < h; r++)
      data.set(out.data.subarray(((y + r) * out.width + x) * 3, ((y + r) * out.width + x + w) * 3), r * w * 3);
    cut = { width: w, height: h, data };
  }
  return resize(cut, f.width, f.height);
}
