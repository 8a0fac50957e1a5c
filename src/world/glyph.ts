// The glyph image of a word replacement (after AnyText and TextDiffuser, which condition text rendering on the
// words drawn in a standard font where they go): the new word in the labels' font, white on black, centred where
// the word it replaces is centred. It is given to the model as a second context image, so that drawing a word it
// has never drawn is copying glyphs it sees — what it must still do is erase the old word, ink the new one in the
// old one's colour and keep everything else. Training draws it from the target scene (train/flow.ts, `glyph`); the
// editor from where it finds the old word in the picture (mini/glyph.ts).

import { createImage, type RGBImage } from '../image/rgb.ts';
import type { RGB } from './palette.ts';
import { drawWord } from './render.ts';

/** The glyph image's colours: ink and ground. */
export const GLYPH_INK: RGB = [255, 255, 255];
export const GLYPH_GROUND: RGB = [0, 0, 0];

/** `word` drawn white on black, centred on `centre` (fractions of the side), at `size` pixels. */
export function glyphImage(word: string, centre: { x: number; y: number }, size: number): RGBImage {
  const img = createImage(size, size); // black: GLYPH_GROUND
  drawWord(img, word, centre, GLYPH_INK);
  return img;
}
