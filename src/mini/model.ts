// kontext-mini as one module tree: `text_encoder.*` (the small text encoder) and `transformer.*` (Flux, BFL key
// names); the autoencoder is separate (trained first, frozen after). The velocity is the transformer's prediction
// for the noisy target tokens given the instruction's tokens and the clean context tokens, exactly the Kontext
// forward pass with the text encoder in front.

import { F, Graph, Module, type ParamMode, type Tensor } from '../engine/index.ts';
import { MiniTextEncoder } from '../prompt/mini-encoder.ts';
import { contextIds, repeatBatch, targetIds } from '../tokens/ids.ts';
import { Flux } from '../transformer/model.ts';
import { type MiniConfig, tokenSide } from './config.ts';

export class MiniModel extends Module {
  readonly text_encoder: MiniTextEncoder;
  readonly transformer: Flux;
  constructor(readonly config: MiniConfig) {
    super();
    this.text_encoder = this.child('text_encoder', new MiniTextEncoder(config.text));
    this.transformer = this.child('transformer', new Flux(config.transformer));
  }

  /**
   * ids [B, T] int64, target [B, N, C] noisy target tokens, context [B, M, C] (M = 0 … k·N), t [B] →
   * velocity of the target tokens [B, N, C]. Position ids: target (0, r, c), context image i (i, r, c).
   */
  velocity(ids: Tensor, target: Tensor, context: Tensor | null, t: Tensor): Tensor {
    const g = ids.graph;
    const [B, N] = target.shape;
    const side = tokenSide(this.config);
    const k = context ? context.shape[1] / N : 0;
    const grid = { rows: side, cols: side };
    const ctxIds = k ? contextIds(Array(k).fill(grid), 'index') : new Float32Array(0);
    const own = targetIds(side, side);
    const all = new Float32Array(own.length + ctxIds.length);
    all.set(own);
    all.set(ctxIds, own.length);
    const L = N * (1 + k);
    const imgIds = g.constant({ dtype: 'float32', shape: [B, L, 3], data: repeatBatch(all, B) }, 'img_ids');
    const { txt, vec } = this.text_encoder.forward(ids);
    const T = ids.shape[1];
    const txtIds = g.constant({ dtype: 'float32', shape: [B, T, 3], data: new Float32Array(B * T * 3) }, 'txt_ids');
    const img = context ? F.concat([target, context], 1) : target;
    const out = this.transformer.forward({ img, img_ids: imgIds, txt, txt_ids: txtIds, timesteps: t, y: vec });
    return k ? F.slice(out, 1, 0, N) : out;
  }
}

/**
 * The sampling graph: inputs 'ids' and 'uncond_ids' [B, T], 'target' [B, N, C], 'context' [B, k·N, C] (when k > 0),
 * 't' [B], 'guidance' [] → 'velocity' [B, N, C] with classifier-free guidance v = v_u + g·(v_c − v_u), the
 * conditional and unconditional halves run as one batch of 2B.
 */
export function velocityGraph(
  m: MiniModel,
  batch: number,
  contexts: number,
  textLength: number,
  mode: ParamMode = 'constant',
): Graph {
  const c = m.config.transformer.in_channels;
  const N = tokenSide(m.config) ** 2;
  const g = new Graph(mode);
  g.build(() => {
    const ids = g.input('ids', [batch, textLength], 'int64');
    const uncond = g.input('uncond_ids', [batch, textLength], 'int64');
    const target = g.input('target', [batch, N, c]);
    const context = contexts ? g.input('context', [batch, contexts * N, c]) : null;
    const t = g.input('t', [batch]);
    const gs = g.input('guidance', []);
    const two = <X extends Tensor | null>(x: X): X => (x ? (F.concat([x, x], 0) as X) : x);
    const v = m.velocity(F.concat([ids, uncond], 0), two(target), two(context), two(t));
    const [vc, vu] = F.split(v, [batch, batch], 0);
    g.output('velocity', F.add(vu, F.mul(F.sub(vc, vu), gs)));
  });
  return g;
}
