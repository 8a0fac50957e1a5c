// Whole instructions people phrase otherwise than the world does, read in the world's words. The embedded model
// learnt each edit from a few phrasings (src/world/ops.ts); asked in another one it reads the new words without
// meaning and mostly does nothing: "make it dark" (the world says "make it night"), "shrink the circle" ("make the
// circle smaller"), "move the star up" ("move the star to the top"), "make the square a bit bigger" ("make the
// square bigger"). Each phrasing here names one of the world's edits and nothing else, so it is asked in the
// world's words and the user is told (src/mini/editor.ts checkPrompt). Measured on test rows asked so, before and
// after: models/kontext-mini/NOTES.md, "Lighting in other words" and "Sizes, moves, colours and wishes in other
// words".
//
// Never the phrasings the world holds out of training (src/world/split.ts HELD_OUT_TEMPLATES: "paint", "get rid of",
// "relocate", "resize … so it is"): those measure what the model makes of words it never saw, and rewriting them
// would measure this table instead.

import { bareCommand } from '../prompt/typed-text.ts';
import { isColorPhrase } from './outside.ts';
import { WISH_AWAY, WISH_FOR } from './several-things.ts';
import { restyleAdjective } from './phrases.ts';
import { styleNamed } from './shapes-seen.ts';
import { SHAPE_NOUN } from './shapes.ts';

/** The whole picture, as people name it ("make everything gray": 0 of 20 grey, "make the image grayscale" 16). */
const WHOLE = '(?:it|everything|the (?:whole |entire )?(?:image|picture|scene|photo))';
/**
 * A thing the world names: "the red circle", "the cyan shape", "the creature" (the words as typed are kept); never
 * a connective or a direction among them, so that the world's "move the circle to the left" is no thing "the circle
 * to the" moved left, and "move the word up and left" no "the word up and".
 */
const THING = '(the(?: (?!(?:to|and|or|then|up|down|left|right)\\b)\\p{L}+)+?|it)';
/**
 * Degrees the world never asks: "a bit bigger", "slightly darker", "a little more to the left", "down a bit" read as
 * the change.
 */
const DEGREE =
  /\b(?:(?:just|even|much|way|far) )?(?:(?:a (?:little )?bit|a little|a lot|a touch|slightly|somewhat|much|way|far|even)(?: more)?|more) (?=(?:bigger|larger|smaller|darker|brighter|lighter|to the|up|down|left|right)\b)|(?<=\b(?:bigger|larger|smaller|darker|brighter|lighter|up|down|left|right)) (?:a (?:little )?bit|a little|a touch|slightly|somewhat)(?: more)?$/giu;
/** Relative moves and the world's place in that direction. */
const PLACE: Record<string, string> = { up: 'top', down: 'bottom', left: 'left', right: 'right' };

/** A colour, maybe of two words ("light blue", "sky blue"): checked to be one (outside.ts isColorPhrase). */
const COLOR = '((?:(?:light|dark|pale|bright|deep|sky|mint) )?\\p{L}+)';
/** THING, but not the world's "the background" and "the color of …" (its own "change … to …" phrasings). */
const OBJECT = '(the(?! (?:background|colou?r|size|style)\\b)(?: (?!(?:to|and|or|then|into|with)\\b)\\p{L}+)+?|it)';
/** A place of the world's: "top left", "center", "left". */
const WHERE = '((?:top |bottom )?(?:left|right)|top|bottom|center|centre|middle)';
/** A wish for how a thing is, up to its "be": "the circle should be", "I want the circle to be", "could it be". */
const WISHES = [
  `${THING} (?:should|must|needs to|has to|ought to) be`,
  `(?:i (?:want|would like|need)|i['’]d like|let) ${THING} (?:to )?be`,
  `(?:can|could) ${THING} be`,
];
/** A new shape described as people type it: "a red star", "a large dotted shape", with what follows ("… at the top"). */
const NEW_SHAPE = `((?:a|an) (?:\\p{L}+ ){0,3}${SHAPE_NOUN}(?! background).*)`;
/** The world's colour edit, when the word asked is a colour (else no reading: "change the circle to a square"). */
const recolored = (thing?: string, color?: string) => (isColorPhrase(color!) ? `make ${thing} ${color}` : null);

/** The world's verb for a move typed with `verb`: its own "move" and "shift", "move" for "drag". */
const moveVerb = (verb: string) => (/^drag$/i.test(verb) ? 'move' : verb.toLowerCase());

/** Every shape at once: "all the shapes", "every object", "each of the things", "the shapes", "everything". */
const EVERY_SHAPE =
  '(?:(?:all|every|each)(?: of)?(?: the)? (?:shapes?|objects?|things?|items?)|the (?:shapes|objects)|everything)';
/** A drawing style in words (shapes-seen.ts styleNamed), and the world's adjective for it ("make all objects {adj}"). */
const STYLE_WORDS = '(\\p{L}+(?: \\p{L}+){0,2})';
const restyled = (words?: string) => {
  const style = styleNamed(words!);
  return style && `make all objects ${restyleAdjective(style)}`;
};

/** Phrasings and the world's words for them (the phrasing's groups as typed; a function may find it none). */
type Phrasing = [RegExp, string | ((...groups: string[]) => string | null)];
const PHRASINGS: readonly Phrasing[] = [
  // the whole picture's lighting: the model knows "dark" only as a shade, "day" in "make it day" as no time asked
  [re(`(?:make|turn) ${WHOLE} (?:dark|darker)|darken ${WHOLE}`), 'make it night'],
  [re(`make ${WHOLE} look like (?:it is |it's )?(?:at )?(?:night|nighttime|evening)`), 'make it night'],
  [re(`(?:make|turn) ${WHOLE} (?:bright|brighter|lighter|day)|brighten ${WHOLE}`), 'make it daytime'],
  [re(`make ${WHOLE} look like (?:it is |it's )?(?:day|daytime|daylight|morning)`), 'make it daytime'],
  // the lights: "turn the lights off" was made night 0 of 20 times
  [
    re('(?:turn|switch) (?:off the lights|the lights off|out the lights|the lights out)|lights (?:off|out)'),
    'make it night',
  ],
  [re('(?:turn|switch) (?:on the lights|the lights on)|lights on'), 'make it daytime'],
  // "turn it into day", "change it to day", "make it morning": 0 of 20 test days each ("make it daytime": 18)
  [
    re(`(?:turn|change|switch) ${WHOLE} (?:in)?to (?:day|daytime|daylight|morning)|make ${WHOLE} morning`),
    'make it daytime',
  ],
  // colour taken away: "remove the colors" read as the world's "remove all color from the image" was made grey 0 of
  // 20 times; "make it gray" too
  [
    re(
      `(?:remove|take away|take out|strip|drop) (?:all (?:the )?|the )?colou?rs?|(?:remove|take away|take out|strip|drop) (?:the )?colou?rs? from ${WHOLE}|make ${WHOLE} (?:gray|grey|colou?rless|black and white|monochrome)`,
    ),
    'make the image grayscale',
  ],
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
  // moves in a direction: the world's place that way ("make the star to the left" too)
  [re(`make ${THING} to the ${WHERE}`), (a, where) => `move ${a} to the ${where}`],
  [
    re(`(move|shift|drag) ${THING} (?:over )?(up|down|left|right)(?:wards?)?`),
    (verb, thing, way) => `${moveVerb(verb!)} ${thing} to the ${PLACE[way!.toLowerCase()]}`,
  ],
  // "drag the star to the top" (0 of 20 moved), "move the star over to the top" (2): the world's "move … to the …"
  [
    re(`(move|shift|drag) ${THING} (?:over )?(?:to|into) the ${WHERE}`),
    (verb, thing, where) => `${moveVerb(verb!)} ${thing} to the ${where}`,
  ],
  // removals: "from the image" reads like the world's grayscale "remove all color from the image" (9 of 20 done)
  [re(`(?:remove|delete|erase|take away|take out) ${THING} from (?:the|this) (?:image|scene)`), (a) => `remove ${a}`],
  // "I don't want the star" (0 of 20 removed), "the star should go" (8), "I want the star gone"
  [
    re(`${WISH_AWAY} ${THING}(?: (?:there|here|anymore|any more|in (?:the|this) (?:image|picture|scene)))?`),
    (a) => `remove ${a}`,
  ],
  [re(`${THING} (?:should|must|needs to|has to|can) (?:go|disappear|vanish)(?: away)?`), (a) => `remove ${a}`],
  [re(`(?:i (?:want|would like|need)|i['’]d like) ${THING} (?:gone|removed|deleted|erased)`), (a) => `remove ${a}`],
  // a new shape wished for: "I want a red star at the top" (4 of 20 added; "add …" 8), "there should be …" (3)
  [re(`${WISH_FOR} ${NEW_SHAPE}`), (a) => `add ${a}`],
  // wishes: "the circle should be gone", "… should be in the top left", "I want the circle to be blue", "I'd like
  // the circle to be blue" (as typed 8 of 20 recoloured, read so 16), "could the circle be blue?" (16)
  ...WISHES.flatMap((wish): Phrasing[] => [
    [re(`${wish} (?:gone|removed|deleted|erased)`), (a) => `remove ${a}`],
    [re(`${wish} (?:in|at|on) the ${WHERE}`), (a, where) => `move ${a} to the ${where}`],
    [re(`${wish} (.+)`), (a, b) => `make ${a} ${b}`],
  ]),
  // every shape restyled: "make all the shapes striped" was done 5 of 20 val restyles (the world's "make all objects
  // striped" 10), "make every shape striped" 5, "make the shapes striped" 3
  // (the world's own "redraw all the shapes in … style" left as it is)
  [
    re(`(?!redraw all the shapes in )(?:make|turn|draw|redraw|render) ${EVERY_SHAPE} (?:in |into )?${STYLE_WORDS}`),
    restyled,
  ],
  // colours in other verbs: "change the circle to blue" and "… into a blue one" were done 0 of 20 times
  // "recolor the circle to blue" 1 of 20 (as "recolor the circle blue" 15)
  [re(`(?:change|recolou?r|colou?r) ${OBJECT} (?:to|into) (?:a |an )?${COLOR}(?: one| colou?r)?`), recolored],
  [re(`(?:fill|colou?r) ${OBJECT} (?:with|in) ${COLOR}`), recolored],
  // the scene's text with no label named: any colour verb as "make" ("turn the text red" did 12 of 20, "make …" 20)
  [re(`(?:turn|colou?r|recolou?r) (the (?:text|word|letters)) ${COLOR}`), recolored],
];

/**
 * "the word" with no label after it — nothing, or only the colour asked ("make the word red", "change the word to
 * red") — is the scene's text: the world says "the text" ("make the word red" did 12 of 20, "make the text red" 20).
 * A word after it may be the label ("make the word star red") and is left as typed.
 */
const UNNAMED_WORD = /\bthe word\b((?: (?:to|in|into|a|an))* ?(.*))$/iu;

/** `read` with an unnamed "the word" as "the text" (UNNAMED_WORD). */
function unnamedWord(read: string): string {
  return read.replace(UNNAMED_WORD, (all, after: string, color: string) =>
    color.trim() === '' || isColorPhrase(color) ? `the text${after}` : all,
  );
}

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
  // a sentence's capital is no part of what it names ("The circle should be blue" → "make the circle blue"); and
  // the degrees taken off, but not in a text with a label ("write 'A BIT UP'")
  const lower = text.replace(/^\p{Lu}(?=\p{Ll})/u, (c) => c.toLowerCase());
  let read = text.includes("'") ? lower : lower.replace(DEGREE, '');
  for (const [pattern, world] of PHRASINGS) {
    const m = pattern.exec(read);
    const w = m && (typeof world === 'string' ? world : world(...m.slice(1)));
    if (w) {
      read = w;
      break;
    }
  }
  // "the word" named by nothing but a colour is "the text"; and, found no phrasing, the degree alone taken off ("make
  // the square a bit bigger") may be what differs from the world's words
  read = unnamedWord(read);
  return read.toLowerCase() === text.toLowerCase() ? null : read;
}
