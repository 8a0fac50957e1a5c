// Instructions that ask only for the whole image's lighting or colour: the world's day/night and grayscale edits
// ("make it night", "show this scene in daylight", "convert the picture to black and white"). Such an edit is one
// map of colours, the same at every pixel, so whatever else an answer changed is a mistake (src/mini/editor.ts
// keeps the input through the model's colour map everywhere for them). An instruction that names a thing ("make
// the background gray", "turn the circle black and white") is not one.

import { QUOTE_MARKS, singulars } from '../prompt/typed-text.ts';
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

/** The whole picture's lighting or colour as a shade: "make it dark", "make it brighter", "make it gray". */
const SHADE = /\b(?:dark|darker|bright|brighter|lighter|gray|grey)$/;

/**
 * Do these words (what an instruction asks of "it": "night", "black and white", "darker") ask for a tone of the whole
 * picture rather than a thing's? A shade that goes with a colour ("dark blue") does not. src/world/outside.ts reads
 * "it" after a shape's edit by this: "…; make it night" is the picture, "… and make it blue" the shape.
 */
export function namesTone(words: string): boolean {
  const text = words.toLowerCase();
  return GRAY.test(text) || LIGHT.test(text) || SHADE.test(text);
}

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
