// The FLUX.1 autoencoder, after black-forest-labs/flux `src/flux/modules/autoencoder.py`
// (../shared/docs/kontext-reference.md §4). Images [B, 3, H, W] in [-1, 1] ↔ latents [B, 16, H/8, W/8].
//
//   encode(x) = scale_factor · (mean − shift_factor)        (the Gaussian's mean; no sampling)
//   decode(z) = decoder(z / scale_factor + shift_factor)

import { Conv2d, F, Graph, GroupNorm, Module, ModuleList, type ParamMode, type Tensor } from '../engine/index.ts';
import type { AutoEncoderParams } from './params.ts';

/** GroupNorm of the AE: 32 groups in FLUX; small models use fewer (`norm_groups`), since with one channel per
 *  group the norm would erase each channel's mean, the colour of the image. */
const normalize = (c: number, groups = 32) => new GroupNorm(groups, c, 1e-6);

/** Single-head self-attention over all spatial positions (the mid block of encoder and decoder). */
export class AttnBlock extends Module {
  readonly norm: GroupNorm;
  readonly q: Conv2d;
  readonly k: Conv2d;
  readonly v: Conv2d;
  readonly proj_out: Conv2d;
  constructor(c: number, groups = 32) {
    super();
    this.norm = this.child('norm', normalize(c, groups));
    this.q = this.child('q', new Conv2d(c, c, 1));
    this.k = this.child('k', new Conv2d(c, c, 1));
    this.v = this.child('v', new Conv2d(c, c, 1));
    this.proj_out = this.child('proj_out', new Conv2d(c, c, 1));
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => {
      const [B, C, H, W] = x.shape;
      const h = this.norm.forward(x);
      // "b c h w -> b 1 (h w) c"
      const tokens = (t: Tensor) => F.reshape(F.transpose(F.reshape(t, [B, C, H * W]), [0, 2, 1]), [B, 1, H * W, C]);
      // [B, H·W, C]; in inference graphs without the (H·W)² score matrix (1 GiB at 1024² input), see F.sdpa
      const a = F.sdpa(tokens(this.q.forward(h)), tokens(this.k.forward(h)), tokens(this.v.forward(h)));
      const back = F.reshape(F.transpose(a, [0, 2, 1]), [B, C, H, W]);
      return F.add(x, this.proj_out.forward(back));
    });
  }
}

export class ResnetBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly nin_shortcut: Conv2d | null;
  constructor(inC: number, outC: number, groups = 32) {
    super();
    this.norm1 = this.child('norm1', normalize(inC, groups));
    this.conv1 = this.child('conv1', new Conv2d(inC, outC, 3, { padding: 1 }));
    this.norm2 = this.child('norm2', normalize(outC, groups));
    this.conv2 = this.child('conv2', new Conv2d(outC, outC, 3, { padding: 1 }));
    this.nin_shortcut = inC !== outC ? this.child('nin_shortcut', new Conv2d(inC, outC, 1)) : null;
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => {
      let h = this.conv1.forward(F.silu(this.norm1.forward(x)));
      h = this.conv2.forward(F.silu(this.norm2.forward(h)));
      return F.add(this.nin_shortcut ? this.nin_shortcut.forward(x) : x, h);
    });
  }
}

/** Pad right and bottom by one, then a 3×3 stride-2 convolution (the asymmetric padding of §4.2). */
export class Downsample extends Module {
  readonly conv: Conv2d;
  constructor(c: number) {
    super();
    this.conv = this.child('conv', new Conv2d(c, c, 3, { stride: 2, padding: [0, 0, 1, 1] }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

export class Upsample extends Module {
  readonly conv: Conv2d;
  constructor(c: number) {
    super();
    this.conv = this.child('conv', new Conv2d(c, c, 3, { padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(F.upsampleNearest2x(x));
  }
}

/** One resolution level: `block` (resnets) and an optional `downsample` / `upsample`. */
class Level extends Module {
  readonly block: ModuleList<ResnetBlock>;
  readonly downsample: Downsample | null = null;
  readonly upsample: Upsample | null = null;
  constructor(blocks: ResnetBlock[], resample: 'down' | 'up' | null, c: number) {
    super();
    this.block = this.child('block', new ModuleList(blocks));
    if (resample === 'down') this.downsample = this.child('downsample', new Downsample(c));
    if (resample === 'up') this.upsample = this.child('upsample', new Upsample(c));
  }
}

class Mid extends Module {
  readonly block_1: ResnetBlock;
  readonly attn_1: AttnBlock;
  readonly block_2: ResnetBlock;
  constructor(c: number, groups: number) {
    super();
    this.block_1 = this.child('block_1', new ResnetBlock(c, c, groups));
    this.attn_1 = this.child('attn_1', new AttnBlock(c, groups));
    this.block_2 = this.child('block_2', new ResnetBlock(c, c, groups));
  }
  forward(x: Tensor): Tensor {
    return this.block_2.forward(this.attn_1.forward(this.block_1.forward(x)));
  }
}

export class Encoder extends Module {
  readonly conv_in: Conv2d;
  readonly down: ModuleList<Level>;
  readonly mid: Mid;
  readonly norm_out: GroupNorm;
  readonly conv_out: Conv2d;
  constructor(p: AutoEncoderParams) {
    super();
    const groups = p.norm_groups ?? 32;
    this.conv_in = this.child('conv_in', new Conv2d(p.in_channels, p.ch, 3, { padding: 1 }));
    const inMult = [1, ...p.ch_mult];
    const levels: Level[] = [];
    let blockIn = p.ch;
    p.ch_mult.forEach((mult, i) => {
      blockIn = p.ch * inMult[i];
      const blockOut = p.ch * mult;
      const blocks: ResnetBlock[] = [];
      for (let j = 0; j < p.num_res_blocks; j++) {
        blocks.push(new ResnetBlock(blockIn, blockOut, groups));
        blockIn = blockOut;
      }
      levels.push(new Level(blocks, i !== p.ch_mult.length - 1 ? 'down' : null, blockIn));
    });
    this.down = this.child('down', new ModuleList(levels));
    this.mid = this.child('mid', new Mid(blockIn, groups));
    this.norm_out = this.child('norm_out', normalize(blockIn, groups));
    this.conv_out = this.child('conv_out', new Conv2d(blockIn, 2 * p.z_channels, 3, { padding: 1 }));
  }
  /** x [B, 3, H, W] → moments [B, 2·z, H/8, W/8] (mean first, then log-variance). */
  forward(x: Tensor): Tensor {
    let h = this.conv_in.forward(x);
    for (const level of this.down.items) {
      for (const b of level.block.items) h = b.forward(h);
      if (level.downsample) h = level.downsample.forward(h);
    }
    h = this.mid.forward(h);
    return this.conv_out.forward(F.silu(this.norm_out.forward(h)));
  }
}

export class Decoder extends Module {
  readonly conv_in: Conv2d;
  readonly mid: Mid;
  readonly up: ModuleList<Level>;
  readonly norm_out: GroupNorm;
  readonly conv_out: Conv2d;
  constructor(p: AutoEncoderParams) {
    super();
    const groups = p.norm_groups ?? 32;
    const ch = p.decoder_ch ?? p.ch;
    let blockIn = ch * p.ch_mult[p.ch_mult.length - 1];
    this.conv_in = this.child('conv_in', new Conv2d(p.z_channels, blockIn, 3, { padding: 1 }));
    this.mid = this.child('mid', new Mid(blockIn, groups));
    // up.0 is the full-resolution level, but levels are built (and run) from the lowest resolution up.
    const levels: Level[] = [];
    for (let i = p.ch_mult.length - 1; i >= 0; i--) {
      const blockOut = ch * p.ch_mult[i];
      const blocks: ResnetBlock[] = [];
      for (let j = 0; j < p.num_res_blocks + 1; j++) {
        blocks.push(new ResnetBlock(blockIn, blockOut, groups));
        blockIn = blockOut;
      }
      levels[i] = new Level(blocks, i !== 0 ? 'up' : null, blockIn);
    }
    this.up = this.child('up', new ModuleList(levels));
    this.norm_out = this.child('norm_out', normalize(blockIn, groups));
    this.conv_out = this.child('conv_out', new Conv2d(blockIn, p.out_ch, 3, { padding: 1 }));
  }
  forward(z: Tensor): Tensor {
    let h = this.mid.forward(this.conv_in.forward(z));
    for (let i = this.up.items.length - 1; i >= 0; i--) {
      const level = this.up.items[i];
      for (const b of level.block.items) h = b.forward(h);
      if (level.upsample) h = level.upsample.forward(h);
    }
    return this.conv_out.forward(F.silu(this.norm_out.forward(h)));
  }
}

export class AutoEncoder extends Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  constructor(readonly params: AutoEncoderParams) {
    super();
    this.encoder = this.child('encoder', new Encoder(params));
    this.decoder = this.child('decoder', new Decoder(params));
  }
  /** image [B, 3, H, W] in [-1, 1] → latent [B, z, H/8, W/8] */
  encode(x: Tensor): Tensor {
    const moments = this.encoder.forward(x);
    const mean = F.slice(moments, 1, 0, this.params.z_channels);
    return F.mul(F.sub(mean, this.params.shift_factor), this.params.scale_factor);
  }
  /** latent [B, z, h, w] → image [B, 3, 8h, 8w] (not clamped) */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(F.add(F.div(z, this.params.scale_factor), this.params.shift_factor));
  }
}

/**
 * Graphs for encode (input 'image' → 'latent', plus 'moments') and decode (input 'latent' → 'image'). With mode
 * 'input' the parameters are graph inputs named by their keys (fed from a Trainer's buffers during training).
 */
export function encoderGraph(
  ae: AutoEncoder,
  batch: number,
  height: number,
  width: number,
  mode: ParamMode = 'constant',
): Graph {
  const g = new Graph(mode);
  g.build(() => {
    const x = g.input('image', [batch, ae.params.in_channels, height, width]);
    const moments = ae.encoder.forward(x);
    g.output('moments', moments);
    const mean = F.slice(moments, 1, 0, ae.params.z_channels);
    g.output('latent', F.mul(F.sub(mean, ae.params.shift_factor), ae.params.scale_factor));
  });
  return g;
}

export function decoderGraph(
  ae: AutoEncoder,
  batch: number,
  h: number,
  w: number,
  mode: ParamMode = 'constant',
): Graph {
  const g = new Graph(mode);
  g.build(() => g.output('image', ae.decode(g.input('latent', [batch, ae.params.z_channels, h, w]))));
  return g;
}
