// Memory-efficient attention (F.sdpa): inference graphs at full size have no [.., L, L] tensor, training graphs keep
// the composite form, and the chunked and fused forms compute what the composite form computes.

import { describe, expect, it } from 'vitest';
import { decoderGraph, encoderGraph, AutoEncoder } from '../../src/autoencoder/model.ts';
import { FLUX_AE } from '../../src/autoencoder/params.ts';
import {
  type AttentionImpl,
  compile,
  F,
  Graph,
  type HostTensor,
  liveNodes,
  mulberry32,
  type Tensor,
} from '../../src/engine/index.ts';
import { serialize } from '../../src/engine/serialize.ts';
import { Flux, fluxGraph } from '../../src/transformer/model.ts';
import { FLUX_KONTEXT_DEV } from '../../src/transformer/params.ts';

/** Every tensor the graph computes toward its outputs. */
function computed(g: Graph): Tensor[] {
  return liveNodes(g, [...g.outputs.values()]).flatMap((n) => n.outputs);
}

/** Tensors shaped [.., L, L] (the scores of a length-L self-attention). */
const scoresOf = (g: Graph, L: number) =>
  computed(g).filter((t) => t.rank >= 2 && t.shape[t.rank - 1] === L && t.shape[t.rank - 2] === L);

const opsOf = (g: Graph) => liveNodes(g, [...g.outputs.values()]).map((n) => n.op);

describe('full-size inference graphs use memory-efficient attention', () => {
  it('Kontext dev at a 1024² edit (512 + 4096 + 4096 tokens): no [.., 8704, 8704] scores, 57 fused attentions', () => {
    const model = new Flux(FLUX_KONTEXT_DEV); // shapes only: building the graph needs no weights
    const g = fluxGraph(model, { batch: 1, imgTokens: 8192, txtTokens: 512 });
    expect(scoresOf(g, 8704)).toEqual([]);
    const ops = opsOf(g);
    expect(ops.filter((op) => op === 'MultiHeadAttention')).toHaveLength(19 + 38);
    expect(ops).not.toContain('Softmax');
    const mha = liveNodes(g, [...g.outputs.values()]).find((n) => n.op === 'MultiHeadAttention')!;
    expect(mha.domain).toBe('com.microsoft');
    expect(mha.attrs.num_heads).toEqual({ kind: 'int', value: 24 });
    expect(mha.inputs.map((t) => t!.shape)).toEqual([
      [1, 8704, 3072],
      [1, 8704, 3072],
      [1, 8704, 3072],
    ]);
  });

  it('the AE at 1024²: the mid-block attentions over 128² = 16384 positions have no [.., 16384, 16384] scores', () => {
    const ae = new AutoEncoder(FLUX_AE);
    for (const g of [encoderGraph(ae, 1, 1024, 1024), decoderGraph(ae, 1, 128, 128)]) {
      expect(scoresOf(g, 16384)).toEqual([]);
      expect(opsOf(g).filter((op) => op === 'MultiHeadAttention')).toHaveLength(1);
    }
  });

  it('the serialized model carries the op in the com.microsoft domain', () => {
    const g = new Graph();
    const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, [1, 24, 4096, 128]));
    g.output('y', F.sdpa(q, k, v));
    const bytes = new TextDecoder('latin1').decode(serialize(g, g.outputs).bytes);
    expect(bytes).toContain('MultiHeadAttention');
    expect(bytes).toContain('com.microsoft');
    expect(scoresOf(g, 4096)).toEqual([]);
  });

  it('float64 graphs (no fused kernel) chunk attention whose scores would be large', () => {
    const g = new Graph();
    const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, [1, 24, 4096, 128], 'float64'));
    g.output('y', F.sdpa(q, k, v));
    expect(scoresOf(g, 4096)).toEqual([]);
    expect(opsOf(g).filter((op) => op === 'Softmax')).toHaveLength(4); // 4096 queries in chunks of 1024
  });
});

describe('training graphs keep the differentiable composite form', () => {
  it('a differentiable graph (as the Trainer builds) gets MatMul–Softmax–MatMul; its inference twin does not', () => {
    const build = (g: Graph) =>
      g.build(() => {
        const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, [1, 2, 64, 8]));
        g.output('y', F.sdpa(q, k, v));
      });
    const train = new Graph('input', { differentiable: true });
    build(train);
    expect(opsOf(train)).toEqual(expect.arrayContaining(['MatMul', 'Softmax']));
    expect(opsOf(train)).not.toContain('MultiHeadAttention');
    const infer = new Graph('input');
    build(infer);
    expect(opsOf(infer)).toContain('MultiHeadAttention');
    expect(opsOf(infer)).not.toContain('Softmax');
  });
});

describe('chunked and fused attention equal the composite form', () => {
  const rand = (shape: number[], seed: number): HostTensor => {
    const r = mulberry32(seed);
    return {
      dtype: 'float32',
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 3 * (2 * r() - 1)),
    };
  };

  async function run(impl: AttentionImpl, feeds: Record<string, HostTensor>, chunk?: number): Promise<Float32Array> {
    const g = new Graph();
    const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, feeds[n].shape));
    g.output('y', F.sdpa(q, k, v, { impl, chunk }));
    if (impl === 'chunked' && chunk) {
      const softmaxes = opsOf(g).filter((op) => op === 'Softmax').length;
      expect(softmaxes).toBe(Math.ceil(feeds.q.shape[2] / chunk));
    }
    return (await (await compile(g, { noCache: true })).run(feeds)).y.data as Float32Array;
  }

  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

  for (const [name, B, H, Lq, Lk, D] of [
    ['multi-head, Lq ≠ Lk', 2, 3, 50, 37, 16],
    ['one head, wide (the AE shape)', 1, 1, 64, 64, 96],
  ] as const) {
    it(`${name}: chunks of 7 and 16 (not dividing ${Lq}), 1, ${Lq} and more; fused`, async () => {
      const feeds = { q: rand([B, H, Lq, D], 1), k: rand([B, H, Lk, D], 2), v: rand([B, H, Lk, D], 3) };
      const ref = await run('composite', feeds);
      expect(ref.length).toBe(B * Lq * H * D);
      const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (const chunk of [7, 16, 1, Lq, Lq + 5]) {
        expect(maxDiff(await run('chunked', feeds, chunk), ref) / scale, `chunk ${chunk}`).toBeLessThan(1e-5);
      }
      expect(maxDiff(await run('fused', feeds), ref) / scale, 'fused').toBeLessThan(1e-5);
    });
  }
});
