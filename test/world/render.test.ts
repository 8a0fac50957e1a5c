import { describe, expect, it } from 'vitest';
import { hashSeed, Rng } from '../../src/engine/random.ts';
import { DEFAULT_SIZE, render } from '../../src/world/render.ts';
import {
  OBJECT_COLOR_NAMES,
  colorDistance,
  OBJECT_COLORS,
  BACKGROUND_COLORS,
  lightPixel,
} from '../../src/world/palette.ts';
import { SHAPES, SIZE_NAMES, STYLES } from '../../src/world/shapes.ts';
import { GLYPHS, LETTERS } from '../../src/world/font.ts';
import { IDENTITY_COUNT, identityId, identityTraits } from '../../src/world/characters.ts';
import { VOCABULARY } from '../../src/world/vocabulary.ts';
import type { Scene } from '../../src/world/scene.ts';

const scene: Scene = {
  background: { kind: 'gradient', from: 'sky', to: 'peach' },
  time: 'day',
  grayscale: false,
  objects: [
    { id: 0, shape: 'circle', color: 'red', size: 'large', style: 'filled', x: 0.25, y: 0.25 },
    { id: 1, shape: 'star', color: 'blue', size: 'medium', style: 'striped', x: 0.75, y: 0.25 },
  ],
  text: { word: 'CAT', color: 'black', x: 0.25, y: 0.75 },
  character: { identity: 42, size: 'small', x: 0.72, y: 0.72 },
};

describe('prng', () => {
  it('is deterministic by seed and uniform-ish', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(new Rng(124).next()).not.toBe(new Rng(123).next());
  });

  it('hashSeed separates its parts', () => {
    expect(hashSeed(1, 'train', 0)).toBe(hashSeed(1, 'train', 0));
    const hs = new Set([
      hashSeed(1, 'train', 0),
      hashSeed(1, 'val', 0),
      hashSeed(1, 'train', 1),
      hashSeed(2, 'train', 0),
      hashSeed('ab', 'c'),
      hashSeed('a', 'bc'),
    ]);
    expect(hs.size).toBe(6);
  });
});

describe('render', () => {
  it('is deterministic and survives a JSON round trip of the scene', () => {
    const a = render(scene);
    const b = render(JSON.parse(JSON.stringify(scene)));
    expect(a.width).toBe(DEFAULT_SIZE);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });

  it('renders every size from 32 to 256 and rejects others', () => {
    for (const s of [32, 48, 64, 100, 128, 256]) {
      const img = render(scene, s);
      expect(img.width).toBe(s);
      expect(img.height).toBe(s);
      expect(img.data.length).toBe(s * s * 3);
    }
    expect(() => render(scene, 31)).toThrow(/32, 256/);
    expect(() => render(scene, 257)).toThrow(/32, 256/);
    expect(() => render(scene, 64.5)).toThrow(/integer/);
  });

  it('draws the items where the scene says', () => {
    const img = render(scene, 64);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    expect(px(16, 16)).toEqual([...OBJECT_COLORS.red]); // centre of the filled red circle
    expect(px(1, 0)).toEqual([...BACKGROUND_COLORS.sky]); // top row is the gradient's first colour
    expect(px(1, 63)).toEqual([...BACKGROUND_COLORS.peach]);
  });

  it('night and grayscale are per-pixel transforms of the day image', () => {
    const day = render(scene);
    const night = render({ ...scene, time: 'night' });
    const gray = render({ ...scene, grayscale: true });
    for (let i = 0; i < day.data.length; i += 3) {
      const l = lightPixel([day.data[i]!, day.data[i + 1]!, day.data[i + 2]!], 'night');
      expect([night.data[i], night.data[i + 1], night.data[i + 2]]).toEqual(l);
      expect(gray.data[i]).toBe(gray.data[i + 1]);
      expect(gray.data[i]).toBe(gray.data[i + 2]);
    }
  });
});

describe('world inventory', () => {
  it('has at least 5 shapes x 8 colours x 3 sizes, 4 styles, well separated colours', () => {
    expect(SHAPES.length).toBeGreaterThanOrEqual(5);
    expect(OBJECT_COLOR_NAMES.length).toBeGreaterThanOrEqual(8);
    expect(SIZE_NAMES.length).toBeGreaterThanOrEqual(3);
    expect(STYLES).toEqual(expect.arrayContaining(['filled', 'outline', 'striped', 'dotted']));
    for (const a of OBJECT_COLOR_NAMES)
      for (const b of OBJECT_COLOR_NAMES)
        if (a < b) expect(colorDistance(OBJECT_COLORS[a], OBJECT_COLORS[b])).toBeGreaterThan(80);
  });

  it('has >= 50 character identities that all render differently', () => {
    expect(IDENTITY_COUNT).toBeGreaterThanOrEqual(50);
    const seen = new Set<string>();
    for (let id = 0; id < IDENTITY_COUNT; id++) {
      expect(identityId(identityTraits(id))).toBe(id);
      const img = render(
        { ...scene, objects: [], text: null, character: { identity: id, size: 'large', x: 0.5, y: 0.5 } },
        64,
      );
      seen.add(Buffer.from(img.data).toString('base64'));
    }
    expect(seen.size).toBe(IDENTITY_COUNT);
  });

  it('has a font with distinct letters and a 3-5 letter vocabulary', () => {
    const glyphs = new Set([...LETTERS].map((c) => GLYPHS.get(c)!.join('')));
    expect(glyphs.size).toBe(26);
    for (const w of VOCABULARY) {
      expect(w).toMatch(/^[A-Z]{3,5}$/);
    }
    expect(new Set(VOCABULARY).size).toBe(VOCABULARY.length);
  });
});
