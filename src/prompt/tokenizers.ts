// Prompt tokenizers as FLUX uses them: a prompt becomes one fixed-length row of ids per text encoder.
//
//   CLIP-L  77 ids   <|startoftext|> text… <|endoftext|> <|endoftext|>…   (BOS 49406, EOS = pad = 49407)
//   T5-XXL 512 ids   text… </s> <pad>…                                    (no BOS, EOS 1, pad 0)
//
// The tokenization proper (normalization, pre-tokenization, BPE / unigram) is done by @huggingface/tokenizers, a
// TypeScript port of Hugging Face `tokenizers` that reads the same tokenizer.json. We ask it for the text's tokens
// only (no special tokens) and do the framing here, the way FLUX calls Hugging Face's tokenizers
// (`truncation=True, max_length=N, padding="max_length"`): the text is cut so that it fits with its special
// tokens (CLIP keeps 75 text tokens, T5 511), then BOS/EOS are added and the row is padded to N.

import { Tokenizer } from '@huggingface/tokenizers';
import { existsSync, readFileSync } from 'node:fs';
import type { HostTensor } from '../engine/index.ts';
import { UserError } from '../errors.ts';

/** How a row of ids is framed: optional BOS, the text, EOS, padding up to maxLength. */
export interface Framing {
  maxLength: number;
  bos: number | null;
  eos: number;
  pad: number;
}

export interface TokenizedPrompt {
  /** exactly maxLength ids */
  ids: number[];
  /** text tokens kept (without BOS/EOS) */
  tokens: number;
  /** true when the text had more tokens than fit and was cut */
  truncated: boolean;
}

/** BOS? + text (cut to fit) + EOS, padded to maxLength. */
export function frame(pieces: readonly number[], f: Framing): TokenizedPrompt {
  const room = f.maxLength - 1 - (f.bos === null ? 0 : 1);
  if (room < 0) throw new Error(`frame: max length ${f.maxLength} leaves no room for the special tokens`);
  const kept = pieces.slice(0, room);
  const ids = [...(f.bos === null ? [] : [f.bos]), ...kept, f.eos];
  while (ids.length < f.maxLength) ids.push(f.pad);
  return { ids, tokens: kept.length, truncated: pieces.length > room };
}

/** Rows of ids as the int64 [B, L] tensor an encoder graph takes as `input_ids`. */
export function idsTensor(rows: readonly (readonly number[])[]): HostTensor {
  const L = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== L)) throw new Error('idsTensor: rows differ in length');
  return { dtype: 'int64', shape: [rows.length, L], data: BigInt64Array.from(rows.flat(), (v) => BigInt(v)) };
}

/** A tokenizer.json-driven tokenizer with FLUX's framing. */
export class PromptTokenizer {
  constructor(
    /** 'CLIP' or 'T5', for messages */
    readonly name: string,
    private readonly tokenizer: Tokenizer,
    readonly framing: Framing,
  ) {}

  get maxLength(): number {
    return this.framing.maxLength;
  }

  /** The text's token ids, without special tokens and without a length limit. */
  pieces(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The row of maxLength ids FLUX feeds the encoder. */
  encode(text: string): TokenizedPrompt {
    return frame(this.pieces(text), this.framing);
  }

  /** int64 [texts.length, maxLength] for the encoder graph. */
  encodeBatch(texts: readonly string[]): HostTensor {
    return idsTensor(texts.map((t) => this.encode(t).ids));
  }

  decode(ids: readonly number[]): string {
    return ids.length ? this.tokenizer.decode([...ids], { skip_special_tokens: true }) : '';
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

/**
 * Build the library's Tokenizer from a tokenizer.json object. The optional sections are filled in (the library
 * wants them present, null when unused); a malformed file is reported as the user's error, naming `where`.
 */
export function tokenizerFromJson(json: unknown, where: string): Tokenizer {
  if (
    !json ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    !('model' in json) ||
    typeof json.model !== 'object' ||
    !json.model
  ) {
    throw new UserError(`${where} is not a Hugging Face tokenizer.json (no "model" section)`);
  }
  const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...json } as Record<
    string,
    unknown
  >;
  full.added_tokens = Array.isArray(full.added_tokens) ? full.added_tokens : [];
  try {
    return new Tokenizer(full, {});
  } catch (err) {
    throw new UserError(`${where}: the tokenizer cannot be built: ${(err as Error).message}`);
  }
}

/** Read a JSON file, saying which file when it is missing or malformed. */
export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new UserError(`${what} '${path}' does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${what} '${path}' is not valid JSON: ${(err as Error).message}`);
  }
}

/** The id of a token the framing needs, or an error naming the file that lacks it. */
export function requireToken(tok: Tokenizer, token: string, where: string): number {
  const id = tok.token_to_id(token);
  if (id === undefined) throw new UserError(`${where} has no '${token}' token`);
  return id;
}
