// Training data and loss of the flow transformer (rectified flow, as FLUX.1 Kontext §3):
//
//   x  = target latent tokens, ε ~ N(0, I), t = shift_μ(σ(n)), n ~ N(0, 1)   (logit-normal t, shifted for the
//        image's token count as the sampler's schedule: μ = 0.5 at 256 tokens … 1.15 at 4096)
//   z_t = (1 − t)·x + t·ε,   loss = ‖v_θ(z_t, t, y, c) − (ε − x)‖²   over the target tokens only
//
// The context images' clean tokens follow the noisy target tokens (ids (i, r, c) for image i); text-to-image
// samples have none. Shapes are static per graph, so batches are homogeneous in the number of context images and
// the trainer holds one graph variant per count ('ctx0', 'ctx1', 'ctx2'). A share of prompts is dropped (replaced by
// the empty prompt) so that classifier-free guidance works at inference.
//
// Changed-token weight (optional, `loss.changed` = λ): an edit changes a few tokens and copies the rest, so the
// plain loss is dominated by copying and the model learns that returning the input is nearly optimal (the flow's
// version of the autoencoder's fading details, see ae.ts). With λ, a target token whose patch (8×8 pixels at
// 64 px) differs from the first context image's (some pixel, some channel, by more than DETAIL_STEP) weighs 1 + λ,
// the others 1, normalised per sample to mean 1 — so a sample whose target is not aligned with an input (a
// character in a new scene: every token differs) or has none (t2i) keeps the plain loss, and only the balance
// inside an edit moves.

import type { AutoEncoder } from '../autoencoder/model.ts';
import { DETAIL_STEP } from './ae.ts';
import { F, type Graph, type HostTensor, type Tensor } from '../engine/index.ts';
import type { RGBImage } from '../image/rgb.ts';
import { encodeImages } from '../mini/latents.ts';
import type { MiniModel } from '../mini/model.ts';
import type { MiniTokenizer } from '../prompt/mini-tokenizer.ts';
import { shiftMu } from '../sampling/schedule.ts';
import { type GenerateOptions, type Sample, type SampleFilter, streamSamples } from '../world/dataset.ts';
import { hashSeed, Rng } from '../engine/random.ts';
import type { Split } from '../world/split.ts';
import { type Family, TASKS, tasksOf } from '../world/tasks.ts';
import { UserError } from '../errors.ts';
import { withExtraWords, withUnknownWords } from './phrasing.ts';
import { glyphImage } from '../world/glyph.ts';
import { findWord } from '../mini/glyph.ts';

/** One training example: instruction, context images (0…2), target. */
export interface Example {
  family: Family;
  task: string;
  instruction: string;
  inputs: RGBImage[];
  target: RGBImage;
}

/** A sample as an example; a multi-turn chain gives its turn `turn` (input: the previous turn's target). */
export function exampleOf(s: Sample, turn = 0): Example {
  if (!s.turns)
    return { family: s.family, task: s.task, instruction: s.instruction, inputs: s.inputs, target: s.target };
  const k = turn % s.turns.length;
  const t = s.turns[k];
  return {
    family: s.family,
    task: t.task,
    instruction: t.instruction,
    inputs: [k === 0 ? s.inputs[0] : s.turns[k - 1].target],
    target: t.target,
  };
}

/**
 * A word replacement as an example with the new word's glyph image after its input (world/glyph.ts): at the
 * target's place, in the colours the input shows the old word in (read as the editor reads them: findWord).
 */
export function glyphExample(s: Sample): Example {
  const e = exampleOf(s);
  const t = s.after.text;
  const old = s.before?.text;
  if (s.task !== 'text.replace' || !t || !old)
    throw new Error(`glyphExample: ${s.key} is ${s.task}, not a word replacement`);
  const colors = findWord(e.inputs[0]!, old.word);
  if (!colors) throw new Error(`glyphExample: the word '${old.word}' of ${s.key} is not found in its input`);
  return { ...e, inputs: [...e.inputs, glyphImage(t.word, t, s.size, colors)] };
}

/**
 * Streams of examples, one per family: family f reads the world's samples with seed hash(seed, f), so families do
 * not share scenes. Each stream's position is the whole data state: a run resumes exactly by setting `positions`.
 *
 * Task weights (`mix.tasks` of a flow config) tilt a family toward some of its tasks: the world draws a family's
 * tasks uniformly, and a sample of task T is kept with probability w(T) / max w over the family (a hash of its
 * position decides, so resuming stays exact); a skipped sample is never rendered. Absent tasks weigh 1.
 */
export class ExampleStreams {
  positions: Record<string, number> = {};
  private streams = new Map<string, { at: number; samples: Generator<Sample> }>();
  constructor(
    readonly split: Split,
    readonly seed: number,
    readonly size: number,
    readonly taskWeights: Readonly<Record<string, number>> = {},
    /**
     * the world's placement grid for what edits draw (GenerateOptions.grid, gridCharacters, ...) and its greyed
     * inputs (greyInputs); absent: none
     */
    readonly world: Pick<GenerateOptions, 'grid' | 'gridCharacters' | 'gridScenes' | 'gridResize' | 'greyInputs'> = {},
  ) {
    checkTaskWeights(taskWeights);
  }

  next(family: Family): Example {
    const s = this.draw(family, family, this.keeper(family));
    return exampleOf(s, s.index % 5);
  }

  /**
   * A word replacement with its glyph image (world/glyph.ts) as the second context image: the 'glyph' stream,
   * text.replace samples of its own scenes (seed hash(seed, 'glyph')).
   */
  nextGlyph(): Example {
    const s = this.draw('glyph', 'text', (task) => task === 'text.replace');
    return glyphExample(s);
  }

  /** The next sample of stream `key` (a family's, or 'glyph'), which reads `family`'s samples that `keep` keeps. */
  private draw(key: string, family: Family, keep: SampleFilter | undefined): Sample {
    const i = this.positions[key] ?? 0;
    let stream = this.streams.get(key);
    if (stream?.at !== i) {
      const opts = {
        split: this.split,
        seed: hashSeed(this.seed, key),
        size: this.size,
        families: [family],
        ...this.world,
      };
      stream = { at: i, samples: streamSamples({ ...opts, start: i, keep }) };
      this.streams.set(key, stream);
    }
    const s = stream.samples.next().value as Sample;
    stream.at = this.positions[key] = s.index + 1;
    return s;
  }

  /** Keep task T at position i with probability w(T) / max w of the family; undefined when nothing is skipped. */
  private keeper(family: Family): SampleFilter | undefined {
    const weight = (task: string) => this.taskWeights[task] ?? 1;
    const top = Math.max(...tasksOf(family).map((t) => weight(t.name)));
    if (tasksOf(family).every((t) => weight(t.name) === top)) return undefined;
    return (task, i) =>
      weight(task) >= top || new Rng(hashSeed(this.seed, 'task-weight', family, i)).next() * top < weight(task);
  }
}

/** Task weights name world tasks, are numbers >= 0, and leave every family some task to draw. */
function checkTaskWeights(weights: Readonly<Record<string, number>>): void {
  for (const [task, w] of Object.entries(weights)) {
    if (!TASKS.some((t) => t.name === task))
      throw new UserError(
        `mix.tasks names the task '${task}', which the world does not have; tasks: ${TASKS.map((t) => t.name).join(', ')}`,
      );
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0))
      throw new UserError(
        `mix.tasks.${task} must be a number >= 0 (its weight within its family), got ${JSON.stringify(w)}`,
      );
  }
  for (const f of new Set(TASKS.map((t) => t.family)))
    if (tasksOf(f).every((t) => (weights[t.name] ?? 1) === 0))
      throw new UserError(
        `mix.tasks gives every task of the family '${f}' weight 0; leave one above 0 or drop the family`,
      );
}

/**
 * Logit-normal t, shifted for `tokens` image tokens like the sampler's schedule; with `uniform` > 0, that share of
 * the draws is uniform on [0, 1) instead. The logit-normal alone almost never draws t near 1 (at 64 tokens, t > 0.97
 * in 0.1 % of draws), yet the sampler's first step is taken at t = 1 exactly, from pure noise: a model that never
 * learned that nothing can be read from z there reads a layout into the noise (the seed, not the prompt, decides
 * where and how many objects a text-to-image sample draws). The uniform share teaches the ends.
 */
export function sampleT(rng: Rng, tokens: number, uniform = 0): number {
  if (uniform > 0 && rng.next() < uniform) return rng.next();
  const u = 1 / (1 + Math.exp(-rng.normals(1)[0]));
  const e = Math.exp(shiftMu(tokens));
  return e / (e + (1 / u - 1));
}

export interface FlowBatchSpec {
  batch: number;
  contexts: number;
  textLength: number;
  tokens: number;
  channels: number;
  /** λ of the changed-token weight (0 or absent: plain loss, no 'weight' input) */
  changed?: number;
  /** share of t drawn uniformly instead of logit-normal (sampleT; 0 or absent: none) */
  uniformT?: number;
  /** share of edit instructions given made-up words for their phrasing words (phrasing.ts; 0 or absent: none) */
  unknownWords?: number;
  /** share of instructions given made-up words around them (phrasing.ts withExtraWords; 0 or absent: none) */
  extraWords?: number;
}

/**
 * Per-token loss weights [B, N, 1]: 1 + λ where the target's patch differs from the first input's, normalised to
 * mean 1 per example; all 1 for an example without inputs.
 */
export function changedWeights(examples: Example[], side: number, lambda: number): HostTensor {
  const N = side * side;
  const data = new Float32Array(examples.length * N).fill(1);
  for (const [b, e] of examples.entries()) {
    const input = e.inputs[0];
    if (!input) continue;
    const { width: W, data: y } = e.target;
    const x = input.data;
    const p = W / side;
    const w = data.subarray(b * N, (b + 1) * N);
    for (let i = 0; i < N; i++) {
      const r0 = Math.floor(i / side) * p;
      const c0 = (i % side) * p;
      let changed = false;
      for (let r = r0; r < r0 + p && !changed; r++)
        for (let k = (r * W + c0) * 3; k < (r * W + c0 + p) * 3; k++)
          if (Math.abs(y[k] - x[k]) > DETAIL_STEP) {
            changed = true;
            break;
          }
      if (changed) w[i] += lambda;
    }
    const mean = w.reduce((s, v) => s + v, 0) / N;
    for (let i = 0; i < N; i++) w[i] /= mean;
  }
  return { dtype: 'float32', shape: [examples.length, N, 1], data };
}

/** The loss graph of one variant: inputs ids, target (z_t), context, t, v. */
export function flowLoss(m: MiniModel, g: Graph, s: FlowBatchSpec): Tensor {
  const { batch: B, tokens: N, channels: C } = s;
  const ids = g.input('ids', [B, s.textLength], 'int64');
  const zt = g.input('target', [B, N, C]);
  const ctx = s.contexts ? g.input('context', [B, s.contexts * N, C]) : null;
  const t = g.input('t', [B]);
  const v = g.input('v', [B, N, C]);
  const d = F.sub(m.velocity(ids, zt, ctx, t), v);
  const d2 = F.mul(d, d);
  return F.reduceMean(s.changed ? F.mul(d2, g.input('weight', [B, N, 1])) : d2, [0, 1, 2], false);
}

/** Feeds of one step: noise, t and z_t drawn from `rng`; prompts dropped with probability `dropout`. */
export async function flowFeeds(
  ae: AutoEncoder,
  tok: MiniTokenizer,
  examples: Example[],
  s: FlowBatchSpec,
  rng: Rng,
  dropout: number,
): Promise<Record<string, HostTensor>> {
  const { batch: B, tokens: N, channels: C, contexts: k, textLength: T } = s;
  const images = examples.flatMap((e) => [e.target, ...e.inputs]);
  const lat = await encodeImages(ae, images);
  const ids = new BigInt64Array(B * T);
  const zt = new Float32Array(B * N * C);
  const v = new Float32Array(B * N * C);
  const ctx = new Float32Array(B * k * N * C);
  const ts = new Float32Array(B);
  let at = 0;
  // a made-up word must be read without meaning: not a vocabulary word, nor a typo the tokenizer reads as one
  const reads = (w: string) => tok.reads(w);
  examples.forEach((e, b) => {
    const x = lat[at++];
    for (let i = 0; i < k; i++) ctx.set(lat[at++], (b * k + i) * N * C);
    let text = rng.next() < dropout ? '' : e.instruction;
    if (s.unknownWords && text && e.inputs.length && rng.next() < s.unknownWords)
      text = withUnknownWords(text, rng, reads);
    let enc = tok.encode(text, T);
    if (s.extraWords && text && rng.next() < s.extraWords) {
      const longer = tok.encode(withExtraWords(text, rng, reads), T);
      if (!longer.truncated) enc = longer;
    }
    for (const [i, id] of enc.ids.entries()) ids[b * T + i] = BigInt(id);
    const eps = rng.normals(N * C);
    const t = sampleT(rng, N, s.uniformT);
    ts[b] = t;
    for (let i = 0; i < N * C; i++) {
      zt[b * N * C + i] = (1 - t) * x[i] + t * eps[i];
      v[b * N * C + i] = eps[i] - x[i];
    }
  });
  const feeds: Record<string, HostTensor> = {
    ids: { dtype: 'int64', shape: [B, T], data: ids },
    target: { dtype: 'float32', shape: [B, N, C], data: zt },
    t: { dtype: 'float32', shape: [B], data: ts },
    v: { dtype: 'float32', shape: [B, N, C], data: v },
  };
  if (k) feeds.context = { dtype: 'float32', shape: [B, k * N, C], data: ctx };
  if (s.changed) feeds.weight = changedWeights(examples, Math.round(Math.sqrt(N)), s.changed);
  return feeds;
}
