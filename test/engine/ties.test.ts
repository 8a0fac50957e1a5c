// Gradients at ties follow PyTorch's subgradient convention: torch.maximum/minimum give each tied side half of the
// gradient, torch.amax spreads it evenly over the tied elements. Finite differences cannot check this (the
// function is not differentiable there), so the expected values are written from that convention.

import { describe, expect, it } from 'vitest';
import { compile, F, Graph, type HostTensor, type Tensor } from '../../src/engine/index.ts';
import { grad, RULES } from '../../src/engine/autodiff.ts';

const f32 = (shape: number[], data: number[]): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(data),
});

async function gradsOf(shapes: number[][], build: (xs: Tensor[]) => Tensor, values: number[][]) {
  const g = new Graph();
  const xs = shapes.map((s, i) => g.input(`x${i}`, s, 'float32'));
  const loss = build(xs);
  for (const [i, gx] of grad(loss, xs).entries()) g.output(`g${i}`, gx);
  const out = await (await compile(g)).run(Object.fromEntries(values.map((v, i) => [`x${i}`, f32(shapes[i], v)])));
  return shapes.map((_, i) => Array.from(out[`g${i}`].data as Float32Array));
}

describe('gradients at ties (PyTorch convention)', () => {
  it('maximum and minimum split the gradient equally between tied inputs', async () => {
    const a = [1, 2, 3];
    const b = [1, 5, 0];
    const max = await gradsOf([[3], [3]], ([x, y]) => F.reduceSum(F.maximum(x, y), [0], false), [a, b]);
    expect(max).toEqual([
      [0.5, 0, 1],
      [0.5, 1, 0],
    ]);
    const min = await gradsOf([[3], [3]], ([x, y]) => F.reduceSum(F.minimum(x, y), [0], false), [a, b]);
    expect(min).toEqual([
      [0.5, 1, 0],
      [0.5, 0, 1],
    ]);
  });

  it('a broadcast tie still sums to the incoming gradient', async () => {
    // max(x, 2) with x = [2, 2, 1]: each tie gives half to x and half to the broadcast scalar input
    const [gx, gs] = await gradsOf([[3], [1]], ([x, s]) => F.reduceSum(F.maximum(x, s), [0], false), [[2, 2, 1], [2]]);
    expect(gx).toEqual([0.5, 0.5, 0]);
    expect(gs).toEqual([2]);
  });

  it('reduceMax spreads the gradient evenly over the tied maxima of each row', async () => {
    const [gx] = await gradsOf([[2, 4]], ([x]) => F.reduceSum(F.reduceMax(x, [1], false), [0], false), [
      [3, 1, 3, 3, 0, 7, 2, 7],
    ]);
    expect(gx.map((v) => Math.round(v * 1e6) / 1e6)).toEqual(
      [1 / 3, 0, 1 / 3, 1 / 3, 0, 0.5, 0, 0.5].map((v) => Math.round(v * 1e6) / 1e6),
    );
  });
});

describe('gradient shapes', () => {
  it('a rule whose gradient does not match its input shape is named in the error', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3], 'float32');
    const loss = F.reduceSum(F.neg(x), [0, 1], false);
    const good = RULES.Neg;
    // a broken rule that forgets to keep the input's shape (as a missing unbroadcast would)
    RULES.Neg = (_n, [gy]) => [F.reduceSum(gy, [0], false)];
    try {
      expect(() => grad(loss, [x])).toThrow(
        'autodiff: the Neg rule gave a gradient of shape [3] for an input of shape [2,3]',
      );
    } finally {
      RULES.Neg = good;
    }
  });
});
