// Whole instructions people phrase otherwise than the world does, read in the world's words. The embedded model
// learnt each edit from a few phrasings (src/world/ops.ts); asked in another one it reads the new words without
// meaning and mostly does nothing: "make it dark" (the world says "make it night"), "shrink the circle" ("make the
// circle smaller"), "move the star up" ("move the star to the top"), "make the square a bit bigger" ("make the
// square bigger"). Each phrasing here names one of the world's edits and nothing else, so it is asked in the
// world's words and the user is told (src/mini/editor.ts checkPrompt). Measured on test rows asked so, before and
// after: models/kontext-mini/NOTES.md, "Lighting in other words" and "Sizes and moves in other words".
//
// Never the phrasings the world holds out of training (src/world/split.ts HELD_OUT_TEMPLATES: "paint", "get rid of",
// "relocate", "resize … so it is"): those measure what the model makes of words it never saw, and rewriting them
// would measure this table instead.

import { bareCommand } from '../prompt/typed-text.ts';

/** The whole picture, as people name it. */
const WHOLE = '(?:it|the (?:image|picture|scene|photo))';
/**
 * A thing the world names: "the red circle", "the cyan shape", "the creature" (the words as typed are kept); never
 * a connective or a direction among them, so that the world's "move the circle to the left" is no thing "the circle
 * to the" moved left, and "move the word up and left" no "the word up and".
 */
const THING = '(the(?: (?!(?:to|and|or|then|up|down|left|right)\\b)\\p{L}+)+?|it)';
/** Degrees the world never asks: "a bit bigger", "slightly darker", "a little to the left" read as the change. */
const DEGREE =
  /\b(?:just |even |much |way |far )?(?:a (?:little )?bit|a little|a lot|a touch|slightly|somewhat|much|way|far|even|more) (?=(?:bigger|larger|smaller|darker|brighter|lighter|to the|up|down|left|right)\b)/giu;
/** Relative moves and the world's place in that direction. */
const PLACE: Record<string, string> = { up: 'top', down: 'bottom', left: 'left', right: 'right' };

/** Phrasings and the world's words for them ($1, $2: the phrasing's groups, as typed). */
const PHRASINGS: readonly [RegExp, string | ((...groups: string[]) => string)][] = [
  // the whole picture's lighting: the model knows "dark" only as a shade, "day" in "make it day" as no time asked
  [re(`(?:make|turn) ${WHOLE} (?:dark|darker)|darken ${WHOLE}`), 'make it night'],
  [re(`make ${WHOLE} look like (?:it is |it's )?(?:at )?(?:night|nighttime|evening)`), 'make it night'],
  [re(`(?:make|turn) ${WHOLE} (?:bright|brighter|lighter|day)|brighten ${WHOLE}`), 'make it daytime'],
  [re(`make ${WHOLE} look like (?:it is |it's )?(?:day|daytime|daylight|morning)`), 'make it daytime'],
  // sizes: the world says "bigger" and "smaller" (and names the size)
  [re(`(?:shrink|downsize|scale down) ${THING}|scale ${THING} down`), (a, b) => `make ${a ?? b} smaller`],
  [
    re(`(?:enlarge|grow|expand|upscale|magnify|scale up) ${THING}|scale ${THING} up`),
    (a, b) => `make ${a ?? b} bigger`,
  ],
  [
    re(`make ${THING} (?:twice (?:as (?:big|large)|(?:the|its) size)|double (?:the|its) size)`),
    (a) => `make ${a} bigger`,
  ],
  [re(`make ${THING} half (?:as (?:big|large)|(?:the|its) size)`), (a) => `make ${a} smaller`],
  // moves in a direction: the world's place that way
  [
    re(`(move|shift) ${THING} (up|down|left|right)(?:wards?)?`),
    (verb, thing, way) => `${verb!.toLowerCase()} ${thing} to the ${PLACE[way!.toLowerCase()]}`,
  ],
];

/** A phrasing's pattern: the whole command, any case. */
function re(body: string): RegExp {
  return new RegExp(`^(?:${body})$`, 'iu');
}

/**
 * The world's words for an instruction phrased otherwise (PHRASINGS: "make it dark" → "make it night", "shrink the
 * circle" → "make the circle smaller", "make the square a bit bigger" → "make the square bigger", "move the star up"
 * → "move the star to the top"), or null when it is not one of them. Only the whole instruction, courtesy words and
 * sentence marks aside: a part of a longer one is read after the split into edits (outside.ts splitEdits).
 */
export function worldPhrasing(instruction: string): string | null {
  const text = bareCommand(instruction).replace(/\s+/g, ' ');
  // (not in a text with a label: "write 'A BIT UP'")
  const plain = text.includes("'") ? text : text.replace(DEGREE, '');
  for (const [pattern, world] of PHRASINGS) {
    const m = pattern.exec(plain);
    if (!m) continue;
    return typeof world === 'string' ? world : world(...m.slice(1));
  }
  // "make the square a bit bigger": the degree alone taken off is the world's words
  return plain === text ? null : plain;
}
