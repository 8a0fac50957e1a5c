// FLUX's prompt tokenizers: CLIP byte-level BPE against openai/CLIP's golden ids with the real vocabulary, T5
// unigram on a small tokenizer.json built here, the 77 / 512 framing, the checkpoint folder layouts, bad input.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { clipTokenizerJson, loadClipTokenizer, parseMerges } from '../../src/prompt/clip-tokenizer.ts';
import { loadT5Tokenizer, t5TokenizerFromJson } from '../../src/prompt/t5-tokenizer.ts';
import { frame, idsTensor } from '../../src/prompt/tokenizers.ts';
import { TEXT_FIXTURES } from '../fixtures-path.ts';
import { unigramTokenizerJson } from './encoder-fixtures.ts';

const CLIP_DIR = join(TEXT_FIXTURES, 'clip-tokenizer');
const golden = JSON.parse(readFileSync(join(TEXT_FIXTURES, 'clip-tokenizer-golden.json'), 'utf8')) as {
  bos: number;
  eos: number;
  pad: number;
  max_length: number;
  cases: { text: string; bpe: number[]; ids77: number[] }[];
};
const clip = loadClipTokenizer(CLIP_DIR);

// temporary folders of this file, removed when it ends
const dirs: string[] = [];
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), `kontext-${prefix}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('CLIP tokenizer', () => {
  it('gives openai/CLIP golden ids for every case: the BPE ids and the 77 ids FLUX feeds', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(8);
    for (const c of golden.cases) {
      expect(clip.pieces(c.text), c.text).toEqual(c.bpe);
      expect(clip.encode(c.text).ids, c.text).toEqual(c.ids77);
    }
    expect(clip.framing).toEqual({ maxLength: golden.max_length, bos: golden.bos, eos: golden.eos, pad: golden.pad });
  });

  it('the tiny CLIP fixture was fed exactly these ids (the golden prompts, padded as FLUX pads)', async () => {
    const io = await SafetensorsFile.open(join(TEXT_FIXTURES, 'clip-tiny.io.safetensors'));
    const ids = await io.read('in.input_ids');
    await io.close();
    expect(ids).toEqual(clip.encodeBatch(golden.cases.map((c) => c.text)));
  });

  it('lower-cases, collapses whitespace, splits contractions, digits one by one', () => {
    expect(clip.pieces('  HELLO\t\n  World  ')).toEqual(clip.pieces('hello world'));
    expect(clip.pieces("it's 2024")).toEqual([
      clip.tokenToId('it</w>'),
      clip.tokenToId("'s</w>"),
      ...'2024'.split('').map((d) => clip.tokenToId(`${d}</w>`)),
    ]);
    // decoding cleans up the space before punctuation, as Hugging Face does
    expect(clip.decode(clip.encode('A Red  CAR!').ids)).toBe('a red car!');
  });

  it('cuts long prompts to 75 text tokens, keeping <|endoftext|> last', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i % 10}`).join(' ');
    const r = clip.encode(long);
    expect(r.truncated).toBe(true);
    expect(r.ids).toHaveLength(77);
    expect(r.tokens).toBe(75);
    expect(r.ids[0]).toBe(49406);
    expect(r.ids[76]).toBe(49407);
    expect(r.ids.slice(1, 76)).toEqual(clip.pieces(long).slice(0, 75));
  });

  it('any string tokenizes (unicode, emoji, control characters, special-token text)', () => {
    for (const s of ['ünïcödé ☃ 🙂', '\u0000\uffff', '日本語のテキスト', '<|endoftext|> inside', 'x'.repeat(5000)]) {
      const { ids } = clip.encode(s);
      expect(ids).toHaveLength(77);
      expect(ids.every((i) => Number.isInteger(i) && i >= 0 && i < 49408)).toBe(true);
    }
  });

  it('reads a checkpoint root with a tokenizer/ folder; the merges limit and header follow the reference', () => {
    const root = tmp('clip-root');
    mkdirSync(join(root, 'tokenizer'));
    for (const f of ['vocab.json', 'merges.txt']) copyFileSync(join(CLIP_DIR, f), join(root, 'tokenizer', f));
    expect(loadClipTokenizer(root).encode(golden.cases[0].text).ids).toEqual(golden.cases[0].ids77);
    expect(parseMerges('#version: 0.2\ni n\r\nt h\n\n')).toEqual([
      ['i', 'n'],
      ['t', 'h'],
    ]);
    const json = clipTokenizerJson({ a: 0, '<|startoftext|>': 1, '<|endoftext|>': 2 }, []);
    expect((json.model as { end_of_word_suffix: string }).end_of_word_suffix).toBe('</w>');
  });

  it('bad input: a missing folder, a folder lacking vocab.json or merges.txt, a broken vocab', () => {
    expect(() => loadClipTokenizer('/nonexistent/tokenizer')).toThrow(
      "CLIP tokenizer folder '/nonexistent/tokenizer' does not exist",
    );
    const noVocab = tmp('clip-novocab');
    copyFileSync(join(CLIP_DIR, 'merges.txt'), join(noVocab, 'merges.txt'));
    expect(() => loadClipTokenizer(noVocab)).toThrow(
      `'${noVocab}' has no vocab.json: a CLIP tokenizer folder holds vocab.json and merges.txt`,
    );
    const noMerges = tmp('clip-nomerges');
    copyFileSync(join(CLIP_DIR, 'vocab.json'), join(noMerges, 'vocab.json'));
    expect(() => loadClipTokenizer(noMerges)).toThrow(`'${noMerges}' has no merges.txt`);
    const badVocab = tmp('clip-badvocab');
    writeFileSync(join(badVocab, 'vocab.json'), '{"a": 0,');
    writeFileSync(join(badVocab, 'merges.txt'), '#version: 0.2\n');
    expect(() => loadClipTokenizer(badVocab)).toThrow(/CLIP vocabulary '.*vocab\.json' is not valid JSON/);
    writeFileSync(join(badVocab, 'vocab.json'), '{"a": 0}');
    expect(() => loadClipTokenizer(badVocab)).toThrow("vocab.json has no '<|startoftext|>' token");
    writeFileSync(join(badVocab, 'merges.txt'), '#version: 0.2\na b c\n');
    expect(() => loadClipTokenizer(badVocab)).toThrow("merges.txt line 2 is not a pair of symbols: 'a b c'");
  });
});

// A small SentencePiece-style unigram vocabulary (<pad> 0, </s> 1, <unk> 2, pieces with log-probabilities) in the
// layout of T5's tokenizer.json (unigramTokenizerJson).
const PIECES: [string, number][] = [
  ['<pad>', 0],
  ['</s>', 0],
  ['<unk>', 0],
  ['▁', -2],
  ['▁the', -1],
  ['▁cat', -2.5],
  ['▁ca', -3],
  ['t', -3],
  ['s', -3],
  ['▁cats', -7], // worse than ▁cat + s (−5.5): the best segmentation wins, not the longest match
  ['c', -4],
  ['a', -4],
  ['▁a', -2],
  ['r', -4],
  ['▁car', -2],
  ['<extra_id_0>', 0],
];

const t5Json = () => unigramTokenizerJson(PIECES, [0, 1, 2, 15]);

describe('T5 tokenizer (unigram)', () => {
  const t5 = t5TokenizerFromJson(t5Json(), 'test tokenizer.json');

  it('picks the segmentation with the best total score; spaces become ▁ at the start of pieces', () => {
    expect(t5.pieces('the cats')).toEqual([4, 5, 8]); // ▁the ▁cat s
    expect(t5.pieces('the car')).toEqual([4, 14]);
    expect(t5.pieces('cats')).toEqual([5, 8]); // a ▁ is prepended to the text
    expect(t5.pieces('the  cat')).toEqual([4, 5]); // runs of spaces are one
    expect(t5.pieces('a cat ☃')).toEqual([12, 5, 3, 2]); // an unknown character is <unk>
    expect(t5.pieces('the cat <extra_id_0>')).toEqual([4, 5, 3, 15]);
    expect(t5.decode(t5.encode('the cats').ids)).toBe('the cats');
  });

  it('frames as FLUX does: 512 ids, text then </s> = 1, padded with <pad> = 0; long text cut to 511', () => {
    const r = t5.encode('the cats');
    expect(r.ids).toHaveLength(512);
    expect(r.ids.slice(0, 5)).toEqual([4, 5, 8, 1, 0]);
    expect(r.ids.slice(4).every((i) => i === 0)).toBe(true);
    expect(t5.encode('').ids.slice(0, 2)).toEqual([1, 0]);
    const long = t5.encode('the cat '.repeat(300));
    expect(long).toMatchObject({ tokens: 511, truncated: true });
    expect(long.ids[510]).toBe(t5.pieces('the cat '.repeat(300))[510]);
    expect(long.ids[511]).toBe(1);
    expect(t5TokenizerFromJson(t5Json(), 'x', 256).encode('the').ids).toHaveLength(256); // schnell's length
  });

  it('loads from a tokenizer.json file, a folder holding one, or a checkpoint root with tokenizer_2/', () => {
    const root = tmp('t5-root');
    mkdirSync(join(root, 'tokenizer_2'));
    const file = join(root, 'tokenizer_2', 'tokenizer.json');
    writeFileSync(file, JSON.stringify(t5Json()));
    writeFileSync(join(root, 'tokenizer_2', 'spiece.model'), 'binary');
    for (const p of [root, join(root, 'tokenizer_2'), file])
      expect(loadT5Tokenizer(p).encode('the cats').ids.slice(0, 4)).toEqual([4, 5, 8, 1]);
  });

  it('bad input: no tokenizer.json, a BPE tokenizer.json, missing </s>, broken JSON', () => {
    expect(() => loadT5Tokenizer('/nonexistent/tokenizer_2')).toThrow(
      "T5 tokenizer '/nonexistent/tokenizer_2' does not exist",
    );
    const spOnly = tmp('t5-sp');
    writeFileSync(join(spOnly, 'spiece.model'), 'binary');
    expect(() => loadT5Tokenizer(spOnly)).toThrow(`'${spOnly}' has no tokenizer.json (spiece.model alone is not read)`);
    const clipJson = clipTokenizerJson({ a: 0, '<|startoftext|>': 1, '<|endoftext|>': 2 }, []);
    expect(() => t5TokenizerFromJson(clipJson, 'clip.json')).toThrow(
      'clip.json is not a T5 (SentencePiece unigram) tokenizer: its model is "BPE"',
    );
    const noEos = t5Json();
    (noEos.model as { vocab: [string, number][] }).vocab = PIECES.map(([p, s]) => [p === '</s>' ? '<eos>' : p, s]);
    noEos.added_tokens = [];
    expect(() => t5TokenizerFromJson(noEos, 'eos.json')).toThrow("eos.json has no '</s>' token");
    expect(() => t5TokenizerFromJson({ vocab: [] }, 'v.json')).toThrow(
      'v.json is not a T5 (SentencePiece unigram) tokenizer',
    );
    const broken = tmp('t5-broken');
    writeFileSync(join(broken, 'tokenizer.json'), '{"model": ');
    expect(() => loadT5Tokenizer(broken)).toThrow(/T5 tokenizer '.*tokenizer\.json' is not valid JSON/);
  });
});

describe('framing', () => {
  it('BOS? + text + EOS + padding; the int64 batch tensor', () => {
    expect(frame([5, 6], { maxLength: 6, bos: 9, eos: 8, pad: 0 })).toEqual({
      ids: [9, 5, 6, 8, 0, 0],
      tokens: 2,
      truncated: false,
    });
    expect(frame([5, 6, 7], { maxLength: 3, bos: null, eos: 1, pad: 0 })).toEqual({
      ids: [5, 6, 1],
      tokens: 2,
      truncated: true,
    });
    const t = idsTensor([
      [1, 2],
      [3, 4],
    ]);
    expect(t).toEqual({ dtype: 'int64', shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, 4n]) });
    expect(() => idsTensor([[1], [1, 2]])).toThrow('rows differ in length');
  });
});
