// Requests the synthetic world never makes. A model trained on it (kontext-mini) reads every word of "make the
// background red" — but its world draws backgrounds only in eight pastels, so it has never seen a red one and
// answers with a washed-out guess. The words are known, so the unknown-words note (src/prompt/unknown-words.ts)
// says nothing; these notes say it before the edit runs.
//
// Two kinds. Several edits in one instruction ("make the circle blue and the background red"): the world asks one
// per instruction, and sent as one they are rarely done (model card, Known limits), so splitEdits gives them as
// instructions of their own, which the editor makes one after the other. A colour asked of a thing the world
// never gives it, for a background, an object (a shape) and a word: the rules look at the words right after (or
// before) the thing, as the world's instructions are written ("make the background sky blue", "turn the circle
// red", "a peach background"). No instruction the world writes gets a note, and two of its chain turns joined by
// "and" always do (test/world/outside.test.ts checks thousands of them).

import { BODY_COLOR_NAMES } from './characters.ts';
import { BACKGROUND_WORDS, OBJECT_COLOR_NAMES, TEXT_COLOR_NAMES } from './palette.ts';
import { SHAPES } from './shapes.ts';

/** Colour words a request may use: the world's own and common others it never draws. */
const COLOR_WORDS = new Set<string>([
  ...OBJECT_COLOR_NAMES,
  ...BODY_COLOR_NAMES,
  ...['black', 'white', 'gray', 'grey', 'cream', 'lavender', 'peach', 'sand', 'mint', 'sky', 'gold', 'golden'],
  ...['silver', 'beige', 'navy', 'maroon', 'magenta', 'turquoise', 'indigo', 'olive', 'tan', 'crimson'],
]);

/** Background colours as one or two words ("sky blue", "light gray"), and grey for gray. */
const BACKGROUND_PHRASES = new Set<string>([...Object.values(BACKGROUND_WORDS), 'light grey']);

/**
 * The world's background nearest in hue to a colour it never draws behind things: its pastels are light ("make the
 * background blue" is its "sky blue"). Asked in the colour's own word the model drew 3 of 40 test backgrounds, in the
 * world's 32 (models/kontext-mini/NOTES.md, "Backgrounds in plain colour words"). Colours with no pastel near them
 * (red, black, teal) have none and keep their note.
 */
const NEAREST_BACKGROUND: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['blue', 'cyan', 'turquoise', 'navy', 'sky'].map((c) => [c, BACKGROUND_WORDS.sky])),
  ...Object.fromEntries(['green', 'lime', 'olive', 'mint'].map((c) => [c, BACKGROUND_WORDS.mint])),
  ...Object.fromEntries(['purple', 'violet', 'indigo', 'magenta'].map((c) => [c, BACKGROUND_WORDS.lavender])),
  ...Object.fromEntries(['gray', 'grey', 'silver'].map((c) => [c, BACKGROUND_WORDS.gray])),
  ...Object.fromEntries(['yellow', 'gold', 'golden', 'beige', 'tan', 'brown'].map((c) => [c, BACKGROUND_WORDS.sand])),
  ...Object.fromEntries(['orange', 'pink', 'salmon'].map((c) => [c, BACKGROUND_WORDS.peach])),
};

/** The background colour a clause asks for, its words ("light blue") and where they stand, or null. */
function backgroundColor(words: string[]): string[] | null {
  const bg = words.indexOf('background');
  return bg < 0 ? null : (colorAfter(words, bg) ?? colorBefore(words, bg));
}

/** The world's background a colour asked of one is drawn as (NEAREST_BACKGROUND), or null: the world's own, or none. */
function nearestBackground(color: string[]): string | null {
  if (BACKGROUND_PHRASES.has(color.join(' '))) return null;
  return NEAREST_BACKGROUND[color.at(-1)!] ?? null;
}

/**
 * A prompt with each background colour the world never draws written as the nearest it does ("make the background
 * blue" → "… sky blue"), per clause; the prompt as it was when there is none.
 */
export function worldBackgrounds(prompt: string): string {
  const parts = prompt.split(CLAUSE_BREAK);
  for (let i = 0; i < parts.length; i += 2) {
    const color = backgroundColor(wordsOf(parts[i]!));
    const as = color && nearestBackground(color);
    if (!color || !as) continue;
    // the colour's words as typed, the nearest ones to the word "background"
    const said = new RegExp(`\\b${color.join('[\\s-]+')}\\b`, 'gi');
    const at = parts[i]!.search(/background/i);
    const found = [...parts[i]!.matchAll(said)];
    const m = found.find((f) => f.index > at) ?? found.at(-1);
    if (m) parts[i] = parts[i]!.slice(0, m.index) + as + parts[i]!.slice(m.index + m[0].length);
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

const TEXT_WORDS = new Set(['word', 'words', 'text', 'letters', 'sign', 'label', 'writing']);
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
const listed = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Words as the tokenizer's pieces would be, lower-cased; a quoted label ('FLUX') is not a word here. */
const wordsOf = (text: string) =>
  text
    .replace(/(['"])[^'"]*\1/g, ' ')
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter(Boolean);

/**
 * The edits an instruction asks for, in order: [prompt] when it is one, else its clauses, each an instruction of its
 * own — an elliptical one takes the first clause's verb ("make the circle blue and the background red" → "make the
 * circle blue", "make the background red"). A clause that is not an edit of its own stays with the one before
 * ("move the creature to the left and make it small" is one edit, as the world writes it).
 */
export function splitEdits(prompt: string): string[] {
  // split() with a captured break gives clause, break, clause, …
  const parts = prompt.split(CLAUSE_BREAK);
  const edits = [parts[0]!];
  for (let i = 2; i < parts.length; i += 2) {
    const words = wordsOf(parts[i]!);
    const before = wordsOf(edits.at(-1)!);
    if (parts[i]!.trim() && isEdit(words, /then/i.test(parts[i - 1]!), before)) edits.push(parts[i]!);
    else edits[edits.length - 1] += parts[i - 1]! + parts[i]!;
  }
  const verb = /^\s*(.*?)\bthe\b/i.exec(edits[0]!)?.[1] ?? ''; // "make ", "change "
  const out = edits
    .map((e, i) => (i > 0 && /^the\b/i.test(e.trim()) ? `${verb}${e.trim()}` : e.trim()))
    .filter(Boolean);
  return out.length > 1 ? out : [prompt];
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
  ];
}

/** "… and …", "…, then …", "…; …": where a second edit may start (not the "and" of "black and white"). */
const CLAUSE_BREAK = /(\s*;\s*|(?:(?<!\bblack)|(?!,?\s+and\s+white\b)),?\s+(?:and\s+then|and|then)\s+)/i;

/** Verbs that start an edit of the world's (and a few more users type). */
const EDIT_VERBS = new Set([
  ...['make', 'turn', 'change', 'move', 'remove', 'add', 'put', 'place', 'recolor', 'recolour', 'replace', 'delete'],
  ...['erase', 'shift', 'paint', 'color', 'colour', 'write', 'draw', 'redraw', 'convert', 'relocate', 'swap', 'set'],
  ...['take', 'get', 'apply', 'restyle', 'rewrite', 'show', 'use', 'give', 'fill', 'rename'],
]);
/** What only the whole image can be: "…; make it night" is an edit of its own, whatever the clause before named. */
const WHOLE = new Set([
  'night',
  'day',
  'daytime',
  'daylight',
  'grayscale',
  'greyscale',
  'monochrome',
  'black and white',
]);
/** Things an elliptical clause names before its colour: "and the background red". */
const THINGS = new Set(['background', 'word', 'text', 'letters', 'sign', 'character', 'creature', ...SHAPES]);

/**
 * Does a clause after a break ask for an edit of its own? After "then" any verb; after "and" or ";" a verb with its
 * own object ("and make the square red") or one that only the whole image can take ("; make it night"), not one on
 * the same thing ("move the creature left and make it small", as the world writes); or an elliptical "the <thing> <colour>" ("and the background red") after a clause that ends
 * with its own colour (not "make the circle and the square blue", one edit of two things).
 */
function isEdit(words: string[], afterThen: boolean, before: string[]): boolean {
  if (EDIT_VERBS.has(words[0]!))
    return (
      afterThen ||
      !['it', 'them', 'its', 'that', 'this'].includes(words[1] ?? 'it') ||
      WHOLE.has(words.slice(2).join(' '))
    );
  const thing = words[1] ?? '';
  const named = [thing, thing.replace(/s$/, ''), thing.replace(/es$/, '')].some((w) => THINGS.has(w));
  const colored = (w: string[]) => COLOR_WORDS.has(w.at(-1) ?? '');
  return words[0] === 'the' && named && colored(words) && colored(before);
}

/** Notes for the colours a clause asks of things the world never gives them (empty when none). */
function colorNotes(clause: string): string[] {
  const words = wordsOf(clause);
  const notes: string[] = [];
  if (words.includes('background')) {
    const color = backgroundColor(words);
    const as = color && nearestBackground(color);
    const only = `the model has drawn backgrounds only in ${listed(Object.values(BACKGROUND_WORDS))} (plain, or a gradient between two)`;
    if (color && as) notes.push(`${only}, so a ${quoted(color)} background is drawn as the nearest of them, "${as}"`);
    else if (color && !BACKGROUND_PHRASES.has(color.join(' ')))
      notes.push(`${only}, so a ${quoted(color)} background is outside what it learnt`);
    return notes; // a background request names no object's colour
  }
  const text = words.findIndex((w) => TEXT_WORDS.has(w));
  const shape = SHAPES.find((s) => words.some((w) => w === s || w === `${s}s` || w === `${s}es`));
  // the colour an instruction ends with is the one it asks for ("make the red circle blue")
  while (words.length && COURTESY.has(words.at(-1)!)) words.pop();
  const color = colorBefore(words, words.length);
  if (!color) return notes;
  const said = color.join(' ');
  if (text >= 0 && !(TEXT_COLOR_NAMES as readonly string[]).includes(said))
    notes.push(
      `the model writes words only in ${listed(TEXT_COLOR_NAMES)}, so ${quoted(color)} letters are outside what it learnt`,
    );
  else if (text < 0 && shape && !(OBJECT_COLOR_NAMES as readonly string[]).includes(said))
    notes.push(
      `the model draws shapes only in ${listed(OBJECT_COLOR_NAMES)}, so a ${quoted(color)} ${shape} is outside what it learnt`,
    );
  return notes;
}
