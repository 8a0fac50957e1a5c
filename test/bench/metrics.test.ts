import { describe, expect, it } from 'vitest';
import { createImage } from '../../src/image/rgb.ts';
import { MAX_PSNR, mean, psnr, resizeNearest, ssim, uneditedPsnr } from '../../src/bench/metrics.ts';
import { Rng } from '../../src/engine/random.ts';
import { render } from '../../src/world/render.ts';
import { makeSample } from '../../src/world/dataset.ts';

const noise = (seed: number, s = 64) => {
  const img = createImage(s, s);
  const r = new Rng(seed);
  for (let i = 0; i < img.data.length; i++) img.data[i] = r.int(256);
  return img;
};

describe('psnr', () => {
  it('caps identical images at MAX_PSNR and matches the formula', () => {
    const a = createImage(16, 16, [100, 100, 100]);
    expect(psnr(a, a)).toBe(MAX_PSNR);
    expect(MAX_PSNR).toBe(100);
    const b = createImage(16, 16, [101, 101, 101]); // MSE 1
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 * 255), 6);
    const c = createImage(16, 16, [110, 100, 100]); // MSE 100/3
    expect(psnr(a, c)).toBeCloseTo(10 * Math.log10((255 * 255) / (100 / 3)), 6);
    expect(() => psnr(a, createImage(8, 8))).toThrow(/sizes differ/);
  });

  it('unedited PSNR looks only outside the mask, and is null when the mask covers everything', () => {
    const a = createImage(8, 8, [0, 0, 0]);
    const b = createImage(8, 8, [0, 0, 0]);
    b.data.set([255, 255, 255], 0); // pixel 0 differs
    const mask = new Uint8Array(64);
    mask[0] = 1;
    expect(uneditedPsnr(b, a, mask)).toBe(MAX_PSNR);
    mask[0] = 0;
    expect(uneditedPsnr(b, a, mask)!).toBeLessThan(30);
    expect(uneditedPsnr(b, a, new Uint8Array(64).fill(1))).toBeNull();
  });
});

describe('ssim', () => {
  it('is 1 for identical images, high for a small change, ~0 for noise', () => {
    const s = makeSample({ split: 'val', seed: 1, size: 64 }, 0);
    expect(ssim(s.target, s.target)).toBeCloseTo(1, 10);
    const shifted = { ...s.target, data: s.target.data.map((v) => Math.min(255, v + 2)) };
    expect(ssim(s.target, shifted)).toBeGreaterThan(0.95);
    expect(Math.abs(ssim(noise(1), noise(2)))).toBeLessThan(0.05);
    expect(ssim(render(s.after, 64), noise(3))).toBeLessThan(0.1);
  });
});

describe('helpers', () => {
  it('resizeNearest and mean', () => {
    const img = createImage(2, 2, [1, 2, 3]);
    const big = resizeNearest(img, 4, 4);
    expect(big.width).toBe(4);
    expect(Array.from(big.data.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(mean([1, null, 3, undefined, Infinity])).toBe(2);
    expect(mean([])).toBeNull();
  });
});
