// The training loop: exact resume (parameters, EMA, optimizer, data position), checkpoint pruning, config guard,
// schedules; and trainer variants sharing parameters.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { F, type Graph, type HostTensor, initParameters, Linear, Trainer } from '../../src/engine/index.ts';
import { loopSettings, type RunConfig, trainLoop } from '../../src/train/loop.ts';
import { emaDecay, learningRate } from '../../src/train/schedule.ts';
import { Rng } from '../../src/engine/random.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'kontext-loop-'));
  dirs.push(d);
  return d;
};

const f32 = (shape: number[], data: number[] | Float32Array): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(data),
});

/** y = W x regression on a seeded stream: the data position is the only state of the stream. */
async function setup() {
  const net = new Linear(3, 2);
  initParameters(net, 1);
  const loss = (g: Graph, n: number) => {
    const x = g.input('x', [n, 3]);
    const d = F.sub(net.forward(x), g.input('y', [n, 2]));
    return { loss: F.reduceMean(F.mul(d, d), [0, 1], false), logs: { first: F.reduceMean(d, [0, 1], false) } };
  };
  const trainer = await Trainer.create(
    { small: (g) => loss(g, 2), large: (g) => loss(g, 4) },
    { lr: 0.05, ema: true, clipNorm: 1 },
  );
  let pos = 0;
  const batch = (n: number) => {
    const rng = new Rng(pos++);
    const x = Array.from({ length: 3 * n }, () => rng.next() * 2 - 1);
    const y = Array.from({ length: n }, (_, i) => [x[3 * i]! - 2 * x[3 * i + 1]!, 0.5 * x[3 * i + 2]!]).flat();
    return { x: f32([n, 3], x), y: f32([n, 2], y) };
  };
  const opts = (out: string, maxSteps?: number) => ({
    out,
    config: { lr: 0.05 },
    schedule: { lr: 0.05, warmup: 2, steps: 9 },
    ema: 0.9,
    checkpointEvery: 4,
    maxSteps,
    quiet: true,
    nextBatch: (step: number) =>
      step % 3 === 0 ? { variant: 'large', feeds: batch(4) } : { variant: 'small', feeds: batch(2) },
    dataState: () => ({ pos }),
    restoreDataState: (s: unknown) => void (pos = (s as { pos: number }).pos),
  });
  const snapshot = () =>
    [...trainer.values('params').values(), ...trainer.values('ema').values()].map((t) =>
      Array.from(t.data as Float32Array),
    );
  return { trainer, opts, snapshot };
}

describe('trainLoop', () => {
  it('stopping and resuming gives exactly the weights of one uninterrupted run', async () => {
    const straight = await setup();
    const a = await tmp();
    const r = await trainLoop(straight.trainer, straight.opts(a));
    expect(r).toEqual({ step: 9, interrupted: false });

    const b = await tmp();
    const first = await setup();
    expect(await trainLoop(first.trainer, first.opts(b, 5))).toEqual({ step: 5, interrupted: true });
    const second = await setup(); // a new process: fresh trainer and stream, state from the folder only
    expect(await trainLoop(second.trainer, second.opts(b))).toEqual({ step: 9, interrupted: false });
    expect(second.snapshot()).toEqual(straight.snapshot());
    expect(second.snapshot()).not.toEqual((await setup()).snapshot()); // and training did change them

    // two checkpoints kept, latest.json names the last; the log has losses, both variants and the logged terms
    expect(
      readdirSync(join(b, 'checkpoints'))
        .filter((f) => f.endsWith('.safetensors'))
        .sort(),
    ).toEqual(['step-0000008.safetensors', 'step-0000009.safetensors']);
    expect(JSON.parse(readFileSync(join(b, 'checkpoints', 'latest.json'), 'utf8')).step).toBe(9);
    const log = readFileSync(join(b, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log[0]).toMatchObject({ step: 1, variant: 'small' });
    expect(typeof log[0].first).toBe('number');
    expect(existsSync(join(b, 'curves.png'))).toBe(true);
  });

  it('refuses to resume a run folder made with another config', async () => {
    const out = await tmp();
    const s = await setup();
    await trainLoop(s.trainer, s.opts(out, 4));
    const t = await setup();
    await expect(trainLoop(t.trainer, { ...t.opts(out), config: { lr: 0.1 } })).rejects.toThrow(
      /holds a run with another configuration \(config.json differs\); use a new --out folder/,
    );
  });

  it('extends a run whose config differs only in steps, sampling defaults and initFrom, continuing from its checkpoint', async () => {
    const out = await tmp();
    const s = await setup();
    const o = s.opts(out);
    await trainLoop(s.trainer, { ...o, config: { lr: 0.05, steps: 9, initFrom: 'old/place' } });
    const t = await setup();
    const sampling = { numInferenceSteps: 12, guidanceScale: 2, preserve: { threshold: 32, grow: 2 } };
    const r = await trainLoop(t.trainer, {
      ...t.opts(out),
      config: { lr: 0.05, steps: 12, sampling, initFrom: 'new/place' },
      schedule: { ...o.schedule, steps: 12 },
    });
    expect(r.step).toBe(12);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number });
    expect(log.filter((l) => l.step > 9).length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({
      lr: 0.05,
      steps: 12,
      sampling,
      initFrom: 'new/place',
    });
  });

  it('logEvery from the config sets how often the loss is logged; a bad value is refused by name', async () => {
    const out = await tmp();
    const s = await setup();
    const run: RunConfig = {
      batch: 2,
      steps: 9,
      lr: 0.05,
      warmup: 2,
      weightDecay: 0,
      clipNorm: 1,
      ema: 0.9,
      seed: 0,
      checkpointEvery: 4,
      validateEvery: 0,
      logEvery: 1,
    };
    await trainLoop(s.trainer, { ...s.opts(out), ...loopSettings(run, { quiet: true }) });
    const steps = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => loopSettings({ ...run, logEvery: 0 }, {})).toThrow(
      'logEvery must be a whole number of steps >= 1 (default 10), got 0',
    );
  });
});

describe('schedules', () => {
  it('warm-up is linear, then cosine from lr down to minFraction·lr at the last step', () => {
    const s = { lr: 1, warmup: 10, steps: 110, minFraction: 0.1 };
    expect(learningRate(s, 5)).toBeCloseTo(0.5, 12);
    expect(learningRate(s, 10)).toBeCloseTo(1, 12);
    expect(learningRate(s, 60)).toBeCloseTo(0.55, 12);
    expect(learningRate(s, 110)).toBeCloseTo(0.1, 12);
  });
  it('EMA decay ramps up to its target', () => {
    expect(emaDecay(0.999, 0)).toBeCloseTo(0.1, 12);
    expect(emaDecay(0.999, 90)).toBeCloseTo(0.91, 12);
    expect(emaDecay(0.999, 1e6)).toBe(0.999);
  });
});
