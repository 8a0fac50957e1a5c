// The T5 tokenizer (SentencePiece unigram) from a checkpoint's tokenizer.json (diffusers: `tokenizer_2/`).
//
// Unigram: the vocabulary is a list of pieces with log-probabilities, and a text is cut into the sequence of pieces
// with the highest total score (Viterbi over every segmentation); spaces become '▁' (Metaspace) and start the piece
// that follows them. The file's normalizer, pre-tokenizer and model are run by @huggingface/tokenizers. Its
// "Precompiled" normalizer is approximated there by NFKC plus control/whitespace clean-up, which is exact for
// ordinary text. FLUX [dev] feeds 512 ids: the text's pieces (at most 511), '</s>' (1), then '<pad>' (0).
// The SentencePiece binary (spiece.model) is not read: both FLUX layouts ship the tokenizer.json beside it.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { PromptTokenizer, readJsonFile, requireToken, tokenizerFromJson } from './tokenizers.ts';

export const T5_MAX_LENGTH = 512; // FLUX.1 [dev] and Kontext; schnell uses 256

/** The tokenizer.json of a T5 tokenizer at `path`: the file itself, a folder holding it, or a checkpoint root with
 *  `tokenizer_2/tokenizer.json`. */
export function t5TokenizerFile(path: string): string {
  if (!existsSync(path)) throw new UserError(`T5 tokenizer '${path}' does not exist`);
  if (statSync(path).isFile()) return path;
  for (const f of [join(path, 'tokenizer.json'), join(path, 'tokenizer_2', 'tokenizer.json')])
    if (existsSync(f)) return f;
  const spiece = existsSync(join(path, 'spiece.model')) ? ' (spiece.model alone is not read)' : '';
  throw new UserError(
    `'${path}' has no tokenizer.json${spiece}: ` +
      `give the tokenizer_2/ folder of a FLUX checkpoint, or its tokenizer.json`,
  );
}

/** A T5 tokenizer from a parsed tokenizer.json; it must be a unigram model with '</s>' and '<pad>'. */
export function t5TokenizerFromJson(json: unknown, where: string, maxLength = T5_MAX_LENGTH): PromptTokenizer {
  const type = (json as { model?: { type?: unknown } } | null)?.model?.type;
  const looksUnigram =
    type === 'Unigram' ||
    (type === undefined && Array.isArray((json as { model?: { vocab?: unknown } })?.model?.vocab));
  if (!looksUnigram)
    throw new UserError(
      `${where} is not a T5 (SentencePiece unigram) tokenizer: its model is ${JSON.stringify(type ?? null)}`,
    );
  const tok = tokenizerFromJson(json, where);
  return new PromptTokenizer('T5', tok, {
    maxLength,
    bos: null,
    eos: requireToken(tok, '</s>', where),
    pad: requireToken(tok, '<pad>', where),
  });
}

/** Load the T5 tokenizer at `path` (see t5TokenizerFile). */
export function loadT5Tokenizer(path: string, maxLength = T5_MAX_LENGTH): PromptTokenizer {
  const file = t5TokenizerFile(path);
  return t5TokenizerFromJson(readJsonFile(file, 'T5 tokenizer'), `'${file}'`, maxLength);
}
