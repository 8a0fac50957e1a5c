// Writes src/prompt/english-near-words.ts: the English words one typo away from a word of the embedded model's
// vocabulary. The tokenizer reads an unknown word one typo away from a vocabulary word as that word ("cirlce" →
// "circle") unless it is a word of its own ("blur" is not a typo of "blue"), and this list is how it tells.
//
//   node --import tsx scripts/english-near-words.ts /usr/share/dict/american-english   (Debian's wamerican)

import { readFileSync, writeFileSync } from 'node:fs';
import { closestWord } from '../src/prompt/unknown-words.ts';

const dictionary = process.argv[2];
if (!dictionary) throw new Error('usage: english-near-words.ts WORD_LIST (one word a line, e.g. Debian wamerican)');
const vocabulary: string[] = JSON.parse(readFileSync('models/kontext-mini/tokenizer.json', 'utf8')).words;
const known = new Set(vocabulary);
// a slur in the word list is left out (written in base64 so that this file does not spell it)
const LEFT_OUT = new Set(['bmlnZ2Vy'].map((b) => Buffer.from(b, 'base64').toString()));
const words = readFileSync(dictionary, 'utf8')
  .split('\n')
  .filter((w) => /^[a-z]+$/.test(w) && !known.has(w) && !LEFT_OUT.has(w) && closestWord(w, vocabulary) !== undefined);
// lines of at most 110 characters
const lines = [''];
for (const w of words) {
  const last = lines.at(-1)!;
  if (last && last.length + w.length + 1 > 110) lines.push(w);
  else lines[lines.length - 1] = last ? `${last} ${w}` : w;
}
writeFileSync(
  'src/prompt/english-near-words.ts',
  `// English words one typo away from a word of kontext-mini's vocabulary (models/kontext-mini/tokenizer.json): the
// tokenizer reads an unknown word one typo from a vocabulary word as that word ("cirlce" → "circle") unless it is
// listed here, a word of its own ("blur" is not a typo of "blue"). ${words.length} words, made by
// scripts/english-near-words.ts from SCOWL's American English list (Debian wamerican 2020.12.07), whose notice:
//
//   Copyright 2000-2011 by Kevin Atkinson
//
//   Permission to use, copy, modify, distribute and sell these word lists, the associated scripts, the output
//   created from the scripts, and its documentation for any purpose is hereby granted without fee, provided that
//   the above copyright notice appears in all copies and that both that copyright notice and this permission
//   notice appear in supporting documentation. Kevin Atkinson makes no representations about the suitability of
//   this array for any purpose. It is provided "as is" without express or implied warranty.

export const ENGLISH_NEAR_WORDS: ReadonlySet<string> = new Set(
  [
${lines.map((l) => `    '${l}',`).join('\n')}
  ]
    .join(' ')
    .split(' '),
);
`,
);
console.log(`${words.length} words`);
