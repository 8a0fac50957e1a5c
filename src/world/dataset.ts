// Samples and datasets. A sample is named by (seed, split, index): its own Rng is seeded with hash(seed, split,
// index), so samples can be made in any order, in parallel, or on the fly during training, and sample 17 of a split
// is the same whether 20 or 20,000 are generated.
//
// On disk a dataset is a KontextBench-style image folder: DIR/metadata.jsonl, one row per sample with the
// KontextBench fields (file_name, key, category, instruction) plus ours (see MetadataRow), and the PNGs under
// DIR/inputs, DIR/targets, DIR/masks. Families are interleaved: sample i belongs to families[i % families.length].

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { replaceFolder } from '../io/replace-folder.ts';
import { writePng, type RGBImage } from '../image/rgb.ts';
import { hashSeed, Rng } from '../engine/random.ts';
import { checkSize, DEFAULT_SIZE, render } from './render.ts';
import { editMask, type Mask } from './masks.ts';
import type { Edit } from './ops.ts';
import type { Scene } from './scene.ts';
import { HELD_OUT_PAIRS, HELD_OUT_WORDS, isHeldOutIdentity, SplitPolicy, type Split } from './split.ts';
import { CATEGORY, FAMILIES, type TaskDef, type TaskInstance, tasksOf, type Family, type Turn } from './tasks.ts';
import { IDENTITY_COUNT } from './characters.ts';

export interface SampleTurn extends Turn {
  target: RGBImage;
  mask: Mask;
}

export interface Sample {
  key: string;
  split: Split;
  index: number;
  size: number;
  family: Family;
  task: string;
  category: string;
  instruction: string;
  /** input images (0 for t2i, 2 for style reference: content, exemplar) */
  inputs: RGBImage[];
  target: RGBImage;
  /** size*size, 1 where the edit may change pixels */
  mask: Mask;
  inputScenes: Scene[];
  before: Scene | null;
  after: Scene;
  edit: Edit;
  /** multi-turn: the 5 turns, each with its own target and mask */
  turns?: SampleTurn[];
}

export interface GenerateOptions {
  split: Split;
  seed: number;
  size?: number;
  /** which families to draw from, interleaved; default all seven */
  families?: readonly Family[];
  /**
   * Training data only: the objects an edit draws land on a grid of this step (normalised: the transformer's token
   * side over the image side), added ones at the centre of a cell and moved ones by whole cells, so that what a
   * model must draw is one pattern per object up to whole tokens, or a copy by whole tokens. The benchmark accepts
   * any place in the named region. Absent (benchmarks, and the default): anywhere.
   */
  grid?: number;
  /** with `grid`: characters too (placed or re-drawn at their size: by whole cells; resized: at a cell's centre) */
  gridCharacters?: boolean;
  /** with `grid`: text-to-image scenes too (their objects, and characters with gridCharacters, at cells' centres) */
  gridScenes?: boolean;
  /**
   * with `grid`: the scenes of single-turn resizes too (their objects at cells' centres, so the resized object is one
   * pattern per object up to whole tokens before and after; chains unchanged)
   */
  gridResize?: boolean;
  /**
   * Training data only: the share of one-picture local and text edits drawn on their scene greyed (its input and its
   * target as the world greys a picture: in the world the grey of an edit is the edit of the grey), so that a model
   * sees grey pictures to edit and not only as a grayscale edit's answer. Absent (benchmarks, and the default): none.
   */
  greyInputs?: number;
}

const policies = new Map<string, SplitPolicy>();
/** One policy per split and placement grid (they are pure functions of these options). */
function policyFor({
  split,
  grid,
  gridCharacters = false,
  gridScenes = false,
  gridResize = false,
}: GenerateOptions): SplitPolicy {
  const key = `${split}:${grid ?? ''}:${gridCharacters}:${gridScenes}:${gridResize}`;
  let p = policies.get(key);
  if (!p) policies.set(key, (p = new SplitPolicy(split, grid, gridCharacters, gridScenes, gridResize)));
  return p;
}

export function sampleKey(split: Split, index: number): string {
  return `${split}-${String(index).padStart(6, '0')}`;
}

/** Sample `index`'s first draw: its family (by position) and task, and the random source the rest draws from. */
function drawTask(opts: GenerateOptions, index: number): { family: Family; def: TaskDef; rng: Rng } {
  const families = opts.families ?? FAMILIES;
  const family = families[index % families.length]!;
  const rng = new Rng(hashSeed(opts.seed, opts.split, index));
  return { family, def: rng.pick(tasksOf(family)), rng };
}

/** The task sample `index` will be (e.g. 'local.move'), known without rendering it. */
export function taskOf(opts: GenerateOptions, index: number): string {
  return drawTask(opts, index).def.name;
}

/** Make sample `index` of a split: draw the task, render inputs and targets, compute masks. */
export function makeSample(opts: GenerateOptions, index: number): Sample {
  const size = opts.size ?? DEFAULT_SIZE;
  checkSize(size);
  const { family, def, rng } = drawTask(opts, index);
  const drawn = def.generate(rng, policyFor(opts));
  const t = greyed(opts, index, drawn);
  const inputs = t.inputs.map((s) => render(s, size));
  const sample: Sample = {
    key: sampleKey(opts.split, index),
    split: opts.split,
    index,
    size,
    family,
    task: t.task,
    category: CATEGORY[family],
    instruction: t.instruction,
    inputs,
    target: render(t.after, size),
    mask: editMask(t.edit, t.before, t.after, size),
    inputScenes: t.inputs,
    before: t.before,
    after: t.after,
    edit: t.edit,
  };
  if (t.turns) {
    sample.turns = t.turns.map((turn, i) => ({
      ...turn,
      target: i === t.turns!.length - 1 ? sample.target : render(turn.after, size),
      mask: editMask(turn.edit, turn.before, turn.after, size),
    }));
    sample.mask = sample.turns[0]!.mask;
    sample.target = sample.turns[0]!.target;
  }
  return sample;
}

/** Which samples a stream keeps, decided from the task and position alone (before rendering). */
export type SampleFilter = (task: string, index: number) => boolean;

/**
 * Fresh samples on the fly, without files: the streaming generator for training. Deterministic by seed; infinite
 * unless `count` is given. Start at `start` to resume. `keep(task, index)`, if given, skips the indices it refuses
 * before they are rendered (a sample's `index` says where the stream is; `count` counts indices, kept or not).
 */
/**
 * A task drawn, on its scene greyed where `greyInputs` says (by a draw of its own, so that the other samples stay
 * as they were): a local or text edit.
 */
function greyed(opts: GenerateOptions, index: number, t: TaskInstance): TaskInstance {
  const share = opts.greyInputs ?? 0;
  // (a local or text edit is one picture's, in colour)
  if (!share || !t.before || (t.family !== 'local' && t.family !== 'text')) return t;
  if (new Rng(hashSeed(opts.seed, opts.split, index, 'grey')).next() >= share) return t;
  const grey = (s: Scene): Scene => ({ ...s, grayscale: true });
  return { ...t, inputs: t.inputs.map(grey), before: grey(t.before), after: grey(t.after) };
}

export function* streamSamples(
  opts: GenerateOptions & { start?: number; count?: number; keep?: SampleFilter },
): Generator<Sample> {
  const end = opts.count === undefined ? Infinity : (opts.start ?? 0) + opts.count;
  for (let i = opts.start ?? 0; i < end; i++)
    if (!opts.keep || opts.keep(taskOf(opts, i), i)) yield makeSample(opts, i);
}

// ---- on disk ---------------------------------------------------------------------------------------------------

/** One line of metadata.jsonl. The first four fields are KontextBench's; the rest are ours. */
export interface MetadataRow {
  /**
   * first input image, relative to the folder of metadata.jsonl; for text-to-image (no input) the target, so that
   * every row names an image and Hugging Face `imagefolder` can load the folder. Inputs are `input_files`.
   */
  file_name: string;
  key: string;
  category: string;
  instruction: string;
  family: Family;
  task: string;
  split: Split;
  index: number;
  size: number;
  /** all input images in order (file_name first; style reference adds the exemplar) */
  input_files: string[];
  target_file: string;
  /** white = may change, black = must stay */
  mask_file: string;
  scene_before: Scene | null;
  scene_after: Scene;
  input_scenes: Scene[];
  edit: Edit;
  turns?: {
    task: string;
    instruction: string;
    edit: Edit;
    scene_before: Scene;
    scene_after: Scene;
    target_file: string;
    mask_file: string;
  }[];
}

export function maskImage(mask: Mask, size: number): RGBImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < mask.length; i++) if (mask[i]) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = 255;
  return { width: size, height: size, data };
}

/** Write one sample's PNGs under dir and return its metadata row. */
export async function writeSample(dir: string, s: Sample): Promise<MetadataRow> {
  const base = String(s.index).padStart(6, '0');
  const writes: Promise<void>[] = [];
  const put = (rel: string, img: RGBImage): string => {
    writes.push(writePng(img, join(dir, rel)));
    return rel;
  };
  const inputFiles = s.inputs.map((img, i) => put(`inputs/${base}${i ? `_${i}` : ''}.png`, img));
  // multi-turn rows point at their first turn's files (written below with the other turns)
  const targetFile = s.turns ? `targets/${base}_t1.png` : put(`targets/${base}.png`, s.target);
  const row: MetadataRow = {
    file_name: inputFiles[0] ?? targetFile,
    key: s.key,
    category: s.category,
    instruction: s.instruction,
    family: s.family,
    task: s.task,
    split: s.split,
    index: s.index,
    size: s.size,
    input_files: inputFiles,
    target_file: targetFile,
    mask_file: s.turns ? `masks/${base}_t1.png` : put(`masks/${base}.png`, maskImage(s.mask, s.size)),
    scene_before: s.before,
    scene_after: s.after,
    input_scenes: s.inputScenes,
    edit: s.edit,
  };
  if (s.turns) {
    row.turns = s.turns.map((t, i) => ({
      task: t.task,
      instruction: t.instruction,
      edit: t.edit,
      scene_before: t.before,
      scene_after: t.after,
      target_file: put(`targets/${base}_t${i + 1}.png`, t.target),
      mask_file: put(`masks/${base}_t${i + 1}.png`, maskImage(t.mask, s.size)),
    }));
  }
  await Promise.all(writes);
  return row;
}

export interface DatasetInfo {
  generator: string;
  split: Split;
  seed: number;
  n: number;
  size: number;
  families: Family[];
  heldOut: { pairs: string[]; words: string[]; identities: string };
}

const GENERATOR = 'kontext synthetic world v1';

/** Refuse to replace a folder that holds anything but an earlier dataset: its files would be deleted. */
function checkReplaceable(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(`--out '${dir}' exists and is not a folder`);
  if (readdirSync(dir).length === 0) return;
  let generator: unknown;
  try {
    generator = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')).generator;
  } catch {
    generator = undefined;
  }
  // any version of the generator: a dataset is replaced as a whole
  if (typeof generator !== 'string' || !generator.startsWith('kontext synthetic world')) {
    throw new UserError(
      `--out '${dir}' holds files but is not a dataset of 'kontext bench data' (no dataset.json of ours); ` +
        `give a new or empty folder, as the dataset replaces what is there`,
    );
  }
}

/**
 * Generate n samples of a split into dir (PNGs + metadata.jsonl + dataset.json). The dataset is written into a
 * hidden sibling folder and renamed into place at the end (src/io/replace-folder.ts): an interrupted run leaves the
 * old dataset intact, and a smaller n leaves no files of a larger one.
 */
export async function writeDataset(dir: string, opts: GenerateOptions & { n: number }): Promise<DatasetInfo> {
  checkReplaceable(dir);
  return replaceFolder(dir, (tmp) => fillDataset(tmp, opts));
}

async function fillDataset(dir: string, opts: GenerateOptions & { n: number }): Promise<DatasetInfo> {
  const size = opts.size ?? DEFAULT_SIZE;
  await Promise.all(['inputs', 'targets', 'masks'].map((d) => mkdir(join(dir, d), { recursive: true })));
  const rows: string[] = [];
  const BATCH = 32; // encode PNGs of a few samples at once (sharp works on its own threads)
  for (let start = 0; start < opts.n; start += BATCH) {
    const batch: Promise<MetadataRow>[] = [];
    for (let i = start; i < Math.min(opts.n, start + BATCH); i++) batch.push(writeSample(dir, makeSample(opts, i)));
    for (const row of await Promise.all(batch)) rows.push(JSON.stringify(row));
  }
  await writeFile(join(dir, 'metadata.jsonl'), `${rows.join('\n')}\n`);
  const heldOutIdentities = Array.from({ length: IDENTITY_COUNT }, (_, i) => i).filter(isHeldOutIdentity).length;
  const info: DatasetInfo = {
    generator: GENERATOR,
    split: opts.split,
    seed: opts.seed,
    n: opts.n,
    size,
    families: [...(opts.families ?? FAMILIES)],
    heldOut: {
      pairs: HELD_OUT_PAIRS.map(([s, c]) => `${c} ${s}`),
      words: [...HELD_OUT_WORDS],
      identities: `id % 7 == 3 (${heldOutIdentities} of ${IDENTITY_COUNT})`,
    },
  };
  await writeFile(join(dir, 'dataset.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
