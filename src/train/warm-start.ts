// Warm start: begin a flow run from another kontext-mini model's weights wherever the shapes agree.
//
// A new autoencoder changes the latent space, so the transformer must be trained again; but most of what it
// learned does not depend on the latent's layout: the text encoder, the text and timestep pathways, the
// modulations, attention between target and context tokens. Only the layers that touch latent features directly
// change shape when the latent channels do (`img_in`: features → hidden, `final_layer.linear`: hidden →
// features); they keep their fresh initialisation and everything else starts from the trained model.
// The same copy grows a model deeper: blocks the folder lacks keep the run's adaLN-Zero initialisation (train-flow's
// flowInit: gate 0, so each adds nothing), and the deeper model starts as exactly the shallower one's function.
// It also grows the MLPs wider (a larger `mlp_ratio`): an MLP layer the folder has at a smaller hidden width is
// copied into the leading part of the wider one; the new hidden units keep their initialisation on the way in and
// read out with zero weights (the new input columns of `mlp.2` / `linear2` are zero), so they add nothing until
// trained and the wider model starts as exactly the narrower one's function. The single blocks' fused `linear1`
// puts the MLP after q, k, v, and `linear2` reads [attention; MLP], so the new units sit at the end there too.
// The text encoder grows deeper the same way: a layer the folder lacks has its residual outputs (`attn.proj`,
// `fc2`) set to zero, so it adds nothing to the stream and the deeper encoder starts as exactly the shallower one.
// The vocabulary must be the same (the embedding rows are words).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HostTensor, type Module, numel } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import type { MiniModel } from '../mini/model.ts';
import type { MiniTokenizer } from '../prompt/mini-tokenizer.ts';

export interface WarmStart {
  /** parameters copied from the folder */
  copied: number;
  /** parameters of the model in all */
  total: number;
  /** keys that kept their initialisation (absent from the folder or shaped differently) */
  kept: string[];
  /** MLP keys copied into a wider hidden layer (counted in `copied`) */
  grown: string[];
}

/** The MLP layers of the double- and single-stream blocks: those whose hidden width `mlp_ratio` sets. */
const MLP_LAYER = /\.(img_mlp|txt_mlp)\.[02]\.(weight|bias)$|single_blocks\.\d+\.linear[12]\.(weight|bias)$/;

/** The text encoder layers' residual outputs: zero in a layer the folder lacks, so that the layer adds nothing. */
const TEXT_RESIDUAL_OUT = /^text_encoder\.layers\.\d+\.(attn\.proj|fc2)\.(weight|bias)$/;

/**
 * Copy `src` (shape `from`) into the leading block of `dst` (shape `to`, each dimension ≥ `from`'s). A weight
 * [out, in] that grew along `in` reads the new hidden units: those columns become 0, so the layer's output is
 * unchanged; rows that grew along `out` (new units' inputs and biases) keep `dst`'s initialisation.
 */
function growInto(dst: Float32Array, to: readonly number[], src: Float32Array, from: readonly number[]): void {
  if (to.length === 1) {
    dst.set(src);
    return;
  }
  const [rows, cols] = from;
  for (let r = 0; r < to[0]; r++) {
    const row = dst.subarray(r * to[1], (r + 1) * to[1]);
    if (r < rows) row.set(src.subarray(r * cols, (r + 1) * cols));
    if (to[1] > cols) row.fill(0, cols);
  }
}

/** Copy every parameter of `model` whose key and shape a kontext-mini folder `dir` has (an MLP layer also from a narrower one). */
export async function warmStart(model: MiniModel, dir: string, tokenizer: MiniTokenizer): Promise<WarmStart> {
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath))
    throw new UserError(`initFrom ${dir} is not a kontext-mini model folder: tokenizer.json is missing`);
  const theirs = JSON.stringify(JSON.parse(await readFile(tokPath, 'utf8')));
  if (theirs !== JSON.stringify(tokenizer.toJson()))
    throw new UserError(
      `initFrom ${dir} has another vocabulary than this run (tokenizer.json differs): ` +
        'warm starts need the same seed and vocabSamples',
    );
  const r: WarmStart = { copied: 0, total: 0, kept: [], grown: [] };
  const parts: [Module, string][] = [
    [model.transformer, 'transformer.'],
    [model.text_encoder, 'text_encoder.'],
  ];
  for (const [m, prefix] of parts) {
    const f = await SafetensorsFile.open(join(dir, `${prefix.slice(0, -1)}.safetensors`));
    try {
      for (const [key, p] of m.namedParameters()) {
        r.total++;
        const name = key.slice(prefix.length);
        const shape = f.has(name) ? f.shape(name) : null;
        const sameRank = shape?.length === p.shape.length;
        if (sameRank && shape.every((d, i) => d === p.shape[i])) {
          p.set({ dtype: 'float32', shape: [...p.shape], data: await f.readF32(name) });
          r.copied++;
        } else if (sameRank && MLP_LAYER.test(key) && shape.every((d, i) => d <= p.shape[i])) {
          const data = Float32Array.from((p.value as HostTensor).data as Float32Array);
          growInto(data, p.shape, await f.readF32(name), shape);
          p.set({ dtype: 'float32', shape: [...p.shape], data });
          r.copied++;
          r.grown.push(key);
        } else {
          r.kept.push(key);
          if (!shape && TEXT_RESIDUAL_OUT.test(key))
            p.set({ dtype: 'float32', shape: [...p.shape], data: new Float32Array(numel(p.shape)) });
        }
      }
    } finally {
      await f.close();
    }
  }
  return r;
}
