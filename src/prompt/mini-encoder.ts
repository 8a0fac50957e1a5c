// The text encoder of the embedded model: a small pre-norm transformer encoder over MiniTokenizer ids, trained with
// the flow model. It plays both of FLUX's text roles:
//   txt [B, T, dim]  per-token features (T5's role; the transformer's txt_in reads them)
//   vec [B, dim]     the [CLS] token's feature (CLIP's pooled role; vector_in reads it)
// Padding is masked out of the encoder's attention (the transformer then sees the pad tokens' features, as FLUX
// sees T5's).

import { F, Graph, LayerNorm, Linear, Module, ModuleList, type Parameter, type Tensor } from '../engine/index.ts';
import { PAD } from './mini-tokenizer.ts';

export interface MiniTextParams {
  vocab_size: number;
  dim: number;
  depth: number;
  num_heads: number;
  /** positions learned (the longest sequence) */
  max_length: number;
  mlp_ratio: number;
}

class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(
    dim: number,
    readonly heads: number,
  ) {
    super();
    this.qkv = this.child('qkv', new Linear(dim, 3 * dim));
    this.proj = this.child('proj', new Linear(dim, dim));
  }
  /** x [B, T, D], bias [B, 1, 1, T] (0 for tokens, −1e4 for padding) */
  forward(x: Tensor, bias: Tensor): Tensor {
    return this.scope(() => {
      const [B, T, D] = x.shape;
      const H = this.heads;
      const qkv = F.transpose(F.reshape(this.qkv.forward(x), [B, T, 3, H, D / H]), [2, 0, 3, 1, 4]);
      const [q, k, v] = F.split(qkv, [1, 1, 1], 0).map((t) => F.reshape(t, [B, H, T, D / H]));
      const scores = F.add(F.matmul(F.mul(q, 1 / Math.sqrt(D / H)), F.mT(k)), bias);
      const out = F.matmul(F.softmax(scores, -1), v); // [B, H, T, D/H]
      return this.proj.forward(F.reshape(F.transpose(out, [0, 2, 1, 3]), [B, T, D]));
    });
  }
}

class Layer extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, heads: number, mlpRatio: number) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm(dim, 1e-6));
    this.attn = this.child('attn', new Attention(dim, heads));
    this.norm2 = this.child('norm2', new LayerNorm(dim, 1e-6));
    this.fc1 = this.child('fc1', new Linear(dim, Math.round(dim * mlpRatio)));
    this.fc2 = this.child('fc2', new Linear(Math.round(dim * mlpRatio), dim));
  }
  forward(x: Tensor, bias: Tensor): Tensor {
    const h = F.add(x, this.attn.forward(this.norm1.forward(x), bias));
    return F.add(h, this.fc2.forward(F.gelu(this.fc1.forward(this.norm2.forward(h)), 'tanh')));
  }
}

export class MiniTextEncoder extends Module {
  readonly token_embedding: Parameter;
  readonly position_embedding: Parameter;
  readonly layers: ModuleList<Layer>;
  readonly final_norm: LayerNorm;

  constructor(readonly params: MiniTextParams) {
    super();
    const p = params;
    if (p.dim % p.num_heads)
      throw new Error(`MiniTextParams: dim ${p.dim} is not divisible by num_heads ${p.num_heads}`);
    this.token_embedding = this.param('token_embedding', [p.vocab_size, p.dim]);
    this.position_embedding = this.param('position_embedding', [p.max_length, p.dim]);
    this.layers = this.child(
      'layers',
      new ModuleList(Array.from({ length: p.depth }, () => new Layer(p.dim, p.num_heads, p.mlp_ratio))),
    );
    this.final_norm = this.child('final_norm', new LayerNorm(p.dim, 1e-6));
  }

  /** ids [B, T] int64 → txt [B, T, dim], vec [B, dim]. */
  forward(ids: Tensor): { txt: Tensor; vec: Tensor } {
    return this.scope(() => {
      const [B, T] = ids.shape;
      if (T > this.params.max_length)
        throw new Error(`MiniTextEncoder: ${T} tokens, at most ${this.params.max_length}`);
      // attention bias from the ids: −1e4 where the key is padding
      const bias = F.reshape(F.mul(F.cast(F.equal(ids, ids.graph.scalar(PAD, 'int64')), 'float32'), -1e4), [
        B,
        1,
        1,
        T,
      ]);
      let x = F.add(F.gather(this.token_embedding, ids, 0), F.slice(this.position_embedding, 0, 0, T));
      for (const layer of this.layers.items) x = layer.forward(x, bias);
      const txt = this.final_norm.forward(x);
      const vec = F.reshape(F.slice(txt, 1, 0, 1), [B, this.params.dim]);
      return { txt, vec };
    });
  }
}

/** An inference graph: input 'ids' [B, T] int64 → 'txt', 'vec'. */
export function textEncoderGraph(
  enc: MiniTextEncoder,
  batch: number,
  length: number,
  mode: 'constant' | 'input' = 'constant',
): Graph {
  const g = new Graph(mode);
  g.build(() => {
    const r = enc.forward(g.input('ids', [batch, length], 'int64'));
    g.output('txt', r.txt);
    g.output('vec', r.vec);
  });
  return g;
}
