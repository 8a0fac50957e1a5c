// What to tell a user about the words of a prompt the model cannot read: words its vocabulary lacks are spelled
// letter by letter and read without meaning, so they are named before an edit runs, with a guess for a typo.

export interface PromptCheck {
  /** lower-cased, in order, each once */
  unknownWords: string[];
  note: string | null;
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

/** A vocabulary word one typo away from `word` (a letter added, left out, changed or two swapped), if just one is. */
export function closestWord(word: string, vocabulary: readonly string[]): string | undefined {
  if (word.length < 4) return undefined; // short words are too close to too many others
  const near = vocabulary.filter((w) => /^\p{L}+$/u.test(w) && oneEditApart(word, w));
  return near.length === 1 ? near[0] : undefined;
}
