// Fuzzing readImage with image headers and bytes: valid PNG/JPEG/WebP/GIF/TIFF files mutated byte by byte, cut
// short, given other dimensions in their headers (PNG with a correct CRC, so the decoder believes them), and random
// bytes. Every input must decode to an RGB image of at most MAX_INPUT_PIXELS whose data has width·height·3 bytes, or
// give a UserError; never another error and never a hang (each case has a time limit).
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { MAX_INPUT_PIXELS, readImage } from '../../src/image/rgb.ts';
import { check, fc, outcome, valueOrDocumentedError } from './fuzz.ts';

const seeds: Uint8Array[] = [];
let previousConcurrency = 0;
beforeAll(async () => {
  previousConcurrency = sharp.concurrency();
  sharp.concurrency(1); // one libvips thread: the fuzzer must not take the machine
  sharp.cache(false);
  const px = (w: number, h: number, channels: 3 | 4) =>
    sharp(Buffer.from(Array.from({ length: w * h * channels }, (_, i) => (i * 37) & 255)), {
      raw: { width: w, height: h, channels },
    });
  seeds.push(
    await px(7, 5, 3).png().toBuffer(),
    await px(6, 4, 4).png().toBuffer(),
    await px(5, 5, 3).greyscale().png().toBuffer(),
    await px(4, 3, 3).toColourspace('rgb16').png().toBuffer(),
    await px(8, 8, 3).png({ palette: true }).toBuffer(),
    await px(9, 7, 3).jpeg({ quality: 80 }).toBuffer(),
    await px(16, 16, 3).jpeg({ progressive: true }).toBuffer(),
    await px(6, 6, 3).webp().toBuffer(),
    await px(5, 4, 3).gif().toBuffer(),
    await px(4, 4, 3).tiff().toBuffer(),
  );
});
afterAll(() => {
  sharp.concurrency(previousConcurrency);
});

/** Set a PNG's IHDR width and height and fix its CRC, so that the decoder trusts the new size. */
function pngWithSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const b = Uint8Array.from(png);
  const v = new DataView(b.buffer);
  if (b.length < 33 || v.getUint32(12) !== 0x49484452 /* IHDR */) return b;
  v.setUint32(16, width >>> 0);
  v.setUint32(20, height >>> 0);
  v.setUint32(29, crc32(b.subarray(12, 29)) >>> 0);
  return b;
}

/** Set the size in a JPEG's first start-of-frame marker. */
function jpegWithSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const b = Uint8Array.from(jpeg);
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) {
      const v = new DataView(b.buffer);
      v.setUint16(i + 5, height & 0xffff);
      v.setUint16(i + 7, width & 0xffff);
      break;
    }
  }
  return b;
}

const dimension = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 2, arbitrary: fc.constantFrom(65535, 65536, 100_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 8193, 8192, 4096) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
);

type Mutation = { kind: number; at: number; byte: number; len: number; w: number; h: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.integer({ min: 0, max: 5 }),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
  len: fc.integer({ min: 1, max: 32 }),
  w: dimension,
  h: dimension,
});

function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 0 && b.length) b[at] = m.byte;
    else if (m.kind === 1) b = b.subarray(0, at);
    else if (m.kind === 2)
      b = Uint8Array.from([...b.subarray(0, at), ...new Uint8Array(m.len).fill(m.byte), ...b.subarray(at)]);
    else if (m.kind === 3) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + m.len))]);
    else if (m.kind === 4 || m.kind === 5) {
      // a header that claims another size: small, just under or over the limit, or far past it (the decoders stop
      // at the first corrupt row, so even a 64 MP claim over a few bytes fails in milliseconds)
      b = b[0] === 0x89 ? pngWithSize(b, m.w, m.h) : b[0] === 0xff ? jpegWithSize(b, m.w, m.h) : b;
    }
  }
  return b;
}

const input: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.nat().map((i) => seeds[i % seeds.length]) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([i, ms]) => mutate(seeds[i % seeds.length], ms)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          [0xff, 0xd8, 0xff],
          [0x52, 0x49, 0x46, 0x46],
          [0x47, 0x49, 0x46, 0x38],
        ),
        fc.uint8Array({ maxLength: 64 }),
      )
      .map(([magic, rest]) => Uint8Array.from([...magic, ...rest])),
  },
);

describe('fuzz: image headers into readImage', () => {
  it('readImage: an RGB image of at most MAX_INPUT_PIXELS with width·height·3 bytes, or a UserError', async () => {
    await check(
      'image bytes',
      fc.asyncProperty(input, async (bytes) => {
        const img = await valueOrDocumentedError(() => readImage(bytes));
        if (!img) return void outcome('refused');
        outcome('decoded');
        expect(img.width).toBeGreaterThan(0);
        expect(img.height).toBeGreaterThan(0);
        expect(img.width * img.height).toBeLessThanOrEqual(MAX_INPUT_PIXELS);
        expect(img.data.length).toBe(img.width * img.height * 3);
      }),
      250,
      { timeout: 20_000 },
    );
  });
});

describe('image regressions', () => {
  it('a PNG header claiming 65535 × 65535 pixels is refused before decoding', async () => {
    const t0 = performance.now();
    await expect(readImage(pngWithSize(seeds[0], 65535, 65535))).rejects.toThrow(
      /is 65535x65535 = 4294\.8 MP, above the limit of 64 MP/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a JPEG whose header claims another size is a UserError, not a crash', async () => {
    await expect(readImage(jpegWithSize(seeds[5], 3000, 2000))).rejects.toThrow(UserError);
  });

  it('an SVG drawing is refused (a renderer that may follow links to files), raster formats decode', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="red"/></svg>',
    );
    await expect(readImage(svg)).rejects.toThrow(/is an SVG drawing, not a picture kontext reads/);
    for (const s of seeds) expect((await readImage(s)).data.length).toBeGreaterThan(0);
  });

  it('a 16-bit PNG decodes to 8-bit RGB of the right length', async () => {
    const img = await readImage(seeds[3]);
    expect(img.data.length).toBe(4 * 3 * 3);
  });
});
