import { describe, expect, it } from 'vitest';
import { createImage, encodePng, readImage } from '../../src/image/rgb.ts';

describe('RGB images', () => {
  it('createImage fills every pixel (odd sizes too) and survives a PNG round trip', async () => {
    for (const [w, h] of [
      [1, 1],
      [3, 5],
      [7, 1],
      [33, 17],
    ]) {
      const img = createImage(w, h, [1, 2, 250]);
      expect(img.data.length).toBe(w * h * 3);
      for (let i = 0; i < w * h; i++)
        expect([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]]).toEqual([1, 2, 250]);
      const back = await readImage(await encodePng(img));
      expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
    }
    expect(createImage(0, 4).data.length).toBe(0);
  });
});
