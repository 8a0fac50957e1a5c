import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createImage, encodePng, type RGBImage, readImage, transparentShare } from '../../src/image/rgb.ts';

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

describe('readImage and EXIF orientation', () => {
  // A phone stores a portrait photo as landscape pixels plus an EXIF tag saying "turn me 90° clockwise"
  // (orientation 6). Viewers, browsers and diffusers' load_image (exif_transpose) show it turned; so must we, or
  // the edit is made on a sideways picture and the answer comes back sideways.
  const stored = async (orientation: number, format: 'jpeg' | 'tiff') => {
    // stored pixels: 40 wide, 20 high; left half red, right half blue
    const img = createImage(40, 20, [0, 0, 255]);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) img.data.set([255, 0, 0], (y * 40 + x) * 3);
    const raw = sharp(Buffer.from(img.data), { raw: { width: 40, height: 20, channels: 3 } });
    const out = format === 'jpeg' ? raw.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }) : raw.tiff();
    return new Uint8Array(await out.withMetadata({ orientation }).toBuffer());
  };
  const at = (img: RGBImage, x: number, y: number) =>
    Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
  const near = (got: number[], want: number[]) => got.every((v, c) => Math.abs(v - want[c]) <= 8);

  it.each(['jpeg', 'tiff'] as const)(
    'turns a %s tagged "rotate 90° clockwise" upright, as viewers show it',
    async (format) => {
      const img = await readImage(await stored(6, format));
      expect([img.width, img.height]).toEqual([20, 40]);
      // turned clockwise, the stored left (red) half is now the top half
      expect(near(at(img, 10, 5), [255, 0, 0])).toBe(true);
      expect(near(at(img, 10, 35), [0, 0, 255])).toBe(true);
    },
  );

  it('reads an untagged or upright-tagged image as stored', async () => {
    for (const orientation of [1]) {
      const img = await readImage(await stored(orientation, 'tiff'));
      expect([img.width, img.height]).toEqual([40, 20]);
      expect(near(at(img, 5, 10), [255, 0, 0])).toBe(true);
      expect(near(at(img, 35, 10), [0, 0, 255])).toBe(true);
    }
  });

  it('mirrors an image tagged "flip horizontally" (orientation 2)', async () => {
    const img = await readImage(await stored(2, 'tiff'));
    expect([img.width, img.height]).toEqual([40, 20]);
    expect(near(at(img, 5, 10), [0, 0, 255])).toBe(true);
    expect(near(at(img, 35, 10), [255, 0, 0])).toBe(true);
  });
});

describe('readImage on an empty file', () => {
  // an upload or a copy that wrote nothing: libvips says "unsupported image format", which sends the user looking
  // for a format problem; the message says the file is empty instead
  it('names an empty file and empty bytes as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kontext-empty-'));
    const path = join(dir, 'photo.png');
    writeFileSync(path, '');
    await expect(readImage(path)).rejects.toThrow(`'${path}' is empty (0 bytes). Give a PNG, JPEG or WebP file.`);
    await expect(readImage(new Uint8Array(0))).rejects.toThrow('the given bytes is empty (0 bytes)');
    // a file with bytes that are no image keeps libvips' reason
    writeFileSync(path, 'hello');
    await expect(readImage(path)).rejects.toThrow(
      /^cannot read an image from .*photo\.png': .*unsupported image format/,
    );
  });
});

describe('transparentShare', () => {
  it('counts the pixels a viewer shows (partly) see-through, whatever the channel layout', async () => {
    const raw = (channels: 1 | 2 | 3 | 4, px: (i: number) => number[]) => {
      const b = Buffer.alloc(8 * 4 * channels);
      for (let i = 0; i < 32; i++) b.set(px(i), i * channels);
      return sharp(b, { raw: { width: 8, height: 4, channels } })
        .png()
        .toBuffer();
    };
    expect(await transparentShare(await raw(3, () => [1, 2, 3]))).toBe(0); // no alpha
    expect(await transparentShare(await raw(4, () => [1, 2, 3, 255]))).toBe(0); // alpha, all opaque
    expect(await transparentShare(await raw(4, (i) => [1, 2, 3, i < 8 ? 0 : 255]))).toBe(0.25);
    expect(await transparentShare(await raw(4, (i) => [1, 2, 3, i < 4 ? 254 : 255]))).toBe(0.125); // partly
    expect(await transparentShare(await raw(2, (i) => [90, i % 2 ? 0 : 255]))).toBe(0.5); // grey + alpha
  });
});
