// Requests the synthetic world never makes. A model trained on it (kontext-mini) reads every word of "make the
// background red" — but its world draws backgrounds only in eight pastels, so it has never seen a red one and
// answers with a washed-out guess. The words are known, so the unknown-words note (src/prompt/unknown-words.ts)
// says nothing; this names the colour and the ones the world has, before the edit runs.
//
// Three cases, each a colour asked of a thing the world never gives it: a background, an object (a shape) and a
// word. The rules look at the words right after (or before) the thing, as the world's instructions are written
// ("make the background sky blue", "turn the circle red", "a peach background"); no instruction the world writes
// gets a note (test/world/outside.test.ts checks thousands of them).

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
const BACKGROUND_PHRASES = new Set<string>([...Object.values(BACKGROUND_WORDS), 'gray', 'grey', 'light grey']);

/** Words that may stand between a thing and its colour: "change the background to a plain red one". */
const FILLERS = new Set(['to', 'into', 'with', 'a', 'an', 'the', 'plain', 'solid', 'be', 'is', 'as', 'in', 'all']);
const SHADES = new Set(['light', 'dark', 'pale', 'bright', 'deep']);

const TEXT_WORDS = new Set(['word', 'words', 'text', 'letters', 'sign', 'label', 'writing']);
const COURTESY = new Set(['please', 'thanks', 'thank', 'you', 'now', 'instead', 'too', 'also', 'ok']);

/** The colour asked for right after words[i] (skipping fillers): its words ("light blue"), or null. */
function colorAfter(words: string[], i: number): string[] | null {
  let j = i + 1;
  while (j < words.length && FILLERS.has(words[j]!)) j++;
  const start = j;
  while (j < words.length && (SHADES.has(words[j]!) || words[j] === 'sky' || words[j] === 'mint')) j++;
  if (j < words.length && COLOR_WORDS.has(words[j]!)) return words.slice(start, j + 1);
  return j > start && COLOR_WORDS.has(words[j - 1]!) ? words.slice(start, j) : null; // "sky", "mint" alone
}

/** "a red background": the colour words right before words[i], or null. */
function colorBefore(words: string[], i: number): string[] | null {
  let j = i - 1;
  if (j < 0 || !COLOR_WORDS.has(words[j]!)) return null;
  while (j > 0 && (SHADES.has(words[j - 1]!) || words[j - 1] === 'sky' || words[j - 1] === 'mint')) j--;
  return words.slice(j, i);
}

const quoted = (color: string[]) => `"${color.join(' ')}"`;
const listed = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Notes for the colours a prompt asks of things the world never gives them (empty when none). */
export function outsideWorldNotes(prompt: string): string[] {
  // words as the tokenizer's pieces would be, lower-cased; a quoted label ('FLUX') is not a word here
  const words = prompt
    .replace(/(['"])[^'"]*\1/g, ' ')
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter(Boolean);
  const notes: string[] = [];
  const bg = words.indexOf('background');
  if (bg >= 0) {
    const color = colorAfter(words, bg) ?? colorBefore(words, bg);
    if (color && !BACKGROUND_PHRASES.has(color.join(' ')))
      notes.push(
        `the model has drawn backgrounds only in ${listed(Object.values(BACKGROUND_WORDS))} (plain, or a gradient between ` +
          `two), so a ${quoted(color)} background is outside what it learnt`,
      );
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
