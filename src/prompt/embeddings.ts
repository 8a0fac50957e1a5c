// Prompt conditioning: what the transformer needs from a prompt is `txt` [1, T, context_in_dim] (the T5 hidden
// states for FLUX) and `vec` [1, vec_in_dim] (the pooled CLIP embedding). A TextEncoder turns a prompt into these.
//
// FLUX's T5-XXL and CLIP-L encoders are not implemented yet (roadmap); until then, real-model runs take
// precomputed embeddings from a safetensors file: the BFL CLI writes them to output/noise.sft on every run
// (keys `txt`, `vec`), diffusers users can save `prompt_embeds` / `pooled_prompt_embeds`.

import { UserError } from '../errors.ts';
import { toFloat32 } from '../io/floats.ts';
import { SafetensorsFile } from '../io/safetensors.ts';

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
}

const NAMES = [
  ['txt', 'vec'],
  ['prompt_embeds', 'pooled_prompt_embeds'],
] as const;

/** Read precomputed prompt embeddings (BFL `txt`/`vec` or diffusers `prompt_embeds`/`pooled_prompt_embeds`). */
export async function loadPromptEmbeds(path: string): Promise<PromptEmbeds> {
  const f = await SafetensorsFile.open(path);
  try {
    const pair = NAMES.find(([t, v]) => f.has(t) && f.has(v));
    if (!pair) {
      throw new UserError(
        `'${path}' holds no prompt embeddings: expected tensors 'txt' and 'vec' (as in the BFL CLI's output/noise.sft) ` +
          `or 'prompt_embeds' and 'pooled_prompt_embeds' (diffusers); found ${f.keys().slice(0, 8).join(', ')}`,
      );
    }
    const txt = await f.read(pair[0]);
    const vec = await f.read(pair[1]);
    if (txt.shape.length !== 3 || txt.shape[0] !== 1) throw new UserError(`'${path}': ${pair[0]} must be [1, tokens, dim], got [${txt.shape}]`);
    if (vec.shape.length !== 2 || vec.shape[0] !== 1) throw new UserError(`'${path}': ${pair[1]} must be [1, dim], got [${vec.shape}]`);
    return { txt: toFloat32(txt), tokens: txt.shape[1], vec: toFloat32(vec) };
  } finally {
    await f.close();
  }
}
