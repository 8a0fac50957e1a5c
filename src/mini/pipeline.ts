// The kontext-mini pipeline: instruction and images → tokens → transformer → latents → image, at the model's
// resolution. Requests are grouped by their number of context images and sampled in batches.
//
//   1. prompt  → MiniTokenizer ids (cut to the text length the model was trained with for that many images)
//   2. images  → AE encode → packed context tokens (index i for image i)
//   3. seed    → torch-identical f32 noise [z, S/f, S/f] → packed target tokens
//   4. Euler on the shifted schedule with classifier-free guidance (sample.ts); with n candidates, n noises per
//      request and the one the model finds most likely kept (rerank.ts)
//   5. tokens  → AE decode → RGB
//
// Fitting images of other sizes to the model (letterbox) is the caller's business (see fit.ts).

import type { AutoEncoder } from '../autoencoder/model.ts';
import type { HostTensor } from '../engine/index.ts';
import type { RGBImage } from '../image/rgb.ts';
import type { MiniTokenizer } from '../prompt/mini-tokenizer.ts';
import { randn } from '../sampling/noise.ts';
import { pack } from '../tokens/pack.ts';
import { aeFactor, candidatesProblem, textLengthFor } from './config.ts';
import { decodeTokens, encodeImages } from './latents.ts';
import type { MiniModel } from './model.ts';
import { bestOf, SCORE_TIMES, scoreCandidates } from './rerank.ts';
import { type SampleRequest, sampleTokens } from './sample.ts';

export interface MiniRequest {
  prompt: string;
  /** context images at the model's resolution (0: text-to-image) */
  images: RGBImage[];
  seed: number;
}

export interface MiniRunOptions {
  numInferenceSteps?: number;
  guidanceScale?: number;
  /**
   * candidates sampled per request (seeds seed … seed + n − 1), the one with the lowest flow loss kept (rerank.ts);
   * default the model's `sampling.candidates`, else 1
   */
  candidates?: number;
  /** largest batch per transformer call (default 16) */
  batch?: number;
  onStep?: (step: number, total: number) => void;
}

/** run's images, and each request's first context image through the autoencoder and back (its round trip) */
export interface MiniRunResult {
  images: RGBImage[];
  /** from the context tokens the transformer saw (no second encode); undefined for text-to-image */
  roundTrips: (RGBImage | undefined)[];
}

export class MiniPipeline {
  constructor(
    readonly model: MiniModel,
    readonly ae: AutoEncoder,
    readonly tokenizer: MiniTokenizer,
    /** parameter values by key instead of the modules' own (a Trainer's buffers during training) */
    readonly values?: { model: () => Map<string, HostTensor> },
  ) {}

  get resolution(): number {
    return this.model.config.resolution;
  }

  /** The packed initial noise of a seed: torch.randn([1, z, h, h], f32) for the seed, packed. */
  noise(seed: number): Float32Array {
    const z = this.ae.params.z_channels;
    const h = this.resolution / aeFactor(this.ae.params);
    return pack(randn(seed, [1, z, h, h], 'f32').data as Float32Array, 1, z, h, h);
  }

  /** Images through the autoencoder and back: what the model would give for "change nothing" at best. */
  async roundTrip(images: RGBImage[]): Promise<RGBImage[]> {
    return decodeTokens(this.ae, await encodeImages(this.ae, images), this.resolution);
  }

  /**
   * The steps `run`'s onStep counts to for these options: the denoising steps, and with best of n the scorer's
   * calls too, so the progress ends when the answer is there.
   */
  progressTotal(o: Pick<MiniRunOptions, 'numInferenceSteps' | 'candidates'> = {}): number {
    const { sampling } = this.model.config;
    const n = o.candidates ?? sampling.candidates ?? 1;
    return (o.numInferenceSteps ?? sampling.numInferenceSteps) + (n > 1 ? SCORE_TIMES.length : 0);
  }

  /** Run requests; outputs in request order. */
  async run(reqs: MiniRequest[], o: MiniRunOptions = {}): Promise<RGBImage[]> {
    return (await this.sample(reqs, o, false)).images;
  }

  /** run, plus each first input's round trip decoded from the tokens already encoded (for preserve.ts). */
  runWithRoundTrips(reqs: MiniRequest[], o: MiniRunOptions = {}): Promise<MiniRunResult> {
    return this.sample(reqs, o, true);
  }

  /**
   * The sampled target tokens of each request (packed, normalised latents), before the decoder: what a decoder is
   * fitted to (train/adapt.ts). `onContext(i, tokens)` sees request i's first context image as encoded.
   */
  async latents(
    reqs: MiniRequest[],
    o: MiniRunOptions = {},
    onContext?: (i: number, tokens: Float32Array) => void,
  ): Promise<Float32Array[]> {
    const cfg = this.model.config;
    const S = this.resolution;
    for (const r of reqs)
      for (const img of r.images)
        if (img.width !== S || img.height !== S)
          throw new Error(`MiniPipeline: images must be ${S}x${S} (fit them first), got ${img.width}x${img.height}`);
    const out: Float32Array[] = new Array(reqs.length);
    const groups = new Map<number, number[]>();
    for (const [i, r] of reqs.entries()) groups.set(r.images.length, [...(groups.get(r.images.length) ?? []), i]);
    const values = this.values?.model();
    const n = o.candidates ?? cfg.sampling.candidates ?? 1;
    const bad = candidatesProblem(n);
    if (bad) throw new RangeError(`MiniPipeline: candidates ${bad}`);
    const perCall = Math.max(1, Math.floor((o.batch ?? 16) / n));
    const steps = o.numInferenceSteps ?? cfg.sampling.numInferenceSteps;
    const total = this.progressTotal(o);
    const report = o.onStep;
    const onStep = report && ((done: number) => report(done, total));
    for (const [k, idx] of groups) {
      const T = textLengthFor(cfg, k);
      for (let s = 0; s < idx.length; s += perCall) {
        const part = idx.slice(s, s + perCall);
        const ctx = await encodeImages(
          this.ae,
          part.flatMap((i) => reqs[i].images),
        );
        if (onContext && k > 0) for (const [j, i] of part.entries()) onContext(i, ctx[j * k]);
        // candidate c of request i: noise of seed + c (candidate 0 is what a single sample would be)
        const sreqs: SampleRequest[] = part.flatMap((i, j) => {
          const ids = this.tokenizer.encode(reqs[i].prompt, T).ids;
          const context = ctx.slice(j * k, (j + 1) * k);
          return Array.from({ length: n }, (_, c) => ({ ids, context, noise: this.noise(reqs[i].seed + c) }));
        });
        let tokens = await sampleTokens(this.model, sreqs, {
          numInferenceSteps: steps,
          guidanceScale: o.guidanceScale ?? cfg.sampling.guidanceScale,
          values,
          onStep,
        });
        if (n > 1) {
          const cands = sreqs.map((request, c) => ({
            request,
            tokens: tokens[c],
            scoreSeed: reqs[part[Math.floor(c / n)]].seed,
          }));
          const scores = await scoreCandidates(this.model, cands, values, onStep && ((j) => onStep(steps + j)));
          tokens = bestOf(scores, n).map((c) => tokens[c]);
        }
        for (const [j, i] of part.entries()) out[i] = tokens[j];
      }
    }
    return out;
  }

  private async sample(reqs: MiniRequest[], o: MiniRunOptions, withRoundTrips: boolean): Promise<MiniRunResult> {
    const ctx: { i: number; tokens: Float32Array }[] = [];
    const tokens = await this.latents(reqs, o, withRoundTrips ? (i, t) => ctx.push({ i, tokens: t }) : undefined);
    const roundTrips: (RGBImage | undefined)[] = new Array(reqs.length).fill(undefined);
    const back = await decodeTokens(
      this.ae,
      ctx.map((c) => c.tokens),
      this.resolution,
    );
    for (const [j, c] of ctx.entries()) roundTrips[c.i] = back[j];
    return { images: await decodeTokens(this.ae, tokens, this.resolution), roundTrips };
  }
}
