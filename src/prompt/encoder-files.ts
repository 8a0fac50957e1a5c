// The CLIP-L and T5 text encoders from the files users have: a diffusers folder's `text_encoder/` and (sharded)
// `text_encoder_2/`, or the single files `clip_l.safetensors`, `t5xxl_fp16.safetensors`,
// `t5xxl_fp8_e4m3fn.safetensors` (bf16, f16, f8: every stored float format reads as float32).
//
// The configuration is the folder's config.json (diffusers layout) or, for single files, which carry none, the
// full-size model FLUX uses (CLIP_L, T5_XXL): every key and shape is then checked against the full-size lists
// before a byte of weights is read. Loading goes through the transformer's machinery: openCheckpoint for the layouts,
// validateCheckpoint for the report, loadParameters for streaming and int8/int4 quantization.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openCheckpoint, type CheckpointSource } from '../checkpoint/source.ts';
import { validateCheckpoint } from '../checkpoint/validate.ts';
import { loadParameters, type Module, type WeightFormat } from '../engine/index.ts';
import type { EncoderRun } from '../pipeline/memory.ts';
import { CLIP_L, checkClipConfig, ClipTextModel } from './clip.ts';
import { CLIP_MAX_LENGTH } from './clip-tokenizer.ts';
import { T5_MAX_LENGTH } from './t5-tokenizer.ts';
import { checkT5Config, T5_XXL, T5EncoderModel } from './t5.ts';
import { readJsonFile } from './tokenizers.ts';

export type EncoderKind = 'clip' | 't5';
export type EncoderModel = ClipTextModel | T5EncoderModel;

/** A text encoder checked from its headers: the module tree (no weights yet) and where it comes from. */
export interface InspectedEncoder<M extends EncoderModel = EncoderModel> {
  kind: EncoderKind;
  path: string;
  files: string[];
  layout: string;
  model: M;
}

/** config.json beside a diffusers component's files; single files have none. */
function configFile(source: CheckpointSource): string | undefined {
  if (!source.layout.startsWith('diffusers folder')) return undefined;
  const f = join(dirname(source.files[0]), 'config.json');
  return existsSync(f) ? f : undefined;
}

function modelFor(kind: EncoderKind, source: CheckpointSource, given?: unknown): EncoderModel {
  const file = given === undefined ? configFile(source) : undefined;
  const config = file ? readJsonFile(file, `${kind === 'clip' ? 'CLIP' : 'T5'} config`) : given;
  const where = file ? `'${file}'` : `${kind === 'clip' ? 'CLIP' : 'T5'} config`;
  if (kind === 'clip') return new ClipTextModel(config === undefined ? CLIP_L : checkClipConfig(config, where));
  return new T5EncoderModel(config === undefined ? T5_XXL : checkT5Config(config, where));
}

/**
 * Open a CLIP or T5 checkpoint's headers, build its module tree (config.json, the given config, or the full-size
 * model) and check every key and shape. Throws a one-line UserError naming a wrong model, a truncated file or the
 * missing keys. Reads no weights.
 */
export async function inspectTextEncoder<K extends EncoderKind>(
  kind: K,
  path: string,
  config?: unknown,
): Promise<InspectedEncoder<K extends 'clip' ? ClipTextModel : T5EncoderModel>> {
  const source = await openCheckpoint(path, kind);
  try {
    let model: EncoderModel;
    try {
      model = modelFor(kind, source, config);
    } catch (err) {
      // a config.json that is not this kind's is most likely beside another model: say which, from the keys
      validateCheckpoint(source, (kind === 'clip' ? new ClipTextModel(CLIP_L) : new T5EncoderModel(T5_XXL)).shapes());
      throw err;
    }
    validateCheckpoint(source, model.shapes());
    return { kind, path, files: source.files, layout: source.layout, model: model as never };
  } finally {
    await source.close();
  }
}

export interface EncoderLoadOptions {
  /** 'int8' / 'int4' quantize the Linear weights (MatMulNBits); embedding tables stay float32 */
  weights?: WeightFormat;
  /** write the weights to files ORT memory-maps (default: when quantized, as for the transformer) */
  spill?: boolean | string;
  accuracyLevel?: number;
  onProgress?: (done: number, total: number, key: string) => void;
}

/** Read an inspected encoder's weights into its module tree (one tensor at a time). */
export async function loadTextEncoderWeights(enc: InspectedEncoder, o: EncoderLoadOptions = {}): Promise<void> {
  const source = await openCheckpoint(enc.path, enc.kind);
  try {
    validateCheckpoint(source, enc.model.shapes()); // the files may have changed since inspection
    const weights = o.weights ?? 'f32';
    await loadParameters(enc.model, source, {
      weights,
      spill: o.spill ?? weights !== 'f32',
      accuracyLevel: o.accuracyLevel,
      onProgress: o.onProgress,
    });
  } finally {
    await source.close();
  }
}

/** Names of a module's embedding tables (kept float32 by the loader). */
export function lookupKeys(m: Module): Set<string> {
  return new Set([...m.namedParameters()].filter(([, p]) => p.lookup).map(([k]) => k));
}

/** What an encoder needs in memory, for the estimate made before loading (memory.ts). */
export function encoderRun(enc: InspectedEncoder, format: WeightFormat, spilled: boolean): EncoderRun {
  let activations: number;
  if (enc.model instanceof T5EncoderModel) {
    const c = enc.model.config;
    const L = T5_MAX_LENGTH;
    // the residual stream, q/k/v/o, the gated MLP (3 × d_ff), and scores + bias + probabilities per head
    activations = 4 * (L * (6 * c.d_model + 3 * c.d_ff) + 3 * c.num_heads * L * L);
  } else {
    const c = enc.model.config;
    const L = CLIP_MAX_LENGTH;
    activations = 4 * (L * (6 * c.hidden_size + 2 * c.intermediate_size) + 3 * c.num_attention_heads * L * L);
  }
  return {
    name: enc.kind === 'clip' ? 'CLIP' : 'T5',
    shapes: enc.model.shapes(),
    float: lookupKeys(enc.model),
    format,
    spilled,
    activations,
  };
}
