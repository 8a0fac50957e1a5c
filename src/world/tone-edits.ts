// Instructions that ask only for the whole image's lighting or colour: the world's day/night and grayscale edits
// ("make it night", "show this scene in daylight", "convert the picture to black and white"). Such an edit is one
// map of colours, the same at every pixel, so whatever else an answer changed is a mistake (src/mini/editor.ts
// keeps the input through the model's colour map everywhere for them). An instruction that names a thing ("make
// the background gray", "turn the circle black and white") is not one.

import { bareCommand, QUOTE_MARKS, singulars } from '../prompt/typed-text.ts';
import { SHAPES } from './shapes.ts';

/** Words and phrases of a tone edit: colour taken away, and the time of day. */
const GRAY =
  /\b(?:grayscale|greyscale|monochrome|black and white|shades of (?:gray|grey)|remove (?:all )?(?:the )?colou?rs?)\b/;
const LIGHT = /\b(?:night|nighttime|day|daytime|daylight)\b/;

/** A quoted label ('NIGHT', in any quote marks the tokenizer reads as quotes): not a word of the instruction. */
const QUOTED = new RegExp(`([${QUOTE_MARKS}])[^${QUOTE_MARKS}]*\\1`, 'g');

/** Things an instruction may name: an edit of one of them is not a tone edit of the whole image. */
const THINGS = new Set([
  ...SHAPES,
  ...['shape', 'object', 'background', 'sky', 'word', 'text', 'letter', 'sign', 'label', 'character', 'creature'],
  ...['hat', 'crown', 'bow', 'antenna', 'belly', 'eyes', 'spots', 'stripes', 'outline'],
]);

/** A tone edit: the image made grey, or its lighting changed (day ↔ night). */
export type ToneEdit = 'gray' | 'light';

/** Does the instruction ask only for the whole image's colour taken away or its lighting changed, and which? */
export function toneEdit(instruction: string): ToneEdit | null {
  const text = instruction
    .replace(QUOTED, ' ')
    .toLowerCase()
    .replace(/[^\p{L}]+/gu, ' ');
  const tone = GRAY.test(text) ? 'gray' : LIGHT.test(text) ? 'light' : null;
  const named = (w: string) => [w, ...singulars(w)].some((x) => THINGS.has(x));
  if (!tone || text.split(' ').some(named)) return null;
  return tone;
}

/** The whole picture, as people name it. */
const WHOLE = '(?:it|the (?:image|picture|scene|photo))';
/** Lighting asked in other words, of the whole picture only, and the world's words for it. */
const LIGHTING: readonly [RegExp, string][] = [
  [new RegExp(`^(?:(?:make|turn) ${WHOLE} (?:dark|darker)|darken ${WHOLE})$`), 'make it night'],
  [new RegExp(`^(?:(?:make|turn) ${WHOLE} (?:bright|brighter|lighter|day)|brighten ${WHOLE})$`), 'make it daytime'],
];

/**
 * The world's words for an instruction that asks the whole picture darker or brighter ("make it dark", "darken the
 * picture" → "make it night"; "make it brighter", "make it day" → "make it daytime"), or null: the model knows "dark"
 * only as a shade, and "day" in "make it day" as no time it was asked; it did 0 of 20 test nights and days asked so,
 * 16 and 18 in these words (models/kontext-mini/NOTES.md, "Lighting in other words"). Only the whole instruction,
 * courtesy and sentence marks aside.
 */
export function worldLighting(instruction: string): string | null {
  const text = bareCommand(instruction).toLowerCase().replace(/\s+/g, ' ');
  return LIGHTING.find(([re]) => re.test(text))?.[1] ?? null;
}
