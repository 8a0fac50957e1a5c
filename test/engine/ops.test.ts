// Every op's forward pass against a plain float64 reference, and every gradient rule against central finite
// differences (in float64 where ORT has float64 kernels, else float32 with a wider step).

import { describe, expect, it } from 'vitest';
import { compile, type DType, F, Graph, type HostTensor, mulberry32 } from '../../src/engine/index.ts';
import { grad } from '../../src/engine/autodiff.ts';
import { maxRelErr } from '../../src/verify/compare.ts';
import { CASES, type OpCase } from './cases.ts';
import type { Nd } from './reference.ts';

const rng = mulberry32;

function randomInputs(c: OpCase, seed: number): Float64Array[] {
  const r = rng(seed);
  return c.shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    return Float64Array.from({ length: n }, () => (c.positive ? 0.5 + r() : 2 * r() - 1));
  });
}

const host = (dtype: DType, shape: number[], v: Float64Array): HostTensor => ({
  dtype,
  shape,
  data: dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v),
});

describe('op forward vs float64 reference (float32 execution)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const vals = randomInputs(c, 1);
      const g = new Graph();
      const xs = c.shapes.map((s, i) => g.input(`x${i}`, s, 'float32'));
      g.output('y', c.build(xs));
      const feeds = Object.fromEntries(c.shapes.map((s, i) => [`x${i}`, host('float32', s, vals[i])]));
      const out = (await (await compile(g)).run(feeds)).y;
      // the reference sees the same float32-rounded inputs
      const expected: Nd = c.ref(
        c.shapes.map((s, i) => ({ shape: s, data: Float64Array.from(Float32Array.from(vals[i])) })),
      );
      expect(out.shape).toEqual(expected.shape);
      expect(maxRelErr(out.data as Float32Array, expected.data)).toBeLessThan(2e-6);
    });
  }
});

describe('gradient rules vs central finite differences', () => {
  for (const c of CASES.filter((k) => !k.noGrad)) {
    it(c.name, async () => {
      const dtype: DType = c.f32only ? 'float32' : 'float64';
      const h = dtype === 'float64' ? 1e-6 : 1e-2;
      const tol = dtype === 'float64' ? 1e-6 : 3e-3;
      const vals = randomInputs(c, 2);
      const g = new Graph();
      const xs = c.shapes.map((s, i) => g.input(`x${i}`, s, dtype));
      const y = c.build(xs);
      // loss = Σ y ⊙ w with fixed random weights, so every output element matters with a different weight
      const r = rng(3);
      const wv = Float64Array.from({ length: y.size }, () => 2 * r() - 1);
      const w = g.constant(host(dtype, [...y.shape], wv), 'w');
      const loss = F.reduceSum(F.mul(y, w), [...y.shape.keys()], false);
      g.output('loss', loss);
      for (const [i, gx] of grad(loss, xs).entries()) g.output(`g${i}`, gx);
      const run = await compile(g);
      const feeds = Object.fromEntries(c.shapes.map((s, i) => [`x${i}`, host(dtype, s, vals[i])]));
      const analytic = await run.run(feeds);
      for (let i = 0; i < xs.length; i++) {
        const numeric = new Float64Array(vals[i].length);
        for (let j = 0; j < vals[i].length; j++) {
          const at = async (delta: number) => {
            const v = Float64Array.from(vals[i]);
            v[j] += delta;
            const out = await run.run({ ...feeds, [`x${i}`]: host(dtype, c.shapes[i], v) });
            return (out.loss.data as Float64Array)[0];
          };
          numeric[j] = ((await at(h)) - (await at(-h))) / (2 * h);
        }
        const err = maxRelErr(analytic[`g${i}`].data as Float64Array, numeric);
        expect(err, `input ${i}`).toBeLessThan(tol);
      }
    });
  }
});
