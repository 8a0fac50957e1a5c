// The baselines bracket every metric, per family, so the metrics can fail:
//   oracle   (returns the exact target)  -> 100% success, PSNR = SSIM = max, unedited PSNR max
//   identity (returns the input)         -> 0% success, unedited PSNR max (perfect preservation)
//   noise    (uniform random pixels)     -> ~0% success, low PSNR everywhere
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../../src/world/dataset.ts';
import { runBench } from '../../src/bench/run.ts';
import { writeReport, type Results } from '../../src/bench/report.ts';
import { MAX_PSNR } from '../../src/bench/metrics.ts';
import { KONTEXT_FAMILIES } from '../../src/world/tasks.ts';
import { createImage, readImage } from '../../src/image/rgb.ts';
import { registerModel } from '../../src/bench/model.ts';

let root: string;
let data: string;
const results: Record<string, Results> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-baselines-'));
  data = join(root, 'data');
  await writeDataset(data, { split: 'test', seed: 5, n: 7 * 12, size: 64 }); // 12 per family
  for (const model of ['oracle', 'identity', 'noise']) {
    results[model] = await runBench({ data, model, out: join(root, model) });
  }
});
afterAll(async () => rm(root, { recursive: true, force: true }));

// a model that wipes the image to its background colour: it "removes" the named object, and everything else
registerModel('wipe', () => ({
  name: 'wipe',
  async edit(req) {
    const src = req.images[0]!;
    return createImage(req.width, req.height, [src.data[0]!, src.data[1]!, src.data[2]!]);
  },
}));

describe('baselines per family', () => {
  it('oracle: 100% success and max PSNR / SSIM / unedited PSNR', () => {
    const r = results.oracle!;
    for (const f of [...KONTEXT_FAMILIES, 't2i', 'multiturn']) {
      const m = r.families[f]!;
      expect(m.n, f).toBe(12);
      expect(m.success, f).toBe(1);
      expect(m.psnr, f).toBe(MAX_PSNR);
      expect(m.ssim, f).toBeCloseTo(1, 9);
      if (f !== 't2i') expect(m.uneditedPsnr, f).toBe(MAX_PSNR);
    }
    expect(r.families.multiturn!.curve!.map((p) => [p.success, p.psnr, p.identity])).toEqual(
      Array(5).fill([1, MAX_PSNR, 1]),
    );
  });

  it('identity: 0% success and perfect preservation', () => {
    const r = results.identity!;
    for (const f of [...KONTEXT_FAMILIES, 't2i']) {
      const m = r.families[f]!;
      expect(m.success, f).toBe(0);
      if (f !== 't2i') expect(m.uneditedPsnr, f).toBe(MAX_PSNR);
      expect(m.psnr!, f).toBeLessThan(35);
    }
    const curve = r.families.multiturn!.curve!;
    expect(curve.map((p) => p.success)).toEqual([0, 0, 0, 0, 0]);
    expect(curve.map((p) => p.uneditedPsnr)).toEqual(Array(5).fill(MAX_PSNR));
    expect(curve.map((p) => p.identity)).toEqual([1, 1, 1, 1, 1]); // doing nothing keeps the character
  });

  it('noise: ~0 everywhere', () => {
    const r = results.noise!;
    for (const f of [...KONTEXT_FAMILIES, 't2i', 'multiturn']) {
      const m = r.families[f]!;
      expect(m.success, f).toBe(0);
      expect(m.psnr!, f).toBeLessThan(12);
      expect(m.ssim!, f).toBeLessThan(0.1);
      if (f !== 't2i') expect(m.uneditedPsnr!, f).toBeLessThan(12);
    }
    expect(r.families.multiturn!.curve!.every((p) => p.identity === 0)).toBe(true);
  });

  it('results are valid JSON with per-family and per-task numbers; outputs, HTML and plot are written', async () => {
    const r = results.identity!;
    const onDisk = JSON.parse(readFileSync(join(root, 'identity', 'results.json'), 'utf8')) as Results;
    expect(onDisk.families.local!.success).toBe(0);
    for (const s of onDisk.samples) expect(onDisk.tasks[s.task!]!.n).toBeGreaterThan(0);
    for (const f of [...KONTEXT_FAMILIES, 't2i', 'multiturn'])
      expect(
        Object.keys(onDisk.tasks).some((t) => t.startsWith(`${f}.`)),
        f,
      ).toBe(true);
    expect(onDisk.maxPsnr).toBe(MAX_PSNR);
    const written = await writeReport(r, join(root, 'identity'));
    const html = readFileSync(written[0]!, 'utf8');
    for (const f of KONTEXT_FAMILIES) expect(html).toContain(`<h2>${f}`);
    expect(html).toContain('multiturn.png');
    expect(html).toMatch(/<img src="outputs\/test-000000.png"/);
    const plot = await readImage(join(root, 'identity', 'multiturn.png'));
    expect(plot.width).toBeGreaterThan(300);
    expect(existsSync(join(root, 'identity', r.samples[0]!.output))).toBe(true);
    // multi-turn feeds the model's own output back: turn k's input is turn k-1's output
    const chain = r.samples.find((s) => s.turns)!;
    expect(chain.turns![1]!.input).toBe(chain.turns![0]!.output);
  });

  it('a model that wipes the image scores 0 on remove: the rest of the scene must still read', async () => {
    const data2 = join(root, 'local');
    await writeDataset(data2, { split: 'test', seed: 11, n: 40, size: 64, families: ['local'] });
    const r = await runBench({ data: data2, model: 'wipe', out: join(root, 'wipe') });
    const removes = r.samples.filter((s) => s.task === 'local.remove');
    expect(removes.length).toBeGreaterThan(3);
    expect(r.tasks['local.remove']!.success).toBe(0);
    // every one fails on the rest of the scene (the named object itself is usually gone)
    for (const s of removes)
      expect(
        s.failures.some((f) => f.startsWith('rest of the scene:')),
        s.failures.join('; '),
      ).toBe(true);
  });

  it('results.json records which model saw ground truth (only the oracle)', () => {
    expect(results.oracle!.sawGroundTruth).toBe(true);
    expect(results.identity!.sawGroundTruth).toBe(false);
    expect(results.noise!.sawGroundTruth).toBe(false);
  });

  it('held-out templates, pairs, words and identities are reported apart from the seen rows', () => {
    const r = results.identity!;
    expect(Object.keys(r.heldOut).sort()).toEqual(['identity', 'pair', 'template', 'word']);
    const single = r.samples.filter((s) => s.family !== 'multiturn');
    expect(r.heldOut.template!.novel.n).toBe(single.filter((s) => s.novel.includes('template')).length);
    expect(r.heldOut.template!.seen.n).toBe(single.filter((s) => s.novel.length === 0).length);
    expect(r.heldOut.template!.novel.n).toBeGreaterThan(0);
  });
});
