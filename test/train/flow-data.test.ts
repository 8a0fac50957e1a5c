// The flow trainer's data: per-family example streams over the world's streamSamples (exact resume), and the
// logit-normal t of the rectified-flow loss.
import { describe, expect, it } from 'vitest';
import { hashSeed, Rng } from '../../src/engine/random.ts';
import { shiftMu } from '../../src/sampling/schedule.ts';
import { ExampleStreams, exampleOf, sampleT } from '../../src/train/flow.ts';
import { makeSample } from '../../src/world/dataset.ts';

describe('ExampleStreams', () => {
  it("gives family f's world samples in order, a multi-turn chain's turn i % 5 at position i", () => {
    const streams = new ExampleStreams('train', 7, 32);
    for (const family of ['local', 'multiturn'] as const)
      for (let i = 0; i < 6; i++) {
        const want = exampleOf(
          makeSample({ split: 'train', seed: hashSeed(7, family), size: 32, families: [family] }, i),
          i % 5,
        );
        const got = streams.next(family);
        expect(got.instruction).toBe(want.instruction);
        expect(got.target.data).toEqual(want.target.data);
        expect(got.inputs.map((x) => x.data)).toEqual(want.inputs.map((x) => x.data));
      }
    expect(streams.positions).toEqual({ local: 6, multiturn: 6 });
  });

  it('resumes exactly from saved positions', () => {
    const a = new ExampleStreams('train', 3, 32);
    for (let i = 0; i < 4; i++) a.next('text');
    a.next('global');
    const b = new ExampleStreams('train', 3, 32);
    b.next('text'); // a stream already open at another position must be reopened
    b.positions = { ...a.positions };
    for (const family of ['text', 'global', 'text'] as const) {
      const [x, y] = [a.next(family), b.next(family)];
      expect(y.instruction).toBe(x.instruction);
      expect(y.target.data).toEqual(x.target.data);
    }
  });
});

describe('sampleT', () => {
  it('is logit-normal shifted like the schedule: median sigmoid(μ(tokens)), inside (0, 1)', () => {
    const rng = new Rng(1);
    for (const tokens of [64, 1024]) {
      const ts = Array.from({ length: 4001 }, () => sampleT(rng, tokens)).sort((p, q) => p - q);
      expect(ts[0]).toBeGreaterThan(0);
      expect(ts.at(-1)).toBeLessThan(1);
      const mu = shiftMu(tokens);
      expect(Math.abs(ts[2000] - 1 / (1 + Math.exp(-mu)))).toBeLessThan(0.03);
    }
  });
});
