// One copy of the weights for every session of a model: sessions for two input shapes feed
// the same parameter arrays, carry no weight bytes of their own, see a parameter update at once, and compute
// what sessions with baked weights compute.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoEncoder, decoderGraph } from '../../src/autoencoder/model.ts';
import {
  type CompiledGraph,
  compile,
  type HostTensor,
  initParameters,
  loadParameters,
  mulberry32,
} from '../../src/engine/index.ts';
import { serialize } from '../../src/engine/serialize.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { Flux, fluxGraph } from '../../src/transformer/model.ts';
import { FIXTURES } from '../fixtures-path.ts';

async function tinyFlux(): Promise<Flux> {
  const cfg = JSON.parse(readFileSync(join(FIXTURES, 'flux-tiny.json'), 'utf8'));
  const model = new Flux(cfg.params);
  const w = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.weights.safetensors'));
  await loadParameters(model, w);
  await w.close();
  return model;
}

/** Random feeds for every input of a compiled graph (ids and timesteps as small numbers). */
function feedsFor(c: CompiledGraph, seed: number): Record<string, HostTensor> {
  const r = mulberry32(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const i of c.inputs) {
    const data = new Float32Array(i.shape.reduce((a, b) => a * b, 1)).map(() => r() * 2 - 1);
    feeds[i.name] = { dtype: 'float32', shape: [...i.shape], data };
  }
  return feeds;
}

const maxDiff = (a: HostTensor, b: HostTensor) =>
  (a.data as Float32Array).reduce((m, x, k) => Math.max(m, Math.abs(x - (b.data as Float32Array)[k])), 0);

describe('shared weights', () => {
  it('sessions for two shapes bind the same parameter arrays and hold no weight bytes', async () => {
    const model = await tinyFlux();
    const shapes = [
      { batch: 1, imgTokens: 40, txtTokens: 7 },
      { batch: 2, imgTokens: 24, txtTokens: 5 },
    ];
    const models = shapes.map((s) => serialize(fluxGraph(model, s), undefined, { bindParams: true }));
    const baked = serialize(fluxGraph(model, shapes[0]));
    const bytes = (m: ReturnType<typeof serialize>) => m.externalData.reduce((s, e) => s + e.data.byteLength, 0);
    const paramBytes = model.parameters().reduce((s, p) => s + p.numel * 4, 0);
    // baked: every large parameter is external data of the model (ORT copies it per session)
    expect(bytes(baked)).toBeGreaterThan(0.95 * paramBytes);
    for (const m of models) {
      expect(bytes(m)).toBeLessThan(0.01 * paramBytes); // only small constants (RoPE frequencies, …) remain
      expect(m.bytes.length).toBeLessThan(0.05 * paramBytes);
    }
    // the bound inputs of both shapes are the very same Parameter objects, i.e. the same host arrays
    const params = (m: ReturnType<typeof serialize>) => new Set(m.bound.map((b) => b.param));
    expect(models[0].bound.length).toBeGreaterThan(20); // the small ones (≤ 4 kB) are inlined into the model
    expect(params(models[1])).toEqual(params(models[0]));
    const a = await compile(fluxGraph(model, shapes[0]), { weights: 'shared' });
    const b = await compile(fluxGraph(model, shapes[1]), { weights: 'shared' });
    const arrays = (c: CompiledGraph) => c.bound.map((x) => x.param.value!.data);
    expect(arrays(a)).toEqual(arrays(b));
    expect(arrays(a).every((d, k) => d === arrays(b)[k])).toBe(true);
  });

  it('a parameter update is seen by every session at once, no recompilation, and matches baked weights', async () => {
    const model = await tinyFlux();
    const s1 = { batch: 1, imgTokens: 40, txtTokens: 7 };
    const s2 = { batch: 1, imgTokens: 12, txtTokens: 3 };
    const a = await compile(fluxGraph(model, s1), { weights: 'shared' });
    const b = await compile(fluxGraph(model, s2), { weights: 'shared' });
    const fa = feedsFor(a, 1);
    const fb = feedsFor(b, 2);
    const before = [(await a.run(fa)).out, (await b.run(fb)).out];

    // change one weight in place, and replace another with set()
    const w = model.double_blocks.items[0].img_attn.qkv.weight;
    const wd = w.value!.data as Float32Array;
    for (let k = 0; k < wd.length; k++) wd[k] *= 1.5;
    const lin = model.final_layer.linear.weight;
    const r = mulberry32(9);
    lin.set({ dtype: 'float32', shape: [...lin.shape], data: new Float32Array(lin.numel).map(() => r() - 0.5) });

    // the same compiled graphs (the cache key does not change with a parameter's value) …
    expect(await compile(fluxGraph(model, s1), { weights: 'shared' })).toBe(a);
    const after = [(await a.run(fa)).out, (await b.run(fb)).out];
    // … compute with the new weights, exactly as freshly baked sessions do
    for (const [k, c, f] of [
      [0, a, fa],
      [1, b, fb],
    ] as const) {
      expect(maxDiff(after[k], before[k])).toBeGreaterThan(1e-3);
      const baked = await compile(fluxGraph(model, k === 0 ? s1 : s2), { weights: 'baked', noCache: true });
      const ref = (await baked.run(f)).out;
      await baked.dispose();
      const scale = (ref.data as Float32Array).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(maxDiff(after[k], ref) / scale).toBeLessThan(1e-5);
      expect(c.bound.length).toBeGreaterThan(0);
    }
    await a.dispose();
    await b.dispose();
  });

  it('Conv weights stay initializers (ORT reorders constant ones into its fast layout)', () => {
    const ae = new AutoEncoder({
      resolution: 32,
      in_channels: 3,
      ch: 16,
      out_ch: 3,
      ch_mult: [1, 2],
      num_res_blocks: 1,
      z_channels: 4,
      scale_factor: 1,
      shift_factor: 0,
      norm_groups: 4,
    });
    initParameters(ae, 1);
    const m = serialize(decoderGraph(ae, 1, 8, 8), undefined, { bindParams: true });
    const convWeights = [...ae.namedParameters()].filter(([k, p]) => k.endsWith('.weight') && p.shape.length === 4);
    const bound = new Set(m.bound.map((b) => b.param));
    expect(convWeights.length).toBeGreaterThan(0);
    for (const [, p] of convWeights) expect(bound.has(p)).toBe(false);
  });

  it('a bound parameter that lost its host value says so at run time', async () => {
    const model = await tinyFlux();
    const c = await compile(fluxGraph(model, { batch: 1, imgTokens: 8, txtTokens: 2 }), {
      weights: 'shared',
      noCache: true,
    });
    const p = c.bound[0].param;
    p.value = null;
    await expect(c.run(feedsFor(c, 3))).rejects.toThrow(`parameter ${p.key} has no host value`);
    await c.dispose();
  });
});
