// Word edits the world never makes and the model was not trained on, made with the glyph image of a replacement
// (glyph.ts). A word written where the picture shows none ("add the word 'OWL' in orange at the top"; a word the model
// draws from words comes out a scribble): its glyph image drawn in the cell asked, where it covers the least of what
// the picture draws, and the model asked to replace the word with itself — the replacement it was trained on, with
// nothing to take away (of the 24 test captions whose only miss was their word, 23 made at seed 0 with it, none drawn
// from words). A word moved ("move the word 'OWL' to the top"): its glyphs in its own ink in the cell asked, the same
// replacement asked (26 of 34 test words). A word taken away ("remove the word 'OWL'"): a blank glyph image (its place
// drawn as its ground) and none in turn, read as a replacement by nothing (32 of 34). The readers are glyph.ts
// snapToGlyph (src/mini/readers.ts). And the picture's word spoken of without its label is named by it.

import { bareCommand } from '../prompt/typed-text.ts';
import type { RGBImage } from '../image/rgb.ts';
import { lit } from '../bench/read.ts';
import { textCells } from '../world/font.ts';
import { glyphImage } from '../world/glyph.ts';
import { REMOVE, TEXT_WORDS } from '../world/never-edits.ts';
import { colorDistance, TEXT_COLOR_NAMES, TEXT_COLORS, type TextColor } from '../world/palette.ts';
import { placesIn, type Region, regionOf, regionPhrase, regionRect, TEXT_UNIT, textRect } from '../world/scene.ts';
import { cellAsked, namesAShape, withoutLabels } from '../world/shapes-seen.ts';
import { VOCABULARY } from '../world/vocabulary.ts';
import { type FoundWord, findWord, type GlyphEdit } from './glyph.ts';
import { dist2, drawnOffShapes, rowGrounds } from './moved.ts';
import { groundTime, isGray } from './world-light.ts';

/** A word an edit writes: its label, and the world's text colour and the cell said (null where not said). */
export interface WordWritten {
  word: string;
  color: TextColor | null;
  region: Region | null;
}

/** "add the word …", "write …", "put the text … at the top": an edit that writes a word */
const WRITES = /^\s*(?:(?:add|put)\b.*\b(?:word|text|label)\b|write\b)/i;

/**
 * The word an edit writes ("add the word 'OWL' in orange at the top", "write 'OWL'"): one label (`labels`, as the
 * tokenizer reads the edit's), at most one of the world's text colours and no shape among its other words; or null.
 */
export function wordWrittenAsked(labels: readonly string[], edit: string): WordWritten | null {
  const words = [...new Set(labels)];
  const rest = withoutLabels(edit);
  if (words.length !== 1 || !WRITES.test(rest) || namesAShape(rest)) return null;
  const said = rest.toLowerCase().split(/[^a-z]+/);
  const colors = [...new Set(said.filter((w): w is TextColor => (TEXT_COLOR_NAMES as string[]).includes(w)))];
  if (colors.length > 1) return null;
  return { word: words[0]!, color: colors[0] ?? null, region: cellAsked(rest) };
}

/**
 * Where `word` goes in `picture` (at the model's size) in the cell `region` (the whole picture for null): where its box
 * covers the fewest pixels the picture draws off its ground (DRAWN; a pixel's margin around it), nearest the cell's
 * centre, among the places the world may give it (placesIn, off the lines between the cells: a word just inside its
 * cell reads in the next); and the picture's ground there and its light. Null for a
 * word wider than the picture.
 */
function placeWord(word: string, region: Region | null, picture: RGBImage) {
  const { width: S, height: H } = picture;
  const { w, h } = textCells(word);
  if (!w || w * TEXT_UNIT * S > S) return null;
  const [hw, hh] = [(w * TEXT_UNIT) / 2, (h * TEXT_UNIT) / 2];
  const grounds = rowGrounds(picture);
  // what the picture draws off its ground, shapes and all (moved.ts drawnOffShapes with no shape set aside)
  const drawn = drawnOffShapes(picture, [], grounds);
  const [rx0, ry0, rx1, ry1] = region ? regionRect(region) : [0, 0, 1, 1];
  const [cx, cy] = [(rx0 + rx1) / 2, (ry0 + ry1) / 2];
  let at = { x: cx, y: cy, cost: Infinity };
  for (const { x, y } of placesIn([rx0, ry0, rx1, ry1], hw, hh, true)) {
    let covered = 0;
    for (let py = Math.floor((y - hh) * S) - 1; py <= Math.ceil((y + hh) * S); py++)
      for (let px = Math.floor((x - hw) * S) - 1; px <= Math.ceil((x + hw) * S); px++)
        if (px >= 0 && py >= 0 && px < S && py < H && drawn[py * S + px]) covered++;
    const cost = covered * S + Math.hypot(x - cx, y - cy);
    if (cost < at.cost) at = { x, y, cost };
  }
  const row = Math.min(H - 1, Math.max(0, Math.round(at.y * H)));
  const ground = [grounds[row * 3]!, grounds[row * 3 + 1]!, grounds[row * 3 + 2]!] as const;
  const grayscale = isGray(picture);
  const look = { time: groundTime(grounds, grayscale) ?? ('day' as const), grayscale };
  return { x: at.x, y: at.y, ground, look };
}

/**
 * The glyph image for a word written (`written`) on `picture` (at the model's size), and the replacement the model is
 * asked with it (the word by itself); null where the picture already shows the word (then the edit may recolour it).
 * The word goes in the cell asked (placeWord), in the colour asked (else the first of the world's text colours that
 * reads on the ground there), in the picture's light, on its ground there.
 */
export function writtenGlyph(written: WordWritten | null, picture: RGBImage): GlyphEdit | null {
  if (!written || findWord(picture, written.word)) return null;
  const place = placeWord(written.word, written.region, picture);
  if (!place) return null;
  const { ground, look } = place;
  const color =
    written.color ?? TEXT_COLOR_NAMES.find((c) => colorDistance(lit(TEXT_COLORS[c], look), ground) > 100) ?? 'black';
  const found = { x: place.x, y: place.y, ink: lit(TEXT_COLORS[color], look), ground };
  const word = written.word;
  return {
    from: '',
    to: word,
    image: glyphImage(word, found, picture.width, found),
    found,
    prompt: writtenPrompt(word),
  };
}

/** "move the word 'OWL' to the top", "put the text 'OWL' at the bottom right", "shift 'OWL' left": a word moved */
const MOVES = /^\s*(?:move|shift|relocate|put|place)\b/i;

/**
 * The word an edit moves and the cell it names ("move the word 'OWL' to the top"): one label (`labels`, as the
 * tokenizer reads the edit's), a move's verb, a cell and no shape; or null.
 */
export function wordMovedAsked(labels: readonly string[], edit: string): { word: string; region: Region } | null {
  const words = [...new Set(labels)];
  const rest = withoutLabels(edit);
  const region = cellAsked(rest);
  return words.length === 1 && region && MOVES.test(bareCommand(rest)) && !namesAShape(rest)
    ? { word: words[0]!, region }
    : null;
}

/**
 * The glyph image for a word moved (`moved`) in `picture` (at the model's size): the word the picture shows, drawn in
 * its ink in the cell asked (placeWord) on the picture's ground there; the model asked to replace the word with
 * itself, as for a word written. Null where the picture does not show the word, or shows it in that cell already.
 * The world never moves its word and the model was not trained to; given the glyphs elsewhere it writes the word
 * there and takes away the old one.
 */
export function movedGlyph(moved: { word: string; region: Region } | null, picture: RGBImage): GlyphEdit | null {
  const found = moved && findWord(picture, moved.word);
  if (!moved || !found || regionOf(found.x, found.y) === moved.region) return null;
  const place = placeWord(moved.word, moved.region, picture);
  if (!place) return null;
  const at = { x: place.x, y: place.y, ink: found.ink, ground: place.ground };
  const word = moved.word;
  return {
    from: word,
    to: word,
    image: glyphImage(word, at, picture.width, at),
    found,
    at,
    prompt: writtenPrompt(word),
  };
}

/**
 * The word an edit takes away ("remove the word 'OWL'", "delete 'OWL'", "get rid of the text 'OWL'"): one label
 * (`labels`, as the tokenizer reads the edit's), a removal's verb and no shape; or null. The world never removes its
 * word and the model was not trained to, but asked so it erases many (10 of 16 test words at seed 0, read as
 * snapToGlyph reads a replacement by nothing), and the editor takes the word's box as its ground where it did.
 */
export function wordRemovedAsked(labels: readonly string[], edit: string): string | null {
  const words = [...new Set(labels)];
  const rest = withoutLabels(edit);
  return words.length === 1 && REMOVE.test(bareCommand(rest).trim().toLowerCase()) && !namesAShape(rest)
    ? words[0]!
    : null;
}

/**
 * The glyph image for a word taken away (`word`, wordRemovedAsked) from `picture` (at the model's size): the picture's
 * ground where the word is, its glyphs drawn by none — a replacement by nothing, given as a replacement's glyph image
 * is; null where the picture does not show the word. Asked so, the model erases most test words (30 of the 34 at seed 0
 * in three tries against 21 without it: `scratch/word-remove-glyph.mts`), and some only without it, so the editor's
 * tries go with it and without it in turn (editor.ts `otherwise`).
 */
export function removedGlyph(word: string | null, picture: RGBImage): GlyphEdit | null {
  const found = word && findWord(picture, word);
  return found ? { from: word!, to: '', image: glyphImage('', found, picture.width, found), found } : null;
}

/**
 * The world's word `picture` shows (one of its VOCABULARY, or of `also`: words written earlier; found by its glyphs;
 * the longest found, as 'OPEN' shows 'PEN' too), or null.
 */
export function worldWordIn(picture: RGBImage, also: readonly string[] = []): string | null {
  const found = [...VOCABULARY, ...also].filter((w) => {
    const at = findWord(picture, w);
    return at !== null && !inLongerWord(picture, w, at);
  });
  return found.reduce<string | null>((a, w) => (a === null || w.length > a.length ? w : a), null);
}

/**
 * Whether the word `word`, found at `at` in `picture`, has letters beside it: its ink in the two columns where a
 * longer word's next glyph (or the one before) would start, past the one-column gap between glyphs, on its rows — in
 * its ink's own colour, within a third of the way to its ground ('SUN' in a user's 'SUNNY', which is none of the
 * world's words; a shape beside it in another colour is not a letter).
 */
function inLongerWord(picture: RGBImage, word: string, at: FoundWord): boolean {
  const { width: S, height: H, data } = picture;
  const [x0, y0, x1, y1] = textRect({ word, color: 'black', x: at.x, y: at.y }).map((v) => Math.round(v * S));
  const [ink, ground] = [Uint8Array.from(at.ink), Uint8Array.from(at.ground)];
  const near = dist2(ink, 0, ground, 0) / 9;
  const unit = Math.max(1, Math.round(TEXT_UNIT * S));
  const columns = [x0! - 2 * unit, x0! - 3 * unit, x1! + unit, x1! + 2 * unit];
  for (let y = Math.max(0, y0!); y < Math.min(H, y1!); y++)
    for (const x of columns) if (x >= 0 && x < S && dist2(data, (y * S + x) * 3, ink, 0) < near) return true;
  return false;
}

/** "the word", "the text", "the letters", "the sign" …: the picture's text named without its label */
const THE_TEXT = new RegExp(`\\bthe (?:${[...TEXT_WORDS].join('|')})\\b`, 'i');

/** "the word", "the text" … or "it" (before "say"): the picture's text in a replacement that names its new word alone */
const TEXT_NOUN = `the (?:${[...TEXT_WORDS].join('|')})`;
/**
 * A replacement that names its new word alone, at its end: "change the word to 'HELLO'", "turn the sign into OPEN",
 * "replace the text with HELLO", "rewrite the word as HELLO", "make the sign say OPEN", "make it read HELLO".
 */
const REPLACED_BY = new RegExp(
  String.raw`^(?:(?:change|turn|rename)\s+${TEXT_NOUN}\s+(?:to|into)|replace\s+${TEXT_NOUN}\s+with|rewrite\s+${TEXT_NOUN}\s+as|make\s+(?:${TEXT_NOUN}|it)\s+(?:say|read))\s+(?:'[^']+'|"[^"]+"|\S+)$`,
  'i',
);

/**
 * An edit that speaks of the picture's text without its label ("remove the text", "move the word to the top", "make
 * the letters blue") with the label of the world's word `picture` (at the model's size) shows put after it ("remove
 * the text 'FLUX'"), and a replacement that names its new word alone ("change the text to HELLO") as the world asks
 * one ("replace 'FLUX' with 'HELLO'"): the model learnt every word edit with its label quoted, and the editor reads a
 * word edit by its label (glyph.ts, and above). As it was where it quotes a label otherwise (`labels`, as the
 * tokenizer reads the edit's), names a shape, writes a word, or the picture shows none of the world's words (nor of
 * `also`: the labels of the turn before, a word a user wrote) — or, for a replacement, shows its new word already.
 */
export function withWordNamed(
  edit: string,
  labels: readonly string[],
  picture: RGBImage,
  also: readonly string[] = [],
): string {
  if (labels.length === 1 && REPLACED_BY.test(bareCommand(edit))) {
    const word = worldWordIn(picture, also);
    return word && word !== labels[0] ? `replace '${word}' with '${labels[0]}'` : edit;
  }
  const said = THE_TEXT.exec(edit);
  if (!said || labels.length || namesAShape(edit) || WRITES.test(edit)) return edit;
  const word = worldWordIn(picture, also);
  const at = said.index + said[0].length;
  return word ? `${edit.slice(0, at)} '${word}'${edit.slice(at)}` : edit;
}

/** What the model is asked for a word written: the replacement it was trained on, the word by itself. */
export function writtenPrompt(word: string): string {
  return `replace '${word}' with '${word}'`;
}

/** What a user is told before a word is written (or moved): how the model is asked it. */
export function writtenNote(written: { word: string; region: Region | null }, moved = false): string {
  const where = written.region ? ` ${regionPhrase(written.region)}` : '';
  return (
    `kontext-mini was not trained to ${moved ? 'move a word' : 'write a new word'}, so '${written.word}' is drawn ` +
    `in the world's font${where} ` +
    'where it covers the least of the picture, and the model is asked to replace the word with itself from that ' +
    'glyph image'
  );
}

/**
 * What to say before a word moved or taken away that `picture` does not show (a typo, a word an earlier turn smudged):
 * the edit goes to the model unread — no glyph image, no reader. `labelsOf`: a clause's labels as the tokenizer reads
 * them. Null when there is nothing to say.
 */
export function absentWordNote(
  clauses: readonly string[],
  labelsOf: (text: string) => string[],
  picture: RGBImage,
): string | null {
  const absent = clauses.flatMap((c) => {
    const labels = labelsOf(c);
    const word = wordMovedAsked(labels, c)?.word ?? wordRemovedAsked(labels, c);
    return word && !findWord(picture, word) ? [`'${word}'`] : [];
  });
  return absent.length
    ? `the picture shows no word ${absent.join(' or ')} in the world's font (check its spelling), so the edit goes to ` +
        'the model without a glyph image and is not read from its answer'
    : null;
}
