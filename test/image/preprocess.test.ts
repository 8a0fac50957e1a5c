import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  aspectRatioSize,
  checkTargetSize,
  chooseBucket,
  KONTEXT_RESOLUTIONS,
  kontextBuckets,
  preprocessKontextImage,
  resizeLanczos,
  targetSize,
  toCHW,
  toImage,
} from '../../src/image/preprocess.ts';
import { createImage } from '../../src/image/rgb.ts';

async function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Uint8Array> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

const sizeOf = (b: { width: number; height: number }) => `${b.width}x${b.height}`;

describe('Kontext buckets', () => {
  it('are the 17 reference resolutions (≈1 MP, multiples of 16) at area 1024²', () => {
    expect(KONTEXT_RESOLUTIONS.length).toBe(17);
    expect(kontextBuckets().map((b) => [b.width, b.height])).toEqual(KONTEXT_RESOLUTIONS.map(([w, h]) => [w, h]));
    for (const [w, h] of KONTEXT_RESOLUTIONS) {
      expect(w % 16 === 0 && h % 16 === 0).toBe(true);
      expect(Math.abs((w * h) / 1024 ** 2 - 1)).toBeLessThan(0.04);
    }
  });

  it('scale to other areas with the same aspect ratios, rounded to multiples of 16', () => {
    const small = kontextBuckets(256 * 256);
    expect(small.map(sizeOf).slice(0, 3)).toEqual(['176x400', '176x384', '176x368']);
    expect(small).toContainEqual({ width: 256, height: 256 });
    for (const b of small) {
      expect(b.width % 16 === 0 && b.height % 16 === 0).toBe(true);
      expect(Math.abs((b.width * b.height) / 256 ** 2 - 1)).toBeLessThan(0.15);
    }
    // at 64² several ratios collapse onto one size: duplicates are dropped
    expect(kontextBuckets(64 * 64).map(sizeOf)).toEqual(['48x96', '48x80', '64x64', '80x48', '96x48']);
    expect(() => kontextBuckets(100)).toThrow('bucket area 100 is too small');
  });

  it('chooses the bucket nearest to the exact input aspect ratio (BFL rule)', () => {
    const cases: [number, number, string][] = [
      [1000, 1000, '1024x1024'], // 1:1
      [1920, 1080, '1392x752'], // 16:9 = 1.778: 1.851 is nearer than 1.660
      [1080, 1920, '752x1392'],
      [1024, 768, '1184x880'], // 4:3 = 1.333: 1.3455
      [1500, 1000, '1248x832'], // 3:2 exactly
      [2100, 900, '1568x672'], // 21:9 = 2.333 exactly
      [2000, 1000, '1456x720'], // 2:1: 2.022 beats 2.186
      [5000, 100, '1568x672'], // extremes clamp to the ends of the list
      [100, 5000, '672x1568'],
      [1, 1, '1024x1024'],
    ];
    for (const [w, h, want] of cases) expect(sizeOf(chooseBucket(w, h)), `${w}x${h}`).toBe(want);
    expect(sizeOf(chooseBucket(1920, 1080, 256 * 256))).toBe('352x192');
  });

  it('aspectRatioSize follows BFL aspect_ratio_to_height_width ("16:9" → 1360×768)', () => {
    expect(aspectRatioSize('16:9')).toEqual({ width: 1360, height: 768 });
    expect(aspectRatioSize('1:1')).toEqual({ width: 1024, height: 1024 });
    expect(aspectRatioSize(0.5)).toEqual({ width: 720, height: 1440 });
    expect(() => aspectRatioSize('wide')).toThrow(`aspect ratio 'wide' must look like "16:9"`);
  });

  it('validates target sizes: multiples of 16 and limits', () => {
    expect(() => checkTargetSize({ width: 1024, height: 768 })).not.toThrow();
    expect(() => checkTargetSize({ width: 1000, height: 768 })).toThrow(
      'target size 1000x768: both sides must be multiples of 16 (e.g. 1008x768)',
    );
    expect(() => checkTargetSize({ width: 8192, height: 16 })).toThrow('target size 8192x16 is too large');
    expect(() => checkTargetSize({ width: 4096, height: 4096 })).toThrow('limit 4096 per side and 4 MP');
    expect(() => checkTargetSize({ width: 0, height: 16 })).toThrow('width and height must be positive integers');
    expect(targetSize({ width: 1392, height: 752 })).toEqual({ width: 1392, height: 752 });
    expect(targetSize({ width: 1392, height: 752 }, { width: 512 })).toEqual({ width: 512, height: 752 });
    expect(targetSize({ width: 1392, height: 752 }, { aspectRatio: '16:9' })).toEqual({ width: 1360, height: 768 });
    expect(() => targetSize({ width: 1392, height: 752 }, { height: 500 })).toThrow('multiples of 16');
  });
});

describe('preprocessKontextImage', () => {
  it('resizes a 3:2 PNG to its bucket and maps to [-1, 1] CHW', async () => {
    const k = await preprocessKontextImage(await solidPng(300, 200, [255, 0, 64]));
    expect([k.width, k.height]).toEqual([1248, 832]);
    expect(k.source).toEqual({ width: 300, height: 200 });
    const n = k.width * k.height;
    expect(k.data.length).toBe(3 * n);
    // a solid image stays solid through Lanczos; r = 255/127.5 − 1 = 1, g = −1, b = 64/127.5 − 1
    expect(new Set(k.data.subarray(0, n))).toEqual(new Set([1]));
    expect(new Set(k.data.subarray(n, 2 * n))).toEqual(new Set([-1]));
    expect(new Set(k.data.subarray(2 * n))).toEqual(new Set([Math.fround(64 / 127.5 - 1)]));
  });

  it('uses a smaller bucket area or an explicit size', async () => {
    const img = createImage(160, 90, [10, 20, 30]);
    const small = await preprocessKontextImage(img, { area: 256 * 256 });
    expect([small.width, small.height]).toEqual([352, 192]);
    const fixed = await preprocessKontextImage(img, { size: { width: 64, height: 48 } });
    expect([fixed.width, fixed.height, fixed.data.length]).toEqual([64, 48, 3 * 64 * 48]);
    await expect(preprocessKontextImage(img, { size: { width: 60, height: 48 } })).rejects.toThrow(
      'conditioning size 60x48: both sides must be multiples of 16',
    );
  });

  it('keeps the image content in place (a left/right split survives the resize)', async () => {
    const img = createImage(200, 100, [0, 0, 0]);
    for (let y = 0; y < 100; y++) for (let x = 100; x < 200; x++) img.data.set([255, 255, 255], (y * 200 + x) * 3);
    const r = await resizeLanczos(img, 64, 32);
    expect([r.width, r.height]).toEqual([64, 32]);
    expect(r.data[(16 * 64 + 4) * 3]).toBe(0); // far left: black
    expect(r.data[(16 * 64 + 60) * 3]).toBe(255); // far right: white
  });

  it('rejects what is not an image, zero-size and oversized images', async () => {
    const err = await preprocessKontextImage(new TextEncoder().encode('not an image')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('cannot read an image from the given bytes');
    await expect(preprocessKontextImage({ width: 0, height: 10, data: new Uint8Array(0) })).rejects.toThrow(
      'image has zero size (0x10)',
    );
    await expect(preprocessKontextImage({ width: 10000, height: 10000, data: new Uint8Array(0) })).rejects.toThrow(
      'image is 10000x10000, above the limit of 64 MP',
    );
    await expect(preprocessKontextImage('/nonexistent/cup.png')).rejects.toThrow(
      "cannot read an image from '/nonexistent/cup.png'",
    );
  });
});

describe('toCHW / toImage', () => {
  it('toImage clamps to [-1, 1] and truncates 127.5·(x + 1) (BFL save_image)', () => {
    const v = new Float32Array([-2, -1, -0.5, 0, 0.999, 1, 3, NaN]);
    // one "pixel row": 8 pixels of channel R, G = B = -1
    const chw = new Float32Array(3 * 8).fill(-1);
    chw.set(v, 0);
    const img = toImage(chw, 1, 8);
    expect([...img.data].filter((_, i) => i % 3 === 0)).toEqual([0, 0, 63, 127, 254, 255, 255, 0]);
    expect([...img.data].filter((_, i) => i % 3 !== 0).every((x) => x === 0)).toBe(true);
  });

  it('toCHW is channel-major; toImage∘toCHW loses at most 1 (truncation after f32 rounding, as BFL)', () => {
    const img = createImage(16, 1);
    for (let i = 0; i < 48; i++) img.data[i] = (i * 37) % 256;
    img.data.set([0, 128, 255], 0);
    const chw = toCHW(img);
    expect([chw[0], chw[16], chw[32]]).toEqual([-1, Math.fround(128 / 127.5 - 1), 1]);
    const back = toImage(chw, 1, 16);
    for (let i = 0; i < 48; i++) expect(img.data[i] - back.data[i]).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 48; i++) expect(img.data[i] - back.data[i]).toBeLessThanOrEqual(1);
    expect(() => toImage(new Float32Array(5), 1, 2)).toThrow('toImage: 5 values, a 3x1x2 image needs 6');
  });
});
