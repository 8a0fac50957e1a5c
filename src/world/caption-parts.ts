// A caption read as the edits that draw it. The model draws a scene from words alone badly (none of the 60 test
// captions at any seed: each shape comes out a blob, or in the wrong place, a word a scribble) but draws a bare ground
// from words, adds a shape to a picture, copies a word from its glyphs and turns a picture to night well — so a
// caption that names shapes or a word is drawn as its ground by day, then one add per shape, then its word written,
// then the night where it asks it:
//
//   "A large orange striped square at the top and the word 'OWL' written in red at the bottom left on a peach
//    background, at night"
//     → "A peach background", "add a large orange striped square at the top",
//       "add the word 'OWL' in red at the bottom left", "make it night"
//
// (A night ground drawn from words came out as asked less often — a solid drawn as a gradient — and 3 of the 15 test
// night captions more were drawn right at seed 0 with the night made last, none fewer.)
//
// The inverse of world/tasks.ts caption for its shapes: "a"/"an", the shape's size, colour and style (the world's
// add's words: shapes-seen.ts addedShape), its noun, its place. A word ("the word 'OWL' written in orange at the
// top") is written after the shapes — "add the word 'OWL' in orange at the top", which the editor gives the model as a
// replacement with the word's glyph image (mini/word-edits.ts writtenGlyph): the model draws a word from words as a
// scribble. What no edit draws — the creature — stays in the ground's words ("a teal creature with big eyes, drawn
// large, at the bottom on a peach background"), for the model to draw with it. A shape said without a size is medium;
// one without a place is put where no other is (one alone in the centre, several from the left).

import type { CharacterSize } from './characters.ts';
import { backgroundAsked, backgroundPhrase } from './phrases.ts';
import { addedShape, newScene } from './shapes-seen.ts';
import { type Background, REGIONS, type Region, regionPhrase } from './scene.ts';
import { SHAPES } from './shapes.ts';
import { TEXT_COLOR_NAMES } from './palette.ts';

/**
 * A caption's ground by day (with whatever no add draws), the world's background it names (null for one it does not
 * draw), and the edits that draw the rest: its shapes' adds in the order it names them, then "make it night" where
 * it is at night.
 */
export interface CaptionParts {
  ground: string;
  background: Background | null;
  edits: string[];
  /** the caption names no background ("a red circle at the top"): drawn on UNNAMED_GROUND, said */
  unnamed?: true;
}

/** The ground of a caption that names none: the world's plainest background. */
const UNNAMED_GROUND: Background = { kind: 'solid', color: 'white' };

const PLACE = String.raw`(?:on|at|in)\s+the\s+(?:(?:top|bottom)(?:[\s-]+(?:left|right))?|left|right|cent(?:er|re)|middle)`;
/** "a small red striped circle at the top": "a"/"an", one to three words, a shape's noun, its place where said */
const SHAPE_PART = new RegExp(
  String.raw`\ban?\s+((?:[\p{L}]+\s+){1,3}?)(${SHAPES.join('|')})\b(?:\s+(${PLACE}))?`,
  'giu',
);
/**
 * "… on a peach background", "…, on a background with a gradient from …", "on the white background", "… with a peach
 * background": its ground, at its end
 */
const GROUND = /(?:,\s*|\s+)(?:on|with)\s+((?:an?|the)\s+(?:(?!(?:on|an?|the)\s)\p{L}+\s+){0,3}background\b.*)$/iu;
/** "the word 'OWL' written in orange at the top": its label, colour and place where said */
const WORD_PART = new RegExp(
  String.raw`\bthe\s+(?:word|text)\s+('[^']+'|"[^"]+")(?:\s+(?:written\s+)?in\s+(${TEXT_COLOR_NAMES.join('|')}))?(?:\s+(${PLACE}))?`,
  'iu',
);
/** ", at night" (or "at night") after the ground */
const NIGHT = /,?\s+at\s+night$/i;
/** The night a caption asks, made last: the world's day/night edit */
const NIGHT_MADE = 'make it night';
/** How captions open ("A picture of …", "An image showing …"): no thing of the scene's */
const OPENING =
  /^(?:(?:an?\s+)?(?:picture|image|photo|drawing|scene)\s+(?:of|showing|with)|showing|draw|generate|create|make|paint|add|put|place)\s+/i;
/** Where shapes said without a place go: where no other is, in this order (one alone: the centre). */
const FREE_PLACES: readonly Region[] = ['left', 'right', 'center', 'top', 'bottom', ...REGIONS];

/** The region a place phrase names ("at the bottom left", "in the centre", "at the top-left"): PLACE reads no other. */
function regionOf(place: string): Region {
  return place
    .toLowerCase()
    .replace(/centre|middle/, 'center')
    .replace(/^(?:on|at|in)\s+the\s+/, '')
    .replace(/[\s-]+/g, ' ')
    .trim() as Region;
}

/**
 * The adds that draw the shapes `text` names with a colour ("a small red striped circle at the top", "a blue square"),
 * in its order — a size said nowhere medium, a place said nowhere one no other shape has (one alone: the centre) —
 * and the text without them.
 */
function addsNamed(text: string): { adds: string[]; rest: string } {
  let rest = text;
  const shapes: { words: string; noun: string; region: Region | null }[] = [];
  for (const m of text.matchAll(SHAPE_PART)) {
    const words = m[1]!.trim().toLowerCase();
    const region = m[3] ? regionOf(m[3]) : null;
    // the world's add: a size (medium where none is said), a colour, at most one style
    const sized = /\b(?:small|medium|large)\b/.test(words) ? words : `medium ${words}`;
    if (!addedShape(`add a ${sized} ${m[2]}`)) continue;
    shapes.push({ words: sized, noun: m[2]!.toLowerCase(), region });
    rest = rest.replace(m[0], ' ');
  }
  const taken = new Set(shapes.flatMap((s) => (s.region ? [s.region] : [])));
  const unplaced = shapes.filter((s) => !s.region).length;
  const free: readonly Region[] = unplaced === 1 ? ['center', ...FREE_PLACES] : FREE_PLACES;
  const adds = shapes.map((s) => {
    const region = s.region ?? free.find((r) => !taken.has(r)) ?? 'center';
    taken.add(region);
    return `add a ${s.words} ${s.noun} ${regionPhrase(region)}`;
  });
  return { adds, rest };
}

/**
 * A caption (a prompt with no picture) read as its ground, one add per shape it names with a colour and its word
 * written; null where it names no such shape and no word, or speaks of a background otherwise than the world's "… on a
 * … background" (or "with" one: "a red circle, the background blue"): then it is drawn as one. A caption that names no background
 * ("a red circle at the top") is drawn on a white one (`unnamed`): the world never draws a thing on no ground, and
 * the model drew such a caption in one pass as scribbles.
 */
export function captionParts(caption: string): CaptionParts | null {
  let text = caption.trim().replace(/[.!]+$/, '');
  const night = NIGHT.test(text);
  text = text.replace(NIGHT, '');
  const ground = GROUND.exec(text);
  const unnamed = !ground && !/\bbackground\b/i.test(text);
  if (!ground && !unnamed) return null;
  const { adds, rest: named } = addsNamed(ground ? text.slice(0, ground.index) : text);
  // the word, written after the shapes
  const word = WORD_PART.exec(named);
  const things = word ? named.replace(word[0], ' ') : named;
  const written = word ? [writtenWord(word[1]!, word[2], word[3])] : [];
  if (adds.length + written.length === 0) return null;
  // what is left of the things (a word, the creature), without the commas and "and"s the shapes left behind
  const rest = things
    .replace(OPENING, '')
    .replace(/(?:\s*(?:,|\band\b)\s*)+$/i, '')
    .replace(/^(?:\s*(?:,|\band\b)\s*)+/i, '')
    .replace(/\s*,\s*(?:(?:,|\band\b)\s*)+/gi, ', ')
    .replace(/\s+and\s+(?:(?:,|\band\b)\s*)+/gi, ' and ')
    .replace(/\s+/g, ' ')
    .trim();
  const bg = ground ? ground[1]!.trim() : `a ${backgroundPhrase(UNNAMED_GROUND)} background`;
  const drawn = rest ? `${rest} on ${bg}` : bg;
  return {
    ground: `${drawn[0]!.toUpperCase()}${drawn.slice(1)}`,
    background: backgroundAsked(bg),
    edits: [...adds, ...written, ...(night ? [NIGHT_MADE] : [])],
    ...(unnamed ? { unnamed } : {}),
  };
}

/** "add the word 'OWL' in orange at the top": a word written, its colour and place where said (mini/glyph.ts). */
function writtenWord(label: string, color: string | undefined, place: string | undefined): string {
  const at = place ? ` ${regionPhrase(regionOf(place))}` : '';
  return `add the word '${label.slice(1, -1)}'${color ? ` in ${color.toLowerCase()}` : ''}${at}`;
}

/** What a user is told before a picture is drawn from words in parts (null for none: drawn in one pass). */
export function inPartsNote(parts: CaptionParts | null): string | null {
  if (!parts) return null;
  const quoted = [parts.ground, ...parts.edits].map((e) => `"${e}"`).join(', ');
  const ground = parts.unnamed ? `its ground (it names none: ${backgroundPhrase(UNNAMED_GROUND)})` : 'its ground';
  return (
    'kontext-mini draws a scene from words alone poorly and a ground, an added shape and a word from its glyphs well, ' +
    `so this is drawn as ${ground}, then each shape added and its word written, one after the other: ${quoted}`
  );
}

/**
 * The picture's creature put in a new scene (the world's character.scene: "show this character, small, on the right on
 * a sand background with a large purple striped circle on the left"; shapes-seen.ts newScene) read as the edits that
 * draw it from the picture: the shapes it shows (`seen`) removed, and its word (`word`, where it shows one: the world's
 * new scene has none), its background made the one named, the creature moved to the place named first (and made the
 * size named, where that is not its `size`), the shapes named added. The model draws such a scene in one pass badly (0
 * of 26 test rows: its creature comes out a smear) and each of these edits well. Null for no new scene, or one whose
 * background, place or shapes the words do not give.
 */
export function sceneParts(
  instruction: string,
  seen: readonly { color: string; shape: string }[],
  size: CharacterSize | null,
  word: string | null = null,
): string[] | null {
  const text = instruction.trim().replace(/[.!]+$/, '');
  const background = backgroundAsked(text);
  if (!newScene(text) || !background) return null;
  const { adds, rest } = addsNamed(text);
  const place = new RegExp(PLACE, 'i').exec(rest);
  if (adds.length === 0 || !place) return null;
  const region = regionOf(place[0]);
  const asked = /\b(small|large)\b/i.exec(rest)?.[1]?.toLowerCase() as CharacterSize | undefined;
  return [
    ...seen.map((s) => `remove the ${s.color} ${s.shape}`),
    ...(word ? [`remove the word '${word}'`] : []),
    `make the background ${backgroundPhrase(background)}`,
    `move the creature to the ${region}${asked && asked !== size ? ` and make it ${asked}` : ''}`,
    ...adds,
  ];
}

/** What a user is told before a creature's new scene is made as edits of the picture (null for none: one pass). */
export function sceneNote(edits: readonly string[] | null): string | null {
  if (!edits) return null;
  return (
    'kontext-mini draws its creature into a new scene in one pass poorly and each of these edits well, so this is ' +
    `made as edits of the picture, one after the other: ${edits.map((e) => `"${e}"`).join(', ')}`
  );
}
