// The global colour map of the output step (src/mini/colormap.ts), on world scenes whose exact edit is known: night
// lighting and grayscale are found and reproduce the target from the input; a local edit and a change no colour map
// makes are refused, so the output step stays as it was for them.
import { describe, expect, it } from 'vitest';
import type { RGBImage } from '../../src/image/rgb.ts';
import { applyColorMap, globalColorMap, grayMap, lightingMap, regionColorMaps } from '../../src/mini/colormap.ts';
import { editMask } from '../../src/mini/preserve.ts';
import { makeSample, type Sample } from '../../src/world/dataset.ts';

/** The first val sample of `task` (and `instruction` matching, if given). */
function sampleOf(task: string, instruction?: RegExp): Sample {
  for (let i = 0; i < 2000; i++) {
    const s = makeSample({ split: 'val', seed: 0, size: 64 }, i);
    if (s.task === task && (!instruction || instruction.test(s.instruction))) return s;
  }
  throw new Error(`no ${task} sample`);
}

/** Largest channel difference between two images of one size, and the share of pixels off by more than `tol`. */
function diff(a: RGBImage, b: RGBImage, tol: number): { max: number; share: number } {
  let max = 0;
  let n = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(a.data[p * 3 + c] - b.data[p * 3 + c]));
    max = Math.max(max, d);
    if (d > tol) n++;
  }
  return { max, share: n / (a.width * a.height) };
}

describe('globalColorMap', () => {
  for (const [task, instruction] of [
    ['global.daynight', /night/i],
    ['global.daynight', /day/i],
    ['global.grayscale', undefined],
  ] as const) {
    it(`finds the map of ${task} (${instruction ?? 'grey'}) and gives the target back from the input`, () => {
      const s = sampleOf(task, instruction);
      const [input] = s.inputs;
      expect(diff(s.target, input, 8).share).toBeGreaterThan(0.5); // the edit moved most pixels
      const map = globalColorMap(s.target, input, 0.9);
      expect(map).not.toBeNull();
      const mapped = applyColorMap(input, map!);
      const d = diff(mapped, s.target, 3);
      expect(d.share).toBeLessThan(0.01);
    });
  }

  it("a tone edit's own form of the map: grey answers stay grey, and a lighting change is a gain and an offset", () => {
    // an answer that shows few colours pins a full affine map down only where it has pixels; the tone edit's own
    // form (grey: one row for every channel; lighting: per channel) sends every colour where the world does
    for (const [task, instruction] of [
      ['global.grayscale', undefined],
      ['global.daynight', /day/i],
      ['global.daynight', /night/i],
    ] as const) {
      const s = sampleOf(task, instruction);
      const [input] = s.inputs;
      const map = globalColorMap(s.target, input, 0.9)!;
      const own = task === 'global.grayscale' ? grayMap(map) : lightingMap(s.target, input, map);
      expect(diff(applyColorMap(input, own), s.target, 2).share, `${task} ${s.instruction}`).toBeLessThan(0.002);
      if (task === 'global.grayscale') {
        const out = applyColorMap(input, own).data;
        for (let i = 0; i < out.length; i += 3) expect(out[i] === out[i + 1] && out[i] === out[i + 2]).toBe(true);
      } else for (const k of [1, 2, 4, 6, 8, 9]) expect(own[k]).toBe(0); // no channel mixes into another
    }
  });

  it('leaves a local edit alone: the identity explains it', () => {
    const s = sampleOf('local.recolor');
    expect(globalColorMap(s.target, s.inputs[0], 0.9)).toBeNull();
  });

  it('refuses a change no colour map makes (half the image replaced by noise)', () => {
    const s = sampleOf('global.grayscale');
    const [input] = s.inputs;
    const out = { ...s.target, data: s.target.data.slice() };
    let seed = 1;
    for (let i = 0; i < out.data.length * 0.6; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      out.data[i] = seed % 256;
    }
    expect(globalColorMap(out, input, 0.9)).toBeNull();
    expect(globalColorMap(s.target, input, 0.9)).not.toBeNull(); // the same scene without the noise: found
  });
});

describe('regionColorMaps', () => {
  const opts = { threshold: 32, grow: 1 };

  it('gives a recolour back as the input’s shapes in the new colour', () => {
    const s = sampleOf('local.recolor');
    const [input] = s.inputs;
    // the model's answer: the target with noise of up to ±8 levels where it changed
    const mask = editMask(s.target, input, opts);
    const noisy = { ...s.target, data: s.target.data.slice() };
    let seed = 3;
    for (let p = 0; p < mask.length; p++)
      if (mask[p] > 0)
        for (let c = 0; c < 3; c++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          noisy.data[p * 3 + c] = Math.min(255, Math.max(0, noisy.data[p * 3 + c] + (seed % 17) - 8));
        }
    expect(diff(noisy, s.target, 2).share).toBeGreaterThan(0.02);
    const out = regionColorMaps(noisy, input, input, mask, 0.9);
    expect(diff(out, s.target, 2).share).toBeLessThan(0.005);
  });

  it('keeps the model’s pixels where a region is a shape drawn anew (an add)', () => {
    const s = sampleOf('local.add');
    const [input] = s.inputs;
    const mask = editMask(s.target, input, opts);
    expect(Math.max(...mask)).toBe(1);
    expect(regionColorMaps(s.target, input, input, mask, 0.8).data).toEqual(s.target.data);
  });
});
