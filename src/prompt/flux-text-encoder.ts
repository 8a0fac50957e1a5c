// FLUX's text conditioning from words: tokenizers → CLIP-L (pooled `vec`) and T5-XXL (`txt`), on the engine.
//
//   const enc = await FluxTextEncoder.open({ clip: dir, t5: dir, tokenizers: dir }, { weights: 'int8' });
//   const { txt, tokens, vec } = await enc.encode('make the cup red');   // loads the weights on first use
//   await enc.release();                                                 // before the transformer loads
//
// `open` reads headers only: tokenizers, every key and shape of both checkpoints, and the memory estimate. The
// weights load on the first encode that is not in the embedding cache, and `release` frees them (sessions closed,
// host arrays dropped, spilled files deleted): T5-XXL is 4.7B parameters, and on most machines it cannot stay
// beside the 12B transformer. A later encode loads them again.

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CompiledGraph,
  compile,
  type EngineOptions,
  releaseParameter,
  type WeightFormat,
} from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { checkTextEncoderMemory, type MemoryEstimate } from '../pipeline/memory.ts';
import { type ClipTextModel, clipTextGraph } from './clip.ts';
import { clipTokenizerFolder, loadClipTokenizer } from './clip-tokenizer.ts';
import { type EmbeddingCache, embeddingCache } from './embedding-cache.ts';
import type { PromptEmbeds, TextEncoder } from './embeddings.ts';
import {
  type EncoderLoadOptions,
  encoderRun,
  type InspectedEncoder,
  inspectTextEncoder,
  loadTextEncoderWeights,
} from './encoder-files.ts';
import { loadT5Tokenizer, t5TokenizerFile } from './t5-tokenizer.ts';
import { type T5EncoderModel, t5EncoderGraph } from './t5.ts';
import type { PromptTokenizer } from './tokenizers.ts';

export interface FluxTextEncoderPaths {
  /** CLIP-L: clip_l.safetensors, a text_encoder/ folder, or a diffusers root holding one */
  clip: string;
  /** T5-XXL: t5xxl_*.safetensors, a (sharded) text_encoder_2/ folder, or a diffusers root holding one */
  t5: string;
  /** a folder with tokenizer/ (vocab.json, merges.txt) and tokenizer_2/ (tokenizer.json): a diffusers root */
  tokenizers: string;
}

export interface FluxTextEncoderOptions extends Omit<EncoderLoadOptions, 'spill'> {
  /** configurations instead of config.json / the full-size models (tiny test models) */
  clipConfig?: unknown;
  t5Config?: unknown;
  engine?: EngineOptions;
  /** memory to check the estimate against (default: this machine's available memory) */
  available?: number;
  cache?: EmbeddingCache;
}

interface Loaded {
  clip: CompiledGraph;
  t5: CompiledGraph;
}

/** [path, size, mtime] of each file: what the encoder's identity is made of. */
function stamp(files: string[]): [string, number, number][] {
  return files.map((f) => {
    const s = statSync(f);
    return [resolve(f), s.size, s.mtimeMs];
  });
}

export class FluxTextEncoder implements TextEncoder {
  private loading: Promise<Loaded> | null = null;

  private constructor(
    readonly clip: InspectedEncoder<ClipTextModel>,
    readonly t5: InspectedEncoder<T5EncoderModel>,
    readonly clipTokenizer: PromptTokenizer,
    readonly t5Tokenizer: PromptTokenizer,
    /** the T5 weight format (CLIP-L, 123M parameters, always loads in float32) */
    readonly weights: WeightFormat,
    /** identity for caches: the weight files, tokenizer files, format and configurations */
    readonly id: string,
    /** the memory estimate checked when opening */
    readonly memory: MemoryEstimate,
    private readonly o: FluxTextEncoderOptions,
  ) {}

  /** Check everything from headers and small files (tokenizers, keys, shapes, configs, memory); loads no weights. */
  static async open(paths: FluxTextEncoderPaths, o: FluxTextEncoderOptions = {}): Promise<FluxTextEncoder> {
    const clipTokenizer = loadClipTokenizer(paths.tokenizers);
    const t5Tokenizer = loadT5Tokenizer(paths.tokenizers);
    const clip = await inspectTextEncoder('clip', paths.clip, o.clipConfig);
    const t5 = await inspectTextEncoder('t5', paths.t5, o.t5Config);
    for (const [tok, vocab, where] of [
      [clipTokenizer, clip.model.config.vocab_size, paths.clip],
      [t5Tokenizer, t5.model.config.vocab_size, paths.t5],
    ] as const) {
      const { bos, eos, pad } = tok.framing;
      const top = Math.max(bos ?? 0, eos, pad);
      if (top >= vocab)
        throw new UserError(
          `the ${tok.name} tokenizer in '${paths.tokenizers}' uses id ${top}, ` +
            `beyond the ${vocab} embeddings of '${where}': the tokenizer belongs to another model`,
        );
    }
    const weights = o.weights ?? 'f32';
    const memory = checkTextEncoderMemory(
      [encoderRun(clip, 'f32', false), encoderRun(t5, weights, weights !== 'f32')],
      o.available,
    );
    const clipTokFolder = clipTokenizerFolder(paths.tokenizers);
    const id = createHash('sha256')
      .update(
        JSON.stringify({
          clip: stamp(clip.files),
          t5: stamp(t5.files),
          tokenizers: stamp([
            join(clipTokFolder, 'vocab.json'),
            join(clipTokFolder, 'merges.txt'),
            t5TokenizerFile(paths.tokenizers),
          ]),
          weights,
          accuracyLevel: o.accuracyLevel ?? 0,
          configs: [clip.model.config, t5.model.config],
        }),
      )
      .digest('hex')
      .slice(0, 16);
    return new FluxTextEncoder(clip, t5, clipTokenizer, t5Tokenizer, weights, id, memory, o);
  }

  /** T5 features per token (FLUX: 4096) */
  get contextDim(): number {
    return this.t5.model.config.d_model;
  }
  /** pooled CLIP features (FLUX: 768) */
  get vecDim(): number {
    return this.clip.model.config.hidden_size;
  }
  get loaded(): boolean {
    return this.loading !== null;
  }
  private get cache(): EmbeddingCache {
    return this.o.cache ?? embeddingCache;
  }

  /** Is this prompt's encoding cached (so that encode will not load the weights)? */
  cached(prompt: string): boolean {
    return this.cache.has(this.id, prompt);
  }

  private load(): Promise<Loaded> {
    this.loading ??= (async () => {
      await loadTextEncoderWeights(this.clip, { weights: 'f32', spill: false });
      await loadTextEncoderWeights(this.t5, {
        weights: this.weights,
        accuracyLevel: this.o.accuracyLevel,
        onProgress: this.o.onProgress,
      });
      const engine = { ...this.o.engine, noCache: true }; // our own sessions: release() must be able to close them
      return {
        clip: await compile(clipTextGraph(this.clip.model, 1, this.clipTokenizer.maxLength), {
          ...engine,
          outputs: ['pooler_output'],
        }),
        t5: await compile(t5EncoderGraph(this.t5.model, 1, this.t5Tokenizer.maxLength), engine),
      };
    })();
    this.loading.catch(() => (this.loading = null));
    return this.loading;
  }

  async encode(prompt: string): Promise<PromptEmbeds> {
    const hit = this.cache.get(this.id, prompt);
    if (hit) return hit;
    const s = await this.load();
    const vec = (await s.clip.run({ input_ids: this.clipTokenizer.encodeBatch([prompt]) })).pooler_output
      .data as Float32Array;
    const txt = (await s.t5.run({ input_ids: this.t5Tokenizer.encodeBatch([prompt]) })).last_hidden_state
      .data as Float32Array;
    const e: PromptEmbeds = { txt, tokens: this.t5Tokenizer.maxLength, vec };
    this.cache.set(this.id, prompt, e);
    return e;
  }

  /** Free the weights and sessions (the cache keeps its embeddings); a later encode loads them again. */
  async release(): Promise<void> {
    if (!this.loading) return;
    const s = await this.loading.catch(() => null);
    this.loading = null;
    if (s) await Promise.all([s.clip.release(), s.t5.release()]);
    for (const m of [this.clip.model, this.t5.model]) for (const p of m.parameters()) await releaseParameter(p);
  }
}
