// A Kontext pipeline from checkpoint files: a diffusers FLUX.1 Kontext folder, or the single files users have.
//
//   const pipe = await loadKontextPipeline({ model: 'FLUX.1-Kontext-dev/' }, { weights: 'int4' });
//   const { image } = await pipe.generate({ prompt: 'make the cup red', image: 'cup.png' });
//
//   files   model DIR        diffusers layout: transformer/, vae/, text_encoder/, text_encoder_2/, tokenizer/,
//                            tokenizer_2/ (the BFL files flux1-*.safetensors and ae.safetensors beside them work too)
//           transformer, ae, clip, t5, tokenizers    single files or folders, each overriding what `model` gives
//
// Two steps, so that a command can check everything before it loads anything: inspectKontext reads headers and
// small files only (configurations, every key and shape, tokenizers, memory), openKontext loads the autoencoder and
// builds the pipeline, whose transformer and text encoders load when generate needs them (kontext.ts).

import { inspectAutoEncoder, loadAutoEncoder } from '../autoencoder/load.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import type { WeightFormat } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import {
  FluxTextEncoder,
  type FluxTextEncoderOptions,
  type FluxTextEncoderPaths,
} from '../prompt/flux-text-encoder.ts';
import { checkFluxMemory, inspectFlux, loadFlux } from '../transformer/load.ts';
import type { FluxParams } from '../transformer/params.ts';
import { checkComponents, checkTextEncoder, KontextPipeline, type PipelineConfig } from './kontext.ts';

export interface KontextFiles {
  /** a diffusers FLUX.1 Kontext folder (every part below defaults to it) */
  model?: string;
  transformer?: string;
  ae?: string;
  /** CLIP-L: clip_l.safetensors or a text_encoder/ folder */
  clip?: string;
  /** T5-XXL: t5xxl_fp16.safetensors, t5xxl_fp8_e4m3fn.safetensors, or a text_encoder_2/ folder */
  t5?: string;
  /** a folder with tokenizer/ and tokenizer_2/ (single-file users: the two folders of the diffusers repository) */
  tokenizers?: string;
}

export interface KontextLoadOptions
  extends PipelineConfig,
    Pick<FluxTextEncoderOptions, 'clipConfig' | 't5Config' | 'accuracyLevel'> {
  /** weight format of the transformer and of T5 (CLIP-L and the autoencoder stay float32) */
  weights?: WeightFormat;
  /** load the text encoders (default: yes; no when prompts come as embeddings) */
  textEncoder?: boolean;
  /** sequence tokens of the planned run, for the transformer's memory check (default 512 text + 2 × 4096) */
  tokens?: number;
  onProgress?: (what: 'transformer' | 'T5', done: number, total: number) => void;
}

export interface InspectedKontext {
  transformer: string;
  ae: string;
  params: FluxParams;
  aeParams: AutoEncoderParams;
  textEncoder: FluxTextEncoder | null;
}

/** Every part's path: explicit ones first, then the model folder's; one line naming what is missing. */
export function kontextPaths(
  f: KontextFiles,
  textEncoder = true,
): { transformer: string; ae: string; text: FluxTextEncoderPaths | null } {
  const pick = (k: keyof KontextFiles, flag: string, what: string): string => {
    const p = f[k] ?? f.model;
    if (p === undefined)
      throw new UserError(`no ${what}: give ${flag}, or --model with a diffusers FLUX.1 Kontext folder`);
    return p;
  };
  return {
    transformer: pick('transformer', '--transformer', 'transformer'),
    ae: pick('ae', '--ae', 'autoencoder'),
    text: textEncoder
      ? {
          clip: pick('clip', '--clip', 'CLIP text encoder'),
          t5: pick('t5', '--t5', 'T5 text encoder'),
          tokenizers: pick('tokenizers', '--tokenizers', 'tokenizers (the tokenizer/ and tokenizer_2/ folders)'),
        }
      : null,
  };
}

/** Check every part from its headers and small files, and the memory of the encoders and of the transformer. */
export async function inspectKontext(files: KontextFiles, o: KontextLoadOptions = {}): Promise<InspectedKontext> {
  const paths = kontextPaths(files, o.textEncoder ?? true);
  const params = await inspectFlux(paths.transformer);
  const aeParams = await inspectAutoEncoder(paths.ae);
  checkComponents(params, aeParams);
  let textEncoder: FluxTextEncoder | null = null;
  if (paths.text) {
    textEncoder = await FluxTextEncoder.open(paths.text, {
      weights: o.weights,
      accuracyLevel: o.accuracyLevel,
      clipConfig: o.clipConfig,
      t5Config: o.t5Config,
      engine: o.engine,
      onProgress: o.onProgress && ((done, total) => o.onProgress!('T5', done, total)),
    });
    checkTextEncoder(textEncoder, params);
  }
  // the encoders are released before the transformer loads: each must fit on its own
  checkFluxMemory(params, { weights: o.weights, tokens: o.tokens });
  return { transformer: paths.transformer, ae: paths.ae, params, aeParams, textEncoder };
}

/** Load the autoencoder and build the pipeline; the transformer loads on the first generate. */
export async function openKontext(k: InspectedKontext, o: KontextLoadOptions = {}): Promise<KontextPipeline> {
  const ae = await loadAutoEncoder(k.ae, { params: k.aeParams });
  const loader = {
    params: k.params,
    load: (tokens: number) =>
      loadFlux(k.transformer, {
        params: k.params,
        weights: o.weights,
        accuracyLevel: o.accuracyLevel,
        tokens,
        onProgress: o.onProgress && ((done, total) => o.onProgress!('transformer', done, total)),
      }),
  };
  return new KontextPipeline(loader, ae, k.textEncoder, o);
}

/** inspectKontext, then openKontext. */
export async function loadKontextPipeline(files: KontextFiles, o: KontextLoadOptions = {}): Promise<KontextPipeline> {
  return openKontext(await inspectKontext(files, o), o);
}
