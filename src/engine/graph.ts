// The graph: symbolic tensors with concrete shapes and dtypes, and the nodes (ONNX ops) that make them.
//
// Model code never touches numbers directly. It calls ops (src/engine/ops.ts) on symbolic Tensors; each op
// checks and infers its output shape at once (so a shape error points at the line that caused it, with the
// module path), and appends one ONNX node. `serialize` (src/engine/serialize.ts) turns the nodes that the
// requested outputs depend on into an ONNX model; `Session` (src/engine/session.ts) runs it with ONNX Runtime.
//
// Shapes are concrete numbers: a graph is built per input shape and the compiled session is cached by the
// graph's signature, so the sampler's 30 steps at one resolution reuse one session.

import type { DType, HostTensor } from './dtype.ts';
import { type Parameter, quantPartShape } from './module.ts';
import { currentPath } from './path.ts';

export type Shape = readonly number[];

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
};

/** How a graph leaf gets its value. */
export type Leaf =
  | { kind: 'input' } // fed at run time
  | { kind: 'constant'; value: HostTensor } // baked into the model
  | { kind: 'param'; param: Parameter; part?: string }; // a module parameter (baked, or fed when training)

export interface Node {
  op: string; // ONNX op type, e.g. 'MatMul'
  domain: string; // '' (ai.onnx) or 'com.microsoft'
  inputs: (Tensor | null)[]; // null = an omitted optional input
  outputs: Tensor[];
  attrs: Record<string, Attr>;
  /** Module path active when the node was made (e.g. 'double_blocks.0.img_attn'), for errors and profiling. */
  path: string;
  /** What autodiff needs to know beyond the ONNX attributes (axes, perm, ...). */
  meta: Record<string, unknown>;
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

let nextTensorId = 0;

export class Tensor {
  readonly id = nextTensorId++;
  constructor(
    readonly graph: Graph,
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that produced this tensor, or null for a leaf (input, constant, parameter). */
    readonly node: Node | null,
    /** Output slot in `node`, or the leaf description. */
    readonly source: number | Leaf,
    public name: string,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

// ---- the graph being built (so that ops on Parameters alone know where to go) ----
let activeGraph: Graph | null = null;
export function currentGraph(): Graph {
  if (!activeGraph) throw new Error('no active graph: build model code inside graph.build(() => ...)');
  return activeGraph;
}

export type ParamMode = 'constant' | 'input';

/**
 * How `F.sdpa` computes attention (see ops.ts):
 * - 'composite': MatMul, Softmax, MatMul — materialises the [B, H, Lq, Lk] scores; every op has a gradient rule.
 * - 'fused': ORT's com.microsoft MultiHeadAttention, which on CPU runs MLAS flash attention (blocks of queries
 *   and keys with an online softmax): no score matrix. float32, rank-4 inputs.
 * - 'chunked': the composite form per block of queries (Split, per-chunk softmax(q kᵀ) v, Concat): scores
 *   O(C·Lk) per head alive at a time; plain ONNX ops, so it runs on any execution provider and is differentiable.
 * - 'auto': 'composite' in differentiable graphs, else 'fused' where it applies (float32, not for Node's WebGPU
 *   provider: targetsNodeWebGpu), else 'chunked' when the score matrix would be large.
 */
export type AttentionImpl = 'auto' | 'composite' | 'fused' | 'chunked';

export interface GraphOptions {
  /**
   * The graph will be differentiated (grad()/gradients()): ops keep their differentiable composite forms. The
   * Trainer sets this; inference graphs (also those built with 'input' parameters to evaluate during training)
   * leave it off and get the memory-efficient forms.
   */
  differentiable?: boolean;
  /** attention implementation for F.sdpa (default 'auto', or the KONTEXT_ATTENTION environment variable) */
  attention?: AttentionImpl;
  /** queries per chunk for 'chunked' attention (default: F.DEFAULT_ATTENTION_CHUNK) */
  attentionChunk?: number;
}

const ATTENTION_IMPLS: readonly AttentionImpl[] = ['auto', 'composite', 'fused', 'chunked'];

/** The KONTEXT_ATTENTION override (for comparisons and debugging), read without assuming Node. */
function attentionFromEnv(): AttentionImpl | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KONTEXT_ATTENTION;
  if (!v) return undefined;
  if (!ATTENTION_IMPLS.includes(v as AttentionImpl))
    throw new Error(`KONTEXT_ATTENTION must be one of ${ATTENTION_IMPLS.join(', ')}, got '${v}'`);
  return v as AttentionImpl;
}

/**
 * Are graphs built for onnxruntime-node's WebGPU provider (KONTEXT_EP=webgpu)? Its MultiHeadAttention (ORT 1.30)
 * is wrong from 32 tokens on (5e-2 relative error on lavapipe and SwiftShader; 16 tokens are exact), so 'auto'
 * attention takes the plain-op forms there. onnxruntime-web's WebGPU kernel (a page has no process) is right.
 */
export function targetsNodeWebGpu(): boolean {
  return (
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KONTEXT_EP === 'webgpu'
  );
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs = new Map<string, Tensor>();
  private readonly paramTensors = new Map<Parameter, Tensor>();
  private readonly scalarCache = new Map<string, Tensor>();
  private readonly partTensors = new Map<string, Tensor>();
  private names = new Set<string>();

  /** see GraphOptions.differentiable */
  readonly differentiable: boolean;
  readonly attention: AttentionImpl;
  readonly attentionChunk: number | undefined;

  /**
   * @param paramMode 'constant': parameters are baked into the model as initializers (inference; ORT can
   *   pre-pack them). 'input': parameters become graph inputs, fed at every run (training, where they change).
   */
  constructor(
    readonly paramMode: ParamMode = 'constant',
    opts: GraphOptions = {},
  ) {
    this.differentiable = opts.differentiable ?? false;
    // the environment override is for inference comparisons; training graphs keep what they ask for
    this.attention = opts.attention ?? (this.differentiable ? undefined : attentionFromEnv()) ?? 'auto';
    this.attentionChunk = opts.attentionChunk;
  }

  /** Run `fn` with this graph active, so ops on Parameters alone land here. */
  build<T>(fn: () => T): T {
    const prev = activeGraph;
    activeGraph = this;
    try {
      return fn();
    } finally {
      activeGraph = prev;
    }
  }

  uniqueName(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_./:-]/g, '_');
    if (this.names.has(name)) {
      let i = 1;
      while (this.names.has(`${name}_${i}`)) i++;
      name = `${name}_${i}`;
    }
    this.names.add(name);
    return name;
  }

  /** A tensor fed at run time. */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    if (this.names.has(name)) throw new Error(`graph input '${name}' defined twice`);
    const t = new Tensor(this, [...shape], dtype, null, { kind: 'input' }, this.uniqueName(name));
    this.inputs.push(t);
    return t;
  }

  /** A constant baked into the model. */
  constant(value: HostTensor, name = 'const'): Tensor {
    return new Tensor(this, [...value.shape], value.dtype, null, { kind: 'constant', value }, this.uniqueName(name));
  }

  /** A scalar constant (shape []), shared across uses. */
  scalar(v: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(v, -0) ? '-0' : v}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant(scalarHost(v, dtype), 'c');
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A constant made once per graph under `key` (e.g. the ones vector of a LayerNorm without affine weight). */
  cached(key: string, make: () => Tensor): Tensor {
    let t = this.scalarCache.get(key);
    if (!t) this.scalarCache.set(key, (t = make()));
    return t;
  }

  /** The tensor standing for a module parameter in this graph (one per parameter, made on first use). */
  param(p: Parameter): Tensor {
    let t = this.paramTensors.get(p);
    if (!t) {
      const asInput = this.paramMode === 'input';
      t = new Tensor(this, [...p.shape], p.dtype, null, { kind: 'param', param: p }, this.uniqueName(p.key || 'param'));
      if (asInput) this.inputs.push(t);
      this.paramTensors.set(p, t);
    }
    return t;
  }

  /** A stored part of a quantized parameter ('packed', 'scales', 'zeroPoints'); always baked in. */
  paramPart(p: Parameter, part: 'packed' | 'scales' | 'zeroPoints'): Tensor {
    const key = `${p.id}:${part}`;
    let t = this.partTensors.get(key);
    if (!t) {
      const q = p.quant;
      if (!q) throw new Error(`parameter ${p.key} is not quantized`);
      t = new Tensor(
        this,
        quantPartShape(q, part),
        part === 'scales' ? 'float32' : 'uint8',
        null,
        { kind: 'param', param: p, part },
        this.uniqueName(`${p.key}.${part}`),
      );
      this.partTensors.set(key, t);
    }
    return t;
  }

  /** Parameters used so far, in first-use order. */
  params(): Parameter[] {
    return [...this.paramTensors.keys()];
  }

  paramTensor(p: Parameter): Tensor | undefined {
    return this.paramTensors.get(p);
  }

  /** Mark a tensor as a named output of the graph. */
  output(name: string, t: Tensor): Tensor {
    if (t.graph !== this) throw new Error(`output '${name}' belongs to another graph`);
    this.outputs.set(name, t);
    return t;
  }

  /** Append a node; used by ops. Output shapes/dtypes are inferred by the caller. */
  addNode(
    op: string,
    inputs: (Tensor | null)[],
    outs: { shape: Shape; dtype: DType }[],
    attrs: Record<string, Attr> = {},
    meta: Record<string, unknown> = {},
    domain = '',
  ): Tensor[] {
    for (const x of inputs) {
      if (x && x.graph !== this) throw new Error(`${op}: input ${x} belongs to another graph`);
    }
    const path = currentPath();
    const node: Node = { op, domain, inputs, outputs: [], attrs, path, meta };
    const base = (path ? `${path}/` : '') + op;
    node.outputs = outs.map(
      (o, i) => new Tensor(this, [...o.shape], o.dtype, node, i, this.uniqueName(`${base}_${i}`)),
    );
    this.nodes.push(node);
    return node.outputs;
  }
}

function scalarHost(v: number, dtype: DType): HostTensor {
  switch (dtype) {
    case 'float32':
      return { dtype, shape: [], data: new Float32Array([v]) };
    case 'float64':
      return { dtype, shape: [], data: new Float64Array([v]) };
    case 'int64':
      return { dtype, shape: [], data: new BigInt64Array([BigInt(v)]) };
    case 'int32':
      return { dtype, shape: [], data: new Int32Array([v]) };
    case 'bool':
      return { dtype, shape: [], data: new Uint8Array([v ? 1 : 0]) };
    default:
      throw new Error(`scalar constants of dtype ${dtype} are not supported`);
  }
}

/** Nodes needed to compute `targets`, in a valid execution order (the order they were created in). */
export function liveNodes(graph: Graph, targets: Tensor[]): Node[] {
  const live = new Set<Node>();
  const stack = targets.map((t) => t.node).filter((n): n is Node => n !== null);
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const x of n.inputs) if (x?.node && !live.has(x.node)) stack.push(x.node);
  }
  return graph.nodes.filter((n) => live.has(n));
}
