// The options naming a released checkpoint's files, shared by `kontext edit` and `kontext encode`:
// --model DIR (a diffusers FLUX.1 Kontext folder) gives every part; --transformer, --ae, --clip, --t5, --tokenizers
// name single files (or folders) and override it. Each is checked to exist before anything is read.

import { UserError } from '../errors.ts';
import type { WeightFormat } from '../engine/index.ts';
import type { KontextFiles } from '../pipeline/load.ts';
import { requirePath } from './args.ts';

export const TEXT_ENCODER_OPTIONS = {
  clip: { type: 'string' },
  t5: { type: 'string' },
  tokenizers: { type: 'string' },
} as const;

export const TEXT_ENCODER_HELP = `\
  --model DIR     a diffusers FLUX.1 Kontext folder: transformer/, vae/, text_encoder/, text_encoder_2/,
                  tokenizer/, tokenizer_2/ (each option below overrides its part)
  --transformer   FLUX.1 Kontext transformer: flux1-kontext-dev.safetensors, or a diffusers folder
  --ae            autoencoder: ae.safetensors, or a diffusers vae/ folder
  --clip          CLIP-L text encoder: clip_l.safetensors or a text_encoder/ folder (bf16, f16, f32 or f8)
  --t5            T5-XXL encoder: t5xxl_fp16.safetensors, t5xxl_fp8_e4m3fn.safetensors or a text_encoder_2/ folder
  --tokenizers    a folder with tokenizer/ (vocab.json, merges.txt) and tokenizer_2/ (tokenizer.json), as the
                  diffusers repository has them (single files carry no tokenizer)`;

const PARTS = {
  transformer: 'the FLUX.1 Kontext transformer, flux1-kontext-dev.safetensors or a diffusers transformer/ folder',
  ae: 'the autoencoder, ae.safetensors or a diffusers vae/ folder',
  clip: 'the CLIP-L text encoder, clip_l.safetensors or a text_encoder/ folder',
  t5: 'the T5-XXL text encoder, t5xxl_fp16.safetensors or a text_encoder_2/ folder',
  tokenizers: 'a folder with tokenizer/ and tokenizer_2/ (from the diffusers repository)',
} as const;

type Part = keyof typeof PARTS;

/**
 * The files of the parts a command needs, from --model and the per-part options; a part with neither is one line
 * naming the option. `image` parts: transformer and autoencoder; `text` parts: the encoders and tokenizers.
 * Whether the paths exist is checked by requireFiles, after the cheaper checks of the arguments.
 */
export function kontextFileArgs(v: Record<string, unknown>, o: { image?: boolean; text?: boolean }): KontextFiles {
  const model = v.model as string | undefined;
  const parts: Part[] = [
    ...(o.image ? (['transformer', 'ae'] as const) : []),
    ...(o.text ? (['clip', 't5', 'tokenizers'] as const) : []),
  ];
  const files: KontextFiles = { model };
  for (const part of parts) {
    const p = v[part] as string | undefined;
    if (p === undefined && model === undefined) {
      const context = o.image && part !== 'transformer' ? ' with --transformer' : '';
      throw new UserError(
        `--${part} is required${context}: ${PARTS[part]} (or --model DIR, a diffusers FLUX.1 Kontext folder)`,
      );
    }
    if (p !== undefined) files[part] = p;
  }
  return files;
}

/** Every path named exists (files or folders). */
export function requireFiles(files: KontextFiles): void {
  for (const [part, p] of Object.entries(files)) if (p !== undefined) requirePath(`--${part}`, p, { folder: true });
}

const WEIGHTS: readonly WeightFormat[] = ['f32', 'int8', 'int4'];

export function weightsArg(value: string | undefined): WeightFormat {
  const w = (value ?? 'f32') as WeightFormat;
  if (!WEIGHTS.includes(w)) throw new UserError(`--weights must be f32, int8 or int4, got '${w}'`);
  return w;
}
