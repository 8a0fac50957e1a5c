// Warm start: begin a flow run from another kontext-mini model's weights wherever the shapes agree.
//
// A new autoencoder changes the latent space, so the transformer must be trained again; but most of what it
// learned does not depend on the latent's layout: the text encoder, the text and timestep pathways, the
// modulations, attention between target and context tokens. Only the layers that touch latent features directly
// change shape when the latent channels do (`img_in`: features → hidden, `final_layer.linear`: hidden →
// features); they keep their fresh initialisation and everything else starts from the trained model.
// The same copy grows a model deeper: blocks the folder lacks keep the run's adaLN-Zero initialisation (train-flow's
// flowInit: gate 0, so each adds nothing), and the deeper model starts as exactly the shallower one's function.
// The vocabulary must be the same (the embedding rows are words).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Module } from '../engine/index.ts';
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
}

/** Copy every parameter of `model` whose key and shape a kontext-mini folder `dir` has. */
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
  const r: WarmStart = { copied: 0, total: 0, kept: [] };
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
        if (!shape || shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
          r.kept.push(key);
          continue;
        }
        p.set({ dtype: 'float32', shape: [...p.shape], data: await f.readF32(name) });
        r.copied++;
      }
    } finally {
      await f.close();
    }
  }
  return r;
}
