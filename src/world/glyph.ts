// The glyph image of a word replacement (after AnyText and TextDiffuser, which condition text rendering on the
// words drawn in a standard font where they go): the new word in the labels' font, in the old word's ink on its
// ground, centred where the old word is centred. It is given to the model as a second context image, so that
// drawing a word it has never drawn is copying glyphs it sees — what it must still do is erase the old word, put
// the new one in its place and keep everything else. Both colours are read from the picture (mini/glyph.ts
// findWord), in training as by the editor. (White on black, as AnyText draws it, was tried first: a model this small
// did not learn to colour the glyphs in 4,000 steps — lab notes, "A glyph image for a replaced word".)

import { createImage, type RGBImage } from '../image/rgb.ts';
import type { RGB } from './palette.ts';
import { drawWord } from './render.ts';

/** A word's colours as a picture shows them: its ink and the ground around it. */
export interface WordColors {
  ink: RGB;
  ground: RGB;
}

/** `word` in `colors.ink` on `colors.ground` everywhere else, centred on `centre` (fractions of the side). */
export function glyphImage(word: string, centre: { x: number; y: number }, size: number, colors: WordColors): RGBImage {
  const img = createImage(size, size, [...colors.ground]);
  drawWord(img, word, centre, colors.ink);
  return img;
}
