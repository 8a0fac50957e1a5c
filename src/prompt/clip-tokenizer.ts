// The CLIP tokenizer (byte-level BPE) from the `tokenizer/` folder of a FLUX checkpoint: vocab.json + merges.txt.
//
// That folder has no tokenizer.json, so we write the one Hugging Face's CLIPTokenizerFast converts it to
// (transformers `convert_slow_tokenizer.CLIPConverter`) and hand it to @huggingface/tokenizers:
//   normalizer     NFC, every whitespace run → one space, lower-case (openai/CLIP: whitespace_clean(text).lower())
//   pre-tokenizer  the CLIP regex — contractions, letter runs, single digits, runs of other symbols; whitespace
//                  dropped — then each piece as bytes mapped to printable characters (GPT-2's byte-level trick)
//   model          BPE whose last symbol of every word carries '</w>', so 'red' and the 'red' inside 'redo' differ
// openai/CLIP also runs ftfy.fix_text and html.unescape first; they change nothing on plain text and are left out.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { PromptTokenizer, readJsonFile, requireToken, tokenizerFromJson } from './tokenizers.ts';

export const CLIP_MAX_LENGTH = 77;
export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';

/** CLIP's merges: 49152 BPE symbols − 256 bytes − 2 specials; openai/CLIP and Hugging Face read no more lines. */
const MAX_MERGES = 49152 - 256 - 2;

const PIECES = String.raw`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`;

/** merges.txt lines ('#version' header, then 'a b' per merge, best first) as the pairs BPE applies. */
export function parseMerges(text: string): [string, string][] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[0]?.startsWith('#version')) lines.shift();
  const merges = lines.filter((l) => l.length > 0).slice(0, MAX_MERGES);
  return merges.map((l, i) => {
    const parts = l.split(' ');
    if (parts.length !== 2) throw new UserError(`merges.txt line ${i + 2} is not a pair of symbols: '${l}'`);
    return [parts[0], parts[1]];
  });
}

/** The tokenizer.json Hugging Face's CLIPTokenizerFast has for this vocabulary. */
export function clipTokenizerJson(vocab: Record<string, number>, merges: [string, string][]): Record<string, unknown> {
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: '1.0',
    added_tokens: [special(CLIP_BOS), special(CLIP_EOS)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: String.raw`\s+` }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PIECES }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null, // BOS/EOS are added by our framing (tokenizers.ts)
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** A CLIP tokenizer from vocab.json and merges.txt. */
export function clipTokenizerFromFiles(
  vocab: Record<string, number>,
  merges: [string, string][],
  where: string,
): PromptTokenizer {
  for (const t of [CLIP_BOS, CLIP_EOS])
    if (!Number.isInteger(vocab[t])) throw new UserError(`${where}: vocab.json has no '${t}' token`);
  const tok = tokenizerFromJson(clipTokenizerJson(vocab, merges), where);
  const eos = requireToken(tok, CLIP_EOS, where);
  return new PromptTokenizer('CLIP', tok, {
    maxLength: CLIP_MAX_LENGTH,
    bos: requireToken(tok, CLIP_BOS, where),
    eos,
    pad: eos,
  });
}

/** The folder holding vocab.json + merges.txt: `path` itself, or the `tokenizer/` folder of a checkpoint at `path`. */
export function clipTokenizerFolder(path: string): string {
  if (!existsSync(path)) throw new UserError(`CLIP tokenizer folder '${path}' does not exist`);
  const sub = join(path, 'tokenizer');
  const dir = !existsSync(join(path, 'vocab.json')) && existsSync(join(sub, 'vocab.json')) ? sub : path;
  for (const f of ['vocab.json', 'merges.txt']) {
    if (!existsSync(join(dir, f))) {
      throw new UserError(
        `'${dir}' has no ${f}: a CLIP tokenizer folder holds vocab.json and merges.txt ` +
          `(the tokenizer/ folder of a FLUX checkpoint)`,
      );
    }
  }
  return dir;
}

/** Load the CLIP tokenizer of a checkpoint folder (see clipTokenizerFolder). */
export function loadClipTokenizer(path: string): PromptTokenizer {
  const dir = clipTokenizerFolder(path);
  const vocab = readJsonFile(join(dir, 'vocab.json'), 'CLIP vocabulary');
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab))
    throw new UserError(`'${join(dir, 'vocab.json')}' is not a token → id map`);
  const merges = parseMerges(readFileSync(join(dir, 'merges.txt'), 'utf8'));
  return clipTokenizerFromFiles(vocab as Record<string, number>, merges, `'${dir}'`);
}
