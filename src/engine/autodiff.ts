// Reverse-mode automatic differentiation over the graph.
//
// `gradients(loss, wrt)` walks the nodes between `wrt` and `loss` backwards (nodes are stored in creation order,
// which is a topological order) and, for every node, asks its op's rule for the gradients of its inputs given
// the gradients of its outputs. Gradients reaching one tensor from several uses are summed. The result is more
// nodes in the same graph, so forward, backward and the optimizer update can be compiled into one ONNX model.
//
// Each rule is written with the same ops as model code; each is checked against central finite differences in
// test/engine/autodiff.test.ts.

import type { Graph, Node, Tensor } from './graph.ts';
import * as F from './ops.ts';
import { withPath } from './path.ts';

type Rule = (n: Node, g: Tensor[], needs: boolean[]) => (Tensor | null)[];

/** Sum `g` down to `shape` (the reverse of numpy broadcasting). */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? F.reduceSum(g, axes, true) : g;
  return F.reshape(s, shape);
}

const ins = (n: Node) => n.inputs as Tensor[];
const out = (n: Node) => n.outputs[0];

/** Gradients of a matmul, reshaping instead of batching when one side is a plain matrix (the Linear case). */
function matmulGrads(a: Tensor, b: Tensor, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  let ga: Tensor | null = null;
  let gb: Tensor | null = null;
  if (needs[0]) ga = unbroadcast(F.matmul(g, F.mT(b)), a.shape);
  if (needs[1]) {
    if (b.rank === 2 && a.rank > 2) {
      const K = a.shape[a.rank - 1];
      const N = g.shape[g.rank - 1];
      gb = F.matmul(F.mT(F.reshape(a, [-1, K])), F.reshape(g, [-1, N]));
    } else {
      gb = unbroadcast(F.matmul(F.mT(a), g), b.shape);
    }
  }
  return [ga, gb];
}

function layerNormGrads(n: Node, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  const [x, w, b] = ins(n);
  const eps = n.meta.eps as number;
  // Recompute the normalised input (cheap next to the matmuls, and exact in any dtype).
  const xc = F.sub(x, F.reduceMean(x, [-1]));
  const rstd = F.rsqrt(F.add(F.reduceMean(F.mul(xc, xc), [-1]), eps));
  const xhat = F.mul(xc, rstd);
  const lead = [...Array(x.rank - 1).keys()];
  const gw = needs[1] ? F.reduceSum(F.mul(g, xhat), lead, false) : null;
  const gb = b && needs[2] ? F.reduceSum(g, lead, false) : null;
  let gx: Tensor | null = null;
  if (needs[0]) {
    const gh = F.mul(g, w);
    gx = F.mul(rstd, F.sub(F.sub(gh, F.reduceMean(gh, [-1])), F.mul(xhat, F.reduceMean(F.mul(gh, xhat), [-1]))));
  }
  return [gx, gw, gb];
}

function convGrads(n: Node, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  const [x, w, b] = ins(n);
  const { stride, pads, dilation, groups } = n.meta as {
    stride: number;
    pads: number[];
    dilation: number;
    groups: number;
  };
  const gx = needs[0]
    ? F.convTranspose2d(g, w, { stride, pads, dilation, groups, outputShape: [x.shape[2], x.shape[3]] })
    : null;
  let gw: Tensor | null = null;
  if (needs[1]) {
    if (groups !== 1) throw new Error('autodiff: grouped convolution weights are not differentiable yet');
    // dW[o,c,i,j] = Σ_b Σ_pq g[b,o,p,q] · x_pad[b,c, p·s + i·d, q·s + j·d]: a convolution of xᵀ (batch ↔ channel)
    // with gᵀ as the kernel, stride and dilation swapped. Extra rows/columns from bottom/right padding are cut.
    const xT = F.transpose(x, [1, 0, 2, 3]);
    const gT = F.transpose(g, [1, 0, 2, 3]);
    let c = F.conv2d(xT, gT, null, {
      stride: dilation,
      dilation: stride,
      padding: pads as [number, number, number, number],
    });
    c = F.slice(F.slice(c, 2, 0, w.shape[2]), 3, 0, w.shape[3]);
    gw = F.transpose(c, [1, 0, 2, 3]);
  }
  const gb = b && needs[2] ? F.reduceSum(g, [0, 2, 3], false) : null;
  return [gx, gw, gb];
}

function geluGrad(n: Node, x: Tensor, g: Tensor): Tensor {
  const approx = n.attrs.approximate?.value;
  if (approx === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    const x2 = F.mul(x, x);
    const t = F.tanh(F.mul(F.mul(x, F.add(F.mul(x2, 0.044715), 1)), c));
    const dt = F.mul(F.sub(1, F.mul(t, t)), F.mul(F.add(F.mul(x2, 3 * 0.044715), 1), c));
    return F.mul(g, F.add(F.mul(F.add(t, 1), 0.5), F.mul(F.mul(x, dt), 0.5)));
  }
  const cdf = F.mul(F.add(F.erf(F.mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = F.mul(F.exp(F.mul(F.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return F.mul(g, F.add(cdf, F.mul(x, pdf)));
}

/**
 * Gradients of com.microsoft MultiHeadAttention (q, k, v [B, L, H·D], the fused form of F.sdpa). Training graphs
 * use the composite form (GraphOptions.differentiable), so this only runs when a graph that was not marked
 * differentiable is differentiated anyway: it recomputes the probabilities P = softmax(s·q kᵀ) per head, then
 * dV = Pᵀ g, dS = P ⊙ (g vᵀ − rowsum(P ⊙ g vᵀ)), dQ = s·dS k, dK = s·dSᵀ q.
 */
function fusedAttentionGrads(n: Node, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  const [q3, k3, v3] = ins(n);
  const H = n.meta.heads as number;
  const scale = n.meta.scale as number;
  const heads = (t: Tensor) => F.transpose(F.reshape(t, [t.shape[0], t.shape[1], H, t.shape[2] / H]), [0, 2, 1, 3]);
  const merge = (t: Tensor) =>
    F.reshape(F.transpose(t, [0, 2, 1, 3]), [t.shape[0], t.shape[2], t.shape[1] * t.shape[3]]);
  const [q, k, v, gh] = [q3, k3, v3, g].map(heads);
  const p = F.softmax(F.matmul(F.mul(q, scale), F.mT(k)), -1);
  const gv = needs[2] ? merge(F.matmul(F.mT(p), gh)) : null;
  if (!needs[0] && !needs[1]) return [null, null, gv];
  const gp = F.matmul(gh, F.mT(v));
  const gs = F.mul(F.mul(p, F.sub(gp, F.reduceSum(F.mul(gp, p), [-1]))), scale);
  return [needs[0] ? merge(F.matmul(gs, k)) : null, needs[1] ? merge(F.matmul(F.mT(gs), q)) : null, gv];
}

/** The gradient rule of each op (exported so tests and new ops can reach them). */
export const RULES: Record<string, Rule> = {
  Identity: (_n, [g]) => [g],
  Add: (n, [g]) => [unbroadcast(g, ins(n)[0].shape), unbroadcast(g, ins(n)[1].shape)],
  Sub: (n, [g], needs) => [unbroadcast(g, ins(n)[0].shape), needs[1] ? unbroadcast(F.neg(g), ins(n)[1].shape) : null],
  Mul: (n, [g], needs) => {
    const [a, b] = ins(n);
    return [needs[0] ? unbroadcast(F.mul(g, b), a.shape) : null, needs[1] ? unbroadcast(F.mul(g, a), b.shape) : null];
  },
  Div: (n, [g], needs) => {
    const [a, b] = ins(n);
    return [
      needs[0] ? unbroadcast(F.div(g, b), a.shape) : null,
      needs[1] ? unbroadcast(F.neg(F.div(F.mul(g, out(n)), b)), b.shape) : null,
    ];
  },
  Pow: (n, [g], needs) => {
    const [a, b] = ins(n);
    return [
      needs[0] ? unbroadcast(F.mul(g, F.mul(b, F.pow(a, F.sub(b, 1)))), a.shape) : null,
      needs[1] ? unbroadcast(F.mul(g, F.mul(out(n), F.log(a))), b.shape) : null,
    ];
  },
  // Ties share the gradient equally, as PyTorch's maximum/minimum/amax/amin do (a subgradient; giving all of it
  // to one side, or all of it to every tied element, would make the summed gradient depend on the tie).
  Max: (n, [g]) => {
    const [a, b] = ins(n);
    const isA = F.cast(F.equal(a, out(n)), g.dtype);
    const isB = F.cast(F.equal(b, out(n)), g.dtype);
    const share = F.div(g, F.add(isA, isB));
    return [unbroadcast(F.mul(share, isA), a.shape), unbroadcast(F.mul(share, isB), b.shape)];
  },
  Min: (n, [g]) => RULES.Max(n, [g], [true, true]),
  Where: (n, [g]) => {
    const [c, a, b] = ins(n);
    return [null, unbroadcast(F.where(c, g, 0), a.shape), unbroadcast(F.where(c, 0, g), b.shape)];
  },
  Neg: (_n, [g]) => [F.neg(g)],
  Exp: (n, [g]) => [F.mul(g, out(n))],
  Log: (n, [g]) => [F.div(g, ins(n)[0])],
  Sqrt: (n, [g]) => [F.div(F.mul(g, 0.5), out(n))],
  Reciprocal: (n, [g]) => [F.neg(F.mul(g, F.mul(out(n), out(n))))],
  Tanh: (n, [g]) => [F.mul(g, F.sub(1, F.mul(out(n), out(n))))],
  Sigmoid: (n, [g]) => [F.mul(g, F.mul(out(n), F.sub(1, out(n))))],
  Relu: (n, [g]) => [F.where(F.greater(ins(n)[0], 0), g, 0)],
  Abs: (n, [g]) => {
    const x = ins(n)[0];
    return [F.where(F.greater(x, 0), g, F.where(F.less(x, 0), F.neg(g), 0))];
  },
  Sin: (n, [g]) => [F.mul(g, F.cos(ins(n)[0]))],
  Cos: (n, [g]) => [F.neg(F.mul(g, F.sin(ins(n)[0])))],
  Erf: (n, [g]) => {
    const x = ins(n)[0];
    return [F.mul(g, F.mul(F.exp(F.neg(F.mul(x, x))), 2 / Math.sqrt(Math.PI)))];
  },
  Gelu: (n, [g]) => [geluGrad(n, ins(n)[0], g)],
  Cast: (n, [g]) => [F.cast(g, ins(n)[0].dtype)],
  MatMul: (n, [g], needs) => matmulGrads(ins(n)[0], ins(n)[1], g, needs),
  ReduceSum: (n, [g]) => {
    const x = ins(n)[0];
    const keep = x.shape.map((d, i) => ((n.meta.axes as number[]).includes(i) ? 1 : d));
    return [F.expand(F.reshape(g, keep), x.shape), null];
  },
  ReduceMean: (n, [g]) => {
    const x = ins(n)[0];
    const axes = n.meta.axes as number[];
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return [F.expand(F.div(F.reshape(g, keep), count), x.shape), null];
  },
  ReduceMax: (n, [g]) => {
    const x = ins(n)[0];
    const axes = n.meta.axes as number[];
    const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const y = F.reshape(out(n), keep);
    const isMax = F.cast(F.equal(x, y), x.dtype);
    const ties = F.reduceSum(isMax, axes, true);
    return [F.mul(isMax, F.div(F.reshape(g, keep), ties)), null];
  },
  Softmax: (n, [g]) => {
    const y = out(n);
    return [F.mul(y, F.sub(g, F.reduceSum(F.mul(g, y), [n.meta.axis as number])))];
  },
  LayerNormalization: (n, [g], needs) => layerNormGrads(n, g, needs),
  MultiHeadAttention: (n, [g], needs) => fusedAttentionGrads(n, g, needs),
  Conv: (n, [g], needs) => convGrads(n, g, needs),
  Pad: (n, [g]) => {
    const x = ins(n)[0];
    const pads = n.meta.pads as number[];
    let r = g;
    for (let a = 0; a < x.rank; a++) r = F.slice(r, a, pads[a], pads[a] + x.shape[a]);
    return [r, null, null];
  },
  Reshape: (n, [g]) => [F.reshape(g, ins(n)[0].shape), null],
  Transpose: (n, [g]) => {
    const perm = n.meta.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [F.transpose(g, inv)];
  },
  Expand: (n, [g]) => [unbroadcast(g, ins(n)[0].shape), null],
  Split: (n, gs) => [F.concat(gs, n.meta.axis as number), null],
  Concat: (n, [g]) => {
    const sizes = n.meta.sizes as number[];
    return F.split(g, sizes, n.meta.axis as number);
  },
  Slice: (n, [g]) => {
    const x = ins(n)[0];
    const { axis, start, end, step } = n.meta as { axis: number; start: number; end: number; step: number };
    if (step !== 1) throw new Error('autodiff: strided slices are not differentiable yet');
    const pads = Array(2 * x.rank).fill(0);
    pads[axis] = start;
    pads[axis + x.rank] = x.shape[axis] - end;
    return [F.pad(g, pads), null, null, null, null];
  },
  Gather: (n, [g]) => {
    const [x, idx] = ins(n);
    const axis = n.meta.axis as number;
    // Move the gathered axis to the front, scatter-add the gradient rows into zeros, move it back.
    const toFront = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
    const xs = toFront.map((i) => x.shape[i]);
    const gFront = F.transpose(g, [
      ...idx.shape.map((_, i) => axis + i),
      ...[...Array(axis).keys()],
      ...x.shape.slice(axis + 1).map((_, i) => axis + idx.rank + i),
    ]);
    const zeros = F.expand(x.graph.scalar(0, x.dtype), xs);
    const acc = F.scatterAdd(zeros, F.reshape(F.cast(idx, 'int64'), [...idx.shape, 1]), gFront);
    return [
      F.transpose(
        acc,
        toFront.map((_, i) => toFront.indexOf(i)),
      ),
      null,
    ];
  },
};

/** Tensors that depend on any of `wrt` (only these can carry gradient). */
function dependents(graph: Graph, wrt: Tensor[]): Set<Tensor> {
  const dep = new Set<Tensor>(wrt);
  for (const n of graph.nodes) {
    if (n.inputs.some((x) => x && dep.has(x))) for (const y of n.outputs) dep.add(y);
  }
  return dep;
}

/**
 * Gradients of `loss` (any shape; seeded with ones, i.e. the gradient of sum(loss)) with respect to `wrt`.
 * Tensors that `loss` does not depend on get a zero gradient.
 */
export function gradients(loss: Tensor, wrt: Tensor[], seed?: Tensor): Tensor[] {
  const graph = loss.graph;
  const dep = dependents(graph, wrt);
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, seed ?? F.expand(graph.scalar(1, loss.dtype), loss.shape));
  const accumulate = (t: Tensor, g: Tensor, n: Node) => {
    // a rule that forgets to unbroadcast would otherwise be summed by broadcasting into a wrong-shaped gradient
    if (g.rank !== t.rank || g.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(
        `autodiff: the ${n.op} rule${n.path ? ` (in ${n.path})` : ''} gave a gradient of shape [${g.shape}] for ` +
          `an input of shape [${t.shape}]`,
      );
    }
    const prev = grads.get(t);
    grads.set(t, prev ? F.add(prev, g) : g);
  };
  const stop = loss.node ? graph.nodes.indexOf(loss.node) : -1;
  for (let i = stop; i >= 0; i--) {
    const n = graph.nodes[i];
    const gOut = n.outputs.map((y) => grads.get(y));
    if (gOut.every((g) => !g)) continue;
    const needs = n.inputs.map((x) => !!x && dep.has(x) && F.isFloatTensor(x));
    if (!needs.some(Boolean)) continue;
    const rule = RULES[n.op];
    if (!rule) throw new Error(`autodiff: no gradient rule for ${n.op}${n.path ? ` (in ${n.path})` : ''}`);
    const filled = gOut.map((g, k) => g ?? F.zerosLike(n.outputs[k]));
    const gIn = withPath(`grad${n.path ? `/${n.path}` : ''}`, () => rule(n, filled, needs));
    n.inputs.forEach((x, k) => {
      const g = gIn[k];
      if (x && g && needs[k]) accumulate(x, g, n);
    });
  }
  return wrt.map((t) => grads.get(t) ?? F.zerosLike(t));
}

/** Gradient of a scalar loss with respect to the given tensors. */
export function grad(loss: Tensor, wrt: Tensor[]): Tensor[] {
  if (loss.size !== 1) throw new Error(`grad: loss must be a scalar, got shape [${loss.shape}]; reduce it first`);
  return gradients(loss, wrt);
}
