// The Flux transformer, after black-forest-labs/flux `src/flux/model.py` (../shared/docs/kontext-reference.md §2.1).
//
//   img  [B, N+M, 64]  (noisy target tokens, then clean context tokens)   img_ids [B, N+M, 3]
//   txt  [B, T, 4096]  (T5)                                               txt_ids [B, T, 3] (zeros)
//   timesteps [B], guidance [B], y [B, 768] (CLIP pooled)
//   → velocity for every image token [B, N+M, 64]

import { F, Graph, Linear, Module, ModuleList, type Tensor } from '../engine/index.ts';
import {
  DoubleStreamBlock,
  embedND,
  LastLayer,
  MLPEmbedder,
  noTaps,
  SingleStreamBlock,
  type Taps,
  timestepEmbedding,
} from './layers.ts';
import { checkFluxParams, type FluxParams } from './params.ts';

export interface FluxInputs {
  img: Tensor;
  img_ids: Tensor;
  txt: Tensor;
  txt_ids: Tensor;
  timesteps: Tensor;
  y: Tensor;
  guidance?: Tensor | null;
}

export class Flux extends Module {
  readonly img_in: Linear;
  readonly time_in: MLPEmbedder;
  readonly vector_in: MLPEmbedder;
  readonly guidance_in: MLPEmbedder | null;
  readonly txt_in: Linear;
  readonly double_blocks: ModuleList<DoubleStreamBlock>;
  readonly single_blocks: ModuleList<SingleStreamBlock>;
  readonly final_layer: LastLayer;

  constructor(readonly params: FluxParams) {
    super();
    checkFluxParams(params);
    const H = params.hidden_size;
    this.img_in = this.child('img_in', new Linear(params.in_channels, H));
    this.time_in = this.child('time_in', new MLPEmbedder(256, H));
    this.vector_in = this.child('vector_in', new MLPEmbedder(params.vec_in_dim, H));
    this.guidance_in = params.guidance_embed ? this.child('guidance_in', new MLPEmbedder(256, H)) : null;
    this.txt_in = this.child('txt_in', new Linear(params.context_in_dim, H));
    const blocks = Array.from(
      { length: params.depth },
      () => new DoubleStreamBlock(H, params.num_heads, params.mlp_ratio, params.qkv_bias),
    );
    this.double_blocks = this.child('double_blocks', new ModuleList(blocks));
    const singles = Array.from(
      { length: params.depth_single_blocks },
      () => new SingleStreamBlock(H, params.num_heads, params.mlp_ratio),
    );
    this.single_blocks = this.child('single_blocks', new ModuleList(singles));
    this.final_layer = this.child('final_layer', new LastLayer(H, params.out_channels));
  }

  /** Taps: 'timestep_embedding', 'vec', 'pe', 'img_in.out', 'txt_in.out', 'double.<i>.img|txt',
   *  'double_blocks.<i>.img_attn.out' (image attention output before gating: the FluxSpace edit point),
   *  'double_blocks.<i>.txt_attn.out', 'single.<j>.out'. */
  forward(inp: FluxInputs, taps: Taps = noTaps): Tensor {
    const p = this.params;
    let img = taps('img_in.out', this.img_in.forward(inp.img));
    const temb = taps('timestep_embedding', timestepEmbedding(inp.timesteps, 256));
    let vec = this.time_in.forward(temb);
    if (this.guidance_in) {
      if (!inp.guidance) throw new Error('Flux: this model has a guidance embedding; pass a guidance value');
      vec = F.add(vec, this.guidance_in.forward(timestepEmbedding(inp.guidance, 256)));
    }
    vec = taps('vec', F.add(vec, this.vector_in.forward(inp.y)));
    let txt = taps('txt_in.out', this.txt_in.forward(inp.txt));

    const ids = F.concat([inp.txt_ids, inp.img_ids], 1);
    const pe = taps('pe', embedND(ids, p.axes_dim, p.theta));

    this.double_blocks.items.forEach((block, i) => {
      const r = block.forward(img, txt, vec, pe, taps);
      img = taps(`double.${i}.img`, r.img);
      txt = taps(`double.${i}.txt`, r.txt);
    });
    let x = F.concat([txt, img], 1);
    this.single_blocks.items.forEach((block, j) => {
      x = taps(`single.${j}.out`, block.forward(x, vec, pe));
    });
    const T = txt.shape[1];
    img = F.slice(x, 1, T, x.shape[1]);
    return this.final_layer.forward(img, vec);
  }
}

export interface FluxShapes {
  batch: number;
  /** image tokens (target + context) */
  imgTokens: number;
  txtTokens: number;
}

/**
 * An inference graph for one input shape, with inputs named as in the reference (img, img_ids, txt, txt_ids,
 * timesteps, y, guidance) and the output 'out'. `trace` names taps whose tensors become extra outputs.
 */
export function fluxGraph(model: Flux, s: FluxShapes, opts: { trace?: string[]; taps?: Taps } = {}): Graph {
  const p = model.params;
  const g = new Graph();
  g.build(() => {
    const inp: FluxInputs = {
      img: g.input('img', [s.batch, s.imgTokens, p.in_channels]),
      img_ids: g.input('img_ids', [s.batch, s.imgTokens, 3]),
      txt: g.input('txt', [s.batch, s.txtTokens, p.context_in_dim]),
      txt_ids: g.input('txt_ids', [s.batch, s.txtTokens, 3]),
      timesteps: g.input('timesteps', [s.batch]),
      y: g.input('y', [s.batch, p.vec_in_dim]),
      guidance: p.guidance_embed ? g.input('guidance', [s.batch]) : null,
    };
    const trace = new Set(opts.trace ?? []);
    const taps: Taps = (name, t) => {
      const u = opts.taps ? opts.taps(name, t) : t;
      if (trace.has(name)) g.output(`trace.${name}`, u);
      return u;
    };
    g.output('out', model.forward(inp, taps));
  });
  return g;
}
