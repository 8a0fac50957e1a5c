// The CLIP text transformer FLUX takes its `vec` from: Hugging Face `CLIPTextModel` (openai/clip-vit-large-patch14,
// the `text_encoder/` of a FLUX checkpoint), module and parameter names = the checkpoint keys
// (`text_model.encoder.layers.0.self_attn.q_proj.weight`, ...).
//
//   ids [B, 77] → token + position embeddings
//     → N × pre-norm layer: x += out_proj(attention(layer_norm1(x)))      causal: token i sees tokens 0..i
//                           x += fc2(quick_gelu(fc1(layer_norm2(x))))    quick_gelu(x) = x·σ(1.702·x)
//     → final_layer_norm → last_hidden_state [B, 77, D]
//   pooler_output [B, D] = last_hidden_state at the first <|endoftext|>. Hugging Face finds it as argmax(ids):
//   49407 is the largest id, and argmax returns the first of equal maxima. No text projection: FLUX reads the
//   pooled state itself (768 features for CLIP-L).

import { Embedding, F, Graph, LayerNorm, Linear, Module, ModuleList, type Tensor } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { requirePositiveIntegers, requirePositiveNumber } from './config-fields.ts';
import { noTaps, type Taps } from '../transformer/layers.ts';
import { attend, fromHeads, toHeads } from './attention.ts';

/** The fields of a Hugging Face CLIPTextConfig (config.json of `text_encoder/`) the model needs. */
export interface ClipTextConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  vocab_size: number;
  max_position_embeddings: number;
  hidden_act: 'quick_gelu' | 'gelu';
  layer_norm_eps: number;
}

/** CLIP ViT-L/14's text model, as FLUX uses it. */
export const CLIP_L: ClipTextConfig = {
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  vocab_size: 49408,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
};

const INT_FIELDS = [
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'vocab_size',
  'max_position_embeddings',
] as const;

/** Check a config object (e.g. parsed config.json), naming the field that is missing or wrong. */
export function checkClipConfig(c: unknown, where = 'CLIP text config'): ClipTextConfig {
  const o = (c ?? {}) as Record<string, unknown>;
  requirePositiveIntegers(o, INT_FIELDS, where);
  if (o.hidden_act !== 'quick_gelu' && o.hidden_act !== 'gelu')
    throw new UserError(`${where}: hidden_act must be 'quick_gelu' or 'gelu', got ${JSON.stringify(o.hidden_act)}`);
  requirePositiveNumber(o, 'layer_norm_eps', where);
  const cfg = Object.fromEntries(
    [...INT_FIELDS, 'hidden_act', 'layer_norm_eps'].map((f) => [f, o[f]]),
  ) as unknown as ClipTextConfig;
  if (cfg.hidden_size % cfg.num_attention_heads)
    throw new UserError(
      `${where}: hidden_size ${cfg.hidden_size} is not divisible by num_attention_heads ${cfg.num_attention_heads}`,
    );
  return cfg;
}

class ClipAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly out_proj: Linear;
  constructor(
    dim: number,
    readonly heads: number,
  ) {
    super();
    this.q_proj = this.child('q_proj', new Linear(dim, dim));
    this.k_proj = this.child('k_proj', new Linear(dim, dim));
    this.v_proj = this.child('v_proj', new Linear(dim, dim));
    this.out_proj = this.child('out_proj', new Linear(dim, dim));
  }
  /** x [B, L, D], mask [1, 1, L, L] (0 on and below the diagonal, very negative above) */
  forward(x: Tensor, mask: Tensor): Tensor {
    return this.scope(() => {
      const [q, k, v] = [this.q_proj, this.k_proj, this.v_proj].map((p) => toHeads(p.forward(x), this.heads));
      const scale = 1 / Math.sqrt(q.shape[3]);
      return this.out_proj.forward(fromHeads(attend(q, k, v, scale, mask)));
    });
  }
}

class ClipMLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(
    dim: number,
    hidden: number,
    readonly act: ClipTextConfig['hidden_act'],
  ) {
    super();
    this.fc1 = this.child('fc1', new Linear(dim, hidden));
    this.fc2 = this.child('fc2', new Linear(hidden, dim));
  }
  forward(x: Tensor): Tensor {
    const h = this.fc1.forward(x);
    // quick_gelu is the sigmoid approximation CLIP was trained with; 'gelu' (exact, erf) for other CLIP variants
    const a = this.act === 'quick_gelu' ? F.mul(h, F.sigmoid(F.mul(h, 1.702))) : F.gelu(h, 'none');
    return this.fc2.forward(a);
  }
}

class ClipEncoderLayer extends Module {
  readonly self_attn: ClipAttention;
  readonly layer_norm1: LayerNorm;
  readonly mlp: ClipMLP;
  readonly layer_norm2: LayerNorm;
  constructor(c: ClipTextConfig) {
    super();
    this.self_attn = this.child('self_attn', new ClipAttention(c.hidden_size, c.num_attention_heads));
    this.layer_norm1 = this.child('layer_norm1', new LayerNorm(c.hidden_size, c.layer_norm_eps));
    this.mlp = this.child('mlp', new ClipMLP(c.hidden_size, c.intermediate_size, c.hidden_act));
    this.layer_norm2 = this.child('layer_norm2', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  forward(x: Tensor, mask: Tensor): Tensor {
    const h = F.add(x, this.self_attn.forward(this.layer_norm1.forward(x), mask));
    return F.add(h, this.mlp.forward(this.layer_norm2.forward(h)));
  }
}

class ClipEmbeddings extends Module {
  readonly token_embedding: Embedding;
  readonly position_embedding: Embedding;
  constructor(c: ClipTextConfig) {
    super();
    this.token_embedding = this.child('token_embedding', new Embedding(c.vocab_size, c.hidden_size));
    this.position_embedding = this.child('position_embedding', new Embedding(c.max_position_embeddings, c.hidden_size));
  }
  /** token i gets position i */
  forward(ids: Tensor): Tensor {
    return this.scope(() =>
      F.add(this.token_embedding.forward(ids), F.slice(this.position_embedding.weight, 0, 0, ids.shape[1])),
    );
  }
}

class ClipEncoder extends Module {
  readonly layers: ModuleList<ClipEncoderLayer>;
  constructor(c: ClipTextConfig) {
    super();
    this.layers = this.child(
      'layers',
      new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new ClipEncoderLayer(c))),
    );
  }
}

class ClipTextTransformer extends Module {
  readonly embeddings: ClipEmbeddings;
  readonly encoder: ClipEncoder;
  readonly final_layer_norm: LayerNorm;
  constructor(c: ClipTextConfig) {
    super();
    this.embeddings = this.child('embeddings', new ClipEmbeddings(c));
    this.encoder = this.child('encoder', new ClipEncoder(c));
    this.final_layer_norm = this.child('final_layer_norm', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
}

export interface ClipTextOutput {
  last_hidden_state: Tensor;
  pooler_output: Tensor;
}

/** Hugging Face CLIPTextModel (root keys `text_model.*`). */
export class ClipTextModel extends Module {
  readonly text_model: ClipTextTransformer;
  constructor(readonly config: ClipTextConfig) {
    super();
    checkClipConfig(config);
    this.text_model = this.child('text_model', new ClipTextTransformer(config));
  }

  /** ids [B, L] int64 (L ≤ max_position_embeddings). Taps: 'layer.<i>' = hidden state after layer i. */
  forward(ids: Tensor, taps: Taps = noTaps): ClipTextOutput {
    const [, L] = ids.shape;
    if (ids.rank !== 2 || ids.dtype !== 'int64') throw new Error(`ClipTextModel: ids must be int64 [B, L], got ${ids}`);
    if (L > this.config.max_position_embeddings)
      throw new UserError(`CLIP: ${L} tokens, the model has ${this.config.max_position_embeddings} positions`);
    const tm = this.text_model;
    const mask = causalMask(ids.graph, L);
    let x = tm.embeddings.forward(ids);
    tm.encoder.layers.items.forEach((layer, i) => {
      x = taps(`layer.${i}`, layer.forward(x, mask));
    });
    const last = tm.final_layer_norm.forward(x);
    return { last_hidden_state: last, pooler_output: firstEosRows(last, ids) };
  }
}

/**
 * [1, 1, L, L]: 0 where key ≤ query, float32 min above the diagonal (Hugging Face adds finfo.min there, so
 * softmax gives those keys weight exactly 0).
 */
export function causalMask(g: Graph, L: number): Tensor {
  return g.cached(`clip-causal:${L}`, () => {
    const data = new Float32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) data[i * L + j] = -3.4028234663852886e38;
    return g.constant({ dtype: 'float32', shape: [1, 1, L, L], data }, 'causal_mask');
  });
}

/**
 * The rows of h [B, L, D] at each sequence's first maximum id (argmax of ids, first on ties), in the graph:
 * mark the positions holding the row's largest id, weight them L−i so the earliest scores highest, and take that
 * one position as a one-hot row (a matmul with a one-hot vector copies the row exactly).
 */
export function firstEosRows(h: Tensor, ids: Tensor): Tensor {
  const [B, L, D] = h.shape;
  const idf = F.cast(ids, 'float32'); // ids < 2^24 are exact in float32
  const isMax = F.cast(F.equal(idf, F.reduceMax(idf, [1])), 'float32');
  const rank = h.graph.constant(
    { dtype: 'float32', shape: [L], data: Float32Array.from({ length: L }, (_, i) => L - i) },
    'first_rank',
  );
  const score = F.mul(isMax, rank);
  const onehot = F.cast(F.equal(score, F.reduceMax(score, [1])), 'float32'); // [B, L]
  return F.reshape(F.matmul(F.reshape(onehot, [B, 1, L]), h), [B, D]);
}

/** An inference graph: 'input_ids' [B, L] int64 → 'last_hidden_state', 'pooler_output' (+ 'trace.<tap>'). */
export function clipTextGraph(
  model: ClipTextModel,
  batch: number,
  length: number,
  opts: { trace?: string[] } = {},
): Graph {
  const g = new Graph();
  g.build(() => {
    const trace = new Set(opts.trace ?? []);
    const taps: Taps = (name, t) => (trace.has(name) ? g.output(`trace.${name}`, t) : t);
    const r = model.forward(g.input('input_ids', [batch, length], 'int64'), taps);
    g.output('last_hidden_state', r.last_hidden_state);
    g.output('pooler_output', r.pooler_output);
  });
  return g;
}
