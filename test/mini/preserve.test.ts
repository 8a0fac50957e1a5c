// Keeping the input's pixels outside the edit: the mask's rules on drawn cases, and the editor's wiring (full-size
// composite over the caller's own image) on the tiny random model.
import { describe, expect, it } from 'vitest';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { fitSquare } from '../../src/mini/fit.ts';
import { composite, editMask, maskImage, type PreserveOptions, settled } from '../../src/mini/preserve.ts';
import { tinyPipeline } from './tiny.ts';

const opts: PreserveOptions = { threshold: 32, grow: 2 };

function scene(): RGBImage {
  const img = createImage(24, 24, [200, 200, 200]);
  for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) img.data.set([30, 60, 200], (y * 24 + x) * 3);
  return img;
}

/** `img` with the square [x0, x1)² painted `rgb`. */
function paint(img: RGBImage, x0: number, x1: number, rgb: [number, number, number]): RGBImage {
  const out = { ...img, data: img.data.slice() };
  for (let y = x0; y < x1; y++) for (let x = x0; x < x1; x++) out.data.set(rgb, (y * img.width + x) * 3);
  return out;
}

/** `img` with every value moved by `d` (clamped): what an autoencoder's blur does to a flat scene, at most. */
const shifted = (img: RGBImage, d: number): RGBImage => ({
  ...img,
  data: img.data.map((v) => Math.min(255, Math.max(0, v + d))),
});

const at = (m: Float32Array, x: number, y: number) => m[y * 24 + x]!;

describe('edit mask', () => {
  it('an output equal to the round trip is all kept: the composite is the input, exactly', () => {
    const input = scene();
    const roundTrip = shifted(input, 9);
    const m = editMask(roundTrip, roundTrip, opts);
    expect(Math.max(...m)).toBe(0);
    expect(composite(roundTrip, input, maskImage(m, 24, 24)).data).toEqual(input.data);
  });

  it('differences at or under the threshold are the autoencoder, not the edit', () => {
    const roundTrip = scene();
    const m = editMask(shifted(roundTrip, 32), roundTrip, opts);
    expect(Math.max(...m)).toBe(0);
    expect(Math.max(...editMask(shifted(roundTrip, 33), roundTrip, opts))).toBe(1);
  });

  it('an edited square keeps the model’s pixels on it and its rim, the input’s far away, feathered between', () => {
    const input = scene();
    const roundTrip = shifted(input, -5);
    const output = paint(roundTrip, 12, 16, [220, 40, 40]); // the edit: a red square at 12..15
    const m = editMask(output, roundTrip, opts);
    // grown by 2 (10..17), then blurred: 1 on 11..16, a seam of 2/3 and 1/3 outside
    for (let y = 11; y < 17; y++) for (let x = 11; x < 17; x++) expect(at(m, x, y), `(${x},${y})`).toBe(1);
    expect(at(m, 10, 13)).toBeCloseTo(2 / 3, 6);
    expect(at(m, 9, 13)).toBeCloseTo(1 / 3, 6);
    expect(at(m, 8, 13)).toBe(0);
    expect(at(m, 3, 3)).toBe(0); // the untouched blue square
    const out = composite(output, input, maskImage(m, 24, 24));
    for (let y = 12; y < 16; y++)
      for (let x = 12; x < 16; x++)
        expect([...out.data.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3)]).toEqual([220, 40, 40]);
    expect(out.data.subarray(0, 24 * 8 * 3)).toEqual(input.data.subarray(0, 24 * 8 * 3)); // rows 0..7: the input's own
  });

  it('an edit reaching the border stays whole up to the border', () => {
    const roundTrip = scene();
    const m = editMask(paint(roundTrip, 0, 4, [0, 0, 0]), roundTrip, opts);
    expect(at(m, 0, 0)).toBe(1);
  });

  it('a global edit passes through: every pixel is the model’s', () => {
    const roundTrip = scene();
    const output = shifted(roundTrip, 60);
    const m = editMask(output, roundTrip, opts);
    expect(Math.min(...m)).toBe(1);
    expect(composite(output, scene(), maskImage(m, 24, 24)).data).toEqual(output.data);
  });

  it('with `chroma`, a pastel turned grey counts as edited though no channel moved past the threshold', () => {
    const roundTrip = createImage(24, 24, [250, 225, 210]); // a pastel: chroma 40
    const grey = createImage(24, 24, [228, 228, 228]); // each channel within 22 of it: chroma 0
    expect(Math.max(...editMask(grey, roundTrip, opts))).toBe(0); // by channel alone: reverted to the pastel
    expect(Math.min(...editMask(grey, roundTrip, { ...opts, chroma: 24 }))).toBe(1); // chroma fell by 40 > 24
    expect(Math.max(...editMask(grey, roundTrip, { ...opts, chroma: 40 }))).toBe(0); // not more than 40
    // a shift that keeps the colourfulness (the autoencoder's kind of error) is still not an edit
    expect(Math.max(...editMask(shifted(roundTrip, -20), roundTrip, { ...opts, chroma: 24 }))).toBe(0);
  });

  it('a thing kept is no edit: its smudge does not spread to the ground around it', () => {
    const roundTrip = scene(); // the blue square on 2..5
    const kept = new Uint8Array(24 * 24);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) kept[y * 24 + x] = 1;
    // the model smudged the square (each pixel 40 off) and left the ground within the threshold (12 off)
    const output = paint(shifted(roundTrip, 12), 2, 6, [70, 100, 240]);
    const m = editMask(output, roundTrip, opts, kept);
    expect(Math.max(...m)).toBe(0); // the ground around it is the input's: nothing of the model's is laid
    // without `kept`, the smudge is an edit grown by 2 and feathered: the ground around it would be the model's
    const spread = editMask(output, roundTrip, opts);
    expect(at(spread, 6, 3)).toBe(1);
    expect(at(spread, 7, 3)).toBeCloseTo(2 / 3, 6);
    // an edit beside the kept thing still grows over the ground between them
    const edited = editMask(paint(output, 8, 10, [220, 40, 40]), roundTrip, opts, kept);
    expect(at(edited, 7, 8)).toBe(1);
    expect(at(edited, 6, 8)).toBeCloseTo(2 / 3, 6);
    expect(at(edited, 3, 3)).toBe(0);
  });

  it('refuses bad options and mismatched sizes, saying which', () => {
    const a = scene();
    expect(() => editMask(a, a, { threshold: 32, grow: 0 })).toThrow(/grow must be an integer ≥ 1, got 0/);
    expect(() => editMask(a, a, { threshold: 255, grow: 2 })).toThrow(/threshold must be from 0 to 254, got 255/);
    expect(() => editMask(a, a, { threshold: 32, grow: 1, chroma: -1 })).toThrow(
      /chroma must be from 0 to 254, got -1/,
    );
    expect(() => editMask(a, createImage(24, 20), opts)).toThrow(/editMask: sizes differ \(24x24 and 24x20\)/);
  });
});

describe('settled', () => {
  it("gives back the original's pixels the composite moved by at most two levels, and keeps every larger change", () => {
    const original = scene();
    const moved = { ...original, data: Uint8Array.from(original.data) };
    const d = moved.data;
    d[0] = Math.min(255, d[0]! + 2); // pixel 0: two levels in one channel
    d[3] = Math.max(0, d[3]! - 1); // pixel 1: a level in each channel
    d[4] = Math.max(0, d[4]! - 1);
    d[5] = Math.max(0, d[5]! - 1);
    d[6] = d[6]! > 128 ? d[6]! - 3 : d[6]! + 3; // pixel 2: three levels, an edit's
    d[9] = d[9]! > 128 ? d[9]! - 60 : d[9]! + 60; // pixel 3: an edit
    const out = settled(moved, original);
    expect([...out.data.subarray(0, 6)]).toEqual([...original.data.subarray(0, 6)]);
    expect([...out.data.subarray(6, 12)]).toEqual([...moved.data.subarray(6, 12)]);
    expect(out.data.subarray(12)).toEqual(original.data.subarray(12));
    expect(() => settled(original, createImage(24, 20))).toThrow(/settled: sizes differ \(24x24 and 24x20\)/);
  });
});

describe('MiniEditor with preserve', () => {
  /** The tiny random model with a preservation setting. */
  function editor(preserve?: PreserveOptions): MiniEditor {
    const pipe = tinyPipeline();
    pipe.model.config.sampling.preserve = preserve;
    return new MiniEditor(pipe);
  }
  const input = () => {
    const img = createImage(50, 30, [200, 180, 40]);
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 50; x++) if ((x >> 3) % 2) img.data.set([20, 60, 220], (y * 50 + x) * 3);
    return img;
  };
  const req = { prompt: 'make the circle blue', seed: 4 };

  it('where nothing counts as edited, the answer is the caller’s image at its own size, exactly', async () => {
    const img = input();
    const { image } = await editor({ threshold: 254, grow: 1 }).edit({ ...req, image: img });
    expect([image.width, image.height]).toEqual([50, 30]);
    expect(image.data).toEqual(img.data);
  });

  it('where everything counts as edited, or preserve is off, the answer is the transformer’s', async () => {
    const raw = (await editor().edit({ ...req, image: input() })).image;
    const all = (await editor({ threshold: 0, grow: 3 }).edit({ ...req, image: input() })).image;
    const off = (await editor({ threshold: 254, grow: 1 }).edit({ ...req, image: input(), preserve: false })).image;
    expect(all.data).toEqual(raw.data);
    expect(off.data).toEqual(raw.data);
    expect(raw.data).not.toEqual(input().data);
  });

  it('with colorMap, a grey answer keeps the caller’s image through the map: its luma at its own size', async () => {
    const img = input(); // 50×30: letterboxed into the tiny model's square
    const ed = editor({ threshold: 32, grow: 1, colorMap: 0.9 });
    const fitted = await fitSquare(img, ed.resolution);
    // as if the model had turned the input's round trip (here: the fitted input itself) grey
    const luma = (d: Uint8Array, i: number) => Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]);
    const grey = (x: RGBImage): RGBImage => {
      const data = new Uint8Array(x.data.length);
      for (let i = 0; i < data.length; i += 3) data.fill(luma(x.data, i), i, i + 3);
      return { ...x, data };
    };
    const answer = await ed.answer(grey(fitted.image), img, fitted, true, fitted.image);
    expect([answer.width, answer.height]).toEqual([50, 30]);
    for (let i = 0; i < img.data.length; i += 3)
      for (let c = 0; c < 3; c++) expect(Math.abs(answer.data[i + c] - luma(img.data, i))).toBeLessThanOrEqual(1);
    // without colorMap the same answer is the model's grey scaled back (the stripes' edges blurred by the resize)
    const plain = await editor({ threshold: 32, grow: 1 }).answer(grey(fitted.image), img, fitted, true, fitted.image);
    expect(plain.data).not.toEqual(answer.data);
  });

  it('an edit kept from the answer keeps the input where the answer moved a pixel by a level or two (settled)', async () => {
    const img = createImage(32, 32, [200, 180, 40]); // the tiny model's square: fitted as it is
    const ed = editor({ threshold: 32, grow: 1 });
    const fitted = await fitSquare(img, ed.resolution);
    // the model's answer: a patch drawn (an edit, 60 levels), the pixels around it two levels off (its faint noise,
    // inside the edit mask as it grows by a pixel)
    const out = paint(img, 10, 14, [140, 240, 100]);
    const ring: number[] = [];
    for (let y = 9; y < 15; y++)
      for (let x = 9; x < 15; x++)
        if (x === 9 || x === 14 || y === 9 || y === 14) {
          out.data.set([202, 182, 42], (y * 32 + x) * 3);
          ring.push(y * 32 + x);
        }
    const answer = await ed.answer(out, img, fitted, true, fitted.image);
    expect([...answer.data.subarray((11 * 32 + 11) * 3, (11 * 32 + 11) * 3 + 3)]).toEqual([140, 240, 100]);
    for (const p of ring) expect([...answer.data.subarray(p * 3, p * 3 + 3)], `pixel ${p}`).toEqual([200, 180, 40]);
  });

  it("with colorMap, an edited region one map explains is the input's own pixels through that map (regionColorMaps)", async () => {
    const img = createImage(32, 32, [128, 128, 128]); // the tiny model's square: fitted as it is
    // two striped squares, recoloured by two maps no one map of the whole picture explains
    const stripes = (x0: number, y0: number) => {
      for (let y = y0; y < y0 + 12; y++)
        for (let x = x0; x < x0 + 12; x++) img.data.set(x % 2 ? [200, 180, 40] : [20, 60, 220], (y * 32 + x) * 3);
    };
    stripes(2, 2);
    stripes(18, 18);
    const ed = editor({ threshold: 32, grow: 1, colorMap: 0.9 });
    const fitted = await fitSquare(img, ed.resolution);
    const out = { ...img, data: Uint8Array.from(img.data) };
    for (let p = 0; p < 32 * 32; p++) {
      const [r, g, b] = [...img.data.subarray(p * 3, p * 3 + 3)] as [number, number, number];
      const [x, y] = [p % 32, Math.floor(p / 32)];
      if (x >= 2 && x < 14 && y >= 2 && y < 14) out.data.set([g, b, r], p * 3); // the first: channels turned
      if (x >= 18 && y >= 18 && x < 30 && y < 30) out.data.set([255 - r, g, b], p * 3); // the second: red inverted
    }
    // and one pixel of the first smudged by the model
    const at = (6 * 32 + 6) * 3;
    const own = [...out.data.subarray(at, at + 3)];
    out.data.set(
      own.map((v) => Math.max(0, v - 40)),
      at,
    );
    const answer = await ed.answer(out, img, fitted, true, fitted.image);
    expect([...answer.data.subarray(at, at + 3)]).toEqual(own);
  });

  it('a tone edit is the input through the map everywhere: what else the model changed is dropped', async () => {
    const img = input();
    const ed = editor({ threshold: 32, grow: 1, colorMap: 0.9 });
    const fitted = await fitSquare(img, ed.resolution);
    // as if the model had darkened the fitted input by a gain and an offset, and smudged one patch besides
    const dark = { ...fitted.image, data: fitted.image.data.map((v) => Math.round(v * 0.5) + 20) };
    const n = fitted.image.width;
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) dark.data.set([250, 0, 250], (y * n + x) * 3);
    const tone = await ed.answer(dark, img, fitted, true, fitted.image, ed.toneOf('make it night'));
    expect([tone.width, tone.height]).toEqual([50, 30]);
    for (let i = 0; i < img.data.length; i++)
      expect(Math.abs(tone.data[i] - (img.data[i] * 0.5 + 20))).toBeLessThanOrEqual(1);
    // read as no tone edit, the smudge is the model's and stays
    const plain = await ed.answer(dark, img, fitted, true, fitted.image, ed.toneOf('make the circle blue'));
    expect(plain.data).not.toEqual(tone.data);
  });

  it('text-to-image has nothing to keep', async () => {
    const a = (await editor({ threshold: 254, grow: 1 }).generate(req)).image;
    const b = (await editor().generate(req)).image;
    expect(a.data).toEqual(b.data);
  });
});
