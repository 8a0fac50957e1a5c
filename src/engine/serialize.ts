// Graph → ONNX ModelProto bytes. Only the nodes that the requested outputs depend on are written.
//
// Weights are not copied into the protobuf: every parameter and every large constant becomes an initializer
// with *external data*, whose bytes are handed to ONNX Runtime as in-memory buffers next to the model. This keeps
// the model bytes small (they are hashed for the session cache) and sidesteps protobuf's 2 GB limit.
// The external "file" names encode the identity of the data (parameter id and version, or a constant's content), so
// the model bytes alone are a complete signature of what the session computes.
//
// With `bindParams`, float parameters are not initializers at all but graph inputs (`bound`), which the session
// feeds from the parameters' own host arrays at every run (ORT wraps them without a copy). Every session of a
// model, whatever its input shape, then uses the one copy of the weights, and a new value is seen without
// recompiling. ORT's per-session copy and pre-packed layout of each initializer is what this avoids.

import { BYTES, type DType, type HostArray, numel, ONNX_DTYPE } from './dtype.ts';
import { type Attr, type Graph, type Leaf, liveNodes, type Tensor } from './graph.ts';
import type { Parameter } from './module.ts';
import {
  AttributeProto as A,
  AttributeType,
  Dimension,
  GraphProto as G,
  ModelProto as M,
  Msg,
  NodeProto as N,
  OperatorSetIdProto as OP,
  StringStringEntryProto as SS,
  TensorProto as TP,
  TensorShapeProto,
  TypeProto,
  TypeProtoTensor,
  ValueInfoProto as V,
} from './onnx-proto.ts';

export const OPSET = 21;
const INLINE_LIMIT = 4096; // constants up to this many bytes are written into the model itself

export interface ExternalData {
  path: string;
  data: Uint8Array;
}

export interface SerializedModel {
  bytes: Uint8Array;
  externalData: ExternalData[];
  /** where spilled parameters' files are: the model must then be loaded from a file in this directory */
  weightsDir: string | null;
  inputs: Tensor[];
  outputNames: string[];
  /** parameters written as graph inputs (bindParams), to be fed from their values at run time */
  bound: { name: string; param: Parameter }[];
}

export interface SerializeOptions {
  /** float parameters become graph inputs instead of initializers (see above); default false */
  bindParams?: boolean;
}

/**
 * Ops whose weights stay initializers even with bindParams: ORT's CPU provider reorders constant Conv weights
 * into its blocked NCHWc layout at session creation, and without it the AE decoder runs 2–8× slower.
 */
const BAKED_CONSUMERS = new Set(['Conv', 'ConvTranspose']);

/**
 * The external-data name of a constant: from its content (two 32-bit hash lanes and the length), so that a graph
 * rebuilt with freshly made but equal constants (RoPE tables, masks, shape tensors) serializes to the same bytes and
 * finds its session in the compile cache. Named by identity instead, every rebuild was a new model: each training
 * step compiled a new AE encoder session and each edit a new transformer session. Memoised per array (constants
 * are not mutated once in a graph).
 */
const contentNames = new WeakMap<HostArray, string>();
function contentName(a: HostArray): string {
  let name = contentNames.get(a);
  if (name === undefined) contentNames.set(a, (name = `c${hashBytes(bytesOf(a))}_${a.byteLength}`));
  return name;
}

/** 64 bits of hash: an FNV-1a lane and a MurmurHash3 lane over 32-bit words (the tail zero-padded). */
export function hashBytes(b: Uint8Array): string {
  const n = b.byteLength >>> 2;
  const words = b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, n) : null;
  const view = words ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  const mix = (w: number) => {
    h1 = Math.imul(h1 ^ w, 0x01000193);
    let k = Math.imul(w, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h2 ^= k;
    h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0;
  };
  for (let i = 0; i < n; i++) mix(words ? words[i] : view!.getUint32(i * 4, true));
  let tail = 0;
  for (let i = n * 4; i < b.byteLength; i++) tail |= b[i] << (8 * (i - n * 4));
  if (b.byteLength % 4) mix(tail);
  const fmix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return (
    fmix(h1).toString(16).padStart(8, '0') +
    fmix(h2 ^ b.byteLength)
      .toString(16)
      .padStart(8, '0')
  );
}

function bytesOf(a: HostArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(name: string, t: Tensor): Msg {
  const shape = new Msg();
  for (const d of t.shape) shape.msg(TensorShapeProto.dim, new Msg().int(Dimension.dim_value, d));
  const tt = new Msg().int(TypeProtoTensor.elem_type, ONNX_DTYPE[t.dtype]).msg(TypeProtoTensor.shape, shape);
  return new Msg().str(V.name, name).msg(V.type, new Msg().msg(TypeProto.tensor_type, tt));
}

function attribute(name: string, a: Attr): Msg {
  const m = new Msg().str(A.name, name);
  switch (a.kind) {
    case 'int':
      return m.int(A.type, AttributeType.INT).int(A.i, a.value);
    case 'float':
      return m.int(A.type, AttributeType.FLOAT).float(A.f, a.value);
    case 'ints':
      return m.int(A.type, AttributeType.INTS).packedInts(A.ints, a.value);
    case 'floats':
      return m.int(A.type, AttributeType.FLOATS).packedFloats(A.floats, a.value);
    case 'string':
      return m.int(A.type, AttributeType.STRING).str(A.s, a.value);
  }
}

/** The external-data file name of a parameter (or a part of a quantized one): identity and version. */
export function paramLocation(p: Parameter, part?: string): string {
  return `p${p.id}v${p.version}${part ? `.${part}` : ''}.bin`;
}

interface LeafData {
  dtype: DType;
  shape: number[];
  /** host bytes, or null when the data lives in a file of `spilled` */
  bytes: Uint8Array | null;
  location: string;
  spilled: string | null;
}

/** The data behind a leaf in 'constant' position: a constant, a parameter value or a quantized part. */
function leafData(t: Tensor, leaf: Leaf): LeafData {
  const base = { dtype: t.dtype, shape: [...t.shape] };
  if (leaf.kind === 'constant')
    return { ...base, bytes: bytesOf(leaf.value.data), location: `${contentName(leaf.value.data)}.bin`, spilled: null };
  if (leaf.kind !== 'param') throw new Error('inputs have no data');
  const p = leaf.param;
  const location = paramLocation(p, leaf.part);
  // spill.ts writes exactly the tensors above the inline limit to files
  if (p.spilled && numel(t.shape) * BYTES[t.dtype] > INLINE_LIMIT)
    return { ...base, bytes: null, location, spilled: p.spilled };
  if (leaf.part) {
    const q = p.quant!;
    return {
      ...base,
      bytes: bytesOf(leaf.part === 'packed' ? q.packed : leaf.part === 'scales' ? q.scales : q.zeroPoints),
      location,
      spilled: null,
    };
  }
  if (!p.value) throw new Error(`parameter ${p.key} has no value: load weights before building an inference graph`);
  return { ...base, bytes: bytesOf(p.value.data), location, spilled: null };
}

function initializer(name: string, d: LeafData, ext: ExternalData[]): Msg {
  const m = new Msg().packedInts(TP.dims, d.shape).int(TP.data_type, ONNX_DTYPE[d.dtype]).str(TP.name, name);
  const length = numel(d.shape) * BYTES[d.dtype];
  if (d.bytes && d.bytes.length !== length)
    throw new Error(`initializer ${name}: ${d.bytes.length} bytes, expected ${length}`);
  if (d.bytes && length <= INLINE_LIMIT) return m.bytes(TP.raw_data, d.bytes);
  if (d.bytes && !ext.some((e) => e.path === d.location)) ext.push({ path: d.location, data: d.bytes });
  return m
    .msg(TP.external_data, new Msg().str(SS.key, 'location').str(SS.value, d.location))
    .msg(TP.external_data, new Msg().str(SS.key, 'offset').str(SS.value, '0'))
    .msg(TP.external_data, new Msg().str(SS.key, 'length').str(SS.value, String(length)))
    .int(TP.data_location, 1);
}

/** Serialize the part of `graph` needed for `outputs` (default: all marked outputs). */
export function serialize(
  graph: Graph,
  outputs: Map<string, Tensor> = graph.outputs,
  o: SerializeOptions = {},
): SerializedModel {
  if (outputs.size === 0) throw new Error('serialize: the graph has no outputs');
  const targets = [...outputs.values()];
  const nodes = liveNodes(graph, targets);
  const g = new Msg().str(G.name, 'kontext');
  const ext: ExternalData[] = [];

  // Leaves used by live nodes (or directly as outputs) that are not runtime inputs become initializers.
  const inputSet = new Set(graph.inputs);
  const seen = new Set<Tensor>();
  const leaves: Tensor[] = [];
  const visit = (t: Tensor | null) => {
    if (!t || t.node || seen.has(t)) return;
    seen.add(t);
    if (!inputSet.has(t)) leaves.push(t);
  };
  for (const n of nodes) n.inputs.forEach(visit);
  targets.forEach(visit);
  const baked = new Set<Tensor>();
  for (const n of nodes) if (BAKED_CONSUMERS.has(n.op)) for (const x of n.inputs) if (x) baked.add(x);
  const bound: { name: string; param: Parameter }[] = [];
  const boundInputs: Tensor[] = [];
  let weightsDir: string | null = null;
  for (const t of leaves) {
    const leaf = t.source as Leaf;
    if (o.bindParams && bindable(t, leaf) && !baked.has(t)) {
      bound.push({ name: t.name, param: (leaf as { param: Parameter }).param });
      boundInputs.push(t);
      continue;
    }
    const d = leafData(t, leaf);
    if (d.spilled) {
      if (weightsDir && weightsDir !== d.spilled)
        throw new Error(`parameters spilled to two directories (${weightsDir}, ${d.spilled}); use one per model`);
      weightsDir = d.spilled;
    }
    g.msg(G.initializer, initializer(t.name, d, ext));
  }

  for (const n of nodes) {
    const m = new Msg();
    for (const x of n.inputs) m.str(N.input, x ? x.name : '');
    for (const y of n.outputs) m.str(N.output, y.name);
    m.str(N.op_type, n.op);
    if (n.domain) m.str(N.domain, n.domain);
    for (const [k, a] of Object.entries(n.attrs)) m.msg(N.attribute, attribute(k, a));
    g.msg(G.node, m);
  }
  // Outputs get their public names through Identity nodes (a tensor may be an output under any name).
  for (const [name, t] of outputs) {
    g.msg(G.node, new Msg().str(N.input, t.name).str(N.output, name).str(N.op_type, 'Identity'));
    g.msg(G.output, valueInfo(name, t));
  }
  for (const t of graph.inputs) g.msg(G.input, valueInfo(t.name, t));
  for (const t of boundInputs) g.msg(G.input, valueInfo(t.name, t));

  const model = new Msg()
    .int(M.ir_version, 10)
    .msg(M.opset_import, new Msg().str(OP.domain, '').int(OP.version, OPSET))
    .msg(M.opset_import, new Msg().str(OP.domain, 'com.microsoft').int(OP.version, 1))
    .str(M.producer_name, 'kontext')
    .msg(M.graph, g);
  return {
    bytes: model.finish(),
    externalData: ext,
    weightsDir,
    inputs: [...graph.inputs],
    outputNames: [...outputs.keys()],
    bound,
  };
}

/** dtypes an ORT tensor can wrap from a host array (bf16 and f8 parameters stay initializers) */
const BINDABLE = new Set<DType>(['float32', 'float16', 'float64']);

/** A whole float parameter held in host memory, large enough to be external data (small ones are inlined). */
function bindable(t: Tensor, leaf: Leaf): boolean {
  if (leaf.kind !== 'param' || leaf.part) return false;
  const p = leaf.param;
  return !!p.value && !p.spilled && !p.quant && BINDABLE.has(t.dtype) && numel(t.shape) * BYTES[t.dtype] > INLINE_LIMIT;
}
