// The configuration of kontext-mini, the embedded model: the FLUX.1 Kontext architecture at small size, with its
// own small text encoder (src/prompt/mini-encoder.ts) in place of T5 and CLIP, and the Flux autoencoder at small
// width. One JSON file (`config.json` in the model folder) holds all of it.

import type { AutoEncoderParams } from '../autoencoder/params.ts';
import type { MiniTextParams } from '../prompt/mini-encoder.ts';
import type { FluxParams } from '../transformer/params.ts';
import type { PreserveOptions } from './preserve.ts';

export interface MiniConfig {
  format: 'kontext-mini';
  /** the square image side the model works at (inputs are fitted to it) */
  resolution: number;
  text: MiniTextParams;
  transformer: FluxParams;
  ae: AutoEncoderParams;
  /** text tokens per number of context images (0: text-to-image, 1: edit, 2: style reference) */
  textLength: Record<string, number>;
  /**
   * the transformer was trained to replace a word given the new word's glyph image after the picture
   * (world/glyph.ts, train-flow's `glyph`): the editor then gives it one (mini/glyph.ts); absent = false
   */
  glyph?: boolean;
  /**
   * sampling defaults; `preserve`: keep the input's pixels outside the edit (preserve.ts), absent = off;
   * `candidates`: samples per request, the most likely kept (rerank.ts), absent = 1; `retries`: samples drawn
   * again while the output step reads less of the edit than all in the answer (editor.ts, MiniEditOptions.retries),
   * absent = 0
   */
  sampling: {
    numInferenceSteps: number;
    guidanceScale: number;
    preserve?: PreserveOptions;
    candidates?: number;
    retries?: number;
  };
}

/** The most candidates one request may ask for (sampling.candidates, a request's `candidates`). */
export const MAX_CANDIDATES = 16;

/** Why a candidate count is unusable (a phrase to follow the option's name), or null if it is fine. */
export function candidatesProblem(n: unknown): string | null {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_CANDIDATES
    ? null
    : `must be an integer from 1 to ${MAX_CANDIDATES}, got ${JSON.stringify(n)}`;
}

/** The most samples drawn again for one edit (sampling.retries, an edit's `retries`). */
export const MAX_RETRIES = 8;

/** Why a retry count is unusable (a phrase to follow the option's name), or null if it is fine. */
export function retriesProblem(n: unknown): string | null {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_RETRIES
    ? null
    : `must be an integer from 0 to ${MAX_RETRIES}, got ${JSON.stringify(n)}`;
}

/** The AE's downsampling factor: one ×2 per level but the last. */
export function aeFactor(ae: Pick<AutoEncoderParams, 'ch_mult'>): number {
  return 2 ** (ae.ch_mult.length - 1);
}

/** Token grid side of the model's images (latent side / 2). */
export function tokenSide(c: Pick<MiniConfig, 'resolution' | 'ae'>): number {
  return c.resolution / aeFactor(c.ae) / 2;
}

/** Text length for a number of context images (the longest trained one beyond). */
export function textLengthFor(c: Pick<MiniConfig, 'textLength'>, contexts: number): number {
  const keys = Object.keys(c.textLength)
    .map(Number)
    .sort((a, b) => a - b);
  const k = keys.includes(contexts) ? contexts : keys[keys.length - 1];
  return c.textLength[String(k)];
}
