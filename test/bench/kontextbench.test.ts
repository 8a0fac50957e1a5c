// The real KontextBench layout (test/metadata.jsonl + images; rows with file_name, key, category, instruction):
// a tiny fixture in that layout runs end to end, with outputs and an HTML grid by category, and no metrics.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBench, KONTEXTBENCH_CATEGORIES } from '../../src/bench/kontextbench.ts';
import { runBench } from '../../src/bench/run.ts';
import { writeReport } from '../../src/bench/report.ts';
import { readImage } from '../../src/image/rgb.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'kontextbench');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('real KontextBench layout', () => {
  it('loads rows from DIR/test/metadata.jsonl with families from the category strings', async () => {
    const data = await loadBench(FIXTURE);
    expect(data.synthetic).toBe(false);
    expect(data.rows.map((r) => r.category)).toEqual([...KONTEXTBENCH_CATEGORIES]);
    expect(data.rows.map((r) => r.family)).toEqual(['local', 'global', 'text', 'style', 'character']);
    expect(data.rows[0]!.inputFiles[0]).toBe(join(FIXTURE, 'test', 'images', 'base_0.png'));
  });

  it('runs a model; outputs at the input size and an HTML grid by category, no ground-truth metrics', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kontext-kb-'));
    dirs.push(out);
    const r = await runBench({ data: FIXTURE, model: 'identity', out });
    expect(r.synthetic).toBe(false);
    expect(r.n).toBe(5);
    expect(r.families.local!.success).toBeNull();
    expect(r.families.local!.psnr).toBeNull();
    expect(Object.keys(r.categories)).toEqual([...KONTEXTBENCH_CATEGORIES]);
    for (const s of r.samples) {
      const output = await readImage(join(out, s.output));
      const input = await readImage(join(out, s.inputs[0]!));
      expect([output.width, output.height]).toEqual([input.width, input.height]);
    }
    const [html] = await writeReport(r, out);
    const text = readFileSync(html!, 'utf8');
    for (const c of KONTEXTBENCH_CATEGORIES) expect(text).toContain(`<h2>${c}`);
    expect(text).toContain('outputs/kb-0003.png');
    expect(existsSync(join(out, 'multiturn.png'))).toBe(false);
  });

  it('the oracle needs ground truth, and says so', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kontext-kb-'));
    dirs.push(out);
    await expect(runBench({ data: FIXTURE, model: 'oracle', out })).rejects.toThrow(
      /oracle model needs ground-truth targets; this dataset has none/,
    );
  });
});
