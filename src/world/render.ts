// render(scene, size): draw a scene description into an RGBImage. Pure and deterministic: the same scene gives
// the same bytes at the same size, on every machine.
//
// Order: background, objects, text, character, then the global transforms (night lighting, grayscale). Items
// never overlap, so the order of items does not matter; the global transforms come last so that "at night" and
// "in grayscale" are exactly the day/colour image transformed pixel by pixel.

import type { RGBImage } from '../image/rgb.ts';
import { CHARACTER_SIZES, drawCharacter } from './characters.ts';
import { drawText, textCells } from './font.ts';
import { BACKGROUND_COLORS, OBJECT_COLORS, TEXT_COLORS, lightPixel, luma, type RGB } from './palette.ts';
import { characterRect, type Background, type Scene, type SceneObject, TEXT_UNIT, type TextLabel } from './scene.ts';
import { forEachInk, SIZES, type PixelBox } from './shapes.ts';

export const MIN_SIZE = 32;
export const MAX_SIZE = 256;
export const DEFAULT_SIZE = 64;

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw new RangeError(`world image size must be an integer in [${MIN_SIZE}, ${MAX_SIZE}], got ${size}`);
  }
}

/** Background colour of row y (gradients are vertical). */
export function backgroundRow(bg: Background, y: number, size: number): RGB {
  if (bg.kind === 'solid') return BACKGROUND_COLORS[bg.color];
  const a = BACKGROUND_COLORS[bg.from];
  const b = BACKGROUND_COLORS[bg.to];
  const t = size === 1 ? 0 : y / (size - 1);
  return [
    Math.round(a[0] + (b[0] - a[0]) * t),
    Math.round(a[1] + (b[1] - a[1]) * t),
    Math.round(a[2] + (b[2] - a[2]) * t),
  ];
}

export function drawBackground(img: RGBImage, bg: Background): void {
  const { width, height, data } = img;
  for (let y = 0; y < height; y++) {
    const [r, g, b] = backgroundRow(bg, y, height);
    const row = y * width * 3;
    data[row] = r;
    data[row + 1] = g;
    data[row + 2] = b;
    // double the filled prefix until the row is full (a few memmoves instead of a per-pixel loop)
    for (let done = 3; done < width * 3; done *= 2)
      data.copyWithin(row + done, row, row + Math.min(done, width * 3 - done));
  }
}

/** The pixel box of an object at `size` px. */
export function objectBox(o: SceneObject, size: number): PixelBox {
  return { cx: o.x * size, cy: o.y * size, half: (SIZES[o.size] * size) / 2, unit: size / 64 };
}

export function drawObject(img: RGBImage, o: SceneObject): void {
  const c = OBJECT_COLORS[o.color];
  const { width, data } = img;
  forEachInk(o.shape, o.style, objectBox(o, width), width, img.height, (x, y) => data.set(c, (y * width + x) * 3));
}

export function drawLabel(img: RGBImage, t: TextLabel): void {
  drawWord(img, t.word, t, TEXT_COLORS[t.color]);
}

/** Draw `word` in the labels' font and size, centred on `centre` (fractions of the side), in colour `c`. */
export function drawWord(img: RGBImage, word: string, centre: { x: number; y: number }, c: RGB): void {
  const unit = TEXT_UNIT * img.width;
  const { w, h } = textCells(word);
  drawText(img, word, centre.x * img.width - (w * unit) / 2, centre.y * img.width - (h * unit) / 2, unit, c);
}

export function drawSceneCharacter(img: RGBImage, c: NonNullable<Scene['character']>): void {
  const r = characterRect(c);
  drawCharacter(img, c.identity, r[0] * img.width, r[1] * img.width, CHARACTER_SIZES[c.size] * img.width);
}

/** Night lighting and grayscale, in place. */
export function applyGlobal(img: RGBImage, scene: Pick<Scene, 'time' | 'grayscale'>): void {
  const d = img.data;
  if (scene.time === 'night') {
    // lightPixel(c, 'night') per channel, through a lookup table
    const lut = [0, 1, 2].map((k) => Uint8Array.from({ length: 256 }, (_, v) => lightPixel([v, v, v], 'night')[k]!));
    for (let i = 0; i < d.length; i += 3) {
      d[i] = lut[0]![d[i]!]!;
      d[i + 1] = lut[1]![d[i + 1]!]!;
      d[i + 2] = lut[2]![d[i + 2]!]!;
    }
  }
  if (scene.grayscale) {
    for (let i = 0; i < d.length; i += 3) d[i] = d[i + 1] = d[i + 2] = luma(d[i]!, d[i + 1]!, d[i + 2]!);
  }
}

export function render(scene: Scene, size: number = DEFAULT_SIZE): RGBImage {
  checkSize(size);
  const img: RGBImage = { width: size, height: size, data: new Uint8Array(size * size * 3) };
  drawBackground(img, scene.background);
  for (const o of scene.objects) drawObject(img, o);
  if (scene.text) drawLabel(img, scene.text);
  if (scene.character) drawSceneCharacter(img, scene.character);
  applyGlobal(img, scene);
  return img;
}
