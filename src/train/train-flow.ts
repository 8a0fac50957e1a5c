// `kontext train flow`: the text encoder and the flow transformer of kontext-mini, trained together on streamed
// world examples over a frozen, already trained autoencoder (named in the config).
//
// Each step is one batch with one number of context images (ctx0 text-to-image, ctx1 edits and character
// reference, ctx2 style reference), chosen at random with the configured shares; ctx1 batches mix their families
// by weight. Initialisation follows DiT's adaLN-Zero: every modulation and the final layer start at zero, so each
// block starts as the identity and the model's first prediction is 0.
//
// Validation samples val-split examples of every family with the EMA weights (graphs fed from the trainer's
// buffers: nothing is recompiled or copied) and scores them with the benchmark's analyzers.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { judge } from '../bench/analyze.ts';
import { psnr, uneditedPsnr } from '../bench/metrics.ts';
import { initParameters, type Parameter, Trainer } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import type { MiniConfig } from '../mini/config.ts';
import { tokenSide } from '../mini/config.ts';
import { loadMiniAe, saveMini } from '../mini/load.ts';
import { MiniModel } from '../mini/model.ts';
import { MiniPipeline, type MiniRunOptions } from '../mini/pipeline.ts';
import type { MiniTextParams } from '../prompt/mini-encoder.ts';
import { buildVocabulary, MiniTokenizer } from '../prompt/mini-tokenizer.ts';
import type { FluxParams } from '../transformer/params.ts';
import { makeSample, type Sample } from '../world/dataset.ts';
import { hashSeed, Rng } from '../engine/random.ts';
import type { Family } from '../world/tasks.ts';
import { warmStart } from './warm-start.ts';
import { ExampleStreams, exampleOf, glyphExample, type FlowBatchSpec, flowFeeds, flowLoss } from './flow.ts';
import { type LoopResult, loopSettings, type RunConfig, trainLoop } from './loop.ts';

export interface FlowTrainConfig extends RunConfig {
  kind: 'flow';
  /** the trained autoencoder (a `kontext train ae` run's ae.safetensors) */
  ae: string;
  resolution: number;
  text: Omit<MiniTextParams, 'vocab_size'>;
  transformer: Pick<
    FluxParams,
    'hidden_size' | 'mlp_ratio' | 'num_heads' | 'depth' | 'depth_single_blocks' | 'axes_dim' | 'theta' | 'qkv_bias'
  >;
  /** text tokens per number of context images */
  textLength: Record<string, number>;
  /**
   * shares of the steps by number of context images, of the families within the one-image steps, and (optional)
   * weights of tasks within their family (absent: 1; see ExampleStreams)
   */
  mix: { ctx0: number; ctx2: number; families: Partial<Record<Family, number>>; tasks?: Record<string, number> };
  /** share of prompts replaced by the empty prompt (for classifier-free guidance) */
  promptDropout: number;
  /**
   * training data: objects that edits add or move land on a grid of this many pixels (the token side: the AE's
   * factor × 2), added ones at a cell's centre and moved ones by whole cells (GenerateOptions.grid); absent: anywhere
   */
  grid?: number;
  /** with `grid`: characters too (GenerateOptions.gridCharacters) */
  gridCharacters?: boolean;
  /** with `grid`: text-to-image scenes too (GenerateOptions.gridScenes) */
  gridScenes?: boolean;
  /** with `grid`: the scenes of single-turn resizes too (GenerateOptions.gridResize) */
  gridResize?: boolean;
  /** share of one-picture local and text edits drawn on their scene greyed (GenerateOptions.greyInputs); absent: none */
  greyInputs?: number;
  /**
   * loss terms beyond the plain rectified-flow loss: λ of the changed-token weight, and the share of noise levels t
   * drawn uniformly on [0, 1) instead of logit-normal (`uniformT`; flow.ts sampleT)
   */
  loss?: { changed?: number; uniformT?: number };
  /**
   * share of edit instructions whose phrasing words are replaced by made-up words (phrasing.ts), so that the model
   * reads an edit from its content words when a phrasing is new; 0 or absent: none
   */
  unknownWords?: number;
  /**
   * share of instructions given made-up words before and/or after them (phrasing.ts withExtraWords), so that words
   * around an instruction that carry nothing ("Please …") do not change the edit; 0 or absent: none
   */
  extraWords?: number;
  /**
   * share of the two-image steps (mix.ctx2) that are word replacements given the new word's glyph image as their
   * second image (world/glyph.ts), so that the model draws a word by copying its glyphs; 0 or absent: none
   */
  glyph?: number;
  /** train samples whose instructions make the tokenizer's vocabulary */
  vocabSamples: number;
  /** validation examples per family */
  valPerFamily: number;
  /**
   * a kontext-mini folder to start from (warm-start.ts): every tensor whose shape agrees is copied (a new
   * autoencoder changes only the layers that touch latent features); only when the run starts, not on resume
   * (and with a new `seed`, RunConfig)
   */
  initFrom?: string;
  /** the exported model's inference defaults */
  sampling: MiniConfig['sampling'];
}

const VAL_FAMILIES: Family[] = ['local', 'global', 'text', 'style', 'character', 't2i', 'multiturn'];

/** The tokenizer of a run: every word of the instructions of the first `n` train samples (all turns). */
export function runVocabulary(seed: number, n: number, size: number): string[] {
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = makeSample({ split: 'train', seed, size }, i);
    texts.push(s.instruction, ...(s.turns?.map((t) => t.instruction) ?? []));
  }
  return buildVocabulary(texts);
}

/** The flow run's initialisation (adaLN-Zero): modulations and the final layer at zero, embeddings N(0, 0.02²).
 * A block whose modulation is zero has gate 0 and adds nothing, so a warm start into a deeper model begins as the
 * shallower model's function exactly. */
export function flowInit(p: Parameter) {
  if (/(_mod|\.modulation|adaLN_modulation\.1)\.lin\.|adaLN_modulation\.1\.|final_layer\.linear\./.test(p.key))
    return 'zeros' as const;
  if (p.key.endsWith('_embedding')) return { normal: 0.02 };
  return undefined;
}

export function miniConfig(c: FlowTrainConfig, vocabSize: number, ae: MiniConfig['ae']): MiniConfig {
  const z = ae.z_channels;
  return {
    format: 'kontext-mini',
    resolution: c.resolution,
    text: { ...c.text, vocab_size: vocabSize },
    transformer: {
      ...c.transformer,
      in_channels: 4 * z,
      out_channels: 4 * z,
      vec_in_dim: c.text.dim,
      context_in_dim: c.text.dim,
      guidance_embed: false,
    },
    ae,
    textLength: c.textLength,
    ...(c.glyph ? { glyph: true } : {}),
    sampling: c.sampling,
  };
}

interface ValItem {
  sample: Sample;
  family: Family;
}

/**
 * Sample the validation examples and score them as the benchmark does; a model trained with glyph images gets its
 * word replacements with theirs (as the editor gives them: mini/glyph.ts).
 */
export async function validateFlow(
  pipe: MiniPipeline,
  items: ValItem[],
  seed = 0,
  o: MiniRunOptions = {},
): Promise<Record<string, number>> {
  const glyph = pipe.model.config.glyph === true;
  const ex = items.map((it) =>
    glyph && it.sample.task === 'text.replace' ? glyphExample(it.sample) : exampleOf(it.sample, 0),
  );
  const outs = await pipe.run(
    ex.map((e, i) => ({ prompt: e.instruction, images: e.inputs, seed: seed + i })),
    o,
  );
  const by = new Map<string, { ok: number; n: number; psnr: number; unedited: number; nu: number }>();
  items.forEach((it, i) => {
    const s = it.sample;
    const turn = s.turns?.[0];
    const [edit, before, after, mask] = turn
      ? [turn.edit, turn.before, turn.after, turn.mask]
      : [s.edit, s.before, s.after, s.mask];
    const v = judge(edit, before, after, outs[i]);
    const r = by.get(it.family) ?? { ok: 0, n: 0, psnr: 0, unedited: 0, nu: 0 };
    r.n++;
    if (v.success) r.ok++;
    r.psnr += psnr(outs[i], ex[i].target)!;
    if (ex[i].inputs[0] && it.family !== 'style' && it.family !== 'character') {
      const u = uneditedPsnr(outs[i], ex[i].inputs[0], mask);
      if (u !== null) {
        r.unedited += u;
        r.nu++;
      }
    }
    by.set(it.family, r);
  });
  const m: Record<string, number> = {};
  let ok = 0;
  let n = 0;
  let ps = 0;
  for (const [f, r] of by) {
    m[`success_${f}`] = r.ok / r.n;
    ok += r.ok;
    n += r.n;
    ps += r.psnr;
  }
  m.success = ok / n;
  m.psnr = ps / n;
  const loc = by.get('local');
  if (loc?.nu) m.unedited_local = loc.unedited / loc.nu;
  return m;
}

export function validationItems(perFamily: number, size: number): ValItem[] {
  const items: ValItem[] = [];
  for (const family of VAL_FAMILIES) {
    for (let i = 0; i < perFamily; i++)
      items.push({
        family,
        sample: makeSample({ split: 'val', seed: hashSeed(0, family), size, families: [family] }, i),
      });
  }
  return items;
}

/** A config value that is a share (0 to 1; absent: none), or a UserError naming the key and what it means. */
function share(key: string, v: unknown, what: string): number | undefined {
  if (v === undefined || (typeof v === 'number' && v >= 0 && v <= 1)) return v;
  throw new UserError(`${key} must be a number from 0 to 1 (${what}; 0 or absent: none), got ${JSON.stringify(v)}`);
}

/**
 * The training data streams a flow config asks for: the world's train split at its seed and resolution, its task
 * weights, placement grid and greyed inputs (the config's options checked, a mistake a UserError naming it).
 */
export function flowStreams(c: FlowTrainConfig): ExampleStreams {
  if (c.grid !== undefined && !(Number.isInteger(c.grid) && c.grid > 0 && c.grid < c.resolution))
    throw new UserError(
      `grid must be a whole number of pixels between 1 and the resolution (the token side, e.g. 8), got ${JSON.stringify(c.grid)}`,
    );
  if (c.gridCharacters !== undefined && !(typeof c.gridCharacters === 'boolean' && c.grid))
    throw new UserError(`gridCharacters must be true or false, with a grid (e.g. "grid": 8)`);
  for (const k of ['gridScenes', 'gridResize'] as const)
    if (c[k] !== undefined && !(typeof c[k] === 'boolean' && c.grid))
      throw new UserError(`${k} must be true or false, with a grid (e.g. "grid": 8)`);
  const greyInputs = share('greyInputs', c.greyInputs, 'the share of local and text edits drawn on a greyed scene');
  return new ExampleStreams('train', c.seed, c.resolution, c.mix?.tasks, {
    grid: c.grid && c.grid / c.resolution,
    gridCharacters: c.gridCharacters,
    gridScenes: c.gridScenes,
    gridResize: c.gridResize,
    greyInputs,
  });
}

export async function trainFlow(
  c: FlowTrainConfig,
  out: string,
  o: { maxSteps?: number; quiet?: boolean } = {},
): Promise<LoopResult> {
  const changed = c.loss?.changed;
  if (changed !== undefined && !(typeof changed === 'number' && Number.isFinite(changed) && changed >= 0))
    throw new UserError(
      `loss.changed must be a number >= 0 (the extra weight of tokens the edit changes; 0 or absent: the plain ` +
        `loss), got ${JSON.stringify(changed)}`,
    );
  const uniformT = share(
    'loss.uniformT',
    c.loss?.uniformT,
    'the share of noise levels drawn uniformly instead of logit-normal',
  );
  const unknownWords = share(
    'unknownWords',
    c.unknownWords,
    'the share of edit instructions given made-up words for their phrasing',
  );
  const extraWords = share('extraWords', c.extraWords, 'the share of instructions given made-up words around them');
  const glyph = share(
    'glyph',
    c.glyph,
    "the share of two-image steps that are word replacements with the new word's glyph image",
  );
  if (glyph && !(c.textLength?.['2'] && c.mix?.ctx2 > 0))
    throw new UserError(
      'glyph needs two-image steps: give textLength a "2" (text tokens with two images) and mix.ctx2 above 0',
    );
  // the data streams first: cheap (nothing is rendered yet), and a bad mix.tasks is refused before anything loads
  const streams = flowStreams(c);
  if (!existsSync(c.ae))
    throw new UserError(
      `the config names the autoencoder ${c.ae}, which does not exist: train it first (kontext train ae)`,
    );
  const ae = await loadMiniAe(c.ae);
  if (ae.params.resolution !== c.resolution)
    throw new UserError(`the autoencoder was trained at ${ae.params.resolution} px, the config says ${c.resolution}`);
  // the vocabulary is a pure function of the config; cached in the run folder
  const vocabPath = join(out, 'tokenizer.json');
  const tokenizer = existsSync(vocabPath)
    ? MiniTokenizer.fromJson(JSON.parse(await readFile(vocabPath, 'utf8')))
    : new MiniTokenizer(runVocabulary(c.seed, c.vocabSamples, c.resolution));
  const cfg = miniConfig(c, tokenizer.vocabSize, ae.params);
  const model = new MiniModel(cfg);
  initParameters(model, c.seed, flowInit);
  if (c.initFrom && !existsSync(join(out, 'checkpoints', 'latest.json'))) {
    const w = await warmStart(model, c.initFrom, tokenizer);
    if (!o.quiet)
      process.stderr.write(
        `warm start from ${c.initFrom}: ${w.copied} of ${w.total} tensors` +
          (w.grown.length ? ` (${w.grown.length} MLP layers grown wider)` : '') +
          `; initialised: ${w.kept.join(', ') || 'none'}\n`,
      );
  }
  const N = tokenSide(cfg) ** 2;
  const C = cfg.transformer.in_channels;
  const spec = (k: number): FlowBatchSpec => ({
    batch: c.batch,
    contexts: k,
    textLength: c.textLength[String(k)],
    tokens: N,
    channels: C,
    changed: c.loss?.changed,
    uniformT,
    unknownWords,
    extraWords,
  });
  const variants = [0, 1, 2].filter((k) => c.textLength[String(k)] !== undefined);
  const trainer = await Trainer.create(
    Object.fromEntries(variants.map((k) => [`ctx${k}`, (g) => flowLoss(model, g, spec(k))])),
    {
      lr: c.lr,
      weightDecay: c.weightDecay,
      clipNorm: c.clipNorm,
      ema: true,
    },
  );
  const fams = Object.entries(c.mix.families) as [Family, number][];
  const famTotal = fams.reduce((s, [, w]) => s + w, 0);
  const pickFamily = (rng: Rng): Family => {
    let u = rng.next() * famTotal;
    for (const [f, w] of fams) if ((u -= w) < 0) return f;
    return fams[fams.length - 1][0];
  };
  const pipe = new MiniPipeline(model, ae, tokenizer, { model: () => trainer.values('ema') });
  const val = validationItems(c.valPerFamily, c.resolution);
  if (!existsSync(vocabPath)) {
    await import('node:fs/promises').then((fs) => fs.mkdir(out, { recursive: true }));
    await writeFile(vocabPath, JSON.stringify(tokenizer.toJson()));
  }
  return trainLoop(trainer, {
    out,
    config: c,
    ...loopSettings(c, o),
    async nextBatch(step) {
      const rng = new Rng(hashSeed(c.seed, 'flow-step', step));
      const u = rng.next();
      const k = u < c.mix.ctx0 ? 0 : u < c.mix.ctx0 + c.mix.ctx2 ? 2 : 1;
      // a share of the two-image steps are word replacements with their glyph image (drawn only with `glyph`, so
      // that runs without it replay their random draws exactly)
      const glyphs = k === 2 && !!glyph && rng.next() < glyph;
      const examples = Array.from({ length: c.batch }, () =>
        glyphs ? streams.nextGlyph() : streams.next(k === 0 ? 't2i' : k === 2 ? 'style' : pickFamily(rng)),
      );
      for (const e of examples)
        if (e.inputs.length !== k) throw new Error(`${e.task} has ${e.inputs.length} context images, not ${k}`);
      return { variant: `ctx${k}`, feeds: await flowFeeds(ae, tokenizer, examples, spec(k), rng, c.promptDropout) };
    },
    dataState: () => ({ ...streams.positions }),
    restoreDataState: (s) => (streams.positions = { ...(s as Record<string, number>) }),
    validate: () => validateFlow(pipe, val),
    async onCheckpoint(t) {
      await saveMini(join(out, 'model'), pipe, { values: t.values('ema') });
    },
  });
}
