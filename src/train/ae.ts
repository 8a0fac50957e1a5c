// Training the autoencoder on world images.
//
// The Flux AE architecture (src/autoencoder) at small width, trained as a VAE:
//   z = μ + σ·ε                                  (the encoder's moments; ε fed from the host, seeded)
//   loss = |w·(x̂ − x)|₁ + λ_edge·(|∂x x̂ − ∂x x|₁ + |∂y x̂ − ∂y x|₁) + λ_kl·KL(N(μ,σ²) ‖ N(0,1))
//   w    = 1 + λ_detail·[a pixel of the 3×3 neighbourhood differs from this one]   (from the input, per pixel)
// The edge term is our perceptual term: the world is flat colours, thin outlines and a 5×7 pixel font, and what
// a viewer (and the benchmark's analyzers) reads is where colours change. It punishes blurred edges that plain L1
// tolerates. (No pretrained network exists here for LPIPS, and a GAN would double the cost of a step.)
// The detail weight answers the measured failure of plain L1: strokes, outlines and small objects cover a few
// percent of the pixels, so the L1 optimum for a pixel the decoder is unsure of is the background (its median),
// and they fade; weighting the pixels near any colour change makes losing them cost as much as the background.
// After training, scale and shift are set from data so that encoded latents have mean 0 and variance 1.

import { type AutoEncoder, encoderGraph } from '../autoencoder/model.ts';
import { F, type Graph, type HostTensor, type Tensor } from '../engine/index.ts';
import { compile } from '../engine/session.ts';
import { toCHW } from '../image/preprocess.ts';
import type { RGBImage } from '../image/rgb.ts';
import { makeSample } from '../world/dataset.ts';
import type { Rng } from '../engine/random.ts';
import type { Split } from '../world/split.ts';

export interface AeLossWeights {
  edge: number;
  kl: number;
  /** extra L1 weight of pixels next to a colour change (0 or absent: plain L1); fed as input 'weight' */
  detail?: number;
}

/** A pixel whose r, g or b differs from a 3×3 neighbour's by more than this (0–255) is detail. */
export const DETAIL_STEP = 24;

/**
 * Per-pixel L1 weights [B, 1, S, S] for images: 1 + `detail` where a 3×3 neighbour differs by more than
 * DETAIL_STEP in some channel, else 1.
 */
export function detailWeights(images: RGBImage[], detail: number): HostTensor {
  const { width: W, height: H } = images[0];
  const data = new Float32Array(images.length * W * H).fill(1);
  for (const [i, img] of images.entries()) {
    const px = img.data;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const p = (y * W + x) * 3;
        let edge = false;
        for (let dy = -1; dy <= 1 && !edge; dy++)
          for (let dx = -1; dx <= 1 && !edge; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            const q = (yy * W + xx) * 3;
            for (let c = 0; c < 3; c++) if (Math.abs(px[p + c] - px[q + c]) > DETAIL_STEP) edge = true;
          }
        if (edge) data[i * W * H + y * W + x] += detail;
      }
  }
  return { dtype: 'float32', shape: [images.length, 1, H, W], data };
}

/** The graph input of the detail weights, when the loss has them (feed it with detailFeeds). */
export function detailInput(g: Graph, w: AeLossWeights, batch: number, size: number): Tensor | undefined {
  return w.detail ? g.input('weight', [batch, 1, size, size]) : undefined;
}

/** `feeds` with the detail weights of `images` added, when the loss has them. */
export function detailFeeds(
  feeds: Record<string, HostTensor>,
  images: RGBImage[],
  w: AeLossWeights,
): Record<string, HostTensor> {
  return w.detail ? { ...feeds, weight: detailWeights(images, w.detail) } : feeds;
}

/** The AE loss graph for a batch [B, 3, S, S] (inputs 'image' and 'eps'). */
export function aeLoss(
  ae: AutoEncoder,
  g: Graph,
  batch: number,
  size: number,
  w: AeLossWeights,
): { loss: Tensor; logs: Record<string, Tensor> } {
  const p = ae.params;
  const x = g.input('image', [batch, 3, size, size]);
  const moments = ae.encoder.forward(x);
  const mu = F.slice(moments, 1, 0, p.z_channels);
  const logvar = F.minimum(F.maximum(F.slice(moments, 1, p.z_channels, 2 * p.z_channels), -30), 20);
  const eps = g.input('eps', mu.shape);
  const z = F.add(mu, F.mul(F.exp(F.mul(logvar, 0.5)), eps));
  const y = ae.decoder.forward(z);
  const r = reconstructionLoss(g, x, y, size, w.edge, detailInput(g, w, batch, size));
  const kl = F.mul(
    F.reduceMean(F.sub(F.add(F.mul(mu, mu), F.exp(logvar)), F.add(logvar, 1)), [0, 1, 2, 3], false),
    0.5,
  );
  return { loss: F.add(r.loss, F.mul(kl, w.kl)), logs: { ...r.logs, kl } };
}

/** |w·(ŷ − x)|₁ + λ_edge·(|∂x ŷ − ∂x x|₁ + |∂y ŷ − ∂y x|₁) for images [B, 3, S, S], weights w [B, 1, S, S]. */
export function reconstructionLoss(
  _g: Graph,
  x: Tensor,
  y: Tensor,
  size: number,
  edgeWeight: number,
  weight?: Tensor,
): { loss: Tensor; logs: Record<string, Tensor> } {
  const all = [0, 1, 2, 3];
  const err = F.abs(F.sub(y, x));
  const l1 = F.reduceMean(weight ? F.mul(err, weight) : err, all, false);
  const dx = (t: Tensor) => F.sub(F.slice(t, 3, 1, size), F.slice(t, 3, 0, size - 1));
  const dy = (t: Tensor) => F.sub(F.slice(t, 2, 1, size), F.slice(t, 2, 0, size - 1));
  const edge = F.add(
    F.reduceMean(F.abs(F.sub(dx(y), dx(x))), all, false),
    F.reduceMean(F.abs(F.sub(dy(y), dy(x))), all, false),
  );
  return { loss: F.add(l1, F.mul(edge, edgeWeight)), logs: { l1, edge } };
}

/** Every image of world sample `index` (inputs and targets, all turns of a chain). */
export function sampleImages(split: Split, seed: number, size: number, index: number): RGBImage[] {
  const s = makeSample({ split, seed, size }, index);
  return [...s.inputs, s.target, ...(s.turns?.slice(1).map((t) => t.target) ?? [])];
}

/**
 * Batches of world images, streamed: samples are made on the fly in order, their images queued. The position
 * (next sample index, images still queued) is all the state there is, so a run resumes exactly.
 */
export class ImageStream {
  private queue: RGBImage[] = [];
  constructor(
    readonly split: Split,
    readonly seed: number,
    readonly size: number,
    public next = 0,
  ) {}

  take(n: number): RGBImage[] {
    while (this.queue.length < n) this.queue.push(...sampleImages(this.split, this.seed, this.size, this.next++));
    return this.queue.splice(0, n);
  }

  get position(): { next: number; queued: number } {
    return { next: this.next, queued: this.queue.length };
  }

  /** Restore a position: re-make the samples whose images were still queued. */
  seek(pos: { next: number; queued: number }): void {
    this.queue = [];
    let i = pos.next;
    const pending: RGBImage[] = [];
    while (pending.length < pos.queued) pending.unshift(...sampleImages(this.split, this.seed, this.size, --i));
    this.queue = pending.slice(pending.length - pos.queued);
    this.next = pos.next;
  }
}

/** Stack images into one [B, 3, S, S] tensor in [−1, 1]. */
export function imageBatch(images: RGBImage[]): HostTensor {
  const { width: w, height: h } = images[0];
  const n = 3 * w * h;
  const data = new Float32Array(images.length * n);
  for (const [i, img] of images.entries()) data.set(toCHW(img), i * n);
  return { dtype: 'float32', shape: [images.length, 3, h, w], data };
}

/** Standard normal noise of a shape, from a seeded generator. */
export function gaussian(rng: Rng, shape: number[]): HostTensor {
  return { dtype: 'float32', shape, data: rng.normals(shape.reduce((a, b) => a * b, 1)) };
}

/**
 * Latent statistics of the encoder's mean over `images`: the shift and scale that give the latents mean 0 and
 * variance 1, as Flux's shift_factor and scale_factor do. `values` feeds parameters from a Trainer.
 */
export async function latentStats(
  ae: AutoEncoder,
  images: RGBImage[],
  values?: Map<string, HostTensor>,
): Promise<{ shift_factor: number; scale_factor: number }> {
  const B = 16;
  const S = images[0].width;
  const c = await compile(encoderGraph(ae, B, S, S, values ? 'input' : 'constant'), { outputs: ['moments'] });
  const z = ae.params.z_channels;
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let i = 0; i + B <= images.length; i += B) {
    const feeds: Record<string, HostTensor> = { image: imageBatch(images.slice(i, i + B)) };
    if (values) for (const x of c.inputs) if (values.has(x.name)) feeds[x.name] = values.get(x.name)!;
    const m = (await c.run(feeds)).moments;
    const [b, , h, w] = m.shape;
    const data = m.data as Float32Array;
    for (let k = 0; k < b; k++) {
      for (let j = 0; j < z * h * w; j++) {
        const v = data[k * 2 * z * h * w + j];
        sum += v;
        sq += v * v;
        n++;
      }
    }
  }
  const mean = sum / n;
  return { shift_factor: mean, scale_factor: 1 / Math.sqrt(sq / n - mean * mean) };
}

/** A random crop position: x0, y0 multiples of `align` with the `crop`² square inside a `size`² image. */
export function cropOffset(size: number, crop: number, align: number, rng: Rng): [number, number] {
  const cells = (size - crop) / align;
  const x0 = rng.int(cells + 1) * align;
  return [x0, rng.int(cells + 1) * align];
}

/** The `crop`² pixels of `img` at (x0, y0). */
export function cropAt(img: RGBImage, crop: number, x0: number, y0: number): RGBImage {
  const data = new Uint8Array(crop * crop * 3);
  for (let y = 0; y < crop; y++)
    data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + crop) * 3), y * crop * 3);
  return { width: crop, height: crop, data };
}
