// Loading a benchmark folder: the real KontextBench (black-forest-labs/kontext-bench, an HF "imagefolder": a
// metadata.jsonl next to the images, rows with file_name, key, category, instruction), or a synthetic dataset
// written by `kontext bench data`, which is the same layout plus ground-truth fields (target, mask, scenes, edit).
//
// Looks for DIR/metadata.jsonl, then DIR/test/metadata.jsonl (the layout of the HF download). File names in rows
// are relative to the folder holding metadata.jsonl.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { MetadataRow } from '../world/dataset.ts';
import { CATEGORY, type Family } from '../world/tasks.ts';

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
  /** absolute paths of the input images (empty for text-to-image) */
  inputFiles: string[];
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
  if (!existsSync(dir)) throw new UserError(`data folder '${dir}' does not exist; give a folder made by 'kontext bench data' or a KontextBench download`);
  if (!statSync(dir).isDirectory()) throw new UserError(`--data '${dir}' is not a folder; give the folder that holds metadata.jsonl`);
  for (const p of [join(dir, 'metadata.jsonl'), join(dir, 'test', 'metadata.jsonl')]) if (existsSync(p)) return p;
  throw new UserError(
    `no metadata.jsonl in '${dir}' (looked at ${join(dir, 'metadata.jsonl')} and ${join(dir, 'test', 'metadata.jsonl')}); ` +
      `give a folder made by 'kontext bench data' or the KontextBench download`,
  );
}

const REQUIRED = ['key', 'category', 'instruction'] as const;

export async function loadBench(dir: string): Promise<BenchData> {
  const metadata = findMetadata(dir);
  const root = resolve(dirname(metadata));
  const text = await readFile(metadata, 'utf8');
  const rows: BenchRow[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${metadata} line ${i + 1}`;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${where} is not valid JSON (${(err as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${where} is not a JSON object`);
    for (const f of REQUIRED) {
      if (typeof raw[f] !== 'string') throw new UserError(`${where} lacks the string field '${f}' (KontextBench rows have file_name, key, category, instruction)`);
    }
    const key = raw.key as string;
    if (seen.has(key)) throw new UserError(`${where}: duplicate key '${key}'`);
    seen.add(key);
    const files = Array.isArray(raw.input_files)
      ? (raw.input_files as unknown[])
      : raw.file_name === null || raw.file_name === undefined
        ? []
        : [raw.file_name];
    for (const f of files) if (typeof f !== 'string') throw new UserError(`${where}: input file names must be strings`);
    const category = raw.category as string;
    const truth = typeof raw.target_file === 'string' ? (raw as unknown as MetadataRow) : null;
    rows.push({
      key,
      category,
      instruction: raw.instruction as string,
      family: truth?.family ?? familyOfCategory(category),
      inputFiles: (files as string[]).map((f) => (isAbsolute(f) ? f : join(root, f))),
      raw,
      truth,
    });
  });
  if (rows.length === 0) throw new UserError(`${metadata} has no rows`);
  return { root, metadata, rows, synthetic: rows.every((r) => r.truth !== null) };
}

/** Absolute path of a file named in a row. */
export function dataPath(data: BenchData, rel: string): string {
  return isAbsolute(rel) ? rel : join(data.root, rel);
}
