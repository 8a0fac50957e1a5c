// `kontext bench run`: feed every row of a benchmark folder to a model, save the outputs, score them.
//
// Synthetic rows (with ground truth) are scored: PSNR and SSIM to the target, PSNR outside the edit mask to the
// input ("unedited PSNR": did the model leave alone what it was not asked to touch), and edit success from the
// analyzer. Multi-turn rows run their 5 turns with the model's own output fed back as the next turn's input, and
// add per turn: drift PSNR (to the turn's target, on the pixels no turn so far was allowed to change; also with the
// places the words left free licensed: drift.ts) and whether the character's identity can still be read; a turn is
// judged with the shapes earlier turns added or moved where the model put them in the cells named (placed.ts). Real
// KontextBench rows have no ground truth: outputs only.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readImage, writePng, type RGBImage } from '../image/rgb.ts';
import { UserError } from '../errors.ts';
import { realpathLoose, within } from '../io/inside.ts';
import { hashSeed } from '../engine/random.ts';
import type { Edit } from '../world/ops.ts';
import type { Scene } from '../world/scene.ts';
import { isHeldOutIdentity, isHeldOutInstruction, isHeldOutPair, isHeldOutWord } from '../world/split.ts';
import type { Family } from '../world/tasks.ts';
import { identityIn, judge } from './analyze.ts';
import { ChainDrift } from './drift.ts';
import { OwnPlacements } from './placed.ts';
import { dataPath, loadBench, type BenchData, type BenchRow } from './kontextbench.ts';
import { OutputNames } from './names.ts';
import { psnr, resizeNearest, sameSize, ssim, uneditedPsnr } from './metrics.ts';
import { resolveModel, type EditModel } from './model.ts';
import { summarize, type Results } from './report.ts';

export interface TurnResult {
  turn: number;
  task: string;
  instruction: string;
  /** paths relative to the results folder */
  input: string;
  output: string;
  target: string;
  mask: string;
  success: boolean;
  failures: string[];
  psnr: number | null;
  ssim: number | null;
  uneditedPsnr: number | null;
  driftPsnr: number | null;
  /** drift with the places an add or a move could put its shape licensed (drift.ts) */
  licensedDriftPsnr?: number | null; // absent in runs made before it
  /** the character still reads as the same identity (null when the scene has no character) */
  identity: boolean | null;
}

export interface SampleResult {
  key: string;
  family: Family | null;
  task: string | null;
  category: string;
  instruction: string;
  /** paths relative to the results folder */
  inputs: string[];
  output: string;
  target: string | null;
  mask: string | null;
  success: boolean | null;
  failures: string[];
  psnr: number | null;
  ssim: number | null;
  uneditedPsnr: number | null;
  /** the model answered at another size and was resized (nearest) to the target's */
  resized: boolean;
  seconds: number;
  /** what in this row the training split never shows (see novelty()) */
  novel: Novelty[];
  turns?: TurnResult[];
}

/**
 * Held-out things a row involves: an instruction phrased with a held-out template, an object of a held-out
 * shape×colour pair, a held-out word, a held-out character identity (src/world/split.ts).
 */
export type Novelty = 'template' | 'pair' | 'word' | 'identity';

export function novelty(instructions: string[], scenes: Scene[]): Novelty[] {
  const out: Novelty[] = [];
  if (instructions.some(isHeldOutInstruction)) out.push('template');
  if (scenes.some((s) => s.objects.some((o) => isHeldOutPair(o.shape, o.color)))) out.push('pair');
  if (scenes.some((s) => s.text && isHeldOutWord(s.text.word))) out.push('word');
  if (scenes.some((s) => s.character && isHeldOutIdentity(s.character.identity))) out.push('identity');
  return out;
}

export interface RunOptions {
  data: string;
  model: string;
  out: string;
  /** run only the first n rows */
  limit?: number;
  seed?: number;
  /** called after each row */
  progress?: (done: number, total: number, r: SampleResult) => void;
}

export async function readMask(path: string): Promise<Uint8Array> {
  const img = await readImage(path);
  const m = new Uint8Array(img.width * img.height);
  for (let i = 0; i < m.length; i++) m[i] = img.data[i * 3]! > 127 ? 1 : 0;
  return m;
}

/** Ask the model, time it, check the answer is an image, and (when `fit`) bring it to the requested size. */
async function ask(
  model: EditModel,
  req: Parameters<EditModel['edit']>[0],
  fit = true,
): Promise<{ img: RGBImage; resized: boolean; seconds: number }> {
  const t0 = performance.now();
  const img = await model.edit(req);
  const seconds = (performance.now() - t0) / 1000;
  if (!img || !(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * 3) {
    throw new Error(`model '${model.name}' returned something that is not an RGBImage`);
  }
  const resized = fit && (img.width !== req.width || img.height !== req.height);
  return { img: resized ? resizeNearest(img, req.width, req.height) : img, resized, seconds };
}

/** The analyzers' verdict on one output (the edit carried out, the rest intact) and its distance to the target. */
function scored(t: { edit: Edit; scene_before: Scene | null; scene_after: Scene }, img: RGBImage, target: RGBImage) {
  const verdict = judge(t.edit, t.scene_before, t.scene_after, img);
  return { success: verdict.success, failures: verdict.failures, psnr: psnr(img, target), ssim: ssim(img, target) };
}

/** Whether a chain turn's output still shows the scene's character as itself (null when the scene has none). */
export function identityKept(img: RGBImage, after: Scene): boolean | null {
  return after.character ? identityIn(img, after) === after.character.identity : null;
}

/** A chain succeeds when every turn does; its failures are the turns', each named by its turn. */
export function chainVerdict(turns: TurnResult[]): { success: boolean; failures: string[] } {
  return {
    success: turns.every((r) => r.success),
    failures: turns.flatMap((r) => r.failures.map((f) => `turn ${r.turn}: ${f}`)),
  };
}
export async function runBench(opts: RunOptions): Promise<Results> {
  const data: BenchData = await loadBench(opts.data);
  // results written into the dataset would mix with its files, and an output could replace one of them
  if (within(await realpathLoose(opts.data), await realpathLoose(opts.out))) {
    throw new UserError(
      `--out '${opts.out}' is inside the data folder '${opts.data}'; write the results to a folder outside the dataset`,
    );
  }
  const rows = opts.limit === undefined ? data.rows : data.rows.slice(0, opts.limit);
  const outputs = join(opts.out, 'outputs');
  await mkdir(outputs, { recursive: true });
  let truth: RGBImage | null = null;
  // recorded, not declared: results.json says whether the model asked for (and got) any target
  let sawGroundTruth = false;
  const model = await resolveModel(opts.model, {
    groundTruth: () => {
      if (truth) sawGroundTruth = true;
      return truth;
    },
  });
  const rel = (p: string): string => relative(opts.out, p).split('\\').join('/');
  // the fields every result starts with: which row, what it asked, from which inputs
  const head = (row: BenchRow, family: Family | null, task: string | null, instruction: string) => ({
    key: row.key,
    family,
    task,
    category: row.category,
    instruction,
    inputs: row.inputFiles.map(rel),
  });
  const seed = opts.seed ?? 0;
  const samples: SampleResult[] = [];
  const names = new OutputNames();

  for (const [n, row] of rows.entries()) {
    const inputs = await Promise.all(
      row.inputFiles.map(async (f) => {
        try {
          return await readImage(f);
        } catch (err) {
          throw new UserError(`row '${row.key}': cannot read input image '${f}': ${(err as Error).message}`);
        }
      }),
    );
    const result = row.truth ? await runSynthetic(row, inputs) : await runReal(row, inputs);
    samples.push(result);
    opts.progress?.(n + 1, rows.length, result);
  }

  async function runReal(row: BenchRow, inputs: RGBImage[]): Promise<SampleResult> {
    truth = null;
    const first = inputs[0];
    const width = first?.width ?? 1024;
    const height = first?.height ?? 1024;
    // no ground truth to compare with: keep the model's output at whatever size it chose
    const out = await ask(
      model,
      { prompt: row.instruction, images: inputs, width, height, seed: hashSeed(seed, row.key) },
      false,
    );
    const file = join(outputs, names.claim(row.key)[0]!);
    await writePng(out.img, file);
    return {
      ...head(row, row.family, null, row.instruction),
      output: rel(file),
      target: null,
      mask: null,
      success: null,
      failures: [],
      psnr: null,
      ssim: null,
      uneditedPsnr: null,
      resized: out.resized,
      seconds: out.seconds,
      novel: [],
    };
  }

  async function runSynthetic(row: BenchRow, inputs: RGBImage[]): Promise<SampleResult> {
    const t = row.truth!;
    const size = t.size;
    if (!t.turns) {
      const target = await readImage(dataPath(row, t.target_file));
      const mask = await readMask(dataPath(row, t.mask_file));
      truth = target;
      const out = await ask(model, {
        prompt: t.instruction,
        images: inputs,
        width: size,
        height: size,
        seed: hashSeed(seed, row.key),
      });
      const file = join(outputs, names.claim(row.key)[0]!);
      await writePng(out.img, file);
      return {
        ...head(row, t.family, t.task, t.instruction),
        output: rel(file),
        target: rel(dataPath(row, t.target_file)),
        mask: rel(dataPath(row, t.mask_file)),
        ...scored(t, out.img, target),
        uneditedPsnr: inputs[0] && sameSize(inputs[0], out.img) ? uneditedPsnr(out.img, inputs[0], mask) : null,
        resized: out.resized,
        seconds: out.seconds,
        novel: novelty(
          [t.instruction],
          [t.scene_before, t.scene_after].filter((x): x is Scene => !!x),
        ),
      };
    }
    // multi-turn: the model's own output is the next turn's input
    let current = inputs[0]!;
    let currentFile = row.inputFiles[0]!;
    const drift = new ChainDrift(size);
    const placed = new OwnPlacements();
    const turns: TurnResult[] = [];
    let seconds = 0;
    let resized = false;
    const files = names.claim(
      row.key,
      t.turns.map((_, k) => `_t${k + 1}`),
    );
    for (const [k, turn] of t.turns.entries()) {
      const target = await readImage(dataPath(row, turn.target_file));
      const mask = await readMask(dataPath(row, turn.mask_file));
      drift.turn(mask, turn.edit, turn.scene_after);
      truth = target;
      const out = await ask(model, {
        prompt: turn.instruction,
        images: [current],
        width: size,
        height: size,
        seed: hashSeed(seed, row.key, k),
      });
      seconds += out.seconds;
      resized ||= out.resized;
      const file = join(outputs, files[k]!);
      await writePng(out.img, file);
      const judged = placed.scenes(turn);
      turns.push({
        turn: k + 1,
        task: turn.task,
        instruction: turn.instruction,
        input: rel(currentFile),
        output: rel(file),
        target: rel(dataPath(row, turn.target_file)),
        mask: rel(dataPath(row, turn.mask_file)),
        ...scored(judged, out.img, target),
        uneditedPsnr: uneditedPsnr(out.img, current, mask),
        ...drift.psnr(out.img, target),
        identity: identityKept(out.img, turn.scene_after),
      });
      placed.record(judged, out.img);
      current = out.img;
      currentFile = file;
    }
    const last = turns[turns.length - 1]!;
    return {
      ...head(row, t.family, t.task, t.instruction),
      output: last.output,
      target: last.target,
      mask: turns[0]!.mask,
      ...chainVerdict(turns),
      psnr: last.psnr,
      ssim: last.ssim,
      uneditedPsnr: null,
      resized,
      seconds,
      turns,
      novel: novelty(
        t.turns.map((x) => x.instruction),
        t.turns.flatMap((x) => [x.scene_before, x.scene_after]),
      ),
    };
  }

  const results = summarize(samples, {
    model: model.name,
    modelSpec: opts.model,
    data: data.root,
    synthetic: data.synthetic,
    sawGroundTruth,
  });
  await writeFile(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}
