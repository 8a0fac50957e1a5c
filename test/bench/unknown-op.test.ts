// A synthetic row whose edit op no check knows is an error, never a success: refused when the folder is loaded
// (with the row named), and by judge() itself for callers that build rows in memory.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJudgedOp, judge } from '../../src/bench/analyze.ts';
import { loadBench } from '../../src/bench/kontextbench.ts';
import type { Edit } from '../../src/world/ops.ts';
import { makeSample, writeDataset, type MetadataRow } from '../../src/world/dataset.ts';
import { joinRegExp } from '../regex.ts';

let root: string;
let rows: MetadataRow[];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-op-'));
  await writeDataset(root, { split: 'val', seed: 2, n: 2, families: ['local', 'multiturn'] });
  rows = (await readFile(join(root, 'metadata.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const refusal = async (spoil: (r: MetadataRow[]) => void): Promise<string> => {
  const copy = structuredClone(rows);
  spoil(copy);
  await writeFile(join(root, 'metadata.jsonl'), `${copy.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return loadBench(root).then(
    () => '',
    (e: Error) => e.message,
  );
};

describe('unknown edit ops', () => {
  it('judge() throws for an op it has no check for, instead of reporting success', () => {
    const s = makeSample({ split: 'val', seed: 2, families: ['local'] }, 0);
    expect(judge(s.edit, s.before, s.after, s.target).success).toBe(true);
    expect(() => judge({ op: 'teleport' } as unknown as Edit, s.before, s.after, s.target)).toThrow(
      /unknown edit op "teleport": no check can judge it; regenerate the dataset with 'kontext bench data'/,
    );
    expect(isJudgedOp('recolor')).toBe(true);
    expect(isJudgedOp('toString')).toBe(false);
  });

  it('loading a dataset refuses a row with an unknown or missing op, naming the row and the field', async () => {
    expect(await refusal(() => {})).toBe('');
    expect(await refusal((r) => void ((r[0]!.edit as { op: string }).op = 'teleport'))).toMatch(
      joinRegExp(
        /line 1 \(key 'val-000000'\): unknown edit op "teleport" in 'edit'; regenerate the dataset with /,
        /'kontext bench data'/,
      ),
    );
    expect(await refusal((r) => void delete (r[0] as Partial<MetadataRow>).edit)).toMatch(
      /line 1 \(key 'val-000000'\): unknown edit op null in 'edit'/,
    );
    expect(await refusal((r) => void ((r[1]!.turns![3]!.edit as { op: string }).op = 'zoom'))).toMatch(
      /line 2 \(key 'val-000001'\): unknown edit op "zoom" in 'turns\[3\]\.edit'/,
    );
    expect(await refusal((r) => void ((r[1] as { turns: unknown }).turns = 'five'))).toMatch(
      /line 2 \(key 'val-000001'\): 'turns' must be a list of objects/,
    );
    expect(await refusal((r) => void ((r[0] as { mask_file: unknown }).mask_file = 7))).toMatch(
      /line 1 \(key 'val-000000'\): 'mask_file' must be a file name/,
    );
  });
});
