import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { getSchedule, linspaceF32, shiftMu } from '../../src/sampling/schedule.ts';
import { fixture } from '../io/fixtures.ts';

let cases: Record<string, number[]>;
beforeAll(async () => {
  cases = JSON.parse(await readFile(fixture('schedules.json'), 'utf8'));
});

/** "28@4096" → 28 steps at 4096 tokens; ":noshift" → shift off */
function parse(key: string): { steps: number; seqLen: number; shift: boolean } {
  const [steps, rest] = key.split('@');
  const [seqLen, flag] = rest.split(':');
  return { steps: Number(steps), seqLen: Number(seqLen), shift: flag !== 'noshift' };
}

describe('getSchedule (BFL get_schedule)', () => {
  it('matches every case of schedules.json (max error 0: bit-exact f32)', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(7);
    let maxErr = 0;
    for (const [key, ref] of Object.entries(cases)) {
      const { steps, seqLen, shift } = parse(key);
      const got = getSchedule(steps, seqLen, { shift });
      expect(got.length, key).toBe(steps + 1);
      for (let i = 0; i < ref.length; i++) {
        const err = Math.abs(got[i] - ref[i]);
        expect(err, `${key}[${i}]`).toBeLessThanOrEqual(1e-6);
        maxErr = Math.max(maxErr, err);
      }
    }
    expect(maxErr).toBe(0);
  });

  it('matches the schedule used by the denoise fixture (4 steps, 24 target tokens)', async () => {
    const denoise = JSON.parse(await readFile(fixture('flux-tiny-denoise.json'), 'utf8'));
    expect(getSchedule(4, 24)).toEqual(denoise.schedule);
  });

  it('starts at 1, ends at 0 and decreases; μ is 0.5 at 256 tokens and 1.15 at 4096', () => {
    const s = getSchedule(30, 4096);
    expect(s[0]).toBe(1);
    expect(s[30]).toBe(0);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThan(s[i - 1]);
    expect(shiftMu(256)).toBeCloseTo(0.5, 12);
    expect(shiftMu(4096)).toBeCloseTo(1.15, 12);
    expect(s[1]).toBeCloseTo(0.989199, 6); // §7.2 example
  });

  it('linspace counts down from the end in its second half, as torch', () => {
    const t = linspaceF32(1, 0, 29);
    expect(t[0]).toBe(1);
    expect(t[28]).toBe(0);
    expect(t[14]).toBe(0.5);
  });

  it('rejects nonsense', () => {
    expect(() => getSchedule(0, 4096)).toThrow('numSteps must be a positive integer');
    expect(() => getSchedule(4, 0)).toThrow('imageSeqLen must be positive');
  });
});
