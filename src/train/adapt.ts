// The decoder fitted to a flow model's own latents (`adapt` in an AE config with `decoderFrom`).
//
// A decoder trained on round trips learns to draw what the *encoder* makes of an image. The flow model hands it
// something else: latents it sampled, close to the encoder's where the edit kept the input and blurred where the
// model was unsure (a new shape, a moved object, a restyled fill). Shown pairs (latent the model sampled for a
// training example, that example's target image), the decoder learns to draw what the model meant, as far as
// the latent tells it; the rest of each batch stays round trips, so what the encoder makes still decodes as before
// (the output step compares the model's answer with the input's round trip through the same decoder).
// The encoder does not change, so the latent space, and the transformer trained in it, stay as they are.
//
// The pairs are drawn once at the start of the run (and again, identically, on resume): the train split's
// examples, every family, sampled by the model folder's transformer with its shipped steps and guidance.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AutoEncoder } from '../autoencoder/model.ts';
import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { aeFactor } from '../mini/config.ts';
import { loadMini } from '../mini/load.ts';
import { unpack } from '../tokens/pack.ts';
import { hashSeed } from '../engine/random.ts';
import { makeSample } from '../world/dataset.ts';
import { cropAt } from './ae.ts';
import { exampleOf } from './flow.ts';

/** Examples sampled per call (progress is reported after each). */
const CHUNK = 128;

export interface AdaptConfig {
  /** model folder whose transformer samples the latents (its autoencoder must share the trained one's encoder) */
  model: string;
  /** how many examples to sample */
  pairs: number;
  /** share of each batch decoded from the model's latents (the rest are round trips) */
  share: number;
}

export interface ModelPairs {
  /** raw latents (what the decoder sees: normalised latent / scale + shift), [z, h, h] each */
  latents: Float32Array[];
  targets: RGBImage[];
}

/**
 * Sample `pairs` train examples (seed hash(seed, 'adapt')) with the folder's transformer; progress on stderr unless
 * `quiet` (sampling takes minutes).
 */
export async function modelPairs(
  a: AdaptConfig,
  encoder: AutoEncoder,
  seed: number,
  size: number,
  quiet?: boolean,
): Promise<ModelPairs> {
  if (!(a.share > 0 && a.share <= 1) || !(Number.isInteger(a.pairs) && a.pairs > 0))
    throw new UserError(`adapt: share must be in (0, 1] and pairs a positive integer, got ${a.share} and ${a.pairs}`);
  if (!existsSync(join(a.model, 'transformer.safetensors')))
    throw new UserError(`adapt.model names ${a.model}, which holds no kontext-mini transformer (export one first)`);
  const pipe = await loadMini(a.model);
  sameEncoder(pipe.ae, encoder, a.model);
  const cfg = pipe.model.config;
  if (cfg.resolution !== size) throw new Error(`adapt.model ${a.model} is ${cfg.resolution}px, the AE run ${size}px`);
  const { z_channels: z, scale_factor, shift_factor } = pipe.ae.params;
  const h = size / aeFactor(pipe.ae.params);
  const dataSeed = hashSeed(seed, 'adapt');
  const exs = Array.from({ length: a.pairs }, (_, i) => {
    const s = makeSample({ split: 'train', seed: dataSeed, size }, i);
    return exampleOf(s, s.index % 5);
  });
  // in chunks, so a long sampling shows progress
  const t0 = Date.now();
  const latents: Float32Array[] = [];
  for (let s = 0; s < exs.length; s += CHUNK) {
    const part = exs.slice(s, s + CHUNK);
    const tokens = await pipe.latents(
      part.map((e, j) => ({ prompt: e.instruction, images: e.inputs, seed: hashSeed(dataSeed, 'noise', s + j) })),
    );
    for (const t of tokens) latents.push(unpack(t, 1, z, h, h).map((v) => v / scale_factor + shift_factor));
    if (!quiet)
      process.stderr.write(
        `adapt: sampled ${latents.length}/${exs.length} examples with ${a.model} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
      );
  }
  return { latents, targets: exs.map((e) => e.target) };
}

/** The folder's latents must be the trained AE's: the same encoder weights (up to the folder's f16 rounding). */
function sameEncoder(folder: AutoEncoder, trained: AutoEncoder, model: string): void {
  const mine = new Map([...trained.namedParameters()].map(([k, p]) => [k, p.value!.data as Float32Array]));
  for (const [k, p] of folder.namedParameters()) {
    if (!k.startsWith('encoder.')) continue;
    const a = p.value!.data as Float32Array;
    const b = mine.get(k);
    if (!b || b.length !== a.length || a.some((x, i) => Math.abs(x - b[i]) > 1e-3 * (Math.abs(b[i]) + 1e-2)))
      throw new UserError(
        `adapt.model ${model} has another encoder than the AE being trained (${k} differs): its transformer samples ` +
          'in another latent space; name a model folder exported with this AE',
      );
  }
}

/** Pair i cropped: the target's `crop`² pixels at (x0, y0) and the latent's matching (crop/f)² cells. */
export function cropPair(
  p: ModelPairs,
  i: number,
  crop: number,
  f: number,
  x0: number,
  y0: number,
): { image: RGBImage; latent: Float32Array } {
  const img = p.targets[i];
  const H = img.width / f;
  const c = crop / f;
  const zc = p.latents[i].length / (H * H);
  const latent = new Float32Array(zc * c * c);
  for (let ch = 0; ch < zc; ch++)
    for (let y = 0; y < c; y++)
      for (let x = 0; x < c; x++) latent[(ch * c + y) * c + x] = p.latents[i][(ch * H + y + y0 / f) * H + x + x0 / f];
  return { image: cropAt(img, crop, x0, y0), latent };
}
