// Edits the world never makes of its word or its creature. The world recolours its word and writes new letters in its
// place, but never removes, moves or resizes it; it moves, resizes and redraws its creature, but never removes it nor
// changes its look (its eyes, what it wears, its markings: who it is, characters.ts), and resizes it only as it moves
// it to another cell.
// Asked so ("move the text to the top", "remove the creature"), the model answers with a guess — the words are known,
// so no unknown-word note would say it; this one does, before the edit runs. A word named by its label and taken away
// ("remove the word 'FLUX'") the model mostly erases, asked with a blank glyph image, and the editor reads it
// (mini/word-edits.ts wordRemovedAsked, removedGlyph): said so;
// one moved ("move the word 'FLUX' to the top") is asked with its glyphs at the new place (movedGlyph), said there.

import { shapeNamed } from './shapes.ts';

/** Words for the scene's text (also outside.ts's, for the colours asked of it). */
export const TEXT_WORDS: ReadonlySet<string> = new Set([
  'word',
  'words',
  'text',
  'letters',
  'label',
  'sign',
  'writing',
]);
/** Words for the scene's creature. */
export const CREATURE_WORDS: ReadonlySet<string> = new Set(['creature', 'character']);

/** Words for the creature's look (characters.ts EYES, ACCESSORIES, PATTERNS and their phrases), singular. */
const LOOK_WORDS: ReadonlySet<string> = new Set(['eye', 'hat', 'bow', 'antenna', 'crown', 'spot', 'stripe', 'belly']);
/** Endings of a look word's other forms: "eyes", "antennae", "striped", "spotted". */
const LOOK_ENDINGS = [/s$/, /e$/, /d$/, /ted$/];
/** A look word, as the world's or in another form. */
const lookWord = (w: string) => [w, ...LOOK_ENDINGS.map((end) => w.replace(end, ''))].some((v) => LOOK_WORDS.has(v));
/** An edit's verb for a thing's look (a caption — "a salmon creature with sleepy eyes, a top hat …" — has none). */
const CHANGE =
  /^(?:add|give|put|draw|remove|delete|erase|take|get rid of|change|make|turn|replace|swap|paint|colou?r)\b/;

/** An edit that takes its thing away ("remove …", "take the circle away", "get rid of …"), lower-cased. */
export const REMOVE = /^(?:remove|delete|erase|take\b.*\b(?:away|out|off)|get rid of)\b/;
const MOVE = /^(?:move|shift|relocate)\b/;
/** A word named by its label: quoted, or in capitals */
const LABEL = /'[^']+'|"[^"]+"|\b[A-Z]{2,}\b/;
const SIZE =
  /^(?:(?:make|turn|change)\b.*\b(?:bigger|smaller|larger|large|big|small|tiny|huge)\b|(?:resize|shrink|enlarge|scale)\b)/;

/**
 * What the world never asks of its word or its creature, for one edit's command (courtesy words off: "remove the
 * word 'FLUX'"); null when it asks none of it.
 */
export function neverNote(command: string): string | null {
  const said = command.toLowerCase();
  const words = said.split(/[^\p{L}]+/u).filter(Boolean);
  if (words.some((w) => shapeNamed(w) !== null)) return null;
  const quoted = `"${command}"`;
  // a word named by its label taken away: the editor reads that (mini/word-edits.ts wordRemovedAsked)
  if (words.some((w) => TEXT_WORDS.has(w)) && REMOVE.test(said) && LABEL.test(command))
    return `the model was never trained to remove a word (only to recolour words or write new ones in their place); asked so, with the word's place drawn blank beside the picture as a replacement's new word is drawn (and without it in turn), it erases most words, and where its answer shows the word erased, its box is laid as the ground`;
  // and moved: the editor says how it is asked (mini/word-edits.ts movedGlyph)
  if (words.some((w) => TEXT_WORDS.has(w)) && MOVE.test(said) && LABEL.test(command)) return null;
  if (words.some((w) => TEXT_WORDS.has(w)) && (REMOVE.test(said) || MOVE.test(said) || SIZE.test(said)))
    return `the model has only recoloured words or written new ones in their place — never removed, moved or resized one — so ${quoted} is outside what it learnt`;
  if (!words.some((w) => CREATURE_WORDS.has(w))) return null;
  if (words.some(lookWord) && CHANGE.test(said))
    return `the model has never changed the creature's look (its eyes, what it wears and its markings are who it is), so ${quoted} is outside what it learnt`;
  if (REMOVE.test(said))
    return `the model has only moved, resized or redrawn the creature — never removed it — so ${quoted} is outside what it learnt`;
  // resized where it stands: the world resizes its creature only as it moves it to another cell
  if (SIZE.test(said) && !/\b(?:move|shift|relocate|place|put)\b/.test(said))
    return `the model has resized the creature only while moving it to another cell ("move the creature to the left and make it large"), so ${quoted} is outside what it learnt`;
  return null;
}
