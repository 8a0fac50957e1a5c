// Edits read against the shapes the picture shows (src/mini/seen.ts reads them from its pixels). The words alone
// cannot say what "all the shapes" are, nor whether "the star" is there at all.
//
// "All the shapes": the world names one thing per instruction ("remove the red circle"), so the model never saw
// "remove all the shapes": asked that way it removed every shape of a test scene in 0 of 20
// (models/kontext-mini/NOTES.md, "All the shapes"). eachShapeSeen writes such a clause as one edit per shape seen,
// each named by its colour, with the clause's verb and its words after the shapes:
//
//   "remove all the shapes"      → "remove the green triangle", "remove the blue circle", …
//   "make every shape red"       → "make the green triangle red", … (not a shape that is red already)
//   "remove all the red shapes"  → the red ones;  "make all the circles blue" → the circles
//
// Not the world's restyles ("make all objects striped", "redraw all the shapes in dotted style": one edit of the
// whole picture), nor a clause whose shapes the picture does not show (it stays as typed).
//
// A shape named by its shape or its colour alone ("remove the circle", "make the red shape blue"): the world names
// a shape by both nearly always ("the blue circle"), and the model acts on such names far less often — on 30 test
// scenes whose named shape was the only one of its kind, "remove the circle" was done 8 times, "remove the blue
// circle" 27 (moves 5 and 14, recolours 17 and 25; NOTES.md, "Shapes named as the picture shows them"). byColor
// names it by both when the picture shows exactly one such shape.
//
// A shape named that is not there ("make the star red" of a picture with no star): the model changes something
// else, or nothing; notThereNote says so before the edit runs.

import { bareCommand } from '../prompt/typed-text.ts';
import { isEditVerb, listed } from './outside.ts';
import { OBJECT_COLOR_NAMES } from './palette.ts';
import { SHAPES } from './shapes.ts';

/** The shapes' and colours' names, for patterns ("circle|square|…", "red|blue|…"). */
const SHAPE = SHAPES.join('|');
const COLOR = OBJECT_COLOR_NAMES.join('|');
const isColor = (word: string | undefined) => (OBJECT_COLOR_NAMES as readonly (string | undefined)[]).includes(word);

/** A shape the picture shows, by its colour (one of OBJECT_COLOR_NAMES) and shape (one of SHAPES). */
export interface SeenShape {
  color: string;
  shape: string;
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

/** "the red circle", "the large dotted star", "the shape": a thing of the picture's, named (its words, its shape). */
const NAMED = new RegExp(String.raw`\bthe\s+((?:\p{L}+\s+){0,3}?)(${SHAPE}|shape)(?:e?s)?\b`, 'giu');
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

/** "the circle" or "the red shape": a shape named by its shape alone, or its colour alone (never both, no other words). */
const HALF_NAMED = new RegExp(String.raw`\bthe\s+(?:(${COLOR})\s+shape|(${SHAPE}))\b`, 'giu');

/** Does an edit name a shape by its shape or its colour alone ("remove the circle", "make the red shape blue")? */
export const namesHalf = (edit: string) => new RegExp(HALF_NAMED.source, 'iu').test(edit);

/**
 * An edit with each shape it names by its shape or colour alone ("the circle", "the red shape") named by both as the
 * picture shows it ("the blue circle", "the red square"), where exactly one shape seen fits; else as it was.
 */
export function byColor(edit: string, seen: readonly SeenShape[]): string {
  return edit.replace(HALF_NAMED, (all, color: string | undefined, shape: string | undefined) => {
    const fits = seen.filter((s) => (color ? s.color === color.toLowerCase() : s.shape === shape!.toLowerCase()));
    return fits.length === 1 ? `the ${fits[0]!.color} ${fits[0]!.shape}` : all;
  });
}

/** The shapes the edits name by shape or colour alone, each with the name byColor gives it ("the circle" → "the blue circle"). */
export function halfNamed(edits: readonly string[], seen: readonly SeenShape[]): { typed: string; read: string }[] {
  const named = edits.flatMap((e) =>
    [...e.matchAll(HALF_NAMED)].map((m) => ({ typed: m[0], read: byColor(m[0], seen) })),
  );
  return named.filter((n, i) => n.read !== n.typed && named.findIndex((m) => m.typed === n.typed) === i);
}
