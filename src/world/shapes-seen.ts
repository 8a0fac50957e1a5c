// Edits read against the shapes the picture shows (src/mini/seen.ts reads them from its pixels). The words alone
// cannot say what "all the shapes" are, nor whether "the star" is there at all.
//
// "All the shapes": the world names one thing per instruction ("remove the red circle"), so the model never saw
// "remove all the shapes": asked that way it removed every shape of a test scene in 0 of 20
// (models/kontext-mini/NOTES.md, "Shapes named as the picture shows them"). eachShapeSeen writes such a clause as one edit per shape seen,
// each named by its colour, with the clause's verb and its words after the shapes:
//
//   "remove all the shapes"      → "remove the green triangle", "remove the blue circle", …
//   "make every shape red"       → "make the green triangle red", … (not a shape that is red already)
//   "remove all the red shapes"  → the red ones;  "make all the circles blue" → the circles
//
// Not the world's restyles ("make all objects striped", "redraw all the shapes in dotted style": one edit of the
// whole picture), nor a clause whose shapes the picture does not show (it stays as typed).
//
// A shape named by its shape or its colour alone ("remove the circle", "make the red shape blue"), or with a size or
// style ("the large circle", "the dotted red star"): the world names a shape by colour and shape nearly always ("the
// blue circle"; never a size or style), and the model acts on other names far less often — on 30 test scenes whose
// named shape was the only one of its kind, "remove the circle" was done 8 times, "remove the large circle" 9,
// "remove the blue circle" 27 (moves 5 and 14, recolours 17 and 25, "make the large circle blue" 2; NOTES.md, the
// same section). asWorldNames names it as the world does when the picture shows exactly one such shape (its size
// telling two apart), and leaves out a size or style in a name that says colour and shape whatever the picture
// shows.
//
// A shape named that is not there ("make the star red" of a picture with no star): the model changes something
// else, or nothing; notThereNote says so before the edit runs.

import { bareCommand } from '../prompt/typed-text.ts';
import { isEditVerb, listed } from './outside.ts';
import { OBJECT_COLOR_NAMES } from './palette.ts';
import { SHAPES } from './shapes.ts';

/** The shapes' names, for patterns ("circle|square|…"), and the world's colours. */
const SHAPE = SHAPES.join('|');
const isColor = (word: string | undefined) => (OBJECT_COLOR_NAMES as readonly (string | undefined)[]).includes(word);

/** A shape the picture shows, by its colour (one of OBJECT_COLOR_NAMES) and shape (one of SHAPES). */
export interface SeenShape {
  color: string;
  shape: string;
  /** small, medium or large, where read */
  size?: string;
}

/** "<verb> all (of) the [red] shapes …", "every circle", "each of the objects": the verb, the kind, the rest. */
const EVERY = new RegExp(
  String.raw`^(\p{L}+)\s+(?:all(?:\s+of)?|every|each(?:\s+of)?)\s+(?:the\s+)?(?:(\p{L}+)\s+)?(shapes?|objects?|${SHAPE})(?:e?s)?\b(.*)$`,
  'iu',
);
/** A drawing style: the world's restyle of every shape at once. */
const STYLE_WORDS = /\b(?:style|styles|outlined?|striped|dotted|filled|solid)\b/i;

/** Does a clause edit every shape ("remove all the shapes", "make every circle red")? */
export function namesEveryShape(clause: string): boolean {
  const m = EVERY.exec(bareCommand(clause));
  if (!m || STYLE_WORDS.test(clause) || !isEditVerb(m[1]!.toLowerCase())) return false;
  // "all the red shapes": a colour or nothing before the kind ("all the other shapes" is no reading)
  const before = m[2]?.toLowerCase();
  return before === undefined || isColor(before);
}

/**
 * One edit per shape of `seen` that a clause editing every shape names (above), or null when it names no such
 * shapes, or the picture shows none of them.
 */
export function eachShapeSeen(clause: string, seen: readonly SeenShape[]): string[] | null {
  if (!namesEveryShape(clause)) return null;
  const [, verb, color, kind, rest] = EVERY.exec(bareCommand(clause)) as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  const shape = (SHAPES as readonly string[]).find((s) => kind.toLowerCase().startsWith(s));
  // a colour asked that a shape already has is no edit of it ("make every shape red": not the red one)
  const asked = rest.trim().toLowerCase();
  const named = seen.filter(
    (s) =>
      (color === undefined || s.color === color.toLowerCase()) &&
      (shape === undefined || s.shape === shape) &&
      s.color !== asked,
  );
  if (named.length === 0) return null;
  return named.map((s) => `${verb} the ${s.color} ${s.shape}${rest}`);
}

/**
 * "the red circle", "the large dotted star", "the shape", "the circles": a thing of the picture's, named (its words
 * before the noun, the noun, a plural's ending).
 */
const NAMED = new RegExp(String.raw`\bthe\s+((?:(?!the\b)\p{L}+\s+){0,3}?)(${SHAPE}|shape)(e?s)?\b`, 'giu');
/** "a red star", "an outlined circle": a thing an edit brings. */
const NEW_THING = new RegExp(String.raw`\ban?\s+(?:\p{L}+\s+){0,3}?(${SHAPE})\b`, 'giu');

/**
 * What to tell a user whose edits name a shape the picture does not show (null when every one is there, or the
 * picture shows no shape at all: then it is no picture of the world's, and nothing can be told). A shape an edit
 * brings ("add a red star … and make the star blue") and a colour an edit before gives ("make the circle red, then
 * move the red circle up") count as there.
 */
export function notThereNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  if (seen.length === 0) return null;
  const brought = new Set(edits.flatMap((e) => [...e.matchAll(NEW_THING)].map((m) => m[1]!.toLowerCase())));
  const missing: string[] = [];
  for (const [i, edit] of edits.entries()) {
    for (const m of edit.matchAll(NAMED)) {
      const shape = m[2]!.toLowerCase();
      const color = m[1]!.toLowerCase().split(/\s+/).find(isColor);
      const fits = (s: SeenShape) => (shape === 'shape' || s.shape === shape) && (!color || s.color === color);
      const given = color !== undefined && edits.slice(0, i).some((e) => e.includes(shape) && e.endsWith(` ${color}`));
      const name = color ? `${color} ${shape}` : shape;
      if (!seen.some(fits) && !brought.has(shape) && !given && !missing.includes(name)) missing.push(name);
    }
  }
  if (missing.length === 0) return null;
  const shows = listed(seen.map((s) => `a ${s.color} ${s.shape}`));
  return `the picture shows no ${missing.join(' and no ')} (it shows ${shows}), so the model will change something else or nothing`;
}

/** Sizes as people say them, as the world's. */
const SIZE_WORDS: Readonly<Record<string, string>> = {
  small: 'small',
  little: 'small',
  medium: 'medium',
  large: 'large',
  big: 'large',
};
const STYLE_WORD = /^(?:solid|filled|outlined?|striped|dotted)$/;

/**
 * Words before a shape's noun ("the large red"), read when they name it otherwise than the world does — by its shape
 * or colour alone, or with a size or style —: its colour, size and shape (undefined: "the shape"); null when they
 * name it as the world does ("the red circle"), name a plural, or hold other words ("the left of the square").
 */
function otherName(before: string, noun: string, plural: string | undefined) {
  const words = before.toLowerCase().split(/\s+/).filter(Boolean);
  if (plural || words.some((w) => !isColor(w) && !(w in SIZE_WORDS) && !STYLE_WORD.test(w))) return null;
  const color = words.find(isColor);
  const shape = noun.toLowerCase() === 'shape' ? undefined : noun.toLowerCase();
  if (color && shape && words.length === 1) return null; // the world's own name
  return { color, shape, size: SIZE_WORDS[words.find((w) => w in SIZE_WORDS) ?? ''] };
}

/**
 * The world's name ("the blue circle") for a shape named otherwise (otherName), where the picture shows exactly one
 * shape that fits (its size telling two apart), or, named with its colour and shape, whatever the picture shows (the
 * world never gives a size or style in a name); null when it cannot be told.
 */
function worldName(before: string, noun: string, plural: string | undefined, seen: readonly SeenShape[]) {
  const named = otherName(before, noun, plural);
  if (!named) return null;
  const { color, shape, size } = named;
  let fits = seen.filter((s) => (!shape || s.shape === shape) && (!color || s.color === color));
  if (fits.length > 1 && size) fits = fits.filter((s) => s.size === size);
  if (fits.length === 1) return `the ${fits[0]!.color} ${fits[0]!.shape}`;
  return color && shape ? `the ${color} ${shape}` : null;
}

/** Does an edit name a shape otherwise than the world does ("remove the circle", "make the large red star blue")? */
export const namesOtherwise = (edit: string) =>
  [...edit.matchAll(NAMED)].some((m) => otherName(m[1]!, m[2]!, m[3]) !== null);

/**
 * An edit with each shape it names otherwise than the world does named as the world does, as the picture shows it
 * ("the circle" → "the blue circle", "the large red star" → "the red star": worldName); else as it was.
 */
export function asWorldNames(edit: string, seen: readonly SeenShape[]): string {
  return edit.replace(
    NAMED,
    (all, before: string, noun: string, plural?: string) => worldName(before, noun, plural, seen) ?? all,
  );
}

/** The shapes the edits name otherwise than the world does, each with the name asWorldNames gives it. */
export function namedOtherwise(
  edits: readonly string[],
  seen: readonly SeenShape[],
): { typed: string; read: string }[] {
  const named = edits.flatMap((e) =>
    [...e.matchAll(NAMED)].map((m) => ({ typed: m[0], read: asWorldNames(m[0], seen) })),
  );
  return named.filter((n, i) => n.read !== n.typed && named.findIndex((m) => m.typed === n.typed) === i);
}
