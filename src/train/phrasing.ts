// Unknown words in training instructions: robustness to phrasings never seen.
//
// The test split holds out 16 instruction templates ("paint {obj} {to}", "write '{word}' in {to} instead", …); their
// new verbs and connectives are outside the tokenizer's vocabulary, so the model reads them spelled letter by
// letter — a token pattern it never met in an edit's phrasing. Trained only on the known phrasings, the ninth model
// carried out 4 of the 84 held-out-template test edits against 63 of the 276 others. An edit's content is in its
// other words (the colour, the shape, the place, the quoted word), so training can teach the model to read an edit
// from those when a word of its phrasing is new: for a share of the instructions, the first word (the verb, in
// every edit template) and now and then another phrasing word are replaced by made-up words, which the tokenizer
// spells. Content words are never replaced, and a made-up word is never a vocabulary word nor a word of the held-out
// templates, so those phrasings stay unseen.
//
// People also wrap an instruction in words that carry nothing: "Please make the circle blue", "can you …", "… thanks".
// Those are words the vocabulary lacks too, spelled, but before the verb or after the edit — a place no training
// instruction had one: of the 104 test edits the twelfth model makes as written, "Please …" keeps 96 and
// "…, thank you." 74.
// So for a share of the instructions (`extraWords`) made-up words are added around the instruction instead: 1–3
// before it and/or 1–2 after it. The real fillers ("please", "can you") are never among them, so they stay a test.

import type { Rng } from '../engine/random.ts';
import { BACKGROUND_WORDS, OBJECT_COLOR_NAMES, TEXT_COLOR_NAMES } from '../world/palette.ts';
import { REGIONS } from '../world/scene.ts';
import { SHAPES, SIZE_NAMES, STYLES } from '../world/shapes.ts';
import { HELD_OUT_TEMPLATES } from '../world/split.ts';
import { STYLE_ADJECTIVE, STYLE_NAME } from '../world/phrases.ts';

const words = (texts: Iterable<string>) => [...texts].flatMap((t) => t.toLowerCase().match(/[a-z]+/g) ?? []);

/** Words that carry an edit's content (what, which, where, how): never replaced. */
const CONTENT = new Set(
  words([
    ...OBJECT_COLOR_NAMES,
    ...TEXT_COLOR_NAMES,
    ...Object.values(BACKGROUND_WORDS),
    ...SHAPES,
    ...STYLES,
    ...Object.values(STYLE_ADJECTIVE),
    ...Object.values(STYLE_NAME),
    ...SIZE_NAMES,
    ...REGIONS,
    // the literals that name a global edit or what is edited
    'night day daytime daylight gray grey grayscale black white background style word text sign character creature',
    'image picture scene first second',
  ]),
);

/** Words of the held-out templates: a made-up word is never one of them. */
const HELD_OUT_WORDS = new Set(words(HELD_OUT_TEMPLATES.map((t) => t.replace(/\{\w+\}/g, ' '))));

/** Each phrasing word after the first is replaced with this probability (in a rewritten instruction). */
export const OTHER_WORD_SHARE = 0.15;

/** A made-up lower-case word of 3–8 letters that `known` does not know and no held-out template uses. */
export function madeUpWord(rng: Rng, known: (w: string) => boolean): string {
  for (;;) {
    const n = 3 + Math.floor(rng.next() * 6);
    let w = '';
    for (let i = 0; i < n; i++) w += String.fromCharCode(97 + Math.floor(rng.next() * 26));
    if (!known(w) && !HELD_OUT_WORDS.has(w)) return w;
  }
}

/**
 * The instruction with its first word, and each other phrasing word with probability OTHER_WORD_SHARE, replaced by
 * made-up words. Content words, quoted labels and anything that is not a plain lower-case word stay as they are.
 */
export function withUnknownWords(instruction: string, rng: Rng, known: (w: string) => boolean): string {
  const parts = instruction.split(' ');
  return parts
    .map((p, i) => {
      const lower = i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p;
      if (!/^[a-z]+$/.test(lower) || CONTENT.has(lower)) return p;
      if (i > 0 && rng.next() >= OTHER_WORD_SHARE) return p;
      const w = madeUpWord(rng, known);
      return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w;
    })
    .join(' ');
}

/**
 * The instruction with made-up words around it: 1–3 before it (three times in four) and/or 1–2 after it (otherwise,
 * or half the time besides). The instruction itself is unchanged between them.
 */
export function withExtraWords(instruction: string, rng: Rng, known: (w: string) => boolean): string {
  const some = (lo: number, hi: number) =>
    Array.from({ length: lo + Math.floor(rng.next() * (hi - lo + 1)) }, () => madeUpWord(rng, known));
  const before = rng.next() < 0.75 ? some(1, 3) : [];
  const after = !before.length || rng.next() < 0.5 ? some(1, 2) : [];
  if (!before.length) return [instruction, ...after].join(' ');
  const [first, ...rest] = before;
  const head = first!.charAt(0).toUpperCase() + first!.slice(1);
  const body = instruction.charAt(0).toLowerCase() + instruction.slice(1);
  return [head, ...rest, body, ...after].join(' ');
}
