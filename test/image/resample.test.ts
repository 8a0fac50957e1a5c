// Lanczos-3 in plain TypeScript (the browser's resize) against sharp's (libvips) and against invariants.
import { describe, expect, it } from 'vitest';
import { resizeLanczos } from '../../src/image/preprocess.ts';
import { createImage, readImage, type RGBImage } from '../../src/image/rgb.ts';
import { resampleLanczos } from '../../src/image/resample.ts';

const diff = (a: RGBImage, b: RGBImage) => {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.data.length, max };
};

describe('resampleLanczos', () => {
  it('shrinks as sharp does, within a few levels on sharp edges', async () => {
    const scene = await readImage(new URL('../../examples/scene.png', import.meta.url).pathname);
    const big = await resizeLanczos(scene, 300, 200);
    for (const [src, w, h] of [
      [scene, 32, 48],
      [big, 64, 43],
      [big, 37, 64],
    ] as const) {
      const d = diff(resampleLanczos(src, w, h), await resizeLanczos(src, w, h));
      expect(d.mean, `${src.width}x${src.height} -> ${w}x${h}`).toBeLessThan(0.3);
      expect(d.max, `${src.width}x${src.height} -> ${w}x${h}`).toBeLessThanOrEqual(8);
    }
    // enlarging: libvips places its samples a little differently, so edges move by up to a pixel; on average close
    const d = diff(resampleLanczos(scene, 300, 200), await resizeLanczos(scene, 300, 200));
    expect(d.mean).toBeLessThan(2);
  });

  it('keeps flat colour flat, the size asked for, a mirrored input mirrored, and the same size untouched', () => {
    const flat = createImage(7, 5, [12, 200, 77]);
    for (const [w, h] of [
      [3, 2],
      [20, 11],
      [1, 1],
    ]) {
      const r = resampleLanczos(flat, w, h);
      expect([r.width, r.height]).toEqual([w, h]);
      for (let i = 0; i < w * h; i++) expect([...r.data.subarray(3 * i, 3 * i + 3)]).toEqual([12, 200, 77]);
    }
    const img = createImage(9, 4);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37) % 256;
    const mirror = (m: RGBImage): RGBImage => {
      const out = createImage(m.width, m.height);
      for (let y = 0; y < m.height; y++)
        for (let x = 0; x < m.width; x++)
          out.data.set(
            m.data.subarray((y * m.width + x) * 3, (y * m.width + x) * 3 + 3),
            (y * m.width + m.width - 1 - x) * 3,
          );
      return out;
    };
    expect(diff(resampleLanczos(mirror(img), 14, 3), mirror(resampleLanczos(img, 14, 3))).max).toBeLessThanOrEqual(1);
    expect(resampleLanczos(img, 9, 4)).toBe(img);
    expect(() => resampleLanczos(img, 0, 4)).toThrow('resampleLanczos: size 0x4 must be positive integers');
  });
});
