// The tokenizer of the embedded model: whole words from a small vocabulary, anything else spelled out byte by byte.
//
//   "Change the text 'MOON' to 'FROG'"
//     → [CLS] change the text ' [SPELL] M O O N ' to ' [SPELL] F R O G '
//
// Words are lower-cased and looked up in the vocabulary (the words of the training instructions). A word written in
// capitals (a label such as 'FROG'), a word the vocabulary lacks, and any character outside it are spelled as their
// UTF-8 bytes after a [SPELL] marker, so every string tokenizes, unseen words included, and the model learns the
// letters of the labels it must draw rather than one opaque id per word (held-out words are new spellings of known
// letters). Ids: 0 [PAD], 1 [CLS] (its feature is the pooled vector), 2 [SPELL], 3..258 bytes, 259… words.
//
// People type instructions otherwise than the training instructions are written; the tokenizer brings what it safely
// can back to that phrasing (the world's own 11,390 instructions tokenize the same either way):
// - Quotes: the training instructions always write a label in straight single quotes ('FLUX'); people write "FLUX",
//   “FLUX”, ‘FLUX’ or FLUX alone. Every quote mark reads as ', and a label (or a run of labels) that lacks a quote on
//   either side gets one: "make the word FLUX red" reads as "make the word 'FLUX' red" (unquoted, the embedded model
//   recoloured the circle; quoted, the word).
// - Case: a label typed in lower case is read in capitals where nothing else can be meant: between quotes ('flux'),
//   a word the vocabulary lacks right after "word", "text", "say", "replace", "write" or "letters of" ("the word
//   flux"), or after "to", "as", "with" or "of" shortly after a label ("change the text piano to ghost"). A
//   vocabulary word in capitals that nothing marks as a label is the word shouted ("make the circle RED"), and an
//   instruction all in capitals is read in lower case but for its quoted words; so a label that is also a vocabulary
//   word ("star") needs quotes or a cue.
// - Sentence marks (. ! ?) are left out unless the vocabulary knows them (a trailing full stop cost the twelfth
//   model 17 of its 104 test edits), and so are courtesy words around an instruction ("Please", "Could you please",
//   ", thank you"), which ask for nothing (a leading "Please" cost it 8, a trailing "thank you" 30).
// - British spellings of vocabulary words ("colour", "grey", "centre") are read as the vocabulary spells them.

export const PAD = 0;
export const CLS = 1;
export const SPELL = 2;
const BYTE0 = 3;
const WORD0 = BYTE0 + 256;

export interface TokenizerJson {
  type: 'kontext-mini-words';
  /** the word vocabulary, in id order */
  words: string[];
}

export interface Tokenized {
  ids: number[];
  /** true when the text did not fit and was cut */
  truncated: boolean;
}

const PIECES = /\p{L}+|\p{N}+|\S/gu;
/** marks that end a sentence: left out when the vocabulary lacks them */
const SENTENCE_MARKS = new Set(['.', '!', '?']);
/** quote marks read as the straight single quote the training instructions use */
const QUOTES = /["\u2018\u2019\u201c\u201d`]/g;
/** courtesy words before and after an instruction: they ask for nothing, so they are dropped (unless known words) */
const COURTESY = [
  /^(?:please|kindly|(?:could|can|would|will) you(?: please| kindly)?)\b[\s,]*/iu,
  /[\s,]*\b(?:please|thanks|thank you)(?: (?:so|very) much)?[\s.!?]*$/iu,
];
/** a word between quotes (opened after a space or the start, closed before one or the end): a label */
const QUOTED_WORD = /(?<=(?:^|[\s(,:;])')\p{L}{2,}(?='(?:$|[\s),.;:!?]))/gu;
/** words after which a word the vocabulary lacks can only be a label: "the word flux", "replace zebra with …" */
const LABEL_CUES = new Set(['word', 'text', 'say', 'says', 'replace', 'write', 'rewrite']);
/** …and these too shortly after a label ("change the text piano to ghost", "say star instead of quiz") */
const SECOND_LABEL_CUES = new Set(['to', 'as', 'with', 'of']);
/** British spellings of vocabulary words, read as the training instructions spell them */
const AMERICAN = new Map([
  ['colour', 'color'],
  ['colours', 'colors'],
  ['grey', 'gray'],
  ['greyscale', 'grayscale'],
  ['centre', 'center'],
  ['recolour', 'recolor'],
]);
const utf8 = new TextEncoder();

export class MiniTokenizer {
  private readonly index: Map<string, number>;
  constructor(readonly words: readonly string[]) {
    this.index = new Map(words.map((w, i) => [w, WORD0 + i]));
    if (this.index.size !== words.length) throw new Error('tokenizer vocabulary has duplicate words');
  }

  /** Is this lower-case word in the vocabulary (looked up rather than spelled)? */
  knows(word: string): boolean {
    return this.id(word) !== undefined;
  }

  /** The id of a lower-case word, in either spelling ("grey" is "gray"); undefined when the vocabulary lacks it. */
  private id(word: string): number | undefined {
    return this.index.get(word) ?? this.index.get(AMERICAN.get(word) ?? '');
  }

  get vocabSize(): number {
    return WORD0 + this.words.length;
  }

  static fromJson(j: TokenizerJson): MiniTokenizer {
    if (j?.type !== 'kontext-mini-words' || !Array.isArray(j.words))
      throw new Error("not a kontext-mini tokenizer (expected type 'kontext-mini-words' and a words list)");
    return new MiniTokenizer(j.words);
  }

  toJson(): TokenizerJson {
    return { type: 'kontext-mini-words', words: [...this.words] };
  }

  /** Lower-cased word pieces of a text that are looked up (not spelled): the candidates for a vocabulary. */
  static words(text: string): string[] {
    return (text.match(PIECES) ?? []).filter((p) => !isLabel(p)).map((p) => p.toLowerCase());
  }

  /**
   * The words of a text that the vocabulary lacks and that are not labels, in order, each once: spelled letter by
   * letter, they mean nothing to a model trained on the vocabulary's words ("make the circle crimson" → crimson).
   */
  unknownWords(text: string): string[] {
    const words = this.split(text).filter((p) => /^\p{L}+$/u.test(p) && !isLabel(p) && !this.knows(p.toLowerCase()));
    return [...new Set(words.map((w) => w.toLowerCase()))];
  }

  /** A vocabulary word one typo away from `word` (a letter added, left out, changed or two swapped), if just one is. */
  closestWord(word: string): string | undefined {
    if (word.length < 4) return undefined; // short words are too close to too many others
    const near = this.words.filter((w) => /^\p{L}+$/u.test(w) && oneEditApart(word, w));
    return near.length === 1 ? near[0] : undefined;
  }

  /** The unknown words of a text and what to tell the user about them (null when there are none). */
  check(text: string): PromptCheck {
    const unknownWords = this.unknownWords(text);
    return { unknownWords, note: unknownWordsNote(unknownWords, (w) => this.closestWord(w)) };
  }

  /** Token ids without [CLS] and padding. */
  pieces(text: string): number[] {
    const ids: number[] = [];
    const parts = this.split(text);
    const quote = this.index.get("'");
    // a label with a neighbour that is neither a quote nor another label of its run gets a quote on that side
    const bare = (q?: string) => quote !== undefined && q !== "'" && !(q && isLabel(q));
    for (const [i, p] of parts.entries()) {
      if (SENTENCE_MARKS.has(p) && !this.index.has(p)) continue;
      const label = isLabel(p);
      const id = label ? undefined : this.id(p.toLowerCase());
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (label && bare(parts[i - 1])) ids.push(quote!);
      if (p.length > 1 || /\p{L}|\p{N}/u.test(p)) ids.push(SPELL);
      for (const b of utf8.encode(label ? p : p.toLowerCase())) ids.push(BYTE0 + b);
      if (label && bare(parts[i + 1])) ids.push(quote!);
    }
    return ids;
  }

  /** The pieces of a text as the training instructions write them: one quote mark, no courtesy, labels in capitals. */
  private split(text: string): string[] {
    let t = text.normalize('NFC').replace(QUOTES, "'").trim();
    for (let again = true; again; ) {
      again = false;
      for (const re of COURTESY) {
        const m = re.exec(t);
        if (!m || m[0].trim() === '' || (m[0].match(/\p{L}+/gu) ?? []).some((w) => this.knows(w.toLowerCase())))
          continue;
        // "make the sign say thank you": the words are the label, not courtesy
        const before = t
          .slice(0, m.index)
          .match(/\p{L}+$/u)?.[0]
          .toLowerCase();
        if (before && LABEL_CUES.has(before)) continue;
        t = (t.slice(0, m.index) + t.slice(m.index + m[0].length)).trim();
        again = true;
      }
    }
    // a quoted word is a label, in capitals
    const quoted = new Set([...t.matchAll(QUOTED_WORD)].map((m) => m.index));
    const found = [...t.matchAll(PIECES)];
    // a whole instruction in capitals (three words or more) is shouted: its unquoted words are read in lower case
    const words = found.filter((m) => /\p{L}/u.test(m[0]) && !quoted.has(m.index));
    const shouted = words.length >= 3 && words.every((m) => !/\p{Ll}/u.test(m[0]));
    const labels = found.map((m) => (quoted.has(m.index) ? m[0].toUpperCase() : shouted ? m[0].toLowerCase() : m[0]));
    const unknownLabel = (q?: string) => q !== undefined && isLabel(q) && !this.knows(q.toLowerCase());
    for (const [i, p] of labels.entries()) {
      const cue = labels[i - 1]?.toLowerCase() ?? '';
      const named = LABEL_CUES.has(cue) || (cue === 'of' && labels[i - 2]?.toLowerCase() === 'letters');
      const second = SECOND_LABEL_CUES.has(cue) && labels.slice(Math.max(0, i - 4), i).some(isLabel);
      if ((named || second) && /^\p{Ll}{2,}$/u.test(p) && !this.knows(p)) labels[i] = p.toUpperCase();
      // a vocabulary word in capitals that nothing marks as a label (quotes, a cue, a label beside it) is that word
      // shouted: "make it RED", "MAKE IT NIGHT"; after "to" it is taken for the word ("… the word 'OWL' to BLACK")
      const marked = quoted.has(found[i]!.index) || named || (second && cue !== 'to');
      if (isLabel(p) && this.knows(p.toLowerCase()) && !marked && ![labels[i - 1], labels[i + 1]].some(unknownLabel))
        labels[i] = p.toLowerCase();
    }
    return labels;
  }

  /** [CLS] + pieces, cut or padded with [PAD] to `length`. */
  encode(text: string, length: number): Tokenized {
    const body = this.pieces(text);
    const ids = [CLS, ...body].slice(0, length);
    const truncated = body.length + 1 > length;
    while (ids.length < length) ids.push(PAD);
    return { ids, truncated };
  }

  /** Readable form of ids (for debugging and tests). */
  decode(ids: number[]): string {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) out.push(new TextDecoder().decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (const id of ids) {
      if (id >= BYTE0 && id < WORD0) {
        bytes.push(id - BYTE0);
        continue;
      }
      flush();
      if (id === CLS) out.push('[CLS]');
      else if (id === SPELL) out.push('[SPELL]');
      else if (id >= WORD0) out.push(this.words[id - WORD0] ?? '[?]');
    }
    flush();
    return out.join(' ');
  }
}

export interface PromptCheck {
  /** lower-cased, in order, each once */
  unknownWords: string[];
  note: string | null;
}

/**
 * What to tell a user whose prompt has words the model does not know (null when there are none); `closest` offers
 * a known word for a typo ("cirle" → did you mean "circle"?).
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
    "characters; `kontext models mini` lists them) and a label's letters, such as 'FLUX'"
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

/** A label: a word written in capitals (two letters or more), spelled so that its letters are seen. */
function isLabel(p: string): boolean {
  return p.length >= 2 && /^\p{Lu}+$/u.test(p);
}

/** A vocabulary from texts: every looked-up word that occurs at least `minCount` times, sorted. */
export function buildVocabulary(texts: Iterable<string>, minCount = 1): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of MiniTokenizer.words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n >= minCount)
    .map(([w]) => w)
    .sort();
}
