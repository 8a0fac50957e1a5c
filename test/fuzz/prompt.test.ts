// Fuzzing how the embedded model reads a prompt (src/prompt/typed-text.ts, mini-tokenizer.ts; src/world/outside.ts):
// instructions made of its vocabulary's words, typos of them, English words one typo away, labels, quotes, courtesy
// words, clause breaks, other phrasings' words and arbitrary Unicode. Every text must tokenize to [CLS] and its ids;
// the check must name each word once, as a typo read (as a vocabulary word it is not) or as unknown, never both; the
// split must give non-empty instructions; a phrasing read is never empty; "it" or "them" is read only where there is
// one.
// Nothing may throw.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLS, MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { worldPhrasing } from '../../src/world/other-phrasings.ts';
import { outsideWorldNotes, resolveIt, splitEdits } from '../../src/world/outside.ts';
import { check, fc, outcome } from './fuzz.ts';

const tok = MiniTokenizer.fromJson(
  JSON.parse(readFileSync(new URL('../../models/kontext-mini/tokenizer.json', import.meta.url), 'utf8')),
);
const vocabulary = tok.words.filter((w) => /^[a-z]+$/.test(w));

/** a vocabulary word with one typo: a letter added, left out, changed, or two neighbours swapped */
const typo = fc
  .tuple(
    fc.constantFrom(...vocabulary),
    fc.nat(),
    fc.constantFrom('add', 'drop', 'change', 'swap'),
    fc.integer({ min: 97, max: 122 }),
  )
  .map(([w, at, kind, code]) => {
    const i = at % w.length;
    const letter = String.fromCharCode(code);
    if (kind === 'add') return w.slice(0, i) + letter + w.slice(i);
    if (kind === 'drop') return w.slice(0, i) + w.slice(i + 1);
    if (kind === 'change') return w.slice(0, i) + letter + w.slice(i + 1);
    return i + 1 < w.length ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w;
  });
const piece = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...vocabulary) },
  { weight: 4, arbitrary: typo },
  { weight: 1, arbitrary: typo.map((w) => w.toUpperCase()) },
  { weight: 1, arbitrary: typo.map((w) => `'${w.toUpperCase()}'`) },
  { weight: 1, arbitrary: fc.constantFrom('blur', 'back', 'write', 'line', 'snow', 'circles', 'larger') },
  { weight: 1, arbitrary: fc.constantFrom('and', ', then', ';', 'please', 'thank you', '.', '!', '"', '\u201c') },
  // the words of other phrasings (other-phrasings.ts) and of "it" (outside.ts resolveIt)
  { weight: 1, arbitrary: fc.constantFrom('it', 'shrink', 'should be', 'up', 'a bit', 'the word', 'i want', 'gone') },
  // …and of several things in one edit (several-things.ts): lists, "both", "too", "them", articles
  { weight: 1, arbitrary: fc.constantFrom('the', 'a', ',', 'both', 'too', 'as well', 'them', "i'd like", 'could') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const prompt = fc.array(piece, { maxLength: 16 }).map((p) => p.join(' '));

describe('reading a prompt (fuzz)', () => {
  it('tokenizes, checks, reads typos and splits any prompt; a word is a typo read or unknown, never both', async () => {
    await check(
      'prompt reading',
      fc.property(prompt, prompt, (text, before) => {
        const { ids } = tok.encode(text, 88);
        expect(ids[0]).toBe(CLS);
        expect(ids).toHaveLength(88);
        const c = tok.check(text);
        const typed = c.typos!.map((t) => t.typed);
        expect(new Set(typed).size).toBe(typed.length);
        for (const t of c.typos!) {
          expect(tok.knows(t.read)).toBe(true);
          expect(tok.knows(t.typed)).toBe(false);
          expect(c.unknownWords).not.toContain(t.typed);
        }
        for (const t of c.otherWords!) {
          expect(tok.knows(t.read)).toBe(true);
          expect(tok.knows(t.typed)).toBe(false);
          expect([...c.unknownWords, ...typed]).not.toContain(t.typed);
        }
        expect(c.note === null).toBe(
          c.typos!.length === 0 && c.otherWords!.length === 0 && c.unknownWords.length === 0,
        );
        const read = tok.asRead(text);
        const edits = splitEdits(read);
        if (edits.length > 1) for (const e of edits) expect(e.trim().length, JSON.stringify(edits)).toBeGreaterThan(0);
        expect(Array.isArray(outsideWorldNotes(read))).toBe(true);
        const phrased = worldPhrasing(read);
        expect(phrased === null || phrased.trim().length > 0).toBe(true);
        // "it" read after another prompt: a string, and the prompt itself when it has no "it"
        const resolved = resolveIt(read, tok.asRead(before));
        expect(typeof resolved).toBe('string');
        if (!/\b(?:it|them)\b/i.test(read)) expect(resolved).toBe(read);
        outcome(c.typos!.length ? 'typos read' : c.unknownWords.length ? 'unknown words' : 'all known');
      }),
      300,
    );
  });
});
