// The flow trainer's data: per-family example streams over the world's streamSamples (exact resume), and the
// logit-normal t of the rectified-flow loss, and the optional changed-token weight of that loss.
import { describe, expect, it } from 'vitest';
import { compile, Graph, type HostTensor } from '../../src/engine/index.ts';
import { hashSeed, Rng } from '../../src/engine/random.ts';
import { createImage } from '../../src/image/rgb.ts';
import { shiftMu } from '../../src/sampling/schedule.ts';
import { DETAIL_STEP } from '../../src/train/ae.ts';
import {
  changedWeights,
  type Example,
  ExampleStreams,
  exampleOf,
  type FlowBatchSpec,
  flowFeeds,
  flowLoss,
  sampleT,
} from '../../src/train/flow.ts';
import { flowStreams, type FlowTrainConfig } from '../../src/train/train-flow.ts';
import { isGray } from '../../src/mini/world-light.ts';
import { makeSample, streamSamples } from '../../src/world/dataset.ts';
import { glyphImage } from '../../src/world/glyph.ts';
import { findWord } from '../../src/mini/glyph.ts';
import { tinyPipeline } from '../mini/tiny.ts';

describe('ExampleStreams', () => {
  it("are the config's: its seed, resolution, task weights, placement grid and greyed inputs (flowStreams)", () => {
    const c = {
      seed: 5,
      resolution: 32,
      mix: { ctx0: 0.1, ctx2: 0, families: { local: 1 }, tasks: { 'local.add': 2 } },
      grid: 8,
      gridCharacters: true,
      gridResize: true,
      greyInputs: 1,
    } as unknown as FlowTrainConfig;
    const streams = flowStreams(c);
    expect([streams.seed, streams.size, streams.taskWeights]).toEqual([5, 32, { 'local.add': 2 }]);
    expect(streams.world).toEqual({
      grid: 0.25,
      gridCharacters: true,
      gridScenes: undefined,
      gridResize: true,
      greyInputs: 1,
    });
    // every local edit greyed, input and target
    for (let i = 0; i < 4; i++) {
      const e = streams.next('local');
      expect([isGray(e.inputs[0]!), isGray(e.target)], e.instruction).toEqual([true, true]);
    }
    expect(() => flowStreams({ ...c, greyInputs: 2 })).toThrow(/^greyInputs must be a number from 0 to 1/);
  });

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

describe('ExampleStreams.nextGlyph', () => {
  it("gives the 'glyph' stream's word replacements in order, the new word's glyph image after the input", () => {
    const streams = new ExampleStreams('train', 7, 64);
    const want = [...streamSamples({ split: 'train', seed: hashSeed(7, 'glyph'), families: ['text'], count: 12 })]
      .filter((s) => s.task === 'text.replace')
      .slice(0, 3);
    for (const s of want) {
      const e = streams.nextGlyph();
      expect([e.task, e.instruction]).toEqual([s.task, s.instruction]);
      expect(e.inputs[0]!.data).toEqual(s.inputs[0]!.data);
      const colors = findWord(s.inputs[0]!, s.before!.text!.word)!;
      expect(e.inputs[1]!.data).toEqual(glyphImage(s.after.text!.word, s.after.text!, 64, colors).data);
      expect(e.target.data).toEqual(s.target.data);
    }
    expect(streams.positions).toEqual({ glyph: want[2]!.index + 1 });
    // resumed from the saved position, the same next example
    const again = new ExampleStreams('train', 7, 64);
    again.positions = { ...streams.positions };
    expect(again.nextGlyph().instruction).toBe(streams.nextGlyph().instruction);
  });
});

describe('ExampleStreams with task weights', () => {
  const weights = { 'local.add': 0, 'local.move': 3 };

  it('keeps a sample of task T with probability w(T) / max w: the kept ones are the unweighted stream minus skips', () => {
    const streams = new ExampleStreams('train', 5, 32, weights);
    const opts = { split: 'train' as const, seed: hashSeed(5, 'local'), size: 32, families: ['local' as const] };
    const n = 300;
    const got = Array.from({ length: n }, () => streams.next('local'));
    const count = (t: string) => got.filter((e) => e.task === t).length;
    expect(count('local.add')).toBe(0);
    // move weighs 3, recolor/remove/resize 1 each: shares 1/2 and 1/6 (binomial sd ≈ 0.029 and 0.022 at n = 300)
    expect(Math.abs(count('local.move') / n - 1 / 2)).toBeLessThan(0.1);
    for (const t of ['local.recolor', 'local.remove', 'local.resize'])
      expect(Math.abs(count(t) / n - 1 / 6)).toBeLessThan(0.08);
    // every kept example is the world's sample at some position, positions increasing, the move ones never skipped
    const all = Array.from({ length: streams.positions.local }, (_, i) => makeSample(opts, i));
    let at = 0;
    for (const e of got) {
      while (all[at].instruction !== e.instruction) {
        expect(all[at].task).not.toBe('local.move');
        at++;
      }
      expect(all[at].target.data).toEqual(e.target.data);
      at++;
    }
    expect(at).toBe(all.length);
  });

  it('resumes exactly, and refuses weights that name no task or leave a family nothing', () => {
    const a = new ExampleStreams('train', 2, 32, weights);
    for (let i = 0; i < 7; i++) a.next('local');
    const b = new ExampleStreams('train', 2, 32, weights);
    b.positions = { ...a.positions };
    for (let i = 0; i < 3; i++) expect(b.next('local').instruction).toBe(a.next('local').instruction);
    expect(() => new ExampleStreams('train', 0, 32, { 'local.shrink': 2 })).toThrow(
      /^mix\.tasks names the task 'local\.shrink', which the world does not have; tasks: local\.recolor, local\.remove, /,
    );
    expect(() => new ExampleStreams('train', 0, 32, { 'local.move': -1 })).toThrow(
      'mix.tasks.local.move must be a number >= 0 (its weight within its family), got -1',
    );
    expect(() => new ExampleStreams('train', 0, 32, { 'text.replace': 0, 'text.recolor': 0 })).toThrow(
      "mix.tasks gives every task of the family 'text' weight 0; leave one above 0 or drop the family",
    );
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

  it('with a uniform share draws t near the ends that often; without one, the same draws as before', () => {
    const draw = (uniform?: number) => {
      const rng = new Rng(2);
      return Array.from({ length: 40000 }, () => sampleT(rng, 64, uniform));
    };
    const plain = draw();
    expect(draw(0)).toEqual(plain);
    const share = (ts: number[], f: (t: number) => boolean) => ts.filter(f).length / ts.length;
    const high = (t: number) => t > 0.97;
    const low = (t: number) => t < 0.03;
    // the logit-normal alone: t > 0.97 in ~0.1 % of draws, t < 0.03 even more rarely
    expect(share(plain, high)).toBeLessThan(0.003);
    expect(share(plain, low)).toBeLessThan(0.003);
    // a quarter uniform: 0.25 × 3 % more at each end (±30 %)
    const mixed = draw(0.25);
    for (const end of [high, low]) {
      const extra = share(mixed, end) - 0.75 * share(plain, end);
      expect(extra).toBeGreaterThan(0.0075 * 0.7);
      expect(extra).toBeLessThan(0.0075 * 1.3);
    }
    expect(Math.min(...mixed)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...mixed)).toBeLessThan(1);
  });
});

describe('changedWeights', () => {
  const grey = () => createImage(64, 64, [100, 100, 100]);
  const edit = (inputs: number, changes: [number, number, number][]): Example => {
    const target = grey();
    for (const [x, y, by] of changes) target.data[(y * 64 + x) * 3 + 1] += by;
    return { family: 'local', task: 'x', instruction: '', inputs: Array.from({ length: inputs }, grey), target };
  };

  it('weighs 1 + λ the tokens whose 8×8 patch changed by more than DETAIL_STEP, normalised to mean 1', () => {
    const w = changedWeights(
      [
        edit(1, [
          [10, 20, DETAIL_STEP + 1],
          [63, 63, 200],
          [40, 0, DETAIL_STEP],
        ]),
        edit(1, []),
        edit(0, [[0, 0, 99]]),
      ],
      8,
      4,
    );
    expect(w.shape).toEqual([3, 64, 1]);
    const d = w.data as Float32Array;
    const changed = [2 * 8 + 1, 63]; // (row 2, col 1) and the last patch; the third change is not above the step
    const mean = (62 + 2 * 5) / 64;
    for (let i = 0; i < 64; i++) expect(d[i]).toBeCloseTo((changed.includes(i) ? 5 : 1) / mean, 6);
    for (let i = 64; i < 192; i++) expect(d[i]).toBe(1); // nothing changed; no input to compare with
  });

  it('makes the loss graph a weighted mean: linear in the weights, the plain loss at weight 1', async () => {
    const pipe = tinyPipeline(4);
    const spec: FlowBatchSpec = { batch: 2, contexts: 1, textLength: 16, tokens: 64, channels: 16 };
    const streams = new ExampleStreams('train', 0, 32);
    const examples = [streams.next('local'), streams.next('text')];
    const feeds = await flowFeeds(pipe.ae, pipe.tokenizer, examples, { ...spec, changed: 3 }, new Rng(2), 0);
    const expected = changedWeights(examples, 8, 3);
    expect(feeds.weight.data).toEqual(expected.data);
    const loss = async (s: FlowBatchSpec, weight?: Float32Array) => {
      const g = new Graph();
      g.build(() => g.output('loss', flowLoss(pipe.model, g, s)));
      const w: Record<string, HostTensor> = weight
        ? { weight: { dtype: 'float32', shape: [2, 64, 1], data: weight } }
        : {};
      const { weight: _, ...rest } = feeds;
      return ((await (await compile(g)).run({ ...rest, ...w })).loss.data as Float32Array)[0];
    };
    const plain = await loss(spec);
    const ones = await loss({ ...spec, changed: 3 }, new Float32Array(128).fill(1));
    expect(ones).toBeCloseTo(plain, 6);
    const a = Float32Array.from({ length: 128 }, (_, i) => (i % 5) / 2);
    const b = Float32Array.from({ length: 128 }, (_, i) => (i % 3 === 0 ? 2 : 0));
    const [la, lb, lab] = [
      await loss({ ...spec, changed: 3 }, a),
      await loss({ ...spec, changed: 3 }, b),
      await loss(
        { ...spec, changed: 3 },
        a.map((v, i) => v + 2 * b[i]),
      ),
    ];
    expect(lab).toBeCloseTo(la + 2 * lb, 5);
    expect(la).not.toBeCloseTo(plain * (a.reduce((s, v) => s + v) / 128), 3); // tokens really weigh differently
  });
});
