// The key layout of the FLUX autoencoder (`ae.safetensors`, LDM naming; ../shared/docs/kontext-reference.md §3.4,
// §4), computed from AutoEncoderParams, and the inverse: AutoEncoderParams inferred from a checkpoint's keys and
// shapes.
//
// Order = state_dict order of BFL `AutoEncoder`: encoder (conv_in, down.*, mid, norm_out, conv_out), then decoder
// (conv_in, mid, up.0 … up.N−1, norm_out, conv_out). The decoder's `up` list is indexed by resolution level
// (up.0 = full resolution) although it runs from up.N−1 down to up.0.
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import { FLUX_AE } from '../autoencoder/params.ts';
import { UserError } from '../errors.ts';
import { blockIndices, type KeyShapes } from './flux-keys.ts';

/** Appends the parameters of the AE's modules to a key map. */
class Layout {
  constructor(readonly keys: KeyShapes = new Map()) {}
  conv(name: string, out: number, inp: number, k: number): void {
    this.keys.set(`${name}.weight`, [out, inp, k, k]);
    this.keys.set(`${name}.bias`, [out]);
  }
  norm(name: string, c: number): void {
    this.keys.set(`${name}.weight`, [c]); // GroupNorm(32, c), affine
    this.keys.set(`${name}.bias`, [c]);
  }
  resnet(name: string, inp: number, out: number): void {
    this.norm(`${name}.norm1`, inp);
    this.conv(`${name}.conv1`, out, inp, 3);
    this.norm(`${name}.norm2`, out);
    this.conv(`${name}.conv2`, out, out, 3);
    if (inp !== out) this.conv(`${name}.nin_shortcut`, out, inp, 1);
  }
  mid(name: string, c: number): void {
    this.resnet(`${name}.block_1`, c, c);
    this.norm(`${name}.attn_1.norm`, c);
    for (const x of ['q', 'k', 'v', 'proj_out']) this.conv(`${name}.attn_1.${x}`, c, c, 1); // 1×1 convs
    this.resnet(`${name}.block_2`, c, c);
  }
}

/** Every parameter of `AutoEncoder(params)`: name → shape, in state_dict order. */
export function expectedAEKeys(p: AutoEncoderParams): KeyShapes {
  const m = new Layout();
  const levels = p.ch_mult.length;

  // encoder: level l maps ch·ch_mult[l−1] → ch·ch_mult[l]; a downsample after every level but the last
  m.conv('encoder.conv_in', p.ch, p.in_channels, 3);
  let c = p.ch;
  for (let l = 0; l < levels; l++) {
    const out = p.ch * p.ch_mult[l];
    for (let b = 0; b < p.num_res_blocks; b++, c = out) m.resnet(`encoder.down.${l}.block.${b}`, c, out);
    if (l !== levels - 1) m.conv(`encoder.down.${l}.downsample.conv`, c, c, 3);
  }
  m.mid('encoder.mid', c);
  m.norm('encoder.norm_out', c);
  m.conv('encoder.conv_out', 2 * p.z_channels, c, 3); // mean and log-variance

  // decoder: built from the deepest level up (num_res_blocks + 1 resnets each) but stored by level index
  const dch = p.decoder_ch ?? p.ch; // kontext-mini may widen its decoder alone (autoencoder/widen.ts)
  c = dch * p.ch_mult[levels - 1];
  m.conv('decoder.conv_in', c, p.z_channels, 3);
  m.mid('decoder.mid', c);
  const up: Layout[] = [];
  for (let l = levels - 1; l >= 0; l--) {
    const level = (up[l] = new Layout());
    const out = dch * p.ch_mult[l];
    for (let b = 0; b <= p.num_res_blocks; b++, c = out) level.resnet(`decoder.up.${l}.block.${b}`, c, out);
    if (l !== 0) level.conv(`decoder.up.${l}.upsample.conv`, c, c, 3);
  }
  for (const level of up) for (const [k, v] of level.keys) m.keys.set(k, v);
  m.norm('decoder.norm_out', c);
  m.conv('decoder.conv_out', p.out_ch, c, 3);
  return m.keys;
}

export interface InferAEOptions {
  /** not stored in checkpoints; default: the FLUX values 0.3611 / 0.1159 */
  scale_factor?: number;
  shift_factor?: number;
  /** unused by the computation (only an attribute of the reference); default 256 */
  resolution?: number;
}

/**
 * AutoEncoderParams from an autoencoder's keys and shapes:
 *   ch, in_channels ← encoder.conv_in.weight [ch, in, 3, 3]
 *   ch_mult[l]      ← encoder.down.l.block.0.conv1 [ch·m, …] / ch
 *   num_res_blocks  ← number of encoder.down.0.block.b
 *   z_channels      ← decoder.conv_in.weight [·, z, 3, 3]
 *   out_ch          ← decoder.conv_out.weight [out, …]
 * scale_factor / shift_factor (the latent normalisation) are not stored: FLUX's values unless given.
 */
export function inferAEParams(shapes: KeyShapes, opts: InferAEOptions = {}): AutoEncoderParams {
  const need = (key: string): number[] => {
    const s = shapes.get(key);
    if (s?.length !== 4)
      throw new UserError(
        `cannot infer the autoencoder configuration: the checkpoint has no 4-d '${key}' (is it an autoencoder?)`,
      );
    return s;
  };
  const keys = [...shapes.keys()];
  const [ch, inChannels] = need('encoder.conv_in.weight');
  const levels = blockIndices(keys, 'encoder.down');
  if (levels.length === 0) throw new UserError('cannot infer the autoencoder configuration: no encoder.down.* blocks');
  const chMult = levels.map((l) => need(`encoder.down.${l}.block.0.conv1.weight`)[0] / ch);
  return {
    resolution: opts.resolution ?? FLUX_AE.resolution,
    in_channels: inChannels,
    ch,
    out_ch: need('decoder.conv_out.weight')[0],
    ch_mult: chMult,
    num_res_blocks: blockIndices(keys, 'encoder.down.0.block').length,
    z_channels: need('decoder.conv_in.weight')[1],
    scale_factor: opts.scale_factor ?? FLUX_AE.scale_factor,
    shift_factor: opts.shift_factor ?? FLUX_AE.shift_factor,
  };
}
