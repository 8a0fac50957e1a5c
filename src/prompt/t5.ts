// The T5 v1.1 encoder FLUX takes its `txt` from: Hugging Face `T5EncoderModel` (google/t5-v1_1-xxl, the
// `text_encoder_2/` of a FLUX checkpoint), module and parameter names = the checkpoint keys
// (`shared.weight`, `encoder.block.0.layer.0.SelfAttention.q.weight`, ...).
//
//   ids [B, 512] → shared (token embedding; no position embedding: positions enter only through the bias below)
//     → N × pre-norm block: x += o(attention(layer_norm(x)))                          layer.0 = SelfAttention
//                           x += wo(gelu_tanh(wi_0(layer_norm(x))) · wi_1(layer_norm(x)))   layer.1 = DenseReluDense
//     → final_layer_norm → last_hidden_state [B, 512, d_model]   (FLUX's txt)
//
// What differs from a textbook transformer, each as Hugging Face `modeling_t5.py` has it:
//   - Layer norms are RMS norms: w · x / sqrt(mean(x²) + eps), no mean subtraction, no bias.
//   - Attention scores are q·kᵀ with NO 1/√d scaling: T5 folds that factor into the initialisation of q, so the
//     trained weights already carry it; scaling again would flatten every attention distribution.
//   - Instead of position embeddings every score gets a learned bias per head that depends on the (bucketed)
//     distance key − query. The table lives in block 0 only (`relative_attention_bias`, [buckets, heads]); the
//     bias it gives is computed once and added in every block.
//   - No attention mask: FLUX calls the encoder without one, so every position, padding included, attends to
//     all 512 (and the padding's states are part of txt).
//   - `encoder.embed_tokens.weight` is the same tensor as `shared.weight` (tied); a file may hold either or both.

import {
  Embedding,
  F,
  Graph,
  Linear,
  Module,
  ModuleList,
  type Parameter,
  type Tensor,
  type TensorSource,
} from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { requirePositiveIntegers, requirePositiveNumber } from './config-fields.ts';
import { noTaps, type Taps } from '../transformer/layers.ts';
import { attend, fromHeads, toHeads } from './attention.ts';

/** The fields of a Hugging Face T5Config (config.json of `text_encoder_2/`) the encoder needs. */
export interface T5Config {
  d_model: number;
  d_kv: number;
  num_heads: number;
  d_ff: number;
  num_layers: number;
  vocab_size: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  /** T5 v1.1: 'gated-gelu' (GELU with the tanh approximation, Hugging Face's gelu_new) */
  feed_forward_proj: 'gated-gelu';
  layer_norm_epsilon: number;
}

/** google/t5-v1_1-xxl's encoder, as FLUX uses it. */
export const T5_XXL: T5Config = {
  d_model: 4096,
  d_kv: 64,
  num_heads: 64,
  d_ff: 10240,
  num_layers: 24,
  vocab_size: 32128,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  feed_forward_proj: 'gated-gelu',
  layer_norm_epsilon: 1e-6,
};

const INT_FIELDS = [
  'd_model',
  'd_kv',
  'num_heads',
  'd_ff',
  'num_layers',
  'vocab_size',
  'relative_attention_num_buckets',
  'relative_attention_max_distance',
] as const;

/** Check a config object (e.g. parsed config.json), naming the field that is missing or wrong. */
export function checkT5Config(c: unknown, where = 'T5 config'): T5Config {
  const o = (c ?? {}) as Record<string, unknown>;
  requirePositiveIntegers(o, INT_FIELDS, where);
  if (o.feed_forward_proj !== 'gated-gelu') {
    throw new UserError(
      `${where}: feed_forward_proj must be 'gated-gelu' (T5 v1.1, as FLUX uses), ` +
        `got ${JSON.stringify(o.feed_forward_proj)}`,
    );
  }
  requirePositiveNumber(o, 'layer_norm_epsilon', where);
  if ((o.relative_attention_num_buckets as number) % 4)
    throw new UserError(
      `${where}: relative_attention_num_buckets must be a multiple of 4, got ${o.relative_attention_num_buckets}`,
    );
  return Object.fromEntries(
    [...INT_FIELDS, 'feed_forward_proj', 'layer_norm_epsilon'].map((f) => [f, o[f]]),
  ) as unknown as T5Config;
}

/** Checkpoint keys that name the same tensor as a module parameter: alias → parameter key. */
export const T5_TIED: Readonly<Record<string, string>> = { 'encoder.embed_tokens.weight': 'shared.weight' };

const f32 = Math.fround;

/**
 * The bucket of every (query i, key j) pair for an L-token sequence, [L, L], as Hugging Face
 * `T5Attention._relative_position_bucket(bidirectional=True)` computes it in float32:
 *   half the buckets for keys after the query (j > i), half for the rest; in each half, distances below a
 *   quarter of the buckets get a bucket each ("exact"), larger ones share buckets logarithmically up to
 *   max_distance, and everything farther lands in the last bucket.
 * Each float step is rounded to float32 like torch's, so the boundary distances (16, 32, 64 for 32 buckets) fall
 * in the same bucket as in the reference.
 */
export function relativePositionBuckets(L: number, numBuckets: number, maxDistance: number): BigInt64Array {
  const half = numBuckets / 2;
  const maxExact = half / 2;
  const logRange = f32(Math.log(maxDistance / maxExact));
  const bucketOf = (n: number): number => {
    if (n < maxExact) return n;
    const scaled = f32(f32(f32(Math.log(f32(n / maxExact))) / logRange) * (half - maxExact));
    return Math.min(maxExact + Math.trunc(scaled), half - 1);
  };
  const out = new BigInt64Array(L * L);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) out[i * L + j] = BigInt((j > i ? half : 0) + bucketOf(Math.abs(j - i)));
  }
  return out;
}

/** T5LayerNorm: RMS norm with a weight and no bias. */
class T5LayerNorm extends Module {
  readonly weight: Parameter;
  constructor(
    dim: number,
    readonly eps: number,
  ) {
    super();
    this.weight = this.param('weight', [dim]);
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.rmsNorm(x, this.weight, this.eps));
  }
}

class T5Attention extends Module {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  /** the relative-position table [buckets, heads]; only block 0 has one */
  readonly relative_attention_bias: Embedding | null;
  constructor(
    readonly c: T5Config,
    hasBias: boolean,
  ) {
    super();
    const inner = c.num_heads * c.d_kv;
    this.q = this.child('q', new Linear(c.d_model, inner, false));
    this.k = this.child('k', new Linear(c.d_model, inner, false));
    this.v = this.child('v', new Linear(c.d_model, inner, false));
    this.o = this.child('o', new Linear(inner, c.d_model, false));
    this.relative_attention_bias = hasBias
      ? this.child('relative_attention_bias', new Embedding(c.relative_attention_num_buckets, c.num_heads))
      : null;
  }

  /** The position bias [1, H, L, L] from this block's table. */
  positionBias(g: Graph, L: number): Tensor {
    const table = this.relative_attention_bias;
    if (!table) throw new Error(`${this.path}: only the first block has the relative attention bias`);
    return this.scope(() => {
      const buckets = g.constant(
        {
          dtype: 'int64',
          shape: [L, L],
          data: relativePositionBuckets(
            L,
            this.c.relative_attention_num_buckets,
            this.c.relative_attention_max_distance,
          ),
        },
        'rel_buckets',
      );
      return F.unsqueeze(F.transpose(table.forward(buckets), [2, 0, 1]), 0); // [L, L, H] → [1, H, L, L]
    });
  }

  forward(x: Tensor, bias: Tensor): Tensor {
    return this.scope(() => {
      const [q, k, v] = [this.q, this.k, this.v].map((p) => toHeads(p.forward(x), this.c.num_heads));
      return this.o.forward(fromHeads(attend(q, k, v, 1, bias))); // scale 1: see the header
    });
  }
}

class T5LayerSelfAttention extends Module {
  readonly SelfAttention: T5Attention;
  readonly layer_norm: T5LayerNorm;
  constructor(c: T5Config, hasBias: boolean) {
    super();
    this.SelfAttention = this.child('SelfAttention', new T5Attention(c, hasBias));
    this.layer_norm = this.child('layer_norm', new T5LayerNorm(c.d_model, c.layer_norm_epsilon));
  }
  forward(x: Tensor, bias: Tensor): Tensor {
    return F.add(x, this.SelfAttention.forward(this.layer_norm.forward(x), bias));
  }
}

/** T5DenseGatedActDense: wo(gelu_tanh(wi_0(x)) · wi_1(x)). */
class T5DenseGatedActDense extends Module {
  readonly wi_0: Linear;
  readonly wi_1: Linear;
  readonly wo: Linear;
  constructor(c: T5Config) {
    super();
    this.wi_0 = this.child('wi_0', new Linear(c.d_model, c.d_ff, false));
    this.wi_1 = this.child('wi_1', new Linear(c.d_model, c.d_ff, false));
    this.wo = this.child('wo', new Linear(c.d_ff, c.d_model, false));
  }
  forward(x: Tensor): Tensor {
    return this.wo.forward(F.mul(F.gelu(this.wi_0.forward(x), 'tanh'), this.wi_1.forward(x)));
  }
}

class T5LayerFF extends Module {
  readonly DenseReluDense: T5DenseGatedActDense;
  readonly layer_norm: T5LayerNorm;
  constructor(c: T5Config) {
    super();
    this.DenseReluDense = this.child('DenseReluDense', new T5DenseGatedActDense(c));
    this.layer_norm = this.child('layer_norm', new T5LayerNorm(c.d_model, c.layer_norm_epsilon));
  }
  forward(x: Tensor): Tensor {
    return F.add(x, this.DenseReluDense.forward(this.layer_norm.forward(x)));
  }
}

class T5Block extends Module {
  readonly attention: T5LayerSelfAttention;
  readonly ff: T5LayerFF;
  constructor(c: T5Config, first: boolean) {
    super();
    this.attention = new T5LayerSelfAttention(c, first);
    this.ff = new T5LayerFF(c);
    this.child('layer', new ModuleList<Module>([this.attention, this.ff])); // keys layer.0.* and layer.1.*
  }
  forward(x: Tensor, bias: Tensor): Tensor {
    return this.scope(() => this.ff.forward(this.attention.forward(x, bias)));
  }
}

class T5Stack extends Module {
  readonly block: ModuleList<T5Block>;
  readonly final_layer_norm: T5LayerNorm;
  constructor(c: T5Config) {
    super();
    this.block = this.child(
      'block',
      new ModuleList(Array.from({ length: c.num_layers }, (_, i) => new T5Block(c, i === 0))),
    );
    this.final_layer_norm = this.child('final_layer_norm', new T5LayerNorm(c.d_model, c.layer_norm_epsilon));
  }
}

/** Hugging Face T5EncoderModel (keys `shared.weight`, `encoder.*`). */
export class T5EncoderModel extends Module {
  readonly shared: Embedding;
  readonly encoder: T5Stack;
  constructor(readonly config: T5Config) {
    super();
    checkT5Config(config);
    this.shared = this.child('shared', new Embedding(config.vocab_size, config.d_model));
    this.encoder = this.child('encoder', new T5Stack(config));
  }

  /** Every key and shape a full checkpoint holds: the parameters plus the tied aliases (T5_TIED). */
  checkpointShapes(): Map<string, number[]> {
    const shapes = this.shapes();
    for (const [alias, key] of Object.entries(T5_TIED)) shapes.set(alias, shapes.get(key)!);
    return shapes;
  }

  /** ids [B, L] int64 → last_hidden_state [B, L, d_model]. Taps: 'block.<i>' = hidden state after block i. */
  forward(ids: Tensor, taps: Taps = noTaps): Tensor {
    if (ids.rank !== 2 || ids.dtype !== 'int64')
      throw new Error(`T5EncoderModel: ids must be int64 [B, L], got ${ids}`);
    const blocks = this.encoder.block.items;
    const bias = blocks[0].attention.SelfAttention.positionBias(ids.graph, ids.shape[1]);
    let x = this.shared.forward(ids);
    blocks.forEach((block, i) => {
      x = taps(`block.${i}`, block.forward(x, bias));
    });
    return this.encoder.final_layer_norm.forward(x);
  }
}

/**
 * A TensorSource that also answers for tied parameters: when `shared.weight` is absent but its alias
 * `encoder.embed_tokens.weight` is there, the alias is read.
 */
export function withTiedKeys(source: TensorSource, tied: Readonly<Record<string, string>> = T5_TIED): TensorSource {
  const keys = new Set(source.keys());
  const via = new Map<string, string>();
  for (const [alias, key] of Object.entries(tied)) if (!keys.has(key) && keys.has(alias)) via.set(key, alias);
  if (via.size === 0) return source;
  return {
    keys: () => [...keys, ...via.keys()],
    shape: (key) => source.shape(via.get(key) ?? key),
    readF32: (key) => source.readF32(via.get(key) ?? key),
  };
}

/** An inference graph: 'input_ids' [B, L] int64 → 'last_hidden_state' (+ 'trace.<tap>'). */
export function t5EncoderGraph(
  model: T5EncoderModel,
  batch: number,
  length: number,
  opts: { trace?: string[] } = {},
): Graph {
  const g = new Graph();
  g.build(() => {
    const trace = new Set(opts.trace ?? []);
    const taps: Taps = (name, t) => (trace.has(name) ? g.output(`trace.${name}`, t) : t);
    g.output('last_hidden_state', model.forward(g.input('input_ids', [batch, length], 'int64'), taps));
  });
  return g;
}
