// What to tell a user about the words of a prompt the model cannot read: words its vocabulary lacks are spelled
// letter by letter and read without meaning, so they are named before an edit runs. A typo of a vocabulary word
// ("cirlce") is read as that word, and the note says so; an English word one typo from one ("blur", not "blue")
// is not a typo: it stays unknown, with the guess offered ("did you mean").

import { ENGLISH_NEAR_WORDS } from './english-near-words.ts';

export interface PromptCheck {
  /** lower-cased, in order, each once: the words read without meaning (typos read as known words are not among them) */
  unknownWords: string[];
  /** typed words read as the vocabulary words they are typos of, in order, each once */
  typos?: Typo[];
  /** typed words read as the world's words for them ("ball" as "circle"), in order, each once */
  otherWords?: Typo[];
  /**
   * instructions (or the edits split from one) asked as the world words them ("shrink the circle" as "make the circle
   * smaller"), and an "it" named after the turn before ("move it up" as "move the blue circle up"), in order; `typed`
   * is the text as read (typos and other words already read), not lower-cased
   */
  phrasings?: Typo[];
  note: string | null;
}

export interface Typo {
  /** lower-cased, as typed */
  typed: string;
  /** the vocabulary word it is read as */
  read: string;
}

/** "read "a" as "b", "c" as "d" and "e" as "f"": the words typed and what they were read as. */
function readList(read: readonly Typo[]): string {
  const [first, ...rest] = read.map((t) => `"${t.typed}" as "${t.read}"`);
  return `read ${rest.length ? `${[first, ...rest.slice(0, -1)].join(', ')} and ${rest.at(-1)}` : first}`;
}

/** What to tell a user whose typos were read as known words (null when there were none). */
export function typosNote(typos: readonly Typo[]): string | null {
  if (!typos.length) return null;
  return `${readList(typos)}, ${typos.length === 1 ? 'a typo of a word' : 'typos of words'} the model knows`;
}

/** What to tell a user whose words were read as the world's words for them (null when there were none). */
export function otherWordsNote(read: readonly Typo[]): string | null {
  if (!read.length) return null;
  return `${readList(read)}, the world's ${read.length === 1 ? 'word for it' : 'words for them'}`;
}

/** What to tell a user whose "it" (or "them") was read as the shape(s) the turn before edited (outside.ts resolveIt). */
export function itNote(typed: string, read: string): string {
  const what = /\bthem\b/i.test(typed) ? '"them" are the shapes' : '"it" is the shape';
  return `${readList([{ typed, read }])}: ${what} the turn before edited`;
}

/** What to tell a user whose edit spoke of the picture's text without its label, named by it (word-edits.ts). */
export function wordNamedNote(typed: string, read: string): string {
  return `${readList([{ typed, read }])}: the word the picture shows (the model knows a word edit by its label)`;
}

/** What to tell a user whose shapes, named by shape or colour alone, were named by both as the picture shows them. */
export function namedNote(read: readonly Typo[]): string | null {
  if (!read.length) return null;
  return `${readList(read)}, as the picture shows ${read.length === 1 ? 'it' : 'them'} (the model knows a shape best by its colour and shape)`;
}

/** What to tell a user whose instructions were asked in the world's words (other-phrasings.ts; null when none). */
export function phrasingsNote(read: readonly Typo[]): string | null {
  if (!read.length) return null;
  return `${readList(read)}, as the world words ${read.length === 1 ? 'it' : 'them'}`;
}

/**
 * What to tell a user whose prompt has words the model does not know (null when there are none); `closest` offers
 * a known word for a typo ("cirle" → did you mean "circle"?). It names no command: the CLI adds where the list of
 * known words is (printPromptNote), the web app shows it as it is.
 */
export function unknownWordsNote(
  words: readonly string[],
  closest: (word: string) => string | undefined = () => undefined,
): string | null {
  if (!words.length) return null;
  const list = words
    .map((w) => {
      const c = closest(w);
      return c ? `"${w}" (did you mean "${c}"?)` : `"${w}"`;
    })
    .join(', ');
  return (
    `the model does not know ${list} and reads ${words.length === 1 ? 'it' : 'them'} without meaning: ` +
    "it knows the synthetic world's words (shapes, colours, sizes, places, backgrounds, day and night, styles, " +
    "characters) and a label's letters, such as 'FLUX'"
  );
}

/** Are a and b one edit apart: one letter inserted, deleted or changed, or two neighbours swapped? */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    return swapped || a.slice(i + 1) === b.slice(i + 1);
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1) === short.slice(i);
}

/**
 * The vocabulary word that `word` is a typo of: the one vocabulary word one typo away, unless `word` is an English
 * word of its own (english-near-words.ts): "cirlce" → "circle", "blur" → undefined.
 */
export function typoOf(word: string, vocabulary: readonly string[]): string | undefined {
  return ENGLISH_NEAR_WORDS.has(word) ? undefined : closestWord(word, vocabulary);
}

/**
 * A vocabulary word one typo away from `word` (a letter added, left out, changed or two swapped), if just one is; of
 * several, the one with the same letters if just one has them ("palce": "place", not "pale").
 */
export function closestWord(word: string, vocabulary: readonly string[]): string | undefined {
  if (word.length < 4) return undefined; // short words are too close to too many others
  const near = vocabulary.filter((w) => /^\p{L}+$/u.test(w) && oneEditApart(word, w));
  const letters = (w: string) => [...w].sort().join('');
  const swapped = near.filter((w) => letters(w) === letters(word));
  return near.length === 1 ? near[0] : swapped.length === 1 ? swapped[0] : undefined;
}
