// A whole tiny Flux (double + single blocks, RoPE, QK-norm, modulation, guidance embedding) in float64: the
// gradient that autodiff builds for every parameter agrees with central finite differences of the loss along a
// random direction in that parameter. Op-level checks (ops.test.ts) cannot catch a wrong composition, such as a
// gradient lost where a tensor feeds two branches; this can.

import { describe, expect, it } from 'vitest';
import { grad } from '../../src/engine/autodiff.ts';
import { compile, F, Graph, type HostTensor, initParameters, mulberry32 } from '../../src/engine/index.ts';
import { Flux } from '../../src/transformer/model.ts';
import type { FluxParams } from '../../src/transformer/params.ts';

const PARAMS: FluxParams = {
  in_channels: 8,
  out_channels: 8,
  vec_in_dim: 8,
  context_in_dim: 12,
  hidden_size: 32,
  mlp_ratio: 2,
  num_heads: 2,
  depth: 1,
  depth_single_blocks: 1,
  axes_dim: [4, 6, 6],
  theta: 10000,
  qkv_bias: true,
  guidance_embed: true,
};

const f64 = (shape: number[], data: ArrayLike<number>): HostTensor => ({
  dtype: 'float64',
  shape,
  data: Float64Array.from(data),
});

describe('tiny Flux, float64', () => {
  it('the gradient of every parameter matches central finite differences', async () => {
    const model = new Flux(PARAMS);
    // no zero-initialised layers: a zero final layer would make every upstream gradient trivially zero
    initParameters(model, 7, () => ({ normal: 0.3 }));
    model.castParameters('float64');
    const rand = mulberry32(11);
    const r = (n: number, s = 1) => Array.from({ length: n }, () => s * (2 * rand() - 1));

    const [imgL, txtL] = [6, 3];
    const g = new Graph('input', { differentiable: true });
    const params = model.parameters();
    const { loss, grads } = g.build(() => {
      const out = model.forward({
        img: g.input('img', [1, imgL, 8], 'float64'),
        img_ids: g.input('img_ids', [1, imgL, 3], 'float64'),
        txt: g.input('txt', [1, txtL, 12], 'float64'),
        txt_ids: g.input('txt_ids', [1, txtL, 3], 'float64'),
        timesteps: g.input('timesteps', [1], 'float64'),
        y: g.input('y', [1, 8], 'float64'),
        guidance: g.input('guidance', [1], 'float64'),
      });
      const w = g.constant(f64([...out.shape], r(out.size)), 'w');
      const loss = F.reduceSum(F.mul(out, w), [0, 1, 2], false);
      return {
        loss,
        grads: grad(
          loss,
          params.map((p) => g.param(p)),
        ),
      };
    });
    g.output('loss', loss);
    for (const [i, t] of grads.entries()) g.output(`g${i}`, t);
    const run = await compile(g);

    const data: Record<string, HostTensor> = {
      img: f64([1, imgL, 8], r(imgL * 8)),
      // target tokens at index 0 and context tokens at index 1, as the Kontext RoPE ids
      img_ids: f64([1, imgL, 3], [0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0]),
      txt: f64([1, txtL, 12], r(txtL * 12)),
      txt_ids: f64([1, txtL, 3], Array(txtL * 3).fill(0)),
      timesteps: f64([1], [0.6]),
      y: f64([1, 8], r(8)),
      guidance: f64([1], [3.5]),
    };
    const values = new Map(params.map((p) => [p.key, p.value as HostTensor]));
    const feeds = (shift?: { key: string; dir: Float64Array; h: number }) => {
      const f: Record<string, HostTensor> = { ...data };
      for (const [k, v] of values) {
        if (shift?.key !== k) f[k] = v;
        else
          f[k] = f64(
            v.shape,
            (v.data as Float64Array).map((x, i) => x + shift.h * shift.dir[i]),
          );
      }
      return f;
    };
    const analytic = await run.run(feeds());
    const h = 1e-5;
    let checked = 0;
    for (const [i, p] of params.entries()) {
      const dir = Float64Array.from(r(p.numel));
      const gi = analytic[`g${i}`].data as Float64Array;
      const along = gi.reduce((s, x, j) => s + x * dir[j], 0);
      const lossAt = async (sign: number) =>
        (await run.run(feeds({ key: p.key, dir, h: sign * h }))).loss.data[0] as number;
      const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * h);
      expect(Math.abs(along - numeric), `${p.key}: analytic ${along}, numeric ${numeric}`).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(numeric)),
      );
      if (Math.abs(numeric) > 1e-3) checked++;
    }
    // the check means something only if the gradients are not all (near) zero
    expect(checked).toBeGreaterThan(params.length * 0.9);
  });
});
