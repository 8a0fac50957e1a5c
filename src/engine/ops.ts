// The ops model code is written in. Each op checks its inputs, infers the output shape and dtype, and appends
// one ONNX node (or a few, for composite ops such as rope and attention). Autodiff (autodiff.ts) has a gradient
// rule for every ONNX op emitted here.
//
// Conventions: shapes are numpy-style, axes may be negative, binary elementwise ops broadcast like numpy.
// Scalars (plain numbers) are turned into constants of the other operand's dtype.

import { BYTES, type DType, type HostTensor, isFloat, ONNX_DTYPE } from './dtype.ts';
import {
  type AttentionImpl,
  attr,
  currentGraph,
  type Graph,
  type Shape,
  ShapeError,
  Tensor,
  targetsNodeWebGpu,
} from './graph.ts';
import { currentPath } from './path.ts';
import { Parameter } from './module.ts';

export type TensorLike = Tensor | Parameter;
type Operand = TensorLike | number;

// ---------------------------------------------------------------------------------------------------------
// helpers

function fail(op: string, detail: string): never {
  const at = currentPath();
  throw new ShapeError(`${op}${at ? ` in ${at}` : ''}: ${detail}`);
}

const fmt = (s: Shape) => `[${s.join(', ')}]`;

function graphOf(xs: Operand[]): Graph {
  for (const x of xs) if (x instanceof Tensor) return x.graph;
  return currentGraph();
}

/** Resolve a Parameter to its tensor in the graph being built; numbers become scalar constants of `dtype`. */
export function T(x: Operand, g?: Graph, dtype: DType = 'float32'): Tensor {
  if (x instanceof Tensor) return x;
  const graph = g ?? currentGraph();
  if (x instanceof Parameter) return graph.param(x);
  return graph.scalar(x, dtype);
}

function operands(op: string, xs: Operand[]): Tensor[] {
  const g = graphOf(xs);
  const first = xs.find((x): x is TensorLike => typeof x !== 'number');
  const dtype = first ? (first instanceof Tensor ? first.dtype : first.dtype) : 'float32';
  const ts = xs.map((x) => T(x, g, dtype));
  for (const t of ts) {
    if (t.dtype !== ts[0].dtype) fail(op, `dtype mismatch: ${ts.map((u) => u.dtype).join(' vs ')}`);
  }
  return ts;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) fail(op, `shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function int64(values: number[]): HostTensor {
  return { dtype: 'int64', shape: [values.length], data: new BigInt64Array(values.map((v) => BigInt(v))) };
}

function constInts(g: Graph, values: number[]): Tensor {
  return g.constant(int64(values), 'ints');
}

// ---------------------------------------------------------------------------------------------------------
// elementwise

function binary(op: string, a: Operand, b: Operand, outDtype?: DType): Tensor {
  const [x, y] = operands(op, [a, b]);
  const shape = broadcastShapes(op, x.shape, y.shape);
  return x.graph.addNode(op, [x, y], [{ shape, dtype: outDtype ?? x.dtype }])[0];
}

export const add = (a: Operand, b: Operand) => binary('Add', a, b);
export const sub = (a: Operand, b: Operand) => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand) => binary('Mul', a, b);
export const div = (a: Operand, b: Operand) => binary('Div', a, b);
export const pow = (a: Operand, b: Operand) => binary('Pow', a, b);
export const maximum = (a: Operand, b: Operand) => binary('Max', a, b);
export const minimum = (a: Operand, b: Operand) => binary('Min', a, b);
export const equal = (a: Operand, b: Operand) => binary('Equal', a, b, 'bool');
export const less = (a: Operand, b: Operand) => binary('Less', a, b, 'bool');
export const greater = (a: Operand, b: Operand) => binary('Greater', a, b, 'bool');

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') fail('Where', `condition must be bool, got ${cond.dtype}`);
  const [x, y] = operands('Where', [a, b]);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, x.shape), y.shape);
  return x.graph.addNode('Where', [cond, x, y], [{ shape, dtype: x.dtype }])[0];
}

function unary(op: string, a: TensorLike, attrs = {}): Tensor {
  const x = T(a);
  return x.graph.addNode(op, [x], [{ shape: x.shape, dtype: x.dtype }], attrs)[0];
}

export const neg = (x: TensorLike) => unary('Neg', x);
export const exp = (x: TensorLike) => unary('Exp', x);
export const log = (x: TensorLike) => unary('Log', x);
export const sqrt = (x: TensorLike) => unary('Sqrt', x);
export const reciprocal = (x: TensorLike) => unary('Reciprocal', x);
export const tanh = (x: TensorLike) => unary('Tanh', x);
export const sigmoid = (x: TensorLike) => unary('Sigmoid', x);
export const relu = (x: TensorLike) => unary('Relu', x);
export const abs = (x: TensorLike) => unary('Abs', x);
export const sin = (x: TensorLike) => unary('Sin', x);
export const cos = (x: TensorLike) => unary('Cos', x);
export const erf = (x: TensorLike) => unary('Erf', x);
export const identity = (x: TensorLike) => unary('Identity', x);
export const rsqrt = (x: TensorLike) => reciprocal(sqrt(x));
export const square = (x: TensorLike) => mul(x, x);

/** SiLU / swish: x · σ(x). */
export const silu = (x: TensorLike) => mul(x, sigmoid(x));

/**
 * GELU. approximate 'tanh': 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — the form Flux's MLPs use.
 * Emitted as the ONNX Gelu op (opset 20), which ORT runs as one fused kernel.
 */
export function gelu(x: TensorLike, approximate: 'tanh' | 'none' = 'tanh'): Tensor {
  return unary('Gelu', x, { approximate: attr.string(approximate) });
}

export function cast(a: TensorLike, to: DType): Tensor {
  const x = T(a);
  if (x.dtype === to) return x;
  // float8 is a storage format only here: f8 weights are widened on the host when loaded, graphs never make it
  if (to.startsWith('float8')) fail('Cast', `cannot cast to ${to}`);
  return x.graph.addNode('Cast', [x], [{ shape: x.shape, dtype: to }], { to: attr.int(ONNX_DTYPE[to]) })[0];
}

// ---------------------------------------------------------------------------------------------------------
// matmul and linear layers

/** numpy matmul for rank ≥ 2: batch dims broadcast, [..., m, k] @ [..., k, n] → [..., m, n]. */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('MatMul', [a, b]);
  if (x.rank < 2 || y.rank < 2) fail('MatMul', `operands must have rank ≥ 2: ${fmt(x.shape)} @ ${fmt(y.shape)}`);
  const k1 = x.shape[x.rank - 1];
  const k2 = y.shape[y.rank - 2];
  if (k1 !== k2) fail('MatMul', `inner dimensions differ (${k1} vs ${k2}): ${fmt(x.shape)} @ ${fmt(y.shape)}`);
  const batch = broadcastShapes('MatMul', x.shape.slice(0, -2), y.shape.slice(0, -2));
  const shape = [...batch, x.shape[x.rank - 2], y.shape[y.rank - 1]];
  return x.graph.addNode('MatMul', [x, y], [{ shape, dtype: x.dtype }])[0];
}

/**
 * y = x · Wᵀ + b with W stored [out, in] (PyTorch convention, as in the checkpoints).
 * A quantized weight (Parameter.quant) runs as ORT's MatMulNBits, which dequantizes block by block.
 */
export function linear(x: Tensor, w: Parameter, b?: Parameter | null): Tensor {
  const [out, inF] = w.shape;
  if (x.shape[x.rank - 1] !== inF) {
    fail(
      'Linear',
      `input has ${x.shape[x.rank - 1]} features, weight ${w.key} expects ${inF}: x ${fmt(x.shape)}, W ${fmt(w.shape)}`,
    );
  }
  let y: Tensor;
  if (w.quant) {
    const q = w.quant;
    const g = x.graph;
    const parts = [g.paramPart(w, 'packed'), g.paramPart(w, 'scales'), g.paramPart(w, 'zeroPoints')];
    y = g.addNode(
      'MatMulNBits',
      [x, ...parts],
      [{ shape: [...x.shape.slice(0, -1), out], dtype: x.dtype }],
      {
        K: attr.int(q.K),
        N: attr.int(q.N),
        bits: attr.int(q.bits),
        block_size: attr.int(q.blockSize),
        accuracy_level: attr.int(q.accuracyLevel ?? 0),
      },
      {},
      'com.microsoft',
    )[0];
  } else {
    y = matmul(x, transpose(x.graph.param(w), [1, 0]));
  }
  return b ? add(y, x.graph.param(b)) : y;
}

// ---------------------------------------------------------------------------------------------------------
// reductions and softmax

function reduce(op: string, a: TensorLike, axes: number[], keepdims: boolean): Tensor {
  const x = T(a);
  const ax = [...new Set(axes.map((d) => normAxis(op, d, x.rank)))].sort((p, q) => p - q);
  const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  return x.graph.addNode(
    op,
    [x, constInts(x.graph, ax)],
    [{ shape, dtype: x.dtype }],
    { keepdims: attr.int(keepdims ? 1 : 0) },
    { axes: ax, keepdims },
  )[0];
}

export const reduceSum = (x: TensorLike, axes: number[], keepdims = true) => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: TensorLike, axes: number[], keepdims = true) => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: TensorLike, axes: number[], keepdims = true) => reduce('ReduceMax', x, axes, keepdims);

export function softmax(a: TensorLike, axis = -1): Tensor {
  const x = T(a);
  const ax = normAxis('Softmax', axis, x.rank);
  return x.graph.addNode('Softmax', [x], [{ shape: x.shape, dtype: x.dtype }], { axis: attr.int(ax) }, { axis: ax })[0];
}

// ---------------------------------------------------------------------------------------------------------
// normalisation

/**
 * LayerNorm over the last axis: (x − mean) / sqrt(var + eps) · weight + bias (biased variance).
 * Flux uses it without affine parameters (weight/bias omitted).
 */
export function layerNorm(a: TensorLike, eps: number, weight?: TensorLike | null, bias?: TensorLike | null): Tensor {
  const x = T(a);
  const C = x.shape[x.rank - 1];
  const g = x.graph;
  const scale = weight
    ? T(weight, g)
    : g.cached(`ones:${x.dtype}:${C}`, () => g.constant(fill(x.dtype, [C], 1), 'ones'));
  if (scale.shape.length !== 1 || scale.shape[0] !== C)
    fail('LayerNormalization', `weight ${fmt(scale.shape)} does not match features ${C}`);
  const inputs = [x, scale];
  if (bias) inputs.push(T(bias, g));
  return g.addNode(
    'LayerNormalization',
    inputs,
    [{ shape: x.shape, dtype: x.dtype }],
    { axis: attr.int(-1), epsilon: attr.float(eps) },
    { eps },
  )[0];
}

/** RMSNorm over the last axis (Flux QKNorm): x · rsqrt(mean(x²) + eps) · scale. */
export function rmsNorm(a: TensorLike, scale: TensorLike, eps: number): Tensor {
  const x = T(a);
  const rrms = rsqrt(add(reduceMean(mul(x, x), [-1]), eps));
  return mul(mul(x, rrms), scale);
}

/** GroupNorm on [B, C, ...spatial]: statistics per (batch, group of C/groups channels), then per-channel affine. */
export function groupNorm(a: TensorLike, groups: number, weight: TensorLike, bias: TensorLike, eps: number): Tensor {
  const x = T(a);
  const [B, C] = x.shape;
  if (C % groups !== 0) fail('GroupNorm', `${C} channels are not divisible into ${groups} groups`);
  const inner = x.size / B / groups;
  // LayerNormalization over the flattened group = the group statistics; then the per-channel affine.
  const h = layerNorm(reshape(x, [B, groups, inner]), eps);
  const affineShape = [C, ...x.shape.slice(2).map(() => 1)];
  return add(
    mul(reshape(h, x.shape), reshape(T(weight, x.graph), affineShape)),
    reshape(T(bias, x.graph), affineShape),
  );
}

// ---------------------------------------------------------------------------------------------------------
// convolution, padding, upsampling

export interface Conv2dOptions {
  stride?: number;
  /** one number for all sides, or [top, left, bottom, right] (ONNX order) */
  padding?: number | [number, number, number, number];
  dilation?: number;
  groups?: number;
}

function convOut(n: number, k: number, s: number, p0: number, p1: number, d: number): number {
  return Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** 2-D convolution, x [B, C, H, W], w [O, C/groups, kh, kw] (PyTorch layout). */
export function conv2d(a: TensorLike, w: TensorLike, b?: TensorLike | null, o: Conv2dOptions = {}): Tensor {
  const x = T(a);
  const g = x.graph;
  const wt = T(w, g);
  const stride = o.stride ?? 1;
  const dil = o.dilation ?? 1;
  const groups = o.groups ?? 1;
  const pads = typeof o.padding === 'number' || o.padding === undefined ? Array(4).fill(o.padding ?? 0) : o.padding;
  if (x.rank !== 4 || wt.rank !== 4)
    fail('Conv', `expects x [B,C,H,W] and w [O,C,kh,kw], got ${fmt(x.shape)} and ${fmt(wt.shape)}`);
  if (x.shape[1] !== wt.shape[1] * groups)
    fail(
      'Conv',
      `input has ${x.shape[1]} channels, weight expects ${wt.shape[1] * groups}: x ${fmt(x.shape)}, w ${fmt(wt.shape)}`,
    );
  const [kh, kw] = [wt.shape[2], wt.shape[3]];
  const H = convOut(x.shape[2], kh, stride, pads[0], pads[2], dil);
  const W = convOut(x.shape[3], kw, stride, pads[1], pads[3], dil);
  if (H <= 0 || W <= 0) fail('Conv', `input ${fmt(x.shape)} is too small for a ${kh}x${kw} kernel`);
  const inputs = [x, wt];
  if (b) inputs.push(T(b, g));
  return g.addNode(
    'Conv',
    inputs,
    [{ shape: [x.shape[0], wt.shape[0], H, W], dtype: x.dtype }],
    {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([stride, stride]),
      pads: attr.ints(pads),
      dilations: attr.ints([dil, dil]),
      group: attr.int(groups),
    },
    { stride, pads, dilation: dil, groups },
  )[0];
}

/** Transposed convolution (the gradient of conv2d with respect to its input). w [C_in, C_out/groups, kh, kw]. */
export function convTranspose2d(
  a: TensorLike,
  w: TensorLike,
  o: { stride: number; pads: number[]; dilation: number; groups: number; outputShape: [number, number] },
): Tensor {
  const x = T(a);
  const wt = T(w, x.graph);
  const [kh, kw] = [wt.shape[2], wt.shape[3]];
  const s = o.stride;
  const d = o.dilation;
  // output_padding makes the result exactly outputShape (when stride > 1 several input sizes map to one output).
  const full = (n: number, k: number, p0: number, p1: number) => s * (n - 1) + d * (k - 1) + 1 - p0 - p1;
  const oph = o.outputShape[0] - full(x.shape[2], kh, o.pads[0], o.pads[2]);
  const opw = o.outputShape[1] - full(x.shape[3], kw, o.pads[1], o.pads[3]);
  return x.graph.addNode(
    'ConvTranspose',
    [x, wt],
    [{ shape: [x.shape[0], wt.shape[1] * o.groups, ...o.outputShape], dtype: x.dtype }],
    {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([s, s]),
      pads: attr.ints(o.pads),
      dilations: attr.ints([d, d]),
      group: attr.int(o.groups),
      output_padding: attr.ints([oph, opw]),
    },
    { ...o },
  )[0];
}

/** Constant padding; pads = [before_0, ..., before_n-1, after_0, ..., after_n-1] (ONNX order). */
export function pad(a: TensorLike, pads: number[], value = 0): Tensor {
  const x = T(a);
  if (pads.length !== 2 * x.rank) fail('Pad', `needs ${2 * x.rank} pad values for rank ${x.rank}, got ${pads.length}`);
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + x.rank]);
  const g = x.graph;
  return g.addNode(
    'Pad',
    [x, constInts(g, pads), g.scalar(value, x.dtype)],
    [{ shape, dtype: x.dtype }],
    { mode: attr.string('constant') },
    { pads },
  )[0];
}

/** Nearest-neighbour ×2 upsampling of [B, C, H, W] (torch interpolate(scale_factor=2, mode='nearest')). */
export function upsampleNearest2x(a: TensorLike): Tensor {
  const x = T(a);
  const [B, C, H, W] = x.shape;
  const y = expand(reshape(x, [B, C, H, 1, W, 1]), [B, C, H, 2, W, 2]);
  return reshape(y, [B, C, 2 * H, 2 * W]);
}

// ---------------------------------------------------------------------------------------------------------
// shape ops

/** Reshape; one dimension may be -1. */
export function reshape(a: TensorLike, shape: readonly number[]): Tensor {
  const x = T(a);
  const known = shape.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) fail('Reshape', `more than one -1 in ${fmt(shape)}`);
  const out = shape.map((d) => (d === -1 ? x.size / known : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0) || out.reduce((p, q) => p * q, 1) !== x.size) {
    fail('Reshape', `cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode('Reshape', [x, constInts(x.graph, out)], [{ shape: out, dtype: x.dtype }])[0];
}

export function transpose(a: TensorLike, perm: number[]): Tensor {
  const x = T(a);
  if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((d, i) => d !== i)) {
    fail('Transpose', `perm ${fmt(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  if (perm.every((d, i) => d === i)) return x;
  const shape = perm.map((d) => x.shape[d]);
  return x.graph.addNode('Transpose', [x], [{ shape, dtype: x.dtype }], { perm: attr.ints(perm) }, { perm })[0];
}

/** Swap the last two axes. */
export function mT(a: TensorLike): Tensor {
  const x = T(a);
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

export function concat(xs: TensorLike[], axis: number): Tensor {
  const ts = operands('Concat', xs);
  if (ts.length === 1) return ts[0];
  const r = ts[0].rank;
  const ax = normAxis('Concat', axis, r);
  for (const t of ts) {
    if (t.rank !== r || t.shape.some((d, i) => i !== ax && d !== ts[0].shape[i])) {
      fail('Concat', `shapes differ outside axis ${ax}: ${ts.map((u) => fmt(u.shape)).join(', ')}`);
    }
  }
  const shape = [...ts[0].shape];
  shape[ax] = ts.reduce((s, t) => s + t.shape[ax], 0);
  return ts[0].graph.addNode(
    'Concat',
    ts,
    [{ shape, dtype: ts[0].dtype }],
    { axis: attr.int(ax) },
    { axis: ax, sizes: ts.map((t) => t.shape[ax]) },
  )[0];
}

/** x[..., start:end:step, ...] along one axis (step > 0). */
export function slice(a: TensorLike, axis: number, start: number, end: number, step = 1): Tensor {
  const x = T(a);
  const ax = normAxis('Slice', axis, x.rank);
  const n = x.shape[ax];
  const s = Math.min(Math.max(start < 0 ? start + n : start, 0), n);
  const e = Math.min(Math.max(end < 0 ? end + n : end, 0), n);
  if (step < 1) fail('Slice', `step must be ≥ 1, got ${step}`);
  const len = Math.max(0, Math.ceil((e - s) / step));
  if (len === n) return x;
  const shape = [...x.shape];
  shape[ax] = len;
  const g = x.graph;
  return g.addNode(
    'Slice',
    [x, constInts(g, [s]), constInts(g, [e]), constInts(g, [ax]), constInts(g, [step])],
    [{ shape, dtype: x.dtype }],
    {},
    { axis: ax, start: s, end: e, step },
  )[0];
}

/** Split along an axis into pieces of the given sizes (one ONNX Split node; its gradient is one Concat). */
export function split(a: TensorLike, sizes: number[], axis: number): Tensor[] {
  const x = T(a);
  const ax = normAxis('Split', axis, x.rank);
  const total = sizes.reduce((p, q) => p + q, 0);
  if (total !== x.shape[ax])
    fail('Split', `sizes ${fmt(sizes)} sum to ${total}, axis ${ax} of ${fmt(x.shape)} has ${x.shape[ax]}`);
  if (sizes.length === 1) return [x];
  const outs = sizes.map((n) => ({ shape: x.shape.map((d, i) => (i === ax ? n : d)), dtype: x.dtype }));
  return x.graph.addNode('Split', [x, constInts(x.graph, sizes)], outs, { axis: attr.int(ax) }, { axis: ax, sizes });
}

/** Split into n equal chunks (torch.chunk with an exact division). */
export function chunk(a: TensorLike, n: number, axis: number): Tensor[] {
  const x = T(a);
  const d = x.shape[normAxis('Chunk', axis, x.rank)];
  if (d % n !== 0) fail('Chunk', `axis of size ${d} does not split into ${n} equal chunks`);
  return split(x, Array(n).fill(d / n), axis);
}

/** Gather along an axis with int64 indices (embedding lookup when axis = 0). */
export function gather(a: TensorLike, indices: Tensor, axis = 0): Tensor {
  const x = T(a);
  const ax = normAxis('Gather', axis, x.rank);
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32')
    fail('Gather', `indices must be integers, got ${indices.dtype}`);
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  return x.graph.addNode('Gather', [x, indices], [{ shape, dtype: x.dtype }], { axis: attr.int(ax) }, { axis: ax })[0];
}

/** out = data with updates added at indices (ScatterND, reduction add); the gradient of gather. */
export function scatterAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return data.graph.addNode('ScatterND', [data, indices, updates], [{ shape: data.shape, dtype: data.dtype }], {
    reduction: attr.string('add'),
  })[0];
}

/** Broadcast to a larger shape (numpy rules). */
export function expand(a: TensorLike, shape: readonly number[]): Tensor {
  const x = T(a);
  const out = broadcastShapes('Expand', x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode('Expand', [x, constInts(x.graph, out)], [{ shape: out, dtype: x.dtype }])[0];
}

export function unsqueeze(a: TensorLike, axis: number): Tensor {
  const x = T(a);
  const ax = axis < 0 ? axis + x.rank + 1 : axis;
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

// ---------------------------------------------------------------------------------------------------------
// constants

export function fill(dtype: DType, shape: number[], value: number): HostTensor {
  const n = shape.reduce((p, q) => p * q, 1);
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: new Float32Array(n).fill(value) };
    case 'float64':
      return { dtype, shape, data: new Float64Array(n).fill(value) };
    default:
      throw new Error(`fill: unsupported dtype ${dtype}`);
  }
}

export function zerosLike(x: Tensor): Tensor {
  return expand(x.graph.scalar(0, x.dtype), x.shape);
}

// ---------------------------------------------------------------------------------------------------------
// transformer pieces

/**
 * Rotary position embedding as in Flux `apply_rope`: x [..., L, D] with adjacent pairs (x[2m], x[2m+1]) rotated
 * by the 2×2 matrices in pe [..., L, D/2, 2, 2] (rows [cos −sin; sin cos]):
 *   out[2m + i] = pe[m, i, 0] · x[2m] + pe[m, i, 1] · x[2m+1].
 */
export function rope(a: TensorLike, pe: Tensor): Tensor {
  const x = T(a);
  const D = x.shape[x.rank - 1];
  if (pe.shape[pe.rank - 3] * 2 !== D || pe.shape[pe.rank - 1] !== 2 || pe.shape[pe.rank - 2] !== 2) {
    fail('RoPE', `table ${fmt(pe.shape)} does not fit head dim ${D} (expects [..., L, ${D / 2}, 2, 2])`);
  }
  const fused = fusedRope(x, pe);
  if (fused) return fused;
  // the four matrix entries as [..., L, D/2, 1], split once per table and shared by every q and k that uses it
  const m = [0, 1, 2, 3].map((i) =>
    pe.graph.cached(`rope:${pe.id}:${i}`, () => split(reshape(pe, [...pe.shape.slice(0, -2), 4]), [1, 1, 1, 1], -1)[i]),
  );
  const [x0, x1] = split(reshape(x, [...x.shape.slice(0, -1), D / 2, 2]), [1, 1], -1);
  const o0 = add(mul(x0, m[0]), mul(x1, m[1]));
  const o1 = add(mul(x0, m[2]), mul(x1, m[3]));
  return reshape(concat([o0, o1], -1), x.shape);
}

/**
 * RoPE as ORT's com.microsoft RotaryEmbedding (interleaved pairs) for inference graphs: one kernel instead of
 * Split, four Muls, two Adds and a Concat per q and k (about 2× faster on a [1, 24, 1536, 128] q; the same values
 * to 5e-7). x [B, H, L, D] float32, pe [B or 1, 1, L, D/2, 2, 2]; the kernel takes cos/sin tables [rows, D/2] and a
 * row per token, so each batch element's positions get rows of their own. Not in differentiable graphs (no
 * gradient rule) nor for Node's WebGPU provider (its contrib kernels are not all right, see targetsNodeWebGpu).
 * Returns null where it does not apply.
 */
function fusedRope(x: Tensor, pe: Tensor): Tensor | null {
  const g = x.graph;
  if (
    g.differentiable ||
    x.dtype !== 'float32' ||
    pe.dtype !== 'float32' ||
    x.rank !== 4 ||
    pe.rank !== 6 ||
    targetsNodeWebGpu()
  )
    return null;
  const [B, , L, D] = x.shape;
  const [Bp, one, Lp] = pe.shape;
  if (one !== 1 || Lp !== L || (Bp !== 1 && Bp !== B)) return null;
  // cos = pe[..., 0, 0], sin = pe[..., 1, 0], as [Bp·L, D/2]; made once per table
  const table = (i: number) =>
    g.cached(`rope-table:${pe.id}:${i}`, () =>
      reshape(slice(reshape(pe, [Bp * L, D / 2, 4]), 2, i, i + 1), [Bp * L, D / 2]),
    );
  const cos = table(0);
  const sin = table(2); // pe is a rotation ([cos −sin; sin cos], as embedND makes it): entries 0 and 2 say it all
  const pos = g.cached(`rope-pos:${pe.id}:${B}`, () => {
    const ids = new BigInt64Array(B * L);
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) ids[b * L + l] = BigInt((Bp === 1 ? 0 : b * L) + l);
    return g.constant({ dtype: 'int64', shape: [B, L], data: ids }, 'rope_positions');
  });
  return g.addNode(
    'RotaryEmbedding',
    [x, pos, cos, sin],
    [{ shape: x.shape, dtype: x.dtype }],
    { interleaved: attr.int(1) },
    {},
    'com.microsoft',
  )[0];
}

/**
 * Scaled dot-product attention over q, k, v [B, H, L, D] (no mask): softmax(q kᵀ · scale) v, always in the
 * composite form (it materialises the [B, H, Lq, Lk] scores; model code calls `sdpa`, which picks a
 * memory-efficient form for inference). Returns [B, H, Lq, D]; `probs` is exposed for methods that read attention
 * maps (FluxSpace).
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  scale = 1 / Math.sqrt(q.shape[q.rank - 1]),
): { out: Tensor; probs: Tensor } {
  if (q.shape[q.rank - 1] !== k.shape[k.rank - 1])
    fail('Attention', `q ${fmt(q.shape)} and k ${fmt(k.shape)} head dims differ`);
  if (k.shape[k.rank - 2] !== v.shape[v.rank - 2])
    fail('Attention', `k ${fmt(k.shape)} and v ${fmt(v.shape)} lengths differ`);
  const probs = softmax(matmul(mul(q, scale), mT(k)), -1); // scaling q costs L·D multiplies instead of L²
  return { out: matmul(probs, v), probs };
}

// ---------------------------------------------------------------------------------------------------------
// memory-efficient attention for inference

/** Queries per chunk in 'chunked' attention (see sdpa). */
export const DEFAULT_ATTENTION_CHUNK = 1024;
/** 'auto' chunks attention that cannot run fused when its score matrix would exceed this many bytes. */
const CHUNK_ABOVE_BYTES = 256 * 1024 * 1024;

export interface SdpaOptions {
  /** default 1/√D (PyTorch SDPA) */
  scale?: number;
  /** overrides the graph's choice (Graph options `attention`) */
  impl?: AttentionImpl;
  /** queries per chunk for 'chunked' (default: the graph's attentionChunk, else DEFAULT_ATTENTION_CHUNK) */
  chunk?: number;
}

/**
 * Scaled dot-product attention with the heads merged: q, k, v [B, H, L, D] → softmax(q kᵀ · scale) v rearranged
 * `B H L D -> B L (H D)` = [B, Lq, H·Dv] (what Flux and the AE mid block consume). No mask.
 *
 * The form is chosen per graph (GraphOptions.attention, default 'auto'): training graphs (differentiable) get the
 * composite MatMul–Softmax–MatMul (autodiff keeps its probabilities for the backward pass); inference graphs get
 * ORT's contrib MultiHeadAttention, whose CPU kernel (float32, no mask, 3-D q/k/v) is MLAS flash attention: per
 * thread, blocks of ≤256 queries × ≤512 keys (sized to the L2 cache) with an online softmax, so no [L, L] tensor
 * exists and the extra memory is the kernel's [B, H, L, D] copies of q, k, v plus ~1 MB per thread.
 *
 * Why fused: measured on this machine (2-core Xeon, ORT 1.30, shared with other jobs, so ±15%), one attention of
 * B=1, H=24, L=4096, D=128, ms per run after the first / peak RSS above a graph with the same inputs and output:
 *   composite            1720–1830 ms   +1.65 GB   (the 1.6 GB scores; the softmax reuses their buffer)
 *   fused (MHA)          1380–1540 ms   +0.25 GB
 *   chunked, C = 1024    1990–2120 ms   +0.40 GB   (one chunk's scores)
 *   opset-23 Attention   1690–1710 ms   +1.6 GB    (ORT's CPU kernel materialises the scores; and it would
 *                                                   raise every graph to opset 23)
 * and the AE mid-block shape (one head, D=512, L=4096): composite 275–420 ms, fused 270–295, chunked 270–325; at
 * 1024² input (L=16384) fused needs +73 MB where the composite scores alone are 1 GiB. The first composite run
 * also pays ~4 s of page faults for its scores. Fused agrees with composite to 7e-7 relative at the size above,
 * chunked to 2e-6 (test/engine/attention.test.ts checks small shapes). Chunked stays as the portable form (plain
 * ONNX ops, any execution provider, differentiable) and for dtypes the fused kernel lacks (float64).
 */
export function sdpa(q: Tensor, k: Tensor, v: Tensor, o: SdpaOptions = {}): Tensor {
  const D = q.shape[q.rank - 1];
  const scale = o.scale ?? 1 / Math.sqrt(D);
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4)
    fail('Attention', `expects q, k, v [B, H, L, D], got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  if (k.shape[3] !== D) fail('Attention', `q ${fmt(q.shape)} and k ${fmt(k.shape)} head dims differ`);
  if (k.shape[2] !== v.shape[2]) fail('Attention', `k ${fmt(k.shape)} and v ${fmt(v.shape)} lengths differ`);
  if (
    q.shape[0] !== k.shape[0] ||
    q.shape[1] !== k.shape[1] ||
    v.shape[0] !== k.shape[0] ||
    v.shape[1] !== k.shape[1]
  ) {
    fail('Attention', `batch and heads of q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)} differ`);
  }
  const g = q.graph;
  const impl = resolveAttention(g, q, k, o.impl ?? g.attention);
  if (impl === 'fused') return fusedAttention(q, k, v, scale);
  const out =
    impl === 'chunked'
      ? chunkedAttention(q, k, v, scale, o.chunk ?? g.attentionChunk ?? DEFAULT_ATTENTION_CHUNK)
      : attention(q, k, v, scale).out;
  return mergeHeads(out);
}

function resolveAttention(g: Graph, q: Tensor, k: Tensor, want: AttentionImpl): Exclude<AttentionImpl, 'auto'> {
  const fusable = q.dtype === 'float32';
  if (want === 'fused' && !fusable) fail('Attention', `the fused kernel needs float32, got ${q.dtype}`);
  if (want !== 'auto') return want;
  if (g.differentiable) return 'composite';
  if (fusable && !targetsNodeWebGpu()) return 'fused';
  const [B, H, Lq] = q.shape;
  return B * H * Lq * k.shape[2] * BYTES[q.dtype] > CHUNK_ABOVE_BYTES ? 'chunked' : 'composite';
}

/** `B H L D -> B L (H D)`; a reshape when there is one head. */
function mergeHeads(x: Tensor): Tensor {
  const [B, H, L, D] = x.shape;
  return reshape(H === 1 ? x : transpose(x, [0, 2, 1, 3]), [B, L, H * D]);
}

/**
 * com.microsoft MultiHeadAttention with q, k, v as [B, L, H·D] (the layout its CPU flash path takes; 4-D keys
 * would select its non-flash path). Output [B, Lq, H·Dv].
 */
function fusedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor {
  const [B, H, Lq] = q.shape;
  const Dv = v.shape[3];
  return q.graph.addNode(
    'MultiHeadAttention',
    [mergeHeads(q), mergeHeads(k), mergeHeads(v)],
    [{ shape: [B, Lq, H * Dv], dtype: q.dtype }],
    { num_heads: attr.int(H), scale: attr.float(scale) },
    { heads: H, scale },
    'com.microsoft',
  )[0];
}

/**
 * softmax(q kᵀ · scale) v one block of `chunk` queries at a time (the last block may be shorter): [B, H, Lq, Dv].
 * Each block's scores are [B, H, chunk, Lk] and die after their block's product with v.
 */
export function chunkedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, chunk: number): Tensor {
  if (!Number.isInteger(chunk) || chunk < 1) fail('Attention', `chunk must be a positive integer, got ${chunk}`);
  const Lq = q.shape[q.rank - 2];
  const sizes: number[] = [];
  for (let s = 0; s < Lq; s += chunk) sizes.push(Math.min(chunk, Lq - s));
  const kT = mT(k);
  const outs = split(mul(q, scale), sizes, -2).map((qc) => matmul(softmax(matmul(qc, kT), -1), v));
  return concat(outs, -2);
}

export function isFloatTensor(x: Tensor): boolean {
  return isFloat(x.dtype);
}
