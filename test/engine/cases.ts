// One table of op cases shared by the forward test (ORT vs the float64 reference in reference.ts) and the
// gradient test (autodiff vs central finite differences).

import { F, type Tensor } from '../../src/engine/index.ts';
import * as R from './reference.ts';

export interface OpCase {
  name: string;
  /** input shapes; all inputs are random floats */
  shapes: number[][];
  build: (xs: Tensor[]) => Tensor;
  ref: (xs: R.Nd[]) => R.Nd;
  /** draw inputs in (0.5, 1.5) instead of (-1, 1) (log, sqrt, pow) */
  positive?: boolean;
  /** ORT has no float64 kernel: check gradients in float32 with a wider step and tolerance */
  f32only?: boolean;
  /** skip the gradient check (ops that only appear inside gradients) */
  noGrad?: boolean;
}

const int64 = (x: Tensor, v: number[], shape = [v.length]) =>
  x.graph.constant({ dtype: 'int64', shape, data: new BigInt64Array(v.map(BigInt)) }, 'idx');

const pe = (x: Tensor, L: number, D: number): Tensor => {
  // a valid RoPE table: rotation matrices for random angles
  const data = new Float32Array(L * (D / 2) * 4);
  for (let i = 0; i < L * (D / 2); i++) {
    const a = (i * 0.731) % 6.28;
    data.set([Math.cos(a), -Math.sin(a), Math.sin(a), Math.cos(a)], i * 4);
  }
  const dtype = x.dtype;
  return x.graph.constant(
    { dtype, shape: [1, 1, L, D / 2, 2, 2], data: dtype === 'float64' ? Float64Array.from(data) : data },
    'pe',
  );
};
const peNd = (L: number, D: number): R.Nd => {
  const d = new Float64Array(L * (D / 2) * 4);
  for (let i = 0; i < L * (D / 2); i++) {
    const a = (i * 0.731) % 6.28;
    d.set(
      [Math.fround(Math.cos(a)), Math.fround(-Math.sin(a)), Math.fround(Math.sin(a)), Math.fround(Math.cos(a))],
      i * 4,
    );
  }
  return R.nd([1, 1, L, D / 2, 2, 2], d);
};

export const CASES: OpCase[] = [
  {
    name: 'add (broadcast)',
    shapes: [
      [2, 3, 4],
      [3, 1],
    ],
    build: ([a, b]) => F.add(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x + y),
  },
  {
    name: 'sub (broadcast)',
    shapes: [[3, 4], [4]],
    build: ([a, b]) => F.sub(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x - y),
  },
  {
    name: 'mul (broadcast)',
    shapes: [
      [2, 1, 4],
      [3, 1],
    ],
    build: ([a, b]) => F.mul(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x * y),
  },
  {
    name: 'div',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    positive: true,
    build: ([a, b]) => F.div(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x / y),
  },
  {
    name: 'pow',
    shapes: [[3, 4], [4]],
    positive: true,
    build: ([a, b]) => F.pow(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x ** y),
  },
  {
    name: 'maximum',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    build: ([a, b]) => F.maximum(a, b),
    ref: ([a, b]) => R.map2(a, b, Math.max),
  },
  {
    name: 'minimum',
    shapes: [[3, 4], [4]],
    build: ([a, b]) => F.minimum(a, b),
    ref: ([a, b]) => R.map2(a, b, Math.min),
  },
  {
    name: 'where',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    build: ([a, b]) => F.where(F.greater(a, b), F.mul(a, 2), b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => (x > y ? 2 * x : y)),
  },
  { name: 'neg', shapes: [[5]], build: ([a]) => F.neg(a), ref: ([a]) => R.map(a, (x) => -x) },
  { name: 'exp', shapes: [[5]], build: ([a]) => F.exp(a), ref: ([a]) => R.map(a, Math.exp) },
  { name: 'log', shapes: [[5]], positive: true, build: ([a]) => F.log(a), ref: ([a]) => R.map(a, Math.log) },
  { name: 'sqrt', shapes: [[5]], positive: true, build: ([a]) => F.sqrt(a), ref: ([a]) => R.map(a, Math.sqrt) },
  {
    name: 'rsqrt',
    shapes: [[5]],
    positive: true,
    build: ([a]) => F.rsqrt(a),
    ref: ([a]) => R.map(a, (x) => 1 / Math.sqrt(x)),
  },
  { name: 'tanh', shapes: [[5]], build: ([a]) => F.tanh(a), ref: ([a]) => R.map(a, Math.tanh) },
  {
    name: 'sigmoid',
    shapes: [[5]],
    build: ([a]) => F.sigmoid(a),
    ref: ([a]) => R.map(a, (x) => 1 / (1 + Math.exp(-x))),
  },
  { name: 'silu', shapes: [[5]], build: ([a]) => F.silu(a), ref: ([a]) => R.map(a, (x) => x / (1 + Math.exp(-x))) },
  { name: 'relu', shapes: [[6]], build: ([a]) => F.relu(a), ref: ([a]) => R.map(a, (x) => Math.max(x, 0)) },
  { name: 'abs', shapes: [[6]], build: ([a]) => F.abs(a), ref: ([a]) => R.map(a, Math.abs) },
  { name: 'sin', shapes: [[5]], build: ([a]) => F.sin(a), ref: ([a]) => R.map(a, Math.sin) },
  { name: 'cos', shapes: [[5]], build: ([a]) => F.cos(a), ref: ([a]) => R.map(a, Math.cos) },
  { name: 'erf', shapes: [[5]], f32only: true, build: ([a]) => F.erf(a), ref: ([a]) => R.map(a, R.erf) },
  { name: 'gelu (tanh)', shapes: [[2, 5]], build: ([a]) => F.mul(F.gelu(a), 1), ref: ([a]) => R.map(a, R.geluTanh) },
  {
    name: 'gelu (erf)',
    shapes: [[2, 5]],
    f32only: true,
    build: ([a]) => F.gelu(a, 'none'),
    ref: ([a]) => R.map(a, (x) => 0.5 * x * (1 + R.erf(x / Math.SQRT2))),
  },
  {
    name: 'matmul',
    shapes: [
      [3, 4],
      [4, 5],
    ],
    build: ([a, b]) => F.matmul(a, b),
    ref: ([a, b]) => R.matmul(a, b),
  },
  {
    name: 'matmul (batched, broadcast)',
    shapes: [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    build: ([a, b]) => F.matmul(a, b),
    ref: ([a, b]) => R.matmul(a, b),
  },
  {
    name: 'matmul (activation × weight)',
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    build: ([a, b]) => F.matmul(a, b),
    ref: ([a, b]) => R.matmul(a, b),
  },
  { name: 'reduceSum', shapes: [[2, 3, 4]], build: ([a]) => F.reduceSum(a, [0, 2]), ref: ([a]) => R.sum(a, [0, 2]) },
  { name: 'reduceMean', shapes: [[2, 3, 4]], build: ([a]) => F.reduceMean(a, [-1]), ref: ([a]) => R.mean(a, [-1]) },
  { name: 'reduceMax', shapes: [[2, 3, 4]], build: ([a]) => F.reduceMax(a, [1]), ref: ([a]) => R.max(a, [1]) },
  {
    name: 'softmax',
    shapes: [[2, 3, 5]],
    build: ([a]) => F.softmax(F.mul(a, 3)),
    ref: ([a]) => R.softmax(R.map(a, (x) => 3 * x)),
  },
  {
    name: 'layerNorm (no affine)',
    shapes: [[2, 3, 6]],
    build: ([a]) => F.layerNorm(a, 1e-6),
    ref: ([a]) => R.layerNorm(a, 1e-6),
  },
  {
    name: 'layerNorm (affine)',
    shapes: [[3, 6], [6], [6]],
    build: ([a, w, b]) => F.layerNorm(a, 1e-5, w, b),
    ref: ([a, w, b]) => R.layerNorm(a, 1e-5, w, b),
  },
  {
    name: 'rmsNorm',
    shapes: [[2, 3, 8], [8]],
    build: ([a, s]) => F.rmsNorm(a, s, 1e-6),
    ref: ([a, s]) => R.rmsNorm(a, s, 1e-6),
  },
  {
    name: 'groupNorm',
    shapes: [[2, 4, 3, 3], [4], [4]],
    build: ([a, w, b]) => F.groupNorm(a, 2, w, b, 1e-6),
    ref: ([a, w, b]) => R.groupNorm(a, 2, w, b, 1e-6),
  },
  {
    name: 'conv2d 3x3 pad 1',
    shapes: [[2, 3, 5, 4], [4, 3, 3, 3], [4]],
    f32only: true,
    build: ([x, w, b]) => F.conv2d(x, w, b, { padding: 1 }),
    ref: ([x, w, b]) => R.conv2d(x, w, b, 1, [1, 1, 1, 1]),
  },
  {
    name: 'conv2d stride 2, asymmetric pad',
    shapes: [
      [1, 2, 6, 5],
      [3, 2, 3, 3],
    ],
    f32only: true,
    build: ([x, w]) => F.conv2d(x, w, null, { stride: 2, padding: [0, 0, 1, 1] }),
    ref: ([x, w]) => R.conv2d(x, w, null, 2, [0, 0, 1, 1]),
  },
  {
    name: 'conv2d 1x1',
    shapes: [[1, 4, 3, 3], [2, 4, 1, 1], [2]],
    f32only: true,
    build: ([x, w, b]) => F.conv2d(x, w, b),
    ref: ([x, w, b]) => R.conv2d(x, w, b, 1, [0, 0, 0, 0]),
  },
  {
    name: 'pad',
    shapes: [[2, 3, 3]],
    build: ([a]) => F.pad(a, [0, 1, 0, 0, 0, 1]),
    ref: ([a]) => R.pad(a, [0, 1, 0, 0, 0, 1]),
  },
  {
    name: 'upsampleNearest2x',
    shapes: [[1, 2, 2, 3]],
    build: ([a]) => F.upsampleNearest2x(a),
    ref: ([a]) => R.upsample2x(a),
  },
  {
    name: 'reshape',
    shapes: [[2, 6]],
    build: ([a]) => F.mul(F.reshape(a, [3, -1]), 1),
    ref: ([a]) => ({ shape: [3, 4], data: a.data }),
  },
  {
    name: 'transpose',
    shapes: [[2, 3, 4]],
    build: ([a]) => F.transpose(a, [2, 0, 1]),
    ref: ([a]) => R.transpose(a, [2, 0, 1]),
  },
  {
    name: 'concat',
    shapes: [
      [2, 3],
      [2, 2],
      [2, 1],
    ],
    build: (xs) => F.concat(xs, 1),
    ref: (xs) => R.concat(xs, 1),
  },
  { name: 'slice', shapes: [[3, 7]], build: ([a]) => F.slice(a, 1, 2, 6), ref: ([a]) => R.slice(a, 1, 2, 6) },
  {
    name: 'split/chunk',
    shapes: [[2, 6]],
    build: ([a]) => {
      const [p, q, r] = F.chunk(a, 3, -1);
      return F.add(F.mul(p, q), r);
    },
    ref: ([a]) =>
      R.map2(
        R.map2(R.slice(a, 1, 0, 2), R.slice(a, 1, 2, 4), (x, y) => x * y),
        R.slice(a, 1, 4, 6),
        (x, y) => x + y,
      ),
  },
  {
    name: 'gather (axis 0)',
    shapes: [[5, 3]],
    build: ([a]) => F.gather(a, int64(a, [4, 0, 4, 2], [2, 2]), 0),
    ref: ([a]) => R.gather(a, [4, 0, 4, 2], [2, 2], 0),
  },
  {
    name: 'gather (axis 1)',
    shapes: [[2, 5, 3]],
    build: ([a]) => F.gather(a, int64(a, [1, 3, 1]), 1),
    ref: ([a]) => R.gather(a, [1, 3, 1], [3], 1),
  },
  { name: 'expand', shapes: [[3, 1]], build: ([a]) => F.expand(a, [2, 3, 4]), ref: ([a]) => R.expand(a, [2, 3, 4]) },
  { name: 'rope', shapes: [[1, 2, 3, 8]], build: ([a]) => F.rope(a, pe(a, 3, 8)), ref: ([a]) => R.rope(a, peNd(3, 8)) },
  {
    name: 'attention',
    shapes: [
      [1, 2, 4, 8],
      [1, 2, 5, 8],
      [1, 2, 5, 8],
    ],
    build: ([q, k, v]) => F.attention(q, k, v).out,
    ref: ([q, k, v]) => R.attention(q, k, v),
  },
  // F.sdpa in its three forms (heads merged: [B, Lq, H·D]); chunk 3 does not divide Lq = 7
  {
    name: 'sdpa (composite)',
    shapes: [
      [2, 2, 7, 8],
      [2, 2, 5, 8],
      [2, 2, 5, 8],
    ],
    build: ([q, k, v]) => F.sdpa(q, k, v, { impl: 'composite' }),
    ref: mergedAttention,
  },
  {
    name: 'sdpa (chunked, 3 of 7 queries)',
    shapes: [
      [2, 2, 7, 8],
      [2, 2, 5, 8],
      [2, 2, 5, 8],
    ],
    build: ([q, k, v]) => F.sdpa(q, k, v, { impl: 'chunked', chunk: 3 }),
    ref: mergedAttention,
  },
  {
    name: 'sdpa (fused MultiHeadAttention)',
    shapes: [
      [2, 2, 7, 8],
      [2, 2, 5, 8],
      [2, 2, 5, 8],
    ],
    build: ([q, k, v]) => F.sdpa(q, k, v, { impl: 'fused' }),
    ref: mergedAttention,
    f32only: true,
  },
  {
    name: 'sdpa (fused, one head)',
    shapes: [
      [1, 1, 6, 4],
      [1, 1, 6, 4],
      [1, 1, 6, 4],
    ],
    build: ([q, k, v]) => F.sdpa(q, k, v, { impl: 'fused', scale: 0.3 }),
    ref: ([q, k, v]) => mergedAttention([R.map2(q, R.nd([1], [0.3 * 2]), (x, y) => x * y), k, v]),
    f32only: true,
  },
];

/** softmax(q kᵀ/√D) v with the heads merged: [B, H, L, D] → [B, L, H·D]. */
function mergedAttention([q, k, v]: R.Nd[]): R.Nd {
  const a = R.transpose(R.attention(q, k, v), [0, 2, 1, 3]);
  const [B, L, H, D] = a.shape;
  return { shape: [B, L, H * D], data: a.data };
}
