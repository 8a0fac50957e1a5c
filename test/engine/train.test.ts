import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv2d, F, type Graph, initParameters, Linear, Module, mulberry32, Trainer } from '../../src/engine/index.ts';
import type { HostTensor, Tensor } from '../../src/engine/index.ts';

// temporary folders of this file, removed when it ends
const dirs: string[] = [];
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const f32 = (shape: number[], data: ArrayLike<number>): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(data),
});

class MLP extends Module {
  readonly fc1 = this.child('fc1', new Linear(2, 32));
  readonly fc2 = this.child('fc2', new Linear(32, 1));
  forward(x: Tensor): Tensor {
    return this.fc2.forward(F.tanh(this.fc1.forward(x)));
  }
}

describe('training', () => {
  // clipping that bites (the gradient norm is over 10) and weight decay, then neither (the scalars folded into the
  // per-tensor products must fall back to the plain constants)
  it.each([
    { lr: 0.05, betas: [0.8, 0.95] as [number, number], eps: 1e-6, weightDecay: 0.1, clipNorm: 1.0 },
    { lr: 0.02, betas: [0.9, 0.99] as [number, number], eps: 1e-8, weightDecay: 0, clipNorm: null },
  ])('AdamW matches a plain JS AdamW step by step (%o)', async (opts) => {
    // one parameter vector p, loss = Σ (p − target)² · c, so the gradient is known in closed form
    class P extends Module {
      readonly w = this.child('w', new Linear(3, 2, false));
    }
    const m = new P();
    initParameters(m, 1);
    const p0 = Float64Array.from(m.w.weight.value!.data as Float32Array);
    const target = [0.5, -1, 2, 0, 1, -0.5];
    const [b1, b2] = opts.betas;
    const trainer = await Trainer.create((g: Graph) => {
      const t = g.input('target', [2, 3]);
      const d = F.sub(g.param(m.w.weight), t);
      return F.mul(F.reduceSum(F.mul(d, d), [0, 1], false), 3);
    }, opts);
    // reference: the textbook form p − lr·(m̂/(sqrt(v̂)+ε) + λ·p)
    const p = Float64Array.from(p0);
    const mm = new Float64Array(6);
    const vv = new Float64Array(6);
    for (let step = 1; step <= 5; step++) {
      const { loss } = await trainer.trainStep({ target: f32([2, 3], target) });
      const g = p.map((x, i) => 6 * (x - target[i]));
      const refLoss = p.reduce((s, x, i) => s + 3 * (x - target[i]) ** 2, 0);
      expect(loss).toBeCloseTo(refLoss, 4);
      const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      const c = opts.clipNorm ? Math.min(1, opts.clipNorm / (norm + 1e-6)) : 1;
      for (let i = 0; i < 6; i++) {
        const gi = g[i] * c;
        mm[i] = b1 * mm[i] + (1 - b1) * gi;
        vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
        const mhat = mm[i] / (1 - b1 ** step);
        const vhat = vv[i] / (1 - b2 ** step);
        p[i] -= opts.lr * (mhat / (Math.sqrt(vhat) + opts.eps) + opts.weightDecay * p[i]);
      }
    }
    trainer.syncParameters();
    const got = m.w.weight.value!.data as Float32Array;
    for (let i = 0; i < 6; i++) {
      expect(got[i]).toBeCloseTo(p[i], 5);
      expect(Math.abs(got[i] - p0[i])).toBeGreaterThan(0.05); // it moved: the comparison is not vacuous
    }
  });

  it('a tiny MLP fits a 2-D function to low loss', async () => {
    const net = new MLP();
    initParameters(net, 0);
    const N = 64;
    const r = mulberry32(5);
    const xs = Array.from({ length: N * 2 }, () => 2 * r() - 1);
    const ys = Array.from({ length: N }, (_, i) => Math.sin(2 * xs[2 * i]) * xs[2 * i + 1]);
    const trainer = await Trainer.create(
      (g) => {
        const x = g.input('x', [N, 2]);
        const y = g.input('y', [N, 1]);
        const d = F.sub(net.forward(x), y);
        return F.reduceMean(F.mul(d, d), [0, 1], false);
      },
      { lr: 0.01 },
    );
    const batch = { x: f32([N, 2], xs), y: f32([N, 1], ys) };
    const first = (await trainer.trainStep(batch)).loss;
    let last = first;
    for (let i = 0; i < 400; i++) last = (await trainer.trainStep(batch)).loss;
    expect(first).toBeGreaterThan(0.05);
    expect(last).toBeLessThan(0.005);
  });

  it('a tiny conv net learns to detect a bright square, and save/load resumes exactly', async () => {
    class ConvNet extends Module {
      readonly conv1 = this.child('conv1', new Conv2d(1, 4, 3, { padding: 1 }));
      readonly conv2 = this.child('conv2', new Conv2d(4, 1, 3, { stride: 2, padding: [0, 0, 1, 1] }));
      forward(x: Tensor): Tensor {
        return F.reduceMean(this.conv2.forward(F.relu(this.conv1.forward(x))), [1, 2, 3], false);
      }
    }
    const net = new ConvNet();
    initParameters(net, 3);
    const B = 16;
    const r = mulberry32(9);
    const imgs = new Float32Array(B * 64);
    const labels = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      labels[b] = b % 2;
      for (let i = 0; i < 64; i++) imgs[b * 64 + i] = 0.1 * r();
      if (b % 2) for (let y = 2; y < 5; y++) for (let x = 3; x < 6; x++) imgs[b * 64 + y * 8 + x] = 1;
    }
    const build = (g: Graph) => {
      const x = g.input('x', [B, 1, 8, 8]);
      const y = g.input('y', [B]);
      const d = F.sub(net.forward(x), y);
      return F.reduceMean(F.mul(d, d), [0], false);
    };
    const trainer = await Trainer.create(build, { lr: 0.02 });
    const batch = { x: f32([B, 1, 8, 8], imgs), y: f32([B], labels) };
    const first = (await trainer.trainStep(batch)).loss;
    for (let i = 0; i < 200; i++) await trainer.trainStep(batch);
    const last = (await trainer.trainStep(batch)).loss;
    expect(last).toBeLessThan(first / 20);
    expect(last).toBeLessThan(0.01);

    // resume: a fresh trainer loaded from the checkpoint continues with the same losses
    const dir = tmp('kontext-train-');
    await trainer.save(join(dir, 'ckpt.safetensors'));
    const a = [(await trainer.trainStep(batch)).loss, (await trainer.trainStep(batch)).loss];
    const resumed = await Trainer.create(build, { lr: 0.02 });
    await resumed.load(join(dir, 'ckpt.safetensors'));
    expect(resumed.step).toBe(202);
    const b = [(await resumed.trainStep(batch)).loss, (await resumed.trainStep(batch)).loss];
    expect(b[0]).toBeCloseTo(a[0], 6);
    expect(b[1]).toBeCloseTo(a[1], 6);
  });
});
