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
// People type instructions otherwise than the training instructions are written (quotes, case, sentence marks,
// courtesy words, British spellings, plurals, typos): typed-text.ts reads them back to that phrasing before the lookup.
// unknown-words.ts tells the user what the vocabulary lacks and which typos were read as which words.

import {
  isLabel,
  isShouted,
  otherWordFor,
  PIECES,
  QUOTE_MARKS,
  readTyped,
  singulars,
  vocabularyWord,
} from './typed-text.ts';
import {
  closestWord,
  otherWordsNote,
  type PromptCheck,
  type Typo,
  typoOf,
  typosNote,
  unknownWordsNote,
} from './unknown-words.ts';

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

  /**
   * The id of a lower-case word, of the vocabulary's word for it ("grey" is "gray", "middle" "center",
   * typed-text.ts) or of its singular ("circles" is "circle"); undefined when the vocabulary lacks them.
   */
  private id(word: string): number | undefined {
    const as = (w: string) => this.index.get(w) ?? this.index.get(vocabularyWord(w) ?? '');
    return (
      as(word) ??
      singulars(word)
        .map(as)
        .find((id) => id !== undefined)
    );
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
    return this.lacked(this.split(text));
  }

  /** The words of a text read as the vocabulary words they are typos of ("cirlce" → "circle"), in order, each once. */
  typos(text: string): Typo[] {
    return this.readings(text).typos;
  }

  /** The words of a text read as the world's words for them ("ball" → "circle", typed-text.ts), in order, each once. */
  otherWords(text: string): Typo[] {
    return this.readings(text).otherWords;
  }

  /** A text's words the vocabulary lacks that are read as vocabulary words: typos, and other words for the world's. */
  private readings(text: string): { typos: Typo[]; otherWords: Typo[] } {
    const typos = new Map<string, string>();
    const others = new Map<string, string>();
    readTyped(
      text,
      (w) => this.knows(w),
      (w) => {
        const r = this.typoOf(w);
        if (r) typos.set(w, r);
        return r;
      },
      (w) => {
        const r = this.otherWordOf(w);
        if (r) others.set(w, r);
        return r;
      },
    );
    for (const w of others.keys()) typos.delete(w); // (read as the world's word, not as a typo: "disk" is no "dusk")
    const order: string[] = text.toLowerCase().match(PIECES) ?? [];
    const inOrder = (read: Map<string, string>) =>
      [...read].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([typed, r]) => ({ typed, read: r }));
    return { typos: inOrder(typos), otherWords: inOrder(others) };
  }

  /**
   * The text with its typos and other words written as the words they are read as ("make the cirlce blue and the
   * backdrop red" → "… circle … background …"), for what reads the words without the tokenizer (splitting edits,
   * colour notes, tone edits).
   */
  asRead(text: string): string {
    const { typos, otherWords } = this.readings(text);
    let out = text;
    // in a shouted text a word in capitals is a word ("MAKE THE CIRLCE BLUE"), elsewhere a label, which stays
    const shouted = isShouted(text);
    for (const { typed, read } of [...typos, ...otherWords]) {
      // whole words outside quotes, in lower case, with a capital first, or in capitals when shouted
      out = out.replace(new RegExp(`(?<![${QUOTE_MARKS}\\p{L}])${typed}(?![\\p{L}${QUOTE_MARKS}])`, 'giu'), (m) =>
        isLabel(m)
          ? shouted
            ? read.toUpperCase()
            : m
          : m[0] === m[0]!.toUpperCase()
            ? read[0]!.toUpperCase() + read.slice(1)
            : read,
      );
    }
    return out;
  }

  /** Lower-cased words of pieces that the vocabulary lacks and that are not labels, in order, each once. */
  private lacked(pieces: string[]): string[] {
    const words = pieces.filter((p) => /^\p{L}+$/u.test(p) && !isLabel(p) && !this.knows(p.toLowerCase()));
    return [...new Set(words.map((w) => w.toLowerCase()))];
  }

  /** A vocabulary word one typo away from `word`, if just one is (unknown-words.ts): the note's guess. */
  closestWord(word: string): string | undefined {
    return closestWord(word, this.words);
  }

  /**
   * Is this lower-case word read as a vocabulary word: itself, its British spelling, another word for one or a typo
   * of one? A made-up word (training's phrasing.ts) must not be: it has to be read without meaning.
   */
  reads(word: string): boolean {
    return this.knows(word) || this.otherWordOf(word) !== undefined || this.typoOf(word) !== undefined;
  }

  /** The vocabulary word `word` is read as, a typo of it and no English word of its own (unknown-words.ts). */
  typoOf(word: string): string | undefined {
    return typoOf(word, this.words);
  }

  /** The world's word for another word people use for it ("ball": "circle"), if this vocabulary has it. */
  otherWordOf(word: string): string | undefined {
    const w = otherWordFor(word);
    return w !== undefined && this.knows(w) ? w : undefined;
  }

  /** The unknown words of a text, its typos read as known words, and what to tell the user (null when nothing). */
  check(text: string): PromptCheck {
    const unknownWords = this.unknownWords(text);
    const { typos, otherWords } = this.readings(text);
    const notes = [
      typosNote(typos),
      otherWordsNote(otherWords),
      unknownWordsNote(unknownWords, (w) => this.closestWord(w)),
    ];
    const note = notes.filter((n) => n !== null).join('; ') || null;
    return { unknownWords, typos, otherWords, note };
  }

  /** The labels of a text as the model reads them (in capitals, in order: "replace 'cat' with DOG" → CAT, DOG). */
  labels(text: string): string[] {
    return this.split(text).filter(isLabel);
  }

  /** Token ids without [CLS] and padding. */
  pieces(text: string): number[] {
    const ids: number[] = [];
    const parts = this.split(text);
    const quote = this.index.get("'");
    // a label with a neighbour that is neither a quote nor another label of its run gets a quote on that side
    const bare = (q?: string) => quote !== undefined && q !== "'" && !(q && isLabel(q));
    for (const [i, p] of parts.entries()) {
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

  /**
   * The pieces of a text as the training instructions write them, other words read as the world's and typos as the
   * words meant (typed-text.ts).
   */
  private split(text: string): string[] {
    return readTyped(
      text,
      (w) => this.knows(w),
      (w) => this.typoOf(w),
      (w) => this.otherWordOf(w),
    );
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

/** A vocabulary from texts: every looked-up word that occurs at least `minCount` times, sorted. */
export function buildVocabulary(texts: Iterable<string>, minCount = 1): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of MiniTokenizer.words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n >= minCount)
    .map(([w]) => w)
    .sort();
}
