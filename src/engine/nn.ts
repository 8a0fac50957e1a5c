// Generic layers with torch.nn names and parameter layouts, so checkpoint keys map one to one.

import type { Tensor } from './graph.ts';
import { Module, type Parameter } from './module.ts';
import * as F from './ops.ts';

/** torch.nn.Linear: weight [out, in], bias [out]; y = x · Wᵀ + b. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.weight = this.param('weight', [outFeatures, inFeatures]);
    this.bias = bias ? this.param('bias', [outFeatures]) : null;
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.linear(x, this.weight, this.bias));
  }
}

/** torch.nn.Conv2d: weight [out, in, k, k], bias [out]. */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    inC: number,
    outC: number,
    readonly kernel: number,
    readonly opts: F.Conv2dOptions = {},
    bias = true,
  ) {
    super();
    this.weight = this.param('weight', [outC, inC, kernel, kernel]);
    this.bias = bias ? this.param('bias', [outC]) : null;
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.conv2d(x, this.weight, this.bias, this.opts));
  }
}

/** torch.nn.GroupNorm with affine weight/bias [C]. */
export class GroupNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(
    readonly groups: number,
    channels: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = this.param('weight', [channels]);
    this.bias = this.param('bias', [channels]);
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.groupNorm(x, this.groups, this.weight, this.bias, this.eps));
  }
}

/** torch.nn.LayerNorm over the last axis, optionally with affine weight/bias. */
export class LayerNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  constructor(
    features: number,
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    this.weight = affine ? this.param('weight', [features]) : null;
    this.bias = affine ? this.param('bias', [features]) : null;
  }
  forward(x: Tensor): Tensor {
    return this.scope(() => F.layerNorm(x, this.eps, this.weight, this.bias));
  }
}

/** torch.nn.Embedding: weight [num, dim]; int64 ids [...] → rows [..., dim]. */
export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(
    readonly num: number,
    readonly dim: number,
  ) {
    super();
    this.weight = this.param('weight', [num, dim]);
    this.weight.lookup = true;
  }
  forward(ids: Tensor): Tensor {
    // a lookup table is read row by row: MatMulNBits' block layout does not apply, so it must stay float
    if (this.weight.quant)
      throw new Error(`Embedding ${this.weight.key}: a quantized table cannot be gathered; load embeddings in float32`);
    return this.scope(() => F.gather(this.weight, ids, 0));
  }
}
