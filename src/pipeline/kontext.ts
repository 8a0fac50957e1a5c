// The Kontext pipeline: prompt and images → tokens → transformer → latents → image
// (../shared/docs/kontext-reference.md §10, the BFL reference flow).
//
//   1. prompt      → txt [T, 4096], vec [768]                       (TextEncoder, or precomputed embeddings)
//   2. images      → bucket, Lanczos, [-1,1] → AE encode → pack      (context tokens, ids (1, r, c))
//   3. seed        → bf16 noise [16, H/8, W/8] → pack                (target tokens, ids (0, r, c))
//   4. schedule    → Euler steps of the transformer on [target; context], keeping the target predictions
//   5. latents     → unpack → AE decode → clamp, uint8                (the image)
//
// Options follow diffusers' names (prompt, image, width, height, guidanceScale, numInferenceSteps, seed) with the
// BFL Kontext CLI's defaults (30 steps, guidance 2.5, output size = the conditioning image's bucket).
//
// The transformer may be given loaded, or as a loader (loadKontextPipeline, load.ts): then it loads on the first
// generate, after the prompt is encoded, and with `offload` (the default for a loader) the text encoder and the
// transformer are never in memory together: the encoder is released before the transformer loads, and a prompt
// that is not in the embedding cache releases the transformer before the encoder loads again.

import { UserError } from '../errors.ts';
import { type AutoEncoder, decoderGraph, encoderGraph } from '../autoencoder/model.ts';
import { clearSessionCache, compile, type EngineOptions, releaseParameter } from '../engine/index.ts';
import { toFloat32 } from '../io/floats.ts';
import {
  checkTargetSize,
  chooseBucket,
  MAX_TARGET_PIXELS,
  MAX_TARGET_SIDE,
  preprocessKontextImage,
  REFERENCE_AREA,
  type Size,
  targetSize,
  toImage,
} from '../image/preprocess.ts';
import { readImage, type RGBImage } from '../image/rgb.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import type { FluxParams } from '../transformer/params.ts';
import type { PromptEmbeds, TextEncoder } from '../prompt/embeddings.ts';
import { denoise } from '../sampling/denoise.ts';
import { fluxNoise, MAX_SEED } from '../sampling/noise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { type ContextLayout, contextIds, targetIds, textIds } from '../tokens/ids.ts';
import { pack, unpack } from '../tokens/pack.ts';
import { Flux } from '../transformer/model.ts';

export interface KontextOptions {
  /** the instruction; needs a text encoder (or give promptEmbeds) */
  prompt?: string;
  promptEmbeds?: PromptEmbeds;
  /** context image(s); none = text-to-image */
  image?: RGBImage | string | Uint8Array | (RGBImage | string | Uint8Array)[];
  /** output size (multiples of 16); default: the first image's bucket, or a square of `area` for text-to-image */
  width?: number;
  height?: number;
  guidanceScale?: number;
  numInferenceSteps?: number;
  /** default: a random seed (returned with the result) */
  seed?: number;
  /** several context images: 'offset' (ComfyUI, works with the released weights) or 'index' (1…N) */
  contextLayout?: ContextLayout;
  onProgress?: (e: { stage: 'encode' | 'denoise' | 'decode'; step: number; total: number }) => void;
}

export interface KontextResult {
  image: RGBImage;
  seed: number;
  width: number;
  height: number;
  /** final latent [1, 16, H/8, W/8] */
  latent: Float32Array;
}

export interface PipelineConfig {
  /** bucket area in pixels: 1024² for FLUX.1 Kontext; small models use smaller areas */
  area?: number;
  /** 'bf16' reproduces the reference's timestep rounding (the released weights); 'none' for float32 models */
  timestepRounding?: 'bf16' | 'none';
  engine?: EngineOptions;
  /** keep at most one of the text encoder and the transformer in memory (default: when the transformer is a loader) */
  offload?: boolean;
}

/** A transformer loaded when the pipeline first needs it (its configuration known from the checkpoint's headers). */
export interface TransformerLoader {
  readonly params: FluxParams;
  /** load for a run of `tokens` sequence tokens (text + target + context; for the memory check) */
  load(tokens: number): Promise<Flux>;
}

export const DEFAULTS = { guidanceScale: 2.5, numInferenceSteps: 30 } as const;
export const LIMITS = { guidanceScale: [0, 30], numInferenceSteps: [1, 500] } as const;

function checkOptions(o: KontextOptions): void {
  const g = o.guidanceScale ?? DEFAULTS.guidanceScale;
  if (!(Number.isFinite(g) && g >= LIMITS.guidanceScale[0] && g <= LIMITS.guidanceScale[1])) {
    throw new UserError(
      `guidanceScale ${g} is out of range [${LIMITS.guidanceScale.join(', ')}] (FLUX.1 Kontext [dev] uses 2.5)`,
    );
  }
  const n = o.numInferenceSteps ?? DEFAULTS.numInferenceSteps;
  if (!(Number.isInteger(n) && n >= LIMITS.numInferenceSteps[0] && n <= LIMITS.numInferenceSteps[1])) {
    throw new UserError(
      `numInferenceSteps ${n} must be an integer in [${LIMITS.numInferenceSteps.join(', ')}] ` +
        `(default ${DEFAULTS.numInferenceSteps})`,
    );
  }
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && o.seed >= 0))
    throw new UserError(`seed ${o.seed} must be a non-negative integer`);
  if (o.seed !== undefined && o.seed > MAX_SEED) {
    throw new UserError(
      `seed ${o.seed} is above ${MAX_SEED}: the noise generator takes 32-bit seeds ` +
        `(it would give the noise of seed ${o.seed % 2 ** 32})`,
    );
  }
}

/**
 * The sizes of a run, from the input images' sizes alone (nothing decoded or loaded): the conditioning bucket of
 * the first image (every context image is resized to it) and the output size. Throws a UserError for a bad
 * --area, a bucket or an output beyond the limits, or width/height that are not multiples of 16.
 */
export function planSize(
  inputs: Size[],
  o: { width?: number; height?: number },
  area = REFERENCE_AREA,
): { bucket: Size | null; target: Size } {
  const first = inputs[0];
  const bucket = first ? chooseBucket(first.width, first.height, area) : null;
  if (
    bucket &&
    (bucket.width > MAX_TARGET_SIDE ||
      bucket.height > MAX_TARGET_SIDE ||
      bucket.width * bucket.height > MAX_TARGET_PIXELS)
  ) {
    throw new UserError(
      `area ${area} gives a ${bucket.width}x${bucket.height} bucket for a ${first.width}x${first.height} image, ` +
        `above the output limit (${MAX_TARGET_SIDE} per side, ` +
        `${MAX_TARGET_PIXELS / (1024 * 1024)} MP); use a smaller area`,
    );
  }
  const target = targetSize(bucket ?? chooseBucket(1, 1, area), { width: o.width, height: o.height });
  checkTargetSize(target, 'output size');
  return { bucket, target };
}

/** The transformer and the autoencoder belong together: the packed latent channels are the transformer's input. */
export function checkComponents(p: FluxParams, ae: AutoEncoderParams): void {
  if (p.in_channels !== 4 * ae.z_channels) {
    throw new UserError(
      `transformer expects ${p.in_channels} input features, the autoencoder's ${ae.z_channels} latent channels ` +
        `pack to ${4 * ae.z_channels}`,
    );
  }
}

/** A text encoder fits the transformer: T5-XXL's 4096 features per token and CLIP-L's 768 pooled ones for FLUX. */
export function checkTextEncoder(e: { contextDim: number; vecDim: number }, p: FluxParams): void {
  if (e.contextDim !== p.context_in_dim)
    throw new UserError(
      `the T5 encoder gives ${e.contextDim} features per token, ` +
        `the transformer takes ${p.context_in_dim} (FLUX uses T5-XXL: 4096)`,
    );
  if (e.vecDim !== p.vec_in_dim)
    throw new UserError(
      `the CLIP encoder gives ${e.vecDim} pooled features, ` +
        `the transformer takes ${p.vec_in_dim} (FLUX uses CLIP-L: 768)`,
    );
}

/** Prompt embeddings fit the transformer: T5 features per token and the pooled CLIP vector's size. */
export function checkEmbeds(e: PromptEmbeds, p: FluxParams): void {
  if (e.txt.length !== e.tokens * p.context_in_dim)
    throw new UserError(
      `prompt embeddings have ${e.txt.length / e.tokens} features per token, ` +
        `the transformer expects ${p.context_in_dim}`,
    );
  if (e.vec.length !== p.vec_in_dim)
    throw new UserError(
      `pooled prompt embedding has ${e.vec.length} features, the transformer expects ${p.vec_in_dim}`,
    );
}

export class KontextPipeline {
  private flux: Flux | null;
  private readonly loader: TransformerLoader | null;
  /** the transformer's configuration (known before it is loaded) */
  readonly params: FluxParams;

  constructor(
    transformer: Flux | TransformerLoader,
    readonly ae: AutoEncoder,
    readonly textEncoder: TextEncoder | null = null,
    readonly config: PipelineConfig = {},
  ) {
    this.flux = transformer instanceof Flux ? transformer : null;
    this.loader = transformer instanceof Flux ? null : transformer;
    this.params = transformer.params;
    checkComponents(this.params, ae.params);
    if (textEncoder) checkTextEncoder(textEncoder, this.params);
  }

  /** The loaded transformer (a loader's is loaded by the first generate). */
  get transformer(): Flux {
    if (!this.flux) throw new Error('the transformer is not loaded yet: it loads on the first generate()');
    return this.flux;
  }

  private get offload(): boolean {
    return this.config.offload ?? this.loader !== null;
  }

  /** Free a loader's transformer (its sessions and weights); the next generate loads it again. */
  async releaseTransformer(): Promise<void> {
    if (!this.loader || !this.flux) return;
    const flux = this.flux;
    this.flux = null;
    await clearSessionCache(); // the denoising sessions hold ORT's copy (or maps) of the weights
    for (const p of flux.parameters()) await releaseParameter(p);
  }

  private async embeds(o: KontextOptions): Promise<PromptEmbeds> {
    let e = o.promptEmbeds;
    if (!e) {
      if (o.prompt === undefined) throw new UserError('give a prompt (or promptEmbeds)');
      const enc = this.textEncoder;
      if (!enc) {
        throw new UserError(
          'this pipeline has no text encoder: load it with loadKontextPipeline ' +
            '(a checkpoint folder with text_encoder/, text_encoder_2/ and the tokenizers), ' +
            'or pass promptEmbeds, e.g. loadPromptEmbeds() of a `kontext encode` file',
        );
      }
      // encoder and transformer one at a time: the transformer goes before the encoder's weights load
      if (this.offload && !enc.cached?.(o.prompt)) await this.releaseTransformer();
      e = await enc.encode(o.prompt);
      if (this.offload) await enc.release?.();
    }
    checkEmbeds(e, this.params);
    return e;
  }

  /** Encode a [1, 3, h, w] image in [-1, 1] to a latent [1, z, h/8, w/8]. */
  async encode(chw: Float32Array, height: number, width: number): Promise<Float32Array> {
    const c = await compile(encoderGraph(this.ae, 1, height, width), { ...this.config.engine, outputs: ['latent'] });
    return (await c.run({ image: { dtype: 'float32', shape: [1, 3, height, width], data: chw } })).latent
      .data as Float32Array;
  }

  /** Decode a latent [1, z, h, w] to a [1, 3, 8h, 8w] image in (about) [-1, 1]. */
  async decode(latent: Float32Array, h: number, w: number): Promise<Float32Array> {
    const c = await compile(decoderGraph(this.ae, 1, h, w), this.config.engine);
    return (await c.run({ latent: { dtype: 'float32', shape: [1, this.ae.params.z_channels, h, w], data: latent } }))
      .image.data as Float32Array;
  }

  async generate(o: KontextOptions): Promise<KontextResult> {
    checkOptions(o);
    const area = this.config.area ?? REFERENCE_AREA;
    const embeds = await this.embeds(o);
    const z = this.ae.params.z_channels;
    const given = o.image === undefined ? [] : Array.isArray(o.image) ? o.image : [o.image];
    // decode first, so that every size is checked before anything runs
    const images = await Promise.all(
      given.map((img) => (typeof img === 'string' || img instanceof Uint8Array ? readImage(img) : img)),
    );
    const { bucket, target: size } = planSize(images, o, area);

    // 2. context images: every reference is resized to the first one's bucket (the multi-image convention, §6.7)
    const grids: { rows: number; cols: number }[] = [];
    const tokens: Float32Array[] = [];
    for (const [i, img] of images.entries()) {
      o.onProgress?.({ stage: 'encode', step: i, total: images.length });
      const pre = await preprocessKontextImage(img, i === 0 ? { area } : { size: bucket! });
      const lh = pre.height / 8;
      const lw = pre.width / 8;
      tokens.push(pack(await this.encode(pre.data, pre.height, pre.width), 1, z, lh, lw));
      grids.push({ rows: lh / 2, cols: lw / 2 });
    }
    let context = null;
    if (tokens.length) {
      const all = new Float32Array(tokens.reduce((s, t) => s + t.length, 0));
      let off = 0;
      for (const t of tokens) {
        all.set(t, off);
        off += t.length;
      }
      context = { tokens: all, ids: contextIds(grids, o.contextLayout ?? 'offset') };
    }

    // 3. noise, exactly torch's CPU bf16 randn for the seed
    const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
    const H = size.height / 8;
    const W = size.width / 8;
    const noise = toFloat32(fluxNoise(seed, size.height, size.width));
    const rows = H / 2;
    const cols = W / 2;

    // 4. sampling (a loader's transformer loads now, after the text encoder was released)
    if (!this.flux)
      this.flux = await this.loader!.load(
        embeds.tokens + rows * cols + (context ? context.tokens.length / (4 * z) : 0),
      );
    const steps = o.numInferenceSteps ?? DEFAULTS.numInferenceSteps;
    const packed = await denoise(
      this.flux,
      {
        img: pack(noise, 1, z, H, W),
        imgIds: targetIds(rows, cols),
        context,
        txt: embeds.txt,
        txtIds: textIds(embeds.tokens),
        vec: embeds.vec,
        batch: 1,
        timesteps: getSchedule(steps, rows * cols),
        guidance: o.guidanceScale ?? DEFAULTS.guidanceScale,
      },
      {
        timestepRounding: this.config.timestepRounding ?? 'bf16',
        engine: this.config.engine,
        onStep: (step, total) => o.onProgress?.({ stage: 'denoise', step, total }),
      },
    );

    // 5. decode
    o.onProgress?.({ stage: 'decode', step: 0, total: 1 });
    const latent = unpack(packed, 1, z, H, W);
    const pixels = await this.decode(latent, H, W);
    return { image: toImage(pixels, size.height, size.width), seed, width: size.width, height: size.height, latent };
  }
}
