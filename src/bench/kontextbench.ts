// Loading a benchmark folder: the real KontextBench (black-forest-labs/kontext-bench, an HF "imagefolder": a
// metadata.jsonl next to the images, rows with file_name, key, category, instruction), or a synthetic dataset
// written by `kontext bench data`, which is the same layout plus ground-truth fields (target, mask, scenes, edit).
//
// Looks for DIR/metadata.jsonl, then DIR/test/metadata.jsonl (the layout of the HF download). File names in rows
// are relative to the folder holding metadata.jsonl and must stay inside it (src/io/inside.ts): every name is
// checked, and its file found, when the folder is loaded, before any model runs.

import { existsSync, statSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { clip, preview, UserError } from '../errors.ts';
import { resolveInside } from '../io/inside.ts';
import type { MetadataRow } from '../world/dataset.ts';
import { CATEGORY, FAMILIES, type Family } from '../world/tasks.ts';
import { isJudgedOp } from './analyze.ts';

/** KontextBench's five categories, in the paper's order. */
export const KONTEXTBENCH_CATEGORIES = [
  'Instruction Editing - Local',
  'Instruction Editing - Global',
  'Text Editing',
  'Style Reference',
  'Character Reference',
] as const;

export function familyOfCategory(category: string): Family | null {
  const hit = (Object.entries(CATEGORY) as [Family, string][]).find(([, c]) => c === category);
  return hit ? hit[0] : null;
}

export interface BenchRow {
  key: string;
  category: string;
  instruction: string;
  /** from our `family` field, else from the category; null for a category we do not know */
  family: Family | null;
  /** absolute paths of the input images (empty for text-to-image), checked to lie inside the folder */
  inputFiles: string[];
  /** every file name in the row, as written there → its checked absolute path (see dataPath) */
  files: ReadonlyMap<string, string>;
  /** the full row as read, with paths still relative */
  raw: Record<string, unknown>;
  /** present on synthetic rows only */
  truth: MetadataRow | null;
}

export interface BenchData {
  /** folder holding metadata.jsonl */
  root: string;
  metadata: string;
  rows: BenchRow[];
  /** every row has ground truth (a synthetic dataset) */
  synthetic: boolean;
}

export function findMetadata(dir: string): string {
  if (!existsSync(dir))
    throw new UserError(
      `data folder '${dir}' does not exist; give a folder made by 'kontext bench data' or a KontextBench download`,
    );
  if (!statSync(dir).isDirectory())
    throw new UserError(`--data '${dir}' is not a folder; give the folder that holds metadata.jsonl`);
  for (const p of [join(dir, 'metadata.jsonl'), join(dir, 'test', 'metadata.jsonl')]) if (existsSync(p)) return p;
  throw new UserError(
    `no metadata.jsonl in '${dir}' (looked at ${join(dir, 'metadata.jsonl')} and ` +
      `${join(dir, 'test', 'metadata.jsonl')}); ` +
      `give a folder made by 'kontext bench data' or the KontextBench download`,
  );
}

const REQUIRED = ['key', 'category', 'instruction'] as const;

/** KontextBench's metadata.jsonl is ~0.3 MB; a file past this is not one (and would not fit in one string). */
export const MAX_METADATA_BYTES = 256_000_000;

/** The input file names of a row (file_name, or input_files when present). */
function inputNames(raw: Record<string, unknown>, where: string): string[] {
  const files = Array.isArray(raw.input_files)
    ? (raw.input_files as unknown[])
    : raw.file_name === null || raw.file_name === undefined
      ? []
      : [raw.file_name];
  for (const f of files) if (typeof f !== 'string') throw new UserError(`${where}: input file names must be strings`);
  return files as string[];
}

/** The ground-truth file names of a synthetic row (targets and masks, of each turn); checks its edit ops too. */
function truthNames(raw: Record<string, unknown>, where: string): string[] {
  const regenerate = "regenerate the dataset with 'kontext bench data'";
  const turns = raw.turns ?? [];
  if (!Array.isArray(turns) || !turns.every((t) => typeof t === 'object' && t !== null))
    throw new UserError(`${where}: 'turns' must be a list of objects; ${regenerate}`);
  const fields: [string, unknown][] = [
    ['target_file', raw.target_file],
    ['mask_file', raw.mask_file],
  ];
  const edits: [string, unknown][] = [['edit', raw.edit]];
  turns.forEach((t, k) => {
    fields.push([`turns[${k}].target_file`, t.target_file], [`turns[${k}].mask_file`, t.mask_file]);
    edits.push([`turns[${k}].edit`, t.edit]);
  });
  for (const [field, value] of fields)
    if (typeof value !== 'string') throw new UserError(`${where}: '${field}' must be a file name; ${regenerate}`);
  // an edit no check knows would be judged by no check at all, and pass
  for (const [field, edit] of edits) {
    const op = (edit as { op?: unknown } | null | undefined)?.op;
    if (!isJudgedOp(op))
      throw new UserError(`${where}: unknown edit op ${preview(op ?? null)} in '${field}'; ${regenerate}`);
  }
  if (!(FAMILIES as readonly unknown[]).includes(raw.family)) {
    throw new UserError(
      `${where}: unknown family ${preview(raw.family ?? null)} (known: ${FAMILIES.join(', ')}); ${regenerate}`,
    );
  }
  return fields.map(([, v]) => v as string);
}

/** Check that a name from the row leads to a file inside the data folder, and return its path. */
async function fileOf(root: string, realRoot: string, fullName: string, where: string): Promise<string> {
  const r = await resolveInside(root, fullName, realRoot);
  const name = clip(fullName); // as quoted below
  if (r.ok) {
    // '.', 'images/' or a name of a folder resolves inside too, but is no image
    if (
      !(await stat(r.path).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      throw new UserError(`${where}: '${name}' is not a file in the data folder ${root}`);
    return r.path;
  }
  if (r.why === 'outside') {
    throw new UserError(
      `${where}: '${name}' leads outside the data folder ${root}; rows may name only files inside it (no '..', ` +
        `absolute paths or links that leave it)`,
    );
  }
  if (r.why === 'links')
    throw new UserError(`${where}: '${name}' goes through too many links (a loop?); name the file itself`);
  throw new UserError(
    `${where}: '${name}' does not exist in the data folder ${root}; is the download or the dataset complete?`,
  );
}

export async function loadBench(dir: string): Promise<BenchData> {
  const metadata = findMetadata(dir);
  const root = resolve(dirname(metadata));
  const { size } = await stat(metadata);
  if (size > MAX_METADATA_BYTES) {
    throw new UserError(
      `${metadata} is ${(size / 1e6).toFixed(0)} MB, above the limit of ${MAX_METADATA_BYTES / 1e6} MB for ` +
        `a metadata file; is it the right file?`,
    );
  }
  const text = (await readFile(metadata, 'utf8')).replace(/^\uFEFF/, ''); // a byte-order mark some editors write
  // first every row's fields (so a malformed line is named before any file is looked at), then the files
  const parsed: {
    where: string;
    raw: Record<string, unknown>;
    truth: MetadataRow | null;
    inputs: string[];
    names: string[];
  }[] = [];
  const seen = new Set<string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const at = `${metadata} line ${i + 1}`;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${at} is not valid JSON (${(err as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new UserError(`${at} is not a JSON object`);
    for (const f of REQUIRED) {
      if (typeof raw[f] !== 'string')
        throw new UserError(
          `${at} lacks the string field '${f}' (KontextBench rows have file_name, key, category, instruction)`,
        );
    }
    const key = raw.key as string;
    if (seen.has(key)) throw new UserError(`${at}: duplicate key '${clip(key)}'`);
    seen.add(key);
    const where = `${at} (key '${clip(key)}')`;
    const truth = typeof raw.target_file === 'string' ? (raw as unknown as MetadataRow) : null;
    const inputs = inputNames(raw, where);
    parsed.push({ where, raw, truth, inputs, names: [...inputs, ...(truth ? truthNames(raw, where) : [])] });
  }
  if (parsed.length === 0) throw new UserError(`${metadata} has no rows`);
  const rows: BenchRow[] = [];
  const realRoot = await realpath(root);
  for (const { where, raw, truth, inputs, names } of parsed) {
    const files = new Map<string, string>();
    for (const name of names) if (!files.has(name)) files.set(name, await fileOf(root, realRoot, name, where));
    const category = raw.category as string;
    rows.push({
      key: raw.key as string,
      category,
      instruction: raw.instruction as string,
      family: truth?.family ?? familyOfCategory(category),
      inputFiles: inputs.map((f) => files.get(f)!),
      files,
      raw,
      truth,
    });
  }
  return { root, metadata, rows, synthetic: rows.every((r) => r.truth !== null) };
}

/** Absolute path of a file named in a row; every such name was checked by loadBench. */
export function dataPath(row: BenchRow, name: string): string {
  const p = row.files.get(name);
  if (p === undefined) throw new Error(`row '${row.key}': '${name}' was not among the row's checked file names`);
  return p;
}
