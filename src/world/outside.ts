// Requests the synthetic world never makes. A model trained on it (kontext-mini) reads every word of "make the
// background red" — but its world draws backgrounds only in eight pastels, so it has never seen a red one and
// answers with a washed-out guess. The words are known, so the unknown-words note (src/prompt/unknown-words.ts)
// says nothing; these notes say it before the edit runs.
//
// Three kinds. Several edits in one instruction ("make the circle blue and the background red"): the world asks one
// per instruction, and sent as one they are rarely done (model card, Known limits), so splitEdits gives them as
// instructions of their own, which the editor makes one after the other — and several things in one edit ("remove
// the circle and the square") as one edit per thing (several-things.ts). A colour asked of a thing the world
// never gives it, for a background, an object (a shape) and a word: the rules look at the words right after (or
// before) the thing, as the world's instructions are written ("make the background sky blue", "turn the circle
// red", "a peach background"). Where one of the world's colours is near the one asked ("a blue background" is its
// "sky blue", "a navy circle" its "blue"), worldColors asks for that one instead and the note says so. And an edit
// the world never makes of its word or its creature ("remove the word 'FLUX'", never-edits.ts). No
// instruction the world writes gets a note or is rewritten, and two of its chain turns joined by "and" always get
// the note (test/world/outside.test.ts checks thousands of them).

import { bareCommand } from '../prompt/typed-text.ts';
import { BODY_COLOR_NAMES } from './characters.ts';
import { BACKGROUND_WORDS, OBJECT_COLOR_NAMES, TEXT_COLOR_NAMES } from './palette.ts';
import { type Shape, SHAPES, shapeNamed } from './shapes.ts';
import { eachThing, sameEditOn } from './several-things.ts';
import { CREATURE_WORDS, neverNote, REMOVE, TEXT_WORDS } from './never-edits.ts';
import { namesTone } from './tone-edits.ts';

/** Background colours as one or two words ("sky blue", "light gray"), and grey for gray. */
const BACKGROUND_PHRASES = new Set<string>([...Object.values(BACKGROUND_WORDS), 'light grey']);

/**
 * The world's colour nearest in hue to a colour word it never draws, for a background (its pastels are light: "make
 * the background blue" is its "sky blue") and for a shape or a word (its hues: "navy" is its "blue"). Asked in the
 * other word the model drew 3 of 40 test backgrounds (the world's words: 32) and recoloured 2 of 40 shapes (28)
 * (models/kontext-mini/NOTES.md, "Colours in other words"). Colours with none near (red or black for a background,
 * black, white or brown for a shape) keep their note and are asked as typed.
 */
const near = (world: string, words: string[]) => words.map((w) => [w, world] as const);
const NEAREST_BACKGROUND: ReadonlyMap<string, string> = new Map([
  ...near(BACKGROUND_WORDS.sky, ['blue', 'cyan', 'turquoise', 'navy', 'sky']),
  ...near(BACKGROUND_WORDS.mint, ['green', 'lime', 'olive', 'mint']),
  ...near(BACKGROUND_WORDS.lavender, ['purple', 'violet', 'indigo', 'magenta']),
  ...near(BACKGROUND_WORDS.gray, ['gray', 'grey', 'silver']),
  ...near(BACKGROUND_WORDS.sand, ['yellow', 'gold', 'golden', 'beige', 'tan', 'brown']),
  ...near(BACKGROUND_WORDS.peach, ['orange', 'pink', 'salmon']),
]);
const NEAREST_HUE: ReadonlyMap<string, string> = new Map([
  ...OBJECT_COLOR_NAMES.map((c) => [c, c] as const),
  ...near('blue', ['navy', 'azure', 'cobalt']),
  ...near('purple', ['violet', 'indigo', 'lavender', 'lilac', 'plum']),
  ...near('pink', ['magenta', 'fuchsia', 'rose']),
  ...near('green', ['lime', 'olive', 'mint', 'emerald']),
  ...near('cyan', ['turquoise', 'teal', 'aqua']),
  ...near('yellow', ['gold', 'golden', 'lemon']),
  ...near('red', ['crimson', 'scarlet', 'maroon']),
  ...near('orange', ['amber', 'tangerine']),
]);

/** Colour words a request may use: the world's own, those with a nearest, and a few with none (black, white). */
const COLOR_WORDS = new Set<string>([
  ...OBJECT_COLOR_NAMES,
  ...BODY_COLOR_NAMES,
  ...['black', 'white', 'cream', 'peach', 'sand'],
  ...NEAREST_BACKGROUND.keys(),
  ...NEAREST_HUE.keys(),
]);

/**
 * Is this a colour a request may name: one colour word (COLOR_WORDS: the world's, those with a nearest, black,
 * white), a shade of one ("light blue", "dark green") or one of the world's two-word backgrounds ("sky blue")? Not
 * "sky red", "star red".
 */
export function isColorPhrase(text: string): boolean {
  const words = text.toLowerCase().trim().split(/\s+/);
  if (words.length === 1) return COLOR_WORDS.has(words[0]!);
  return (
    words.length === 2 &&
    COLOR_WORDS.has(words[1]!) &&
    (SHADES.has(words[0]!) || BACKGROUND_PHRASES.has(words.join(' ')))
  );
}

/** A colour a clause asks of a thing the world never gives it: its words, the thing, and the world's nearest. */
interface ColorAsked {
  color: string[];
  /** what the note names: "background", a shape, "letters", "creature" */
  thing: 'background' | 'letters' | Shape | 'shape' | 'creature';
  /** the world's colour it is drawn as (NEAREST_*), or null: none near */
  as: string | null;
}

/**
 * The colour a clause asks of a thing the world never gives it, or null: a background's colour after or before the
 * word ("make the background red", "a red background"); else the colour the clause ends with ("make the red circle
 * blue"), of a word or a shape.
 */
function colorAsked(clause: string): ColorAsked | null {
  const words = wordsOf(clause);
  const bg = words.indexOf('background');
  if (bg >= 0) {
    // a background request names no object's colour
    const color = colorAfter(words, bg) ?? colorBefore(words, bg);
    if (!color || BACKGROUND_PHRASES.has(color.join(' '))) return null;
    return { color, thing: 'background', as: NEAREST_BACKGROUND.get(color.at(-1)!) ?? null };
  }
  const text = words.some((w) => TEXT_WORDS.has(w));
  // a shape named, or one whatever it is ("make the red shape blue")
  const named = words.map(shapeNamed);
  const shape = named.find((s) => s !== null && s !== 'shape') ?? named.find((s) => s !== null) ?? undefined;
  while (words.length && COURTESY.has(words.at(-1)!)) words.pop();
  const color = colorBefore(words, words.length);
  if (!color) return null;
  const said = color.join(' ');
  const hue = NEAREST_HUE.get(color.at(-1)!) ?? null; // a shade goes with the colour: "light blue" is blue
  if (text)
    return (TEXT_COLOR_NAMES as readonly string[]).includes(said)
      ? null
      : { color, thing: 'letters', as: hue && (TEXT_COLOR_NAMES as readonly string[]).includes(hue) ? hue : null };
  // the creature's colours are its identity's: the world never recolours it
  if (!shape && words.some((w) => CREATURE_WORDS.has(w))) return { color, thing: 'creature', as: null };
  if (!shape || (OBJECT_COLOR_NAMES as readonly string[]).includes(said)) return null;
  return { color, thing: shape, as: hue };
}

/**
 * A prompt with each colour the world never draws written as its nearest ("make the background blue" → "… sky
 * blue", "make the circle navy" → "… blue"), per clause; the prompt as it was when there is none.
 */
export function worldColors(prompt: string): string {
  const parts = prompt.split(CLAUSE_BREAK);
  for (let i = 0; i < parts.length; i += 2) {
    const asked = colorAsked(parts[i]!);
    if (!asked?.as) continue;
    // the colour's words as typed: a background's nearest the word after it, else the last in the clause
    const found = [...parts[i]!.matchAll(new RegExp(`\\b${asked.color.join('[\\s-]+')}\\b`, 'gi'))];
    const after = parts[i]!.search(/background/i);
    const m = (asked.thing === 'background' ? found.find((f) => f.index > after) : undefined) ?? found.at(-1);
    if (m) parts[i] = parts[i]!.slice(0, m.index) + asked.as + parts[i]!.slice(m.index + m[0].length);
  }
  return parts.join('');
}

/** Words that may stand between a thing and its colour: "change the background to a plain red one". */
const FILLERS = new Set([
  ...['to', 'into', 'with', 'a', 'an', 'the', 'plain', 'solid', 'be', 'is', 'as', 'in', 'all'],
  // "change the background colour to red", "make the background of the image red"
  ...['color', 'colour', 'of', 'image', 'picture', 'scene'],
]);
const SHADES = new Set(['light', 'dark', 'pale', 'bright', 'deep']);
/** Words that may open a colour of two words: a shade ("light blue"), or the first of "sky blue", "mint green". */
const opensColor = (w: string | undefined) => w !== undefined && (SHADES.has(w) || w === 'sky' || w === 'mint');

const COURTESY = new Set(['please', 'thanks', 'thank', 'you', 'now', 'instead', 'too', 'also', 'ok']);

/** The colour asked for right after words[i] (skipping fillers): its words ("light blue"), or null. */
function colorAfter(words: string[], i: number): string[] | null {
  let j = i + 1;
  while (j < words.length && FILLERS.has(words[j]!)) j++;
  const start = j;
  while (j < words.length && opensColor(words[j])) j++;
  if (j < words.length && COLOR_WORDS.has(words[j]!)) return words.slice(start, j + 1);
  return j > start && COLOR_WORDS.has(words[j - 1]!) ? words.slice(start, j) : null; // "sky", "mint" alone
}

/** "a red background": the colour words right before words[i], or null. */
function colorBefore(words: string[], i: number): string[] | null {
  let j = i - 1;
  if (j < 0 || !COLOR_WORDS.has(words[j]!)) return null;
  while (j > 0 && opensColor(words[j - 1])) j--;
  return words.slice(j, i);
}

const quoted = (color: string[]) => `"${color.join(' ')}"`;
/** "a, b and c"; one name alone as it is. */
export const listed = (names: readonly string[]) =>
  names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Words as the tokenizer's pieces would be, lower-cased; a quoted label ('FLUX') is not a word here. */
const wordsOf = (text: string) =>
  text
    .replace(/(['"])[^'"]*\1/g, ' ')
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter(Boolean);

/**
 * The edits an instruction asks for, in order: [prompt] when it is one, else its clauses, each an instruction of its
 * own — an elliptical one takes the verb of the last clause that had one ("make the circle blue and the background
 * red" → "make the circle blue", "make the background red"), several things one edit each, "it" and "them" named
 * (readOn). A clause that is not an edit of its own stays with the one before ("move the creature to the left and
 * make it small" is one edit, as the world writes it).
 */
export function splitEdits(prompt: string): string[] {
  const out = readEdits(prompt).flat();
  return out.length > 1 ? out : [prompt];
}

/** The edits of splitEdits grouped by the clause typed: one group per clause, a group per thing of several. */
function readEdits(prompt: string): string[][] {
  // split() with a captured break gives clause, break, clause, …
  const parts = prompt.split(CLAUSE_BREAK);
  const edits = [parts[0]!];
  for (let i = 2; i < parts.length; i += 2) {
    const words = wordsOf(parts[i]!);
    const before = wordsOf(bareCommand(edits.at(-1)!)); // "Please make the circle blue": its command's words
    // after a comma, only an edit after an edit ("using the second image as a style reference, restyle …" is one)
    const commaInside = /^\s*,\s*$/.test(parts[i - 1]!) && !EDIT_VERBS.has(before[0] ?? '') && before[0] !== 'the';
    const own = !commaInside && (isEdit(words, /then/i.test(parts[i - 1]!), before) || themAt(words));
    if (parts[i]!.trim() && own) edits.push(parts[i]!);
    else edits[edits.length - 1] += parts[i - 1]! + parts[i]!;
  }
  const groups: string[][] = [];
  let verb = ''; // the last whole clause's: "make ", "change ", "add "
  for (const [i, typed] of edits.entries()) {
    const e = typed.trim();
    if (!e) continue;
    // an elliptical clause takes the verb of the last clause that had one, or, "the star too", the whole edit before
    // (several-things.ts)
    const elliptical = i > 0 && /^(?:the|an?)\b/i.test(e);
    if (!elliptical) verb = /^\s*(.*?)\b(?:the|an?)\b/i.exec(e)?.[1] ?? '';
    const also = elliptical && groups.length ? sameEditOn(groups.at(-1)!.at(-1)!, e) : null;
    groups.push(readOn(also ?? (elliptical ? `${verb}${e}` : e), groups));
  }
  return groups;
}

/**
 * One clause's edits after the group of edits before (`before`): "it" the shape the edit before named, as that edit
 * left it ("make the red circle blue, then move it to the left" → "move the blue circle to the left": an edit of its
 * own, "move it to the left" would leave the model to guess); "them" each thing of several ("make the circle and the
 * square red, then move them up" → "move the red circle up", "move the red square up"); and one edit per thing of
 * several ("remove the circle and the square", several-things.ts).
 */
function readOn(clause: string, before: string[][]): string[] {
  const them = substituteThem(clause, before);
  if (them) return them;
  const it = before.length ? substituteIt(clause, before.at(-1)!.at(-1)!) : null;
  return eachThing(it ?? clause, isEditVerb);
}

/** Does a clause's first word (lower case) start an edit: "remove", "make", "shrink", …? */
export const isEditVerb = (w: string) => EDIT_VERBS.has(w);
/** "move them up", "now make them bigger, please": a command whose thing is "them". */
const themAt = (words: string[]) => EDIT_VERBS.has(words[0] ?? '') && words[1] === 'them';

/**
 * The edits a "them" after `groups` means: the last clause's when it edited several things ("make the circle and the
 * square red"), else the shapes' edits just before it, one a clause ("make the circle red and the square blue").
 */
function themEdits(groups: string[][]): string[] {
  const last = groups.at(-1) ?? [];
  if (last.length > 1) return last;
  const flat = groups.flat();
  let from = flat.length;
  while (from > 0 && shapeAfter(wordsOf(bareCommand(flat[from - 1]!)))) from--;
  return flat.slice(from);
}

/**
 * An instruction whose "it" means the shape the instruction before edited (a chat's or a session's turn before: "make
 * the red circle blue", then "move it up"), with "it" written as that shape as the edit left it ("move the blue
 * circle up"); "them" after several things, each ("move the red circle up and move the red square up"); the
 * instruction as it was when its first edit is no "<verb> it …" of a shape (the picture's "make it night", the
 * creature's "make it small" after "move the creature left", a removed shape), or there was none before.
 */
export function resolveIt(instruction: string, previous: string | undefined): string {
  if (!previous) return instruction;
  const before = readEdits(previous);
  const them = substituteThem(instruction, before);
  if (them) return them.join(' and ');
  return substituteIt(instruction, before.at(-1)!.at(-1)!) ?? instruction;
}

/** `clause` with its "it" written as the shape `before` edited ("move it up" → "move the blue circle up"), or null. */
function substituteIt(clause: string, before: string): string | null {
  const words = wordsOf(bareCommand(clause)); // "now move it up, please": the command's first words
  const thing = shapeAfter(wordsOf(bareCommand(before)));
  const at = itAt(words);
  if (!thing || at < 0 || wholeImage(words.slice(at + 1))) return null;
  return clause.replace(/\bit\b/i, thing);
}

/**
 * `clause` once per shape the edits before it named (themEdits), its "them" written as each as its edit left it
 * ("move them up" after "make the circle and the square red" → "move the circle up", "move the square up"; the
 * command alone, without the courtesy words around it), or null: not "<verb> them …", the picture's ("make them
 * darker"), fewer than two shapes before, or one of them taken away.
 */
function substituteThem(clause: string, groups: string[][]): string[] | null {
  const command = bareCommand(clause);
  const words = wordsOf(command);
  const before = themEdits(groups);
  if (before.length < 2 || !themAt(words) || wholeImage(words.slice(2))) return null;
  const things = before.map((e) => shapeAfter(wordsOf(bareCommand(e))));
  return things.every((t) => t !== null) ? things.map((t) => command.replace(/\bthem\b/i, t)) : null;
}

/**
 * Where an edit's words name the thing "it": right after the verb ("move it up") or as the world names a thing's
 * colour or size ("change the color of it to red"); -1 when they do not.
 */
function itAt(words: string[]): number {
  if (!EDIT_VERBS.has(words[0] ?? '')) return -1;
  if (words[1] === 'it') return 1;
  return words[4] === 'it' && /^the (?:colou?r|size) of$/.test(words.slice(1, 4).join(' ')) ? 4 : -1;
}

/**
 * The shape an edit's words name, as the edit leaves it: "make the red circle blue" → "the blue circle", "move the
 * circle left" and "make the circle blue" → "the circle", "turn the red shape green" → "the green shape"; null when
 * they name none (the creature, the background, a word), or the edit takes it away ("remove the star").
 */
function shapeAfter(words: string[]): string | null {
  if (REMOVE.test(words.join(' '))) return null; // taken away: there is no "it" to edit after
  const at = words.findIndex((w) => (SHAPES as readonly string[]).includes(w) || w === 'shape');
  if (at < 1) return null;
  const color = COLOR_WORDS.has(words[at - 1]!) ? words[at - 1]! : null;
  if (words[at - (color ? 2 : 1)] !== 'the' || words.some((w) => THINGS.has(w) && !SHAPES.includes(w as Shape)))
    return null;
  // named by its colour, it is named by the colour a recolour gives (the clause's last words, "… blue"); named by
  // its shape alone ("the circle"), that was enough, and stays so whatever the model made of the colour
  const last = words.length - 1;
  const given =
    color && last > at && COLOR_WORDS.has(words[last]!) ? colorBefore(words, words.length)!.join(' ') : color;
  return `the ${given ? `${given} ` : ''}${words[at]}`;
}

/**
 * Notes for what a prompt asks that the world never does (empty when none): two edits at once, and colours asked
 * of things the world never draws in them (per clause: "make the circle blue and the background red").
 */
export function outsideWorldNotes(prompt: string): string[] {
  const edits = splitEdits(prompt);
  const notes: string[] =
    edits.length > 1
      ? [
          `the model learnt one edit per instruction, and this asks for ${edits.length} (` +
            `${edits.map((c) => `"${c}"`).join(', ')}): kontext-mini makes them one after the other, each on the ` +
            'last answer',
        ]
      : [];
  return [
    ...notes,
    ...prompt
      .split(CLAUSE_BREAK)
      .filter((_, i) => i % 2 === 0)
      .flatMap(colorNotes),
    // edits the world never makes of its word or its creature (never-edits.ts)
    ...edits.flatMap((e) => neverNote(bareCommand(e)) ?? []),
  ];
}

/** Verbs that start an edit of the world's (and a few more users type). */
const EDIT_VERBS = new Set([
  ...['make', 'turn', 'change', 'move', 'remove', 'add', 'put', 'place', 'recolor', 'recolour', 'replace', 'delete'],
  ...['erase', 'shift', 'paint', 'color', 'colour', 'write', 'draw', 'redraw', 'convert', 'relocate', 'swap', 'set'],
  ...['take', 'get', 'apply', 'restyle', 'rewrite', 'show', 'use', 'give', 'fill', 'rename'],
  // other verbs for the world's edits (other-phrasings.ts)
  ...['shrink', 'enlarge', 'grow', 'expand', 'scale', 'upscale', 'downsize', 'magnify', 'darken', 'brighten'],
  'insert',
]);
/**
 * "… and …", "…, then …", "…; …", "…, the …", "…, make …": where a second edit may start (not the "and" of "black and
 * white"; a comma only before "the", as in "make the circle red, the square blue and …", or before an edit's verb
 * after an edit, as in "remove the star, make the circle red").
 */
const CLAUSE_BREAK = new RegExp(
  String.raw`(\s*;\s*|(?:(?<!\bblack)|(?!,?\s+and\s+white\b)),?\s+(?:and\s+then|and|then)\s+|,\s+(?=(?:the|${[...EDIT_VERBS].join('|')})\s))`,
  'i',
);
/**
 * Does what a clause asks of "it" ask for the whole picture's tone ("night", "black and white", "darker"; tone-edits.ts
 * namesTone)? Then "…; make it night" is an edit of its own, whatever the clause before named, and its "it" is the
 * picture.
 */
const wholeImage = (rest: string[]) => namesTone(rest.join(' '));

/** Verbs that bring a new thing ("add a red star …"): an elliptical "and a blue circle at the top" is another. */
const NEW_THING_VERBS = new Set(['add', 'put', 'place', 'draw', 'insert']);

/** Things an elliptical clause names before what of them: "and the background red". */
const THINGS = new Set(['background', 'word', 'text', 'letters', 'sign', 'character', 'creature', ...SHAPES]);

/**
 * Does a clause after a break ask for an edit of its own? After "then" any verb; after "and" or ";" a verb with its
 * own object ("and make the square red") or one that only the whole image can take ("; make it night"), not one on
 * the same thing ("move the creature left and make it small", as the world writes); or an elliptical "the <thing>
 * <what of it>" ("and the background red", "and the square to the top"; after an add, "and a blue star at the
 * bottom") after an edit that says what of its own thing (not "make the circle and the square blue": one edit of
 * two things, eachThing's).
 */
function isEdit(words: string[], afterThen: boolean, before: string[]): boolean {
  if (EDIT_VERBS.has(words[0]!))
    return (
      afterThen ||
      !['it', 'them', 'its', 'that', 'this'].includes(words[1] ?? 'it') ||
      wholeImage(words.slice(2)) ||
      // "make the circle blue and move it left": two edits of a shape (the world asks two of its creature at once)
      (itAt(words) > 0 && shapeAfter(before) !== null)
    );
  const edits = EDIT_VERBS.has(before[0] ?? '') || before[0] === 'the'; // an edit (or an elliptical one) before
  // "and the square to the top"; "and a blue star at the bottom" after an edit that brings a new thing
  const article = (w: string | undefined) => w === 'a' || w === 'an';
  const opens = words[0] === 'the' || (article(words[0]) && NEW_THING_VERBS.has(before[0] ?? '') && article(before[1]));
  return opens && edits && saysMore(words.slice(1)) && saysMore(before);
}

/**
 * Do the words name a thing and then say what of it ("red circle to the top", "the background red")? A clause
 * that ends with its thing ("remove the star") says nothing more: "and the square" after it is a second thing of
 * the same edit (several-things.ts), not an elliptical edit.
 */
function saysMore(words: string[]): boolean {
  const named = (w: string) =>
    [w, w.replace(/s$/, ''), w.replace(/es$/, '')].some((v) => THINGS.has(v) || v === 'shape');
  const at = words.findIndex(named);
  return at >= 0 && at < words.length - 1;
}

/** Notes for the colours a clause asks of things the world never gives them (empty when none). */
function colorNotes(clause: string): string[] {
  const asked = colorAsked(clause);
  if (!asked) return [];
  const { color, thing, as } = asked;
  const only =
    thing === 'background'
      ? `the model has drawn backgrounds only in ${listed(Object.values(BACKGROUND_WORDS))} (plain, or a gradient between two)`
      : thing === 'letters'
        ? `the model writes words only in ${listed(TEXT_COLOR_NAMES)}`
        : thing === 'creature'
          ? "the model has never recoloured the creature (its colours are its identity's)"
          : `the model draws shapes only in ${listed(OBJECT_COLOR_NAMES)}`;
  const what = thing === 'letters' ? `${quoted(color)} letters` : `a ${quoted(color)} ${thing}`;
  const drawn = thing === 'letters' ? 'are' : 'is';
  return [
    `${only}, so ${what} ${as ? `${drawn} drawn as the nearest of them, "${as}"` : `${drawn} outside what it learnt`}`,
  ];
}
