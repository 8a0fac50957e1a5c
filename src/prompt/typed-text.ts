// Reading instructions as people type them the way the training instructions are written, before the tokenizer
// looks words up (mini-tokenizer.ts). The world's own 11,390 instructions read the same either way.
//
// What is read back, where it can be done safely:
// - Quotes: the training instructions always write a label in straight single quotes ('FLUX'); people write "FLUX",
//   “FLUX”, ‘FLUX’ or FLUX alone. Every quote mark reads as ', and a label (or a run of labels) that lacks a quote on
//   either side gets one: "make the word FLUX red" reads as "make the word 'FLUX' red" (unquoted, the embedded model
//   recoloured the circle; quoted, the word).
// - Case: a label typed in lower case is read in capitals where nothing else can be meant: between quotes ('flux'),
//   a word the vocabulary lacks right after "word", "text", "say", "replace", "write" or "letters of" ("the word
//   flux"), or after "to", "as", "with" or "of" shortly after a label ("change the text piano to ghost"; but not a
//   typo of a vocabulary word: "… 'SHOP' to grene" is green). A vocabulary word in capitals that nothing marks as a
//   label is the word shouted ("make the circle RED"), and an instruction all in capitals is read in lower case but
//   for its quoted words; so a label that is also a vocabulary word ("star") needs quotes or a cue.
// - Sentence marks (. ! ?) are left out unless the vocabulary knows them (a trailing full stop cost the twelfth
//   model 17 of its 104 test edits), and so are courtesy and chat words around an instruction ("Please", "Could you
//   please", "Now", "OK, also", "… too", ", thank you"), which ask for nothing (a leading "Please" cost it 8, a trailing
//   "thank you" 30).
// - British spellings of vocabulary words ("colour", "grey", "centre") are read as the vocabulary spells them, and a
//   plural the vocabulary lacks as its singular ("move the circles left": the world names one object at a time, so
//   "circles" was spelled and read without meaning).
// - Other words for the world's ("ball", "upper", "backdrop", "tiny", "evening", "middle": OTHER_WORDS) are read as
//   the world's words where nothing marks them as labels (a cue does: "the word ball", "… 'CAT' to box").
// - "corner" after a corner ("the top left corner") and "side" after a side ("the left side") are left out unless
//   the vocabulary knows them: the world names the place alone.
// - Hyphens between two vocabulary words are spaces ("top-left", "sky-blue", "black-and-white"), as the training
//   instructions write them, but in the world's own "bare-headed".
// - Typos: a word the vocabulary lacks that is one typo from just one vocabulary word (of several, just one with the
//   same letters), and no English word of its own, is read as that word ("cirlce" → "circle"; "blur" stays blur).
//   With two letters swapped in one word of each test instruction the twelfth model did 61 of 360 edits, against
//   104 as written; read back, 104 (the lab notes, models/kontext-mini/NOTES.md, "Typos and hyphens").

/** words, numbers and single other characters: the tokenizer's pieces */
export const PIECES = /\p{L}+|\p{N}+|\S/gu;
/** marks that end a sentence: left out when the vocabulary lacks them */
const SENTENCE_MARKS = new Set(['.', '!', '?']);
/** quote marks: the straight single quote the training instructions use, and those read as it */
export const QUOTE_MARKS = `'"\u2018\u2019\u201c\u201d\``;
const QUOTES = new RegExp(`[${QUOTE_MARKS.slice(1)}]`, 'g');
/**
 * courtesy and chat words before and after an instruction ("please", "could you", "now", "ok, also", "too"): they ask for
 * nothing, so they are dropped (unless the vocabulary knows them)
 */
const COURTESY = [
  /^(?:please|kindly|now|also|then|next|ok|okay|alright|(?:could|can|would|will) you(?: please| kindly)?)\b[\s,]*/iu,
  /[\s,]*\b(?:please|thanks|thank you|too|now)(?: (?:so|very) much)?[\s.!?]*$/iu,
];
/**
 * The command alone, for reading a whole instruction as a phrase (tone-edits.ts, other-phrasings.ts, the split in
 * outside.ts and several-things.ts): the courtesy and chat words around it and its closing sentence marks taken off,
 * with none of readTyped's care for labels.
 */
export function bareCommand(text: string): string {
  let t = text.trim();
  for (let before = ''; before !== t; ) {
    before = t;
    for (const re of COURTESY) t = t.replace(re, '').trim();
    t = t.replace(/[.!?]+$/, '').trim();
  }
  return t;
}
/** a word between quotes (opened after a space or the start, closed before one or the end): a label */
const QUOTED_WORD = /(?<=(?:^|[\s(,:;])')\p{L}{2,}(?='(?:$|[\s),.;:!?]))/gu;
/** words after which a word the vocabulary lacks can only be a label: "the word flux", "replace zebra with …" */
const LABEL_CUES = new Set(['word', 'text', 'say', 'says', 'replace', 'write', 'rewrite']);
/** …and these too shortly after a label ("change the text piano to ghost", "say star instead of quiz") */
const SECOND_LABEL_CUES = new Set(['to', 'as', 'with', 'of']);
/** the hyphenated words the world writes (characters.ts): their hyphen stays */
const HYPHENATED = new Set(['bare-headed']);
/** British spellings of vocabulary words, read as the training instructions spell them. */
const SPELLINGS = new Map([
  ['colour', 'color'],
  ['colours', 'colors'],
  ['grey', 'gray'],
  ['greyscale', 'grayscale'],
  ['centre', 'center'],
  ['recolour', 'recolor'],
]);

/** The vocabulary's word for a British spelling of it ("grey" → "gray"), if any. */
export function vocabularyWord(word: string): string | undefined {
  return SPELLINGS.get(word);
}

/**
 * Other words people use for what the world names one way: its places ("the middle" is its "center", "upper left"
 * its "top left"), shapes ("ball" is a circle in a flat world), sizes, backgrounds, times and tones. A word the
 * vocabulary lacks is read as the world's word, as a typo is read as the word meant, and the user is told
 * (unknown-words.ts otherWordsNote). Only words with one reading in the world: not "little" ("a little bigger"), not
 * "plus", not "dot" (a shape, or the dotted style?).
 */
const OTHER_WORDS = new Map([
  ['middle', 'center'],
  ['upper', 'top'],
  ['lower', 'bottom'],
  ['ball', 'circle'],
  ['disc', 'circle'],
  ['disk', 'circle'],
  ['box', 'square'],
  ['rhombus', 'diamond'],
  ['larger', 'bigger'],
  ['tiny', 'small'],
  ['huge', 'large'],
  ['backdrop', 'background'],
  ['nighttime', 'night'],
  ['evening', 'night'],
  ['monochrome', 'grayscale'],
  ['photo', 'picture'],
  ['monster', 'creature'],
  ['writing', 'text'],
  ['lettering', 'letters'],
  ['insert', 'add'],
]);

/** The world's word for another word people use for it (OTHER_WORDS), its plural for a plural ("balls"), if any. */
export function otherWordFor(word: string): string | undefined {
  const own = OTHER_WORDS.get(word);
  if (own !== undefined) return own;
  for (const s of singulars(word)) {
    const w = OTHER_WORDS.get(s);
    if (w !== undefined) return `${w}s`;
  }
  return undefined;
}

/** plurals whose singular is another word ("news" is not more than one "new") */
const NOT_PLURALS = new Set(['news', 'lens', 'series', 'species']);

/**
 * The singulars a word may be the plural of, most likely first: "circles" → circle, "crosses" → crosse, cross,
 * "berries" → berrie, berry. Empty for words of three letters or less ("its", "has") and for those that end in "ss".
 */
export function singulars(word: string): string[] {
  if (word.length <= 3 || !word.endsWith('s') || word.endsWith('ss') || NOT_PLURALS.has(word)) return [];
  const out = [word.slice(0, -1)];
  if (word.endsWith('es')) out.push(word.slice(0, -2));
  if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  return out.filter((w) => w.length >= 3);
}

/**
 * The pieces of a typed text as the training instructions write them: one quote mark, no courtesy words, labels in
 * capitals, shouted words in lower case, typos read as the words meant, other words as the world's. `knows`: is this
 * lower-case word in the vocabulary (either spelling)? `typo`: the vocabulary word a lower-case word it lacks is a
 * typo of (unknown-words.ts typoOf); without it typos are left as typed. `other`: the vocabulary's word for another
 * word for it (otherWordFor, in the vocabulary); without it such words are left as typed.
 */
export function readTyped(
  text: string,
  knows: (word: string) => boolean,
  typo: (word: string) => string | undefined = () => undefined,
  other: (word: string) => string | undefined = () => undefined,
): string[] {
  let t = text.normalize('NFC').replace(QUOTES, "'").trim();
  for (let again = true; again; ) {
    again = false;
    for (const re of COURTESY) {
      const m = re.exec(t);
      if (!m || (m[0].match(/\p{L}+/gu) ?? []).some((w) => knows(w.toLowerCase()))) continue;
      // "make the sign say thank you": the words are the label, not courtesy
      const before = t
        .slice(0, m.index)
        .match(/\p{L}+$/u)?.[0]
        .toLowerCase();
      if (before && LABEL_CUES.has(before)) continue;
      // "make the sign say ME TOO": a closing courtesy word in capitals in a sentence that is not shouted is the
      // label's last word
      if (re === COURTESY[1] && /\p{Lu}{2,}/u.test(m[0]) && /\p{Ll}/u.test(t)) continue;
      t = (t.slice(0, m.index) + t.slice(m.index + m[0].length)).trim();
      again = true;
    }
  }
  // a quoted word is a label, in capitals
  const quoted = quotedAt(t);
  const found = [...t.matchAll(PIECES)];
  const shouted = shoutedIn(found, quoted);
  const pieces = found.map((m) => (quoted.has(m.index) ? m[0].toUpperCase() : shouted ? m[0].toLowerCase() : m[0]));
  // (a place's "corner" or "side" in capitals, left out below, makes no label of the place: "the TOP LEFT CORNER")
  const unknownLabel = (q?: string) =>
    q !== undefined && isLabel(q) && !knows(q.toLowerCase()) && !/^(?:CORNER|SIDE)$/.test(q);
  for (const [i, p] of pieces.entries()) {
    const cue = pieces[i - 1]?.toLowerCase() ?? '';
    const named = LABEL_CUES.has(cue) || (cue === 'of' && pieces[i - 2]?.toLowerCase() === 'letters');
    const second = SECOND_LABEL_CUES.has(cue) && pieces.slice(Math.max(0, i - 4), i).some(isLabel);
    // (after "to" … a typo of a vocabulary word is that word: "change the word 'SHOP' to grene")
    const label = /^\p{Ll}{2,}$/u.test(p) && !knows(p) && (named || (second && typo(p) === undefined));
    if (label) pieces[i] = p.toUpperCase();
    // a vocabulary word in capitals that nothing marks as a label (quotes, a cue, a label beside it) is that word
    // shouted: "make it RED", "MAKE IT NIGHT"; after "to" it is taken for the word ("… the word 'OWL' to BLACK")
    const marked = quoted.has(found[i]!.index) || named || (second && cue !== 'to');
    if (isLabel(p) && knows(p.toLowerCase()) && !marked && ![pieces[i - 1], pieces[i + 1]].some(unknownLabel))
      pieces[i] = p.toLowerCase();
  }
  const read = pieces
    .filter((p) => !SENTENCE_MARKS.has(p) || knows(p))
    .map((p) => {
      if (!/^\p{L}+$/u.test(p) || isLabel(p) || knows(p.toLowerCase())) return p;
      return other(p.toLowerCase()) ?? typo(p.toLowerCase()) ?? p;
    });
  // a hyphen between two vocabulary words is a space ("top-left", "sky-blue"), but in the world's own compounds
  const word = (p?: string) => p !== undefined && /^\p{L}+$/u.test(p) && !isLabel(p) && knows(p.toLowerCase());
  const joins = (a?: string, b?: string) =>
    word(a) && word(b) && !HYPHENATED.has(`${a!.toLowerCase()}-${b!.toLowerCase()}`);
  const spaced = read.filter((p, i) => p !== '-' || !joins(read[i - 1], read[i + 1]));
  // "corner" after a corner ("the top left corner") and "side" after a side ("the left side") say no more than the
  // place, which is all the world writes
  const is = (i: number, re: RegExp) => re.test(spaced[i] ?? '');
  const place = (p: string, i: number) =>
    !knows(p.toLowerCase()) &&
    ((/^corner$/i.test(p) && is(i - 1, /^(?:left|right)$/i) && is(i - 2, /^(?:top|bottom)$/i)) ||
      (/^side$/i.test(p) && is(i - 1, /^(?:left|right|top|bottom)$/i)));
  return spaced.filter((p, i) => !place(p, i));
}

/** Where the quoted words of a text (its quotes read as ') start: labels, whatever their case. */
function quotedAt(t: string): Set<number> {
  return new Set([...t.matchAll(QUOTED_WORD)].map((m) => m.index));
}

/**
 * Is a text shouted: three words or more outside quotes, all in capitals ("MAKE THE CIRCLE RED")? Its unquoted
 * words are then read in lower case, as words, not labels.
 */
export function isShouted(text: string): boolean {
  const t = text.normalize('NFC').replace(QUOTES, "'");
  return shoutedIn([...t.matchAll(PIECES)], quotedAt(t));
}

/** isShouted on a text's pieces (PIECES matches) and where its quoted words start. */
function shoutedIn(found: RegExpMatchArray[], quoted: Set<number>): boolean {
  const words = found.filter((m) => /\p{L}/u.test(m[0]) && !quoted.has(m.index!));
  return words.length >= 3 && words.every((m) => !/\p{Ll}/u.test(m[0]));
}

/** A label: a word written in capitals (two letters or more), spelled so that its letters are seen. */
export function isLabel(p: string): boolean {
  return p.length >= 2 && /^\p{Lu}+$/u.test(p);
}
