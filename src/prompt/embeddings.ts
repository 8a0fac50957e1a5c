// Prompt conditioning: what the transformer needs from a prompt is `txt` [1, T, context_in_dim] (the T5 hidden
// states for FLUX) and `vec` [1, vec_in_dim] (the pooled CLIP embedding). A TextEncoder turns a prompt into these.
//
// FLUX's T5-XXL and CLIP-L encoders run on the engine (FluxTextEncoder, flux-text-encoder.ts); embeddings can also
// come precomputed from a safetensors file: `kontext encode` writes them (saveEmbeds below), the BFL CLI writes
// them to output/noise.sft on every run (keys `txt`, `vec`), diffusers users can save `prompt_embeds` /
// `pooled_prompt_embeds`.

import { existsSync, statSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { toFloat32 } from '../io/floats.ts';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.ts';

export interface PromptEmbeds {
  /** [T, dim] for one prompt */
  txt: Float32Array;
  tokens: number;
  /** [vecDim] */
  vec: Float32Array;
}

export interface TextEncoder {
  /** dims the encoder produces; must equal the transformer's context_in_dim / vec_in_dim */
  readonly contextDim: number;
  readonly vecDim: number;
  encode(prompt: string): Promise<PromptEmbeds>;
  /** true when encode(prompt) would answer from a cache, without loading weights */
  cached?(prompt: string): boolean;
  /** free the weights (before a large transformer loads); encode loads them again */
  release?(): Promise<void>;
}

/** Most prompt tokens we accept (FLUX uses 512 T5 tokens; Kontext [dev] was trained with 512). */
export const MAX_PROMPT_TOKENS = 4096;
/** Most features per token or in the pooled vector (T5-XXL: 4096, CLIP-L: 768). */
export const MAX_EMBED_DIM = 16384;

const FLOAT_DTYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/** The first NaN or ±Inf, as "a NaN at token 3, feature 17", or null if every value is finite. */
function firstNonFinite(x: Float32Array, dim: number): string | null {
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) continue;
    const what = Number.isNaN(x[i]) ? 'a NaN' : 'an infinite value';
    return x.length === dim ? `${what} at feature ${i}` : `${what} at token ${Math.floor(i / dim)}, feature ${i % dim}`;
  }
  return null;
}

const NAMES = [
  ['txt', 'vec'],
  ['prompt_embeds', 'pooled_prompt_embeds'],
] as const;

/** Read precomputed prompt embeddings (BFL `txt`/`vec` or diffusers `prompt_embeds`/`pooled_prompt_embeds`). */
export async function loadPromptEmbeds(path: string): Promise<PromptEmbeds> {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`prompt embeddings '${path}' is a folder; give the safetensors file (e.g. output/noise.sft)`);
  const f = await SafetensorsFile.open(path);
  try {
    const pair = NAMES.find(([t, v]) => f.has(t) && f.has(v));
    if (!pair) {
      throw new UserError(
        `'${path}' holds no prompt embeddings: expected tensors 'txt' and 'vec' ` +
          `(as in the BFL CLI's output/noise.sft) or 'prompt_embeds' and 'pooled_prompt_embeds' (diffusers); ` +
          `found ${f.keys().slice(0, 8).join(', ')}`,
      );
    }
    // shapes and dtypes from the header, before anything is allocated or read
    const [te, ve] = [f.entry(pair[0]), f.entry(pair[1])];
    if (te.shape.length !== 3 || te.shape[0] !== 1)
      throw new UserError(`'${path}': ${pair[0]} must be [1, tokens, dim], got [${te.shape}]`);
    if (ve.shape.length !== 2 || ve.shape[0] !== 1)
      throw new UserError(`'${path}': ${pair[1]} must be [1, dim], got [${ve.shape}]`);
    const [, tokens, dim] = te.shape;
    if (tokens === 0)
      throw new UserError(
        `'${path}': ${pair[0]} has zero tokens; the embeddings of a prompt have at least one (FLUX uses 512)`,
      );
    if (tokens > MAX_PROMPT_TOKENS)
      throw new UserError(
        `'${path}': ${pair[0]} has ${tokens} tokens, more than the ${MAX_PROMPT_TOKENS} accepted (FLUX uses 512); ` +
          `the file is not prompt embeddings or is corrupt`,
      );
    for (const [name, d] of [
      [pair[0], dim],
      [pair[1], ve.shape[1]],
    ] as const) {
      if (!(d >= 1 && d <= MAX_EMBED_DIM))
        throw new UserError(
          `'${path}': ${name} has ${d} features, expected 1 to ${MAX_EMBED_DIM} (T5-XXL: 4096, CLIP-L: 768)`,
        );
    }
    for (const e of [te, ve])
      if (!FLOAT_DTYPES.has(e.dtype))
        throw new UserError(
          `'${path}': ${e.name} is ${e.dtype}, prompt embeddings are floating point (float32, float16 or bfloat16)`,
        );
    const txt = toFloat32(await f.read(pair[0]));
    const vec = toFloat32(await f.read(pair[1]));
    for (const [name, x, d] of [
      [pair[0], txt, dim],
      [pair[1], vec, vec.length],
    ] as const) {
      const bad = firstNonFinite(x, d);
      if (bad) throw new UserError(`'${path}': ${name} has ${bad}; the embeddings are corrupt, compute them again`);
    }
    return { txt, tokens, vec };
  } finally {
    await f.close();
  }
}

/**
 * Write embeddings as `loadPromptEmbeds` reads them (and as the BFL CLI writes output/noise.sft): `txt` [1, T, dim]
 * and `vec` [1, vecDim] in float32, with `metadata` (the prompt, the encoder) in the header.
 */
export async function saveEmbeds(path: string, e: PromptEmbeds, metadata: Record<string, string> = {}): Promise<void> {
  const tensors = new Map([
    ['txt', { dtype: 'float32' as const, shape: [1, e.tokens, e.txt.length / e.tokens], data: e.txt }],
    ['vec', { dtype: 'float32' as const, shape: [1, e.vec.length], data: e.vec }],
  ]);
  await writeSafetensors(path, tensors, metadata);
}
