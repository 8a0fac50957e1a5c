// The text encoders on the engine: CLIP and T5 against the reference fixtures (outputs and per-layer traces), the
// full-size module trees against the official key/shape lists (built without allocating weights), the conventions
// that are easy to get wrong (first-EOS pooling, T5's relative position buckets, tied embeddings), bad configs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type HostTensor, loadParameters, numel, type TensorSource } from '../../src/engine/index.ts';
import { toFloat32 } from '../../src/io/floats.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { CLIP_L, checkClipConfig, ClipTextModel, clipTextGraph } from '../../src/prompt/clip.ts';
import { idsTensor } from '../../src/prompt/tokenizers.ts';
import {
  checkT5Config,
  relativePositionBuckets,
  T5_XXL,
  T5EncoderModel,
  t5EncoderGraph,
  withTiedKeys,
} from '../../src/prompt/t5.ts';
import { maxRelErr } from '../../src/verify/compare.ts';
import { TEXT_FIXTURES } from '../fixtures-path.ts';

const json = (f: string) => JSON.parse(readFileSync(join(TEXT_FIXTURES, f), 'utf8'));

async function readIo(name: string): Promise<Record<string, HostTensor>> {
  const io = await SafetensorsFile.open(join(TEXT_FIXTURES, `${name}.io.safetensors`));
  const out = Object.fromEntries(await Promise.all(io.keys().map(async (k) => [k, await io.read(k)] as const)));
  await io.close();
  return out;
}

async function loadFrom<M extends ClipTextModel | T5EncoderModel>(
  model: M,
  file: string,
  wrap: (s: TensorSource) => TensorSource = (s) => s,
): Promise<M> {
  const w = await SafetensorsFile.open(join(TEXT_FIXTURES, file));
  await loadParameters(model, wrap(w));
  await w.close();
  return model;
}

describe('CLIP text model (tiny fixture)', () => {
  let model: ClipTextModel;
  let io: Record<string, HostTensor>;
  beforeAll(async () => {
    model = await loadFrom(
      new ClipTextModel(checkClipConfig(json('clip-tiny.json').config)),
      'clip-tiny.weights.safetensors',
    );
    io = await readIo('clip-tiny');
  });

  it('reproduces last_hidden_state, pooler_output and every layer trace within 1e-4', async () => {
    const [B, L] = io['in.input_ids'].shape;
    const run = await compile(clipTextGraph(model, B, L, { trace: ['layer.0', 'layer.1'] }), { noCache: true });
    const out = await run.run({ input_ids: io['in.input_ids'] });
    await run.release();
    for (const k of ['trace.layer.0', 'trace.layer.1', 'out.last_hidden_state', 'out.pooler_output']) {
      expect(maxRelErr(out[k.replace('out.', '')].data as Float32Array, toFloat32(io[k])), k).toBeLessThan(1e-4);
    }
  });

  it('pools the state at the FIRST end-of-text (argmax of the ids, first on ties)', async () => {
    const E = 49407;
    const rows = [
      [49406, 320, E, 518, E, ...Array(72).fill(E)], // first EOS at 2 (a second one at 4)
      [49406, ...Array(75).fill(320), E], // a full prompt: EOS last
      [49406, 7, 49406, 9, ...Array(73).fill(3)], // no EOS: the first largest id (49406 at 0)
    ];
    const run = await compile(clipTextGraph(model, 3, 77));
    const out = await run.run({ input_ids: idsTensor(rows) });
    const h = out.last_hidden_state.data as Float32Array;
    const pooled = out.pooler_output.data as Float32Array;
    const D = 64;
    [2, 76, 0].forEach((pos, b) => {
      expect([...pooled.subarray(b * D, (b + 1) * D)]).toEqual([
        ...h.subarray((b * 77 + pos) * D, (b * 77 + pos + 1) * D),
      ]);
    });
  });

  it('is causal: a token does not see the tokens after it', async () => {
    const a = [49406, 320, 1125, 539, 320, 2368, 49407, ...Array(70).fill(49407)];
    const b = [...a.slice(0, 3), 999, 888, 777, ...a.slice(6)];
    const run = await compile(clipTextGraph(model, 2, 77));
    const h = (await run.run({ input_ids: idsTensor([a, b]) })).last_hidden_state.data as Float32Array;
    const row = (s: number, p: number) => [...h.subarray((s * 77 + p) * 64, (s * 77 + p + 1) * 64)];
    expect(row(0, 2)).toEqual(row(1, 2));
    expect(row(0, 3)).not.toEqual(row(1, 3));
  });
});

describe('T5 v1.1 encoder (tiny fixture)', () => {
  let model: T5EncoderModel;
  let io: Record<string, HostTensor>;
  let out: Record<string, HostTensor>;
  beforeAll(async () => {
    model = await loadFrom(
      new T5EncoderModel(checkT5Config(json('t5-tiny.json').config)),
      't5-tiny.weights.safetensors',
    );
    io = await readIo('t5-tiny');
    const [B, L] = io['in.input_ids'].shape;
    const run = await compile(t5EncoderGraph(model, B, L, { trace: ['block.0', 'block.1'] }), { noCache: true });
    out = await run.run({ input_ids: io['in.input_ids'] });
    await run.release();
  });

  it('matches a plain float64 version of the conventions (no scaling, shared position bias, gated GELU)', async () => {
    // independent of the engine: loops over the weights, for two of the six sequences
    const params = new Map(model.namedParameters());
    const w = (k: string) => params.get(k)!.value!.data as Float32Array;
    const c = model.config;
    const [, L] = io['in.input_ids'].shape;
    const D = c.d_model;
    const H = c.num_heads;
    const K = c.d_kv;
    const buckets = relativePositionBuckets(L, c.relative_attention_num_buckets, c.relative_attention_max_distance);
    const table = w('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
    const lin = (x: Float64Array, W: Float32Array, outF: number, inF: number) => {
      const y = new Float64Array(L * outF);
      for (let t = 0; t < L; t++)
        for (let o = 0; o < outF; o++) {
          let s = 0;
          for (let i = 0; i < inF; i++) s += x[t * inF + i] * W[o * inF + i];
          y[t * outF + o] = s;
        }
      return y;
    };
    const rms = (x: Float64Array, g: Float32Array) => {
      const y = new Float64Array(x.length);
      for (let t = 0; t < L; t++) {
        let ms = 0;
        for (let i = 0; i < D; i++) ms += x[t * D + i] ** 2;
        const r = 1 / Math.sqrt(ms / D + c.layer_norm_epsilon);
        for (let i = 0; i < D; i++) y[t * D + i] = g[i] * x[t * D + i] * r;
      }
      return y;
    };
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    for (const b of [1, 5]) {
      const ids = (io['in.input_ids'].data as BigInt64Array).subarray(b * L, (b + 1) * L);
      const emb = w('shared.weight');
      let x = Float64Array.from({ length: L * D }, (_, j) => emb[Number(ids[Math.floor(j / D)]) * D + (j % D)]);
      for (let blk = 0; blk < c.num_layers; blk++) {
        const p = `encoder.block.${blk}.layer.`;
        const h = rms(x, w(`${p}0.layer_norm.weight`));
        const [q, k, v] = ['q', 'k', 'v'].map((n) => lin(h, w(`${p}0.SelfAttention.${n}.weight`), H * K, D));
        const att = new Float64Array(L * H * K);
        const s = new Float64Array(L);
        for (let hd = 0; hd < H; hd++)
          for (let i = 0; i < L; i++) {
            let mx = -Infinity;
            for (let j = 0; j < L; j++) {
              let d = table[Number(buckets[i * L + j]) * H + hd];
              for (let e = 0; e < K; e++) d += q[i * H * K + hd * K + e] * k[j * H * K + hd * K + e];
              s[j] = d;
              mx = Math.max(mx, d);
            }
            let z = 0;
            for (let j = 0; j < L; j++) z += s[j] = Math.exp(s[j] - mx);
            for (let j = 0; j < L; j++)
              for (let e = 0; e < K; e++) att[i * H * K + hd * K + e] += (s[j] / z) * v[j * H * K + hd * K + e];
          }
        const o = lin(att, w(`${p}0.SelfAttention.o.weight`), D, H * K);
        x = x.map((xv, j) => xv + o[j]);
        const h2 = rms(x, w(`${p}1.layer_norm.weight`));
        const g0 = lin(h2, w(`${p}1.DenseReluDense.wi_0.weight`), c.d_ff, D);
        const g1 = lin(h2, w(`${p}1.DenseReluDense.wi_1.weight`), c.d_ff, D);
        const f = lin(
          g0.map((a, j) => gelu(a) * g1[j]),
          w(`${p}1.DenseReluDense.wo.weight`),
          D,
          c.d_ff,
        );
        x = x.map((xv, j) => xv + f[j]);
        const ours = (out[`trace.block.${blk}`].data as Float32Array).subarray(b * L * D, (b + 1) * L * D);
        // float32 vs float64 rounding only (~1e-5: unscaled scores make T5's softmax peaked and sensitive)
        expect(maxRelErr(ours, x), `sequence ${b} block ${blk}`).toBeLessThan(1e-4);
      }
    }
  });

  // KNOWN FIXTURE PROBLEM: t5-tiny.io.safetensors differs from what its own BF16 weights give by 1.7e-2 (block 0)
  // to 4.6e-2 (block 1), both here and in the float64 implementation above; perturbing every weight by random
  // bf16-rounding-sized amounts (±2^-9 relative) gives the same size and pattern of error, while no structural
  // variant comes close (1/√d scaling, a padding mask, other bucket rules, swapped weights, erf GELU, bf16 compute).
  // The T5 reference was most likely computed from the float32 weights before they were rounded to BF16. This test
  // states the requirement; turn `it.fails` into `it` once the fixture is regenerated.
  it.fails('reproduces every block trace and last_hidden_state within 1e-4 (fixture inconsistent, see above)', () => {
    for (const k of ['trace.block.0', 'trace.block.1', 'out.last_hidden_state']) {
      expect(maxRelErr(out[k.replace('out.', '')].data as Float32Array, toFloat32(io[k])), k).toBeLessThan(1e-4);
    }
  });

  it('loads shared.weight from its tied alias encoder.embed_tokens.weight', async () => {
    const renamed = (s: TensorSource): TensorSource => {
      const map = (k: string) => (k === 'encoder.embed_tokens.weight' ? 'shared.weight' : k);
      return {
        keys: () => s.keys().map((k) => (k === 'shared.weight' ? 'encoder.embed_tokens.weight' : k)),
        shape: (k) => s.shape(map(k)),
        readF32: (k) => s.readF32(map(k)),
      };
    };
    const tied = await loadFrom(new T5EncoderModel(model.config), 't5-tiny.weights.safetensors', (s) =>
      withTiedKeys(renamed(s)),
    );
    const bytes = (p: typeof model.shared.weight) => Buffer.from((p.value!.data as Float32Array).buffer);
    expect(bytes(tied.shared.weight).equals(bytes(model.shared.weight))).toBe(true);
  });
});

describe('T5 relative position buckets', () => {
  it('bidirectional, 32 buckets up to 128: exact below 8, logarithmic to 15, keys after the query in 16..31', () => {
    const L = 300;
    const b = relativePositionBuckets(L, 32, 128);
    const at = (q: number, k: number) => Number(b[q * L + k]);
    // key before the query (or the query itself): buckets 0..15
    expect(
      [0, 1, 7, 8, 11, 12, 16, 22, 23, 32, 45, 46, 64, 90, 91, 127, 128, 299].map((d) => at(299, 299 - d)),
    ).toEqual([0, 1, 7, 8, 8, 9, 10, 10, 11, 12, 12, 13, 14, 14, 15, 15, 15, 15]);
    // key after the query: the same, plus 16
    expect([1, 7, 8, 16, 32, 64, 128, 299].map((d) => at(0, d))).toEqual([17, 23, 24, 26, 28, 30, 31, 31]);
  });
});

describe('full-size module trees (no weights allocated)', () => {
  it('CLIP-L text model: keys and shapes are exactly the official ones', () => {
    const ref = json('shapes-clip-l.json');
    const model = new ClipTextModel(CLIP_L);
    expect(Object.fromEntries(model.shapes())).toEqual(ref.shapes);
    expect(model.shapes().size).toBe(ref.tensors);
    expect(model.parameters().reduce((s, p) => s + numel(p.shape), 0)).toBe(ref.params);
    expect(model.parameters().every((p) => p.value === null)).toBe(true);
  });

  it('T5-XXL encoder: keys and shapes, encoder.embed_tokens.weight tied to shared.weight', () => {
    const ref = json('shapes-t5xxl.json');
    const model = new T5EncoderModel(T5_XXL);
    expect(Object.fromEntries(model.checkpointShapes())).toEqual(ref.shapes);
    expect(model.checkpointShapes().size).toBe(ref.tensors);
    expect(model.shapes().has('encoder.embed_tokens.weight')).toBe(false); // one parameter, two names
    expect(model.parameters().reduce((s, p) => s + numel(p.shape), 0)).toBe(ref.params);
  });
});

describe('bad configs', () => {
  it('name the field', () => {
    expect(() => checkClipConfig({ ...CLIP_L, hidden_act: 'relu' })).toThrow(
      "CLIP text config: hidden_act must be 'quick_gelu' or 'gelu', got \"relu\"",
    );
    expect(() => checkClipConfig({ ...CLIP_L, num_attention_heads: 7 })).toThrow(
      'hidden_size 768 is not divisible by num_attention_heads 7',
    );
    const { d_kv: _, ...noKv } = T5_XXL;
    expect(() => checkT5Config(noKv, 'config.json')).toThrow(
      'config.json: d_kv must be a positive integer, got undefined',
    );
    expect(() => checkT5Config({ ...T5_XXL, feed_forward_proj: 'relu' })).toThrow(
      'feed_forward_proj must be \'gated-gelu\' (T5 v1.1, as FLUX uses), got "relu"',
    );
    expect(() => new ClipTextModel({ ...CLIP_L, layer_norm_eps: 0 })).toThrow(
      'layer_norm_eps must be a positive number',
    );
  });
});
