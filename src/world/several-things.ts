// Several things in one edit. The world names one thing per instruction ("remove the red circle"), so the model
// never saw "remove the red circle and the blue square": asked that way it removed both in 0 of 30 test scenes, and
// asked as two edits made one after the other ("remove the red circle", "remove the blue square") in 26 of 30
// (recolours "make the circle and the square blue": 0 → 18 of 30; models/kontext-mini/NOTES.md, "Several things in
// one edit"). eachThing writes such a clause as one edit per thing, each with the clause's verb and its words after
// the last thing:
//
//   "make the red circle and the blue square green" → "make the red circle green", "make the blue square green"
//   "remove the circle, the star and the cross"    → "remove the circle", "remove the star", "remove the cross"
//   "add a red circle and a blue star at the top"  → "add a red circle at the top", "add a blue star at the top"
//   "make the circle blue and the star too"        → "make the circle blue", "make the star blue" (sameEditOn)
//
//   "I want a red star and a blue circle at the top" → "I want a red star at the top", "I want a blue circle at …"
//
// Only shapes (and "the shape"), in a clause that starts with an edit's verb or a wish (other-phrasings.ts reads
// each as the world's edit); not where the things are edited together ("swap the circle and the square", "… the
// same colour", "… next to each other").

import { bareCommand } from '../prompt/typed-text.ts';
import { SHAPE_NOUN } from './shapes.ts';

/** A wish for a new thing, where an edit's verb would be: "I want (a red star …)", "there should be", "include". */
export const WISH_FOR = String.raw`(?:i (?:want|would like|need)|i['’]d like|there should be|(?:(?:can|could) we )?have|include)`;
/** A wish for a thing gone, where an edit's verb would be: "(I) don't want (the star)". */
export const WISH_AWAY = String.raw`(?:i )?(?:don['’]t|do not) want`;
const WISH = new RegExp(String.raw`^(?:${WISH_FOR}|${WISH_AWAY})\s`, 'i');

/** A thing of the world's, as typed: "the red circle", "a large striped star", "the shape" (a few words, a noun). */
const ADJECTIVES = String.raw`(?:(?!(?:and|the|then)\b)[a-z]+\s+){0,3}?`;
/** "the red circle", then ", the star", " and the cross", ", and square" (the "the" of a later one may be left out). */
const SEVERAL = new RegExp(
  String.raw`^(.*?)(?:\bboth\s+)?((?:the|an?)\s+${ADJECTIVES}${SHAPE_NOUN})((?:(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:(?:the|an?)\s+)?${ADJECTIVES}${SHAPE_NOUN})+)(.*)$`,
  'i',
);
const NEXT = new RegExp(
  String.raw`(?:\s*,\s*(?:and\s+)?|\s+and\s+)((?:(?:the|an?)\s+)?${ADJECTIVES}${SHAPE_NOUN})`,
  'gi',
);
/** Edits of several things together, which one edit per thing would not make. */
const TOGETHER = /\b(?:swap|switch|exchange|each other|together|same|different|between|apart|closer|align|line)\b/i;

/** An elliptical clause asking the edit before of another thing: "(and) the star too", "the square as well". */
const ALSO = new RegExp(String.raw`^((?:the|an?)\s+${ADJECTIVES}${SHAPE_NOUN})\s*,?\s+(?:too|also|as well)\W*$`, 'i');

/**
 * The edit `before` made of another thing, when `clause` asks for it ("the star too" after "make the circle blue" →
 * "make the star blue"); null when it does not, or `before` names no thing.
 */
export function sameEditOn(before: string, clause: string): string | null {
  const thing = ALSO.exec(clause.trim())?.[1];
  const first = new RegExp(String.raw`\b(?:the|an?)\s+${ADJECTIVES}${SHAPE_NOUN}`, 'i');
  return thing && first.test(before) ? before.replace(first, thing) : null;
}

/**
 * One edit per thing of a clause that edits several (above); [clause] when it names one, or the things are edited
 * together. `isEditVerb` says whether a clause's first word starts an edit (outside.ts's verbs).
 */
export function eachThing(clause: string, isEditVerb: (word: string) => boolean): string[] {
  const m = SEVERAL.exec(clause);
  if (!m || TOGETHER.test(clause)) return [clause];
  const [, head, first, more, rest] = m as unknown as [string, string, string, string, string];
  const verb = bareCommand(clause).split(/\s+/)[0]?.toLowerCase() ?? ''; // "please remove …": "remove"
  // the verb (or a wish) opens the command, and no thing stands before the list ("move the star to the left of the
  // circle and …")
  const opens = isEditVerb(verb) || WISH.test(bareCommand(clause));
  if (!opens || new RegExp(SHAPE_NOUN, 'i').test(head)) return [clause];
  // a later thing without its article takes the first's ("the circle and square", "a circle and square")
  const article = /^\w+/.exec(first)![0];
  const things = [first, ...[...more.matchAll(NEXT)].map((n) => n[1]!.replace(/^(?!(?:the|an?)\s)/i, `${article} `))];
  // "remove the circle and the star too": each is one thing's edit, with no "too"
  const own = rest.replace(/\s*,?\s+(?:too|also|as well)(?=\W*$)/i, '');
  return things.map((t) => `${head}${t}${own}`.trim());
}
