// Autoencoder training: the detail weights of the L1 term, the loss graph against a host computation, and a few
// steps of `trainAe` with them (loss finite, the export loadable, a resumed run continuing).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, Graph } from '../../src/engine/index.ts';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { loadMiniAe } from '../../src/mini/load.ts';
import { DETAIL_STEP, detailWeights, imageBatch, reconstructionLoss } from '../../src/train/ae.ts';
import { trainAe, trainingCrops } from '../../src/train/train-ae.ts';
import { ImageStream } from '../../src/train/ae.ts';
import { Rng } from '../../src/engine/random.ts';
import { luma } from '../../src/world/palette.ts';
import { tinyAeConfig } from '../mini/tiny.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** 8×8 grey with a vertical 1-pixel line at x = 4 in `rgb`. */
function line(rgb: [number, number, number]): RGBImage {
  const img = createImage(8, 8, [120, 120, 120]);
  for (let y = 0; y < 8; y++) img.data.set(rgb, (y * 8 + 4) * 3);
  return img;
}

describe('detail weights', () => {
  it('weigh a stroke and its neighbours, not flat colour; a step at the threshold is not detail', () => {
    const w = detailWeights(
      [line([20, 200, 40]), createImage(8, 8, [9, 9, 9]), line([120, 120 + DETAIL_STEP, 120])],
      4,
    );
    expect(w.shape).toEqual([3, 1, 8, 8]);
    const at = (i: number, x: number, y: number) => (w.data as Float32Array)[i * 64 + y * 8 + x];
    for (let y = 0; y < 8; y++) {
      for (const x of [3, 4, 5]) expect(at(0, x, y), `(${x},${y})`).toBe(5);
      for (const x of [0, 1, 2, 6, 7]) expect(at(0, x, y), `(${x},${y})`).toBe(1);
    }
    expect(Math.max(...(w.data as Float32Array).subarray(64))).toBe(1); // flat, and a step of exactly DETAIL_STEP
  });

  it('the weighted L1 of the loss graph is the host’s mean of w·|ŷ − x| (edge term off)', async () => {
    const x = [line([20, 200, 40]), createImage(8, 8, [200, 10, 10])];
    const y = [createImage(8, 8, [120, 120, 120]), createImage(8, 8, [190, 30, 10])];
    const w = detailWeights(x, 3);
    const g = new Graph();
    const r = reconstructionLoss(
      g,
      g.input('x', [2, 3, 8, 8]),
      g.input('y', [2, 3, 8, 8]),
      8,
      0,
      g.input('w', [2, 1, 8, 8]),
    );
    g.output('loss', r.loss);
    const out = await (await compile(g)).run({ x: imageBatch(x), y: imageBatch(y), w });
    const xs = imageBatch(x).data as Float32Array;
    const ys = imageBatch(y).data as Float32Array;
    let want = 0;
    for (let b = 0; b < 2; b++)
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 64; p++) {
          const i = (b * 3 + c) * 64 + p;
          want += (w.data as Float32Array)[b * 64 + p] * Math.abs(ys[i] - xs[i]);
        }
    expect((out.loss.data as Float32Array)[0]).toBeCloseTo(want / (2 * 3 * 64), 5);
  });
});

describe('trainAe with detail weights', () => {
  const config = tinyAeConfig();

  it('grayShare turns that share of the crops into the world’s grayscale of the same crops, and no others', () => {
    const batch = (grayShare: number) =>
      trainingCrops(new ImageStream('train', 0, 32), { ...config, crop: 32, batch: 64, grayShare }, 4, new Rng(5));
    const colour = batch(0);
    const some = batch(0.25);
    const all = batch(1);
    const isGrey = (img: RGBImage) =>
      img.data.every((v, i) => i % 3 || (v === img.data[i + 1] && v === img.data[i + 2]));
    expect(colour.filter(isGrey).length).toBeLessThan(4); // the stream's own grey scenes are rare
    expect(all.every(isGrey)).toBe(true);
    const turned = some.filter((img, k) => isGrey(img) && !isGrey(colour[k])).length;
    expect(turned).toBeGreaterThan(6);
    expect(turned).toBeLessThan(28);
    // a turned crop is the luma of the crop drawn without grayShare; an unturned one is that crop unchanged
    some.forEach((img, k) => {
      const c = colour[k].data;
      if (isGrey(img) && !isGrey(colour[k])) {
        for (let i = 0; i < c.length; i += 3) expect(img.data[i]).toBe(luma(c[i], c[i + 1], c[i + 2]));
      } else expect(img.data).toEqual(c);
    });
  });

  it('trains, validates, exports a loadable AE and resumes to a longer schedule', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'kontext-ae-')), 'run');
    dirs.push(out);
    const r = await trainAe(config, out, { quiet: true });
    expect(r.step).toBe(4);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const losses = log.filter((l) => typeof l.loss === 'number').map((l) => l.loss as number);
    expect(losses.length).toBeGreaterThan(0);
    for (const l of losses) expect(Number.isFinite(l) && l > 0).toBe(true);
    expect(existsSync(join(out, 'ae.safetensors'))).toBe(true);
    const ae = await loadMiniAe(join(out, 'ae.safetensors'));
    expect(ae.params.z_channels).toBe(4);
    expect(ae.params.scale_factor).toBeGreaterThan(0);
    const more = await trainAe({ ...config, steps: 6 }, out, { quiet: true });
    expect(more.step).toBe(6);
  });
});
