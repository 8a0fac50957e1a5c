// "All the shapes" as the shapes the picture shows. The world names one thing per instruction ("remove the red
// circle"), so the model never saw "remove all the shapes": asked that way it removed every shape of a test scene in
// 0 of 20 (models/kontext-mini/NOTES.md, "All the shapes"). What the shapes are, the words do not say — the picture
// does: the editor reads its shapes (src/mini/seen.ts) and eachShapeSeen writes such a clause as one edit per shape,
// each named by its colour, with the clause's verb and its words after the shapes:
//
//   "remove all the shapes"      → "remove the green triangle", "remove the blue circle", …
//   "make every shape red"       → "make the green triangle red", … (not a shape that is red already)
//   "remove all the red shapes"  → the red ones;  "make all the circles blue" → the circles
//
// Not the world's restyles ("make all objects striped", "redraw all the shapes in dotted style": one edit of the
// whole picture), nor a clause whose shapes the picture does not show (it stays as typed).

import { bareCommand } from '../prompt/typed-text.ts';
import { isEditVerb } from './outside.ts';
import { OBJECT_COLOR_NAMES } from './palette.ts';
import { SHAPES } from './shapes.ts';

/** A shape the picture shows, by its colour (one of OBJECT_COLOR_NAMES) and shape (one of SHAPES). */
export interface SeenShape {
  color: string;
  shape: string;
}

/** "<verb> all (of) the [red] shapes …", "every circle", "each of the objects": the verb, the kind, the rest. */
const EVERY = new RegExp(
  String.raw`^(\p{L}+)\s+(?:all(?:\s+of)?|every|each(?:\s+of)?)\s+(?:the\s+)?(?:(\p{L}+)\s+)?(shapes?|objects?|${SHAPES.join('|')})(?:e?s)?\b(.*)$`,
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
  return before === undefined || (OBJECT_COLOR_NAMES as readonly string[]).includes(before);
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
