// `kontext train ae`: the autoencoder of the embedded model, trained on streamed world images.
//
// Steps run on random crops (multiples of the latent grid) of full world images: the AE is convolutional, so
// crops teach it the same local structure at a fraction of the cost; validation and export use whole images.
// The export (`<out>/ae.safetensors`) holds the EMA weights, with the latent scale and shift measured on data in
// its metadata.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AutoEncoder, encoderGraph } from '../autoencoder/model.ts';
import { UserError } from '../errors.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import { sceneReads } from '../bench/analyze.ts';
import { psnr } from '../bench/metrics.ts';
import { compile, F, Graph, type HostTensor, initParameters, Trainer } from '../engine/index.ts';
import { castFloat } from '../io/floats.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { toImage } from '../image/preprocess.ts';
import type { RGBImage } from '../image/rgb.ts';
import { makeSample } from '../world/dataset.ts';
import { applyGlobal } from '../world/render.ts';
import { hashSeed, Rng } from '../engine/random.ts';
import type { Scene } from '../world/scene.ts';
import {
  type AeLossWeights,
  aeLoss,
  cropAt,
  cropOffset,
  detailFeeds,
  detailInput,
  gaussian,
  ImageStream,
  imageBatch,
  latentStats,
  reconstructionLoss,
} from './ae.ts';
import { widenDecoder } from '../autoencoder/widen.ts';
import type { AdaptConfig } from './adapt.ts';
import { type LoopResult, loopSettings, type RunConfig, trainLoop } from './loop.ts';

export interface AeTrainConfig extends RunConfig {
  kind: 'ae';
  /** the architecture (scale and shift are measured after training) */
  ae: Omit<AutoEncoderParams, 'scale_factor' | 'shift_factor'>;
  /** world image size */
  imageSize: number;
  /** training crop side (≤ imageSize, a multiple of the AE's downsampling factor) */
  crop: number;
  loss: AeLossWeights;
  /** validation images (val split) */
  valImages: number;
  /**
   * Second phase: fine-tune only the decoder of this trained AE (its encoder, hence the latent space the flow
   * model is trained in, stays fixed), so the decoder keeps improving while the flow model trains.
   */
  decoderFrom?: string;
  /** noise (in normalised latent units) added to the latents the decoder sees, so it tolerates the flow's errors */
  latentNoise?: number;
  /**
   * Share of training images shown in the world's grayscale (applyGlobal), beside the grey scenes the stream has
   * anyway (~2 %: targets of grayscale edits). A decoder that seldom sees grey paints colour fringes at the edges
   * of a grey image, and the grayscale check allows almost none (GRAY_COLORED_SHARE).
   */
  grayShare?: number;
  /** decoder-only runs: fit the decoder to a flow model's own latents too (adapt.ts) */
  adapt?: AdaptConfig;
}

export function aeParams(c: AeTrainConfig, stats = { scale_factor: 1, shift_factor: 0 }): AutoEncoderParams {
  return { ...c.ae, ...stats };
}

/** Random aligned crops of a batch of images. */
function cropBatch(images: RGBImage[], crop: number, align: number, rng: Rng): RGBImage[] {
  return images.map((img) =>
    crop === img.width ? img : cropAt(img, crop, ...cropOffset(img.width, crop, align, rng)),
  );
}

/** Crops of the next training batch, a `grayShare` of them turned grey (copies: the stream's images stay as drawn). */
export function trainingCrops(stream: ImageStream, c: AeTrainConfig, align: number, rng: Rng): RGBImage[] {
  const images = cropBatch(stream.take(c.batch), c.crop, align, rng);
  if (!c.grayShare) return images;
  return images.map((img) => {
    if (!rng.chance(c.grayShare!)) return img;
    const grey = { ...img, data: img.data.slice() };
    applyGlobal(grey, { time: 'day', grayscale: true });
    return grey;
  });
}

/** The validation set: the first images (with their scenes) of the val split. */
export function validationImages(size: number, n: number, seed = 0): { image: RGBImage; scene: Scene }[] {
  const out: { image: RGBImage; scene: Scene }[] = [];
  for (let i = 0; out.length < n; i++) {
    const s = makeSample({ split: 'val', seed, size }, i);
    for (const [k, image] of s.inputs.entries()) if (out.length < n) out.push({ image, scene: s.inputScenes[k] });
    if (out.length < n) out.push({ image: s.target, scene: s.after });
  }
  return out;
}

/**
 * Round-trip metrics of an AE on images with scenes: mean PSNR, and the share of images whose whole scene (objects,
 * word, character, background) still reads back. `values` feeds parameters from a Trainer (no weight copies).
 */
export async function roundTrip(
  ae: AutoEncoder,
  items: { image: RGBImage; scene: Scene }[],
  values?: Map<string, HostTensor>,
): Promise<{ psnr: number; reads: number; textReads: number; outputs: RGBImage[] }> {
  const B = 16;
  const S = items[0].image.width;
  const g = new Graph(values ? 'input' : 'constant');
  g.build(() => {
    const moments = ae.encoder.forward(g.input('image', [B, 3, S, S]));
    g.output('image_out', ae.decoder.forward(F.slice(moments, 1, 0, ae.params.z_channels)));
  });
  const c = await compile(g);
  const outputs: RGBImage[] = [];
  for (let i = 0; i < items.length; i += B) {
    const chunk = items.slice(i, i + B).map((x) => x.image);
    while (chunk.length < B) chunk.push(chunk[0]);
    const feeds: Record<string, HostTensor> = { image: imageBatch(chunk) };
    if (values) for (const x of c.inputs) if (values.has(x.name)) feeds[x.name] = values.get(x.name)!;
    const y = (await c.run(feeds)).image_out.data as Float32Array;
    for (let k = 0; k < B && i + k < items.length; k++)
      outputs.push(toImage(y.subarray(k * 3 * S * S, (k + 1) * 3 * S * S), S, S));
  }
  let sum = 0;
  let reads = 0;
  let text = 0;
  let withText = 0;
  items.forEach((it, k) => {
    sum += psnr(outputs[k], it.image)!;
    const v = sceneReads(outputs[k], it.scene);
    if (v.success) reads++;
    if (it.scene.text) {
      withText++;
      if (!v.failures.some((f) => f.startsWith('text'))) text++;
    }
  });
  return { psnr: sum / items.length, reads: reads / items.length, textReads: withText ? text / withText : 1, outputs };
}

/** Trainer values over the module's own: a decoder-only run trains part of the AE. */
function withOwn(ae: AutoEncoder, values: Map<string, HostTensor>): Map<string, HostTensor> {
  const all = new Map(values);
  for (const [k, p] of ae.namedParameters()) if (!all.has(k)) all.set(k, p.value!);
  return all;
}

/**
 * Write the AE (current EMA weights) with its latent statistics, measured on data (or kept, when only the decoder
 * was trained); f16 for shipping, f32 otherwise.
 */
export async function exportAe(
  ae: AutoEncoder,
  path: string,
  values: Map<string, HostTensor>,
  dtype: 'float32' | 'float16' = 'float32',
  keepStats = false,
): Promise<AutoEncoderParams> {
  const images = validationImages(ae.params.resolution, 256, 1).map((x) => x.image);
  const stats = keepStats
    ? { shift_factor: ae.params.shift_factor, scale_factor: ae.params.scale_factor }
    : await latentStats(ae, images, values);
  const tensors: Record<string, HostTensor> = {};
  for (const [k] of ae.namedParameters())
    tensors[k] = dtype === 'float32' ? values.get(k)! : castFloat(values.get(k)!, 'float16');
  const params = { ...ae.params, ...stats };
  await writeSafetensors(path, tensors, { format: 'kontext-ae', config: JSON.stringify(params) });
  return params;
}

/**
 * The encoder's log-variance starts at −8 (σ ≈ 0.02) instead of 0. With σ = 1 at initialisation the sampled latent
 * is almost all noise, the decoder can only learn the mean colour, and Adam needs thousands of steps (≈ lr per
 * step on the bias) to shrink σ: measured, L1 stalled at 0.21–0.27 for the first 250 steps.
 */
function startSharp(ae: AutoEncoder): void {
  const p = [...ae.namedParameters()].find(([k]) => k === 'encoder.conv_out.bias')![1];
  const b = p.value!.data as Float32Array;
  b.fill(-8, ae.params.z_channels);
}

export async function trainAe(
  c: AeTrainConfig,
  out: string,
  o: { maxSteps?: number; quiet?: boolean } = {},
): Promise<LoopResult> {
  if (c.decoderFrom) return trainDecoder(c, out, o);
  const ae = new AutoEncoder(aeParams(c));
  // zero-initialised residual branches (the second conv of every ResnetBlock, the attention's output projection):
  // each block starts as the identity, so z reaches the output through a short path and the decoder stops
  // ignoring it sooner (measured on a fixed batch: L1 0.108 vs 0.139 after 100 steps)
  initParameters(ae, c.seed, (p) => (/(conv2|proj_out)\.weight$/.test(p.key) ? 'zeros' : undefined));
  startSharp(ae);
  const f = 2 ** (c.ae.ch_mult.length - 1);
  if (c.crop % f || c.crop > c.imageSize) throw new Error(`crop ${c.crop} must be ≤ imageSize and a multiple of ${f}`);
  const trainer = await Trainer.create((g) => aeLoss(ae, g, c.batch, c.crop, c.loss), {
    lr: c.lr,
    weightDecay: c.weightDecay,
    clipNorm: c.clipNorm,
    ema: true,
  });
  const stream = new ImageStream('train', c.seed, c.imageSize);
  const val = validationImages(c.imageSize, c.valImages);
  const zShape = [c.batch, c.ae.z_channels, c.crop / f, c.crop / f];
  return trainLoop(trainer, {
    out,
    config: c,
    ...loopSettings(c, o),
    nextBatch(step) {
      const rng = new Rng(hashSeed(c.seed, 'ae-step', step));
      const images = trainingCrops(stream, c, f, rng);
      const feeds = { image: imageBatch(images), eps: gaussian(rng, zShape) };
      return { feeds: detailFeeds(feeds, images, c.loss) };
    },
    dataState: () => stream.position,
    restoreDataState: (s) => stream.seek(s as { next: number; queued: number }),
    async validate(t) {
      const r = await roundTrip(ae, val, t.values('ema'));
      return { psnr: r.psnr, reads: r.reads, textReads: r.textReads };
    },
    async onCheckpoint(t) {
      await exportAe(ae, join(out, 'ae.safetensors'), t.values('ema'));
    },
  });
}

/** The decoder-only phase (see AeTrainConfig.decoderFrom). */
async function trainDecoder(
  c: AeTrainConfig,
  out: string,
  o: { maxSteps?: number; quiet?: boolean },
): Promise<LoopResult> {
  const { loadMiniAe } = await import('../mini/load.ts');
  if (!existsSync(c.decoderFrom!))
    throw new UserError(`decoderFrom names ${c.decoderFrom}, which does not exist (train the AE first)`);
  const narrow = await loadMiniAe(c.decoderFrom!);
  // a wider decoder (ae.decoder_ch) starts as the trained one widened, drawing the same images (widen.ts)
  const ae = c.ae.decoder_ch ? widenDecoder(narrow, c.ae.decoder_ch, hashSeed(c.seed, 'widen')) : narrow;
  const f = 2 ** (ae.params.ch_mult.length - 1);
  const zc = ae.params.z_channels;
  const h = c.crop / f;
  const trainer = await Trainer.create(
    (g) => {
      const x = g.input('image', [c.batch, 3, c.crop, c.crop]);
      const y = ae.decoder.forward(g.input('z', [c.batch, zc, h, h]));
      return reconstructionLoss(g, x, y, c.crop, c.loss.edge, detailInput(g, c.loss, c.batch, c.crop));
    },
    { lr: c.lr, weightDecay: c.weightDecay, clipNorm: c.clipNorm, ema: true },
  );
  const encoder = await compile(encoderGraph(ae, c.batch, c.crop, c.crop), { outputs: ['moments'] });
  const noise = (c.latentNoise ?? 0) / ae.params.scale_factor; // normalised units → raw latent units
  const stream = new ImageStream('train', c.seed, c.imageSize);
  const val = validationImages(c.imageSize, c.valImages);
  const adapt = c.adapt ? await import('./adapt.ts') : null;
  const pairs = adapt ? await adapt.modelPairs(c.adapt!, narrow, c.seed, c.imageSize, o.quiet) : null;
  return trainLoop(trainer, {
    out,
    config: c,
    ...loopSettings(c, o),
    async nextBatch(step) {
      const rng = new Rng(hashSeed(c.seed, 'decoder-step', step));
      const images = trainingCrops(stream, c, f, rng);
      // the first rows of the batch: the model's latents and their targets instead of round trips
      const fromModel = pairs ? Math.round(c.adapt!.share * c.batch) : 0;
      const own: Float32Array[] = [];
      for (let b = 0; b < fromModel; b++) {
        const [x0, y0] = cropOffset(c.imageSize, c.crop, f, rng);
        const p = adapt!.cropPair(pairs!, rng.int(pairs!.targets.length), c.crop, f, x0, y0);
        images[b] = p.image;
        own.push(p.latent);
      }
      const image = imageBatch(images);
      const m = (await encoder.run({ image })).moments.data as Float32Array;
      const z = new Float32Array(c.batch * zc * h * h);
      const eps = gaussian(rng, [z.length]).data as Float32Array;
      for (let b = 0; b < c.batch; b++) {
        if (b < fromModel) {
          z.set(own[b], b * zc * h * h);
          continue;
        }
        for (let i = 0; i < zc * h * h; i++)
          z[b * zc * h * h + i] = m[b * 2 * zc * h * h + i] + noise * eps[b * zc * h * h + i];
      }
      const feeds = { image, z: { dtype: 'float32' as const, shape: [c.batch, zc, h, h], data: z } };
      return { feeds: detailFeeds(feeds, images, c.loss) };
    },
    dataState: () => stream.position,
    restoreDataState: (s) => stream.seek(s as { next: number; queued: number }),
    async validate(t) {
      const r = await roundTrip(ae, val, withOwn(ae, t.values('ema')));
      return { psnr: r.psnr, reads: r.reads, textReads: r.textReads };
    },
    async onCheckpoint(t) {
      await exportAe(ae, join(out, 'ae.safetensors'), withOwn(ae, t.values('ema')), 'float32', true);
    },
  });
}
