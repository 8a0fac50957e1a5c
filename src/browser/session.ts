// Running graphs in a browser page with onnxruntime-web: the page's stand-in for src/engine/session.ts (which
// needs onnxruntime-node, node:fs and node:crypto). The graph is serialized by the same serializer, so the model
// the page runs is byte for byte the model Node runs; only the runtime differs.
//
// Differences from the Node engine, and why:
// - execution providers are 'wasm' (ORT's CPU kernels compiled to WebAssembly; 'cpu' means the same) and
//   'webgpu' (JSEP kernels on navigator.gpu; ORT runs the few ops JSEP lacks on its CPU kernels). A page without
//   a WebGPU adapter gets onnxruntime-web's error, not a silent run on wasm;
// - the session cache is keyed by a hash of the model and its weights (SHA-256 by WebCrypto where the page is a
//   secure context, else FNV-1a in script): model code that compiles its graphs at every call (src/mini does, as
//   Node's cache makes that free) then compiles once per page, not once per edit, and does not pile up sessions;
// - no spilled weights (there are no files): parameters are always in-memory external data.

import * as ort from 'onnxruntime-web';
import type { DType, HostTensor } from '../engine/dtype.ts';
import type { Graph, Tensor } from '../engine/graph.ts';
import { serialize } from '../engine/serialize.ts';
import { SessionCache } from '../engine/session-cache.ts';
import { ortTensorCodec } from '../engine/ort-tensors.ts';

export type ExecutionProvider = 'cpu' | 'wasm' | 'webgpu';

export interface EngineOptions {
  /** 'wasm' (default; 'cpu' is an alias) or 'webgpu' (needs navigator.gpu) */
  executionProvider?: ExecutionProvider;
  /** WebAssembly threads; more than 1 needs a cross-origin-isolated page (COOP/COEP headers) */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's verbose log on the console: among much else, which nodes each execution provider took */
  verbose?: boolean;
  /**
   * run WebAssembly in onnxruntime-web's own worker, so that the page's thread stays free to draw and answer during
   * a run (without it an edit freezes the page); 'wasm' only, ORT-wide, fixed by the first session
   */
  proxy?: boolean;
}

export interface CompileOptions extends EngineOptions {
  outputs?: string[];
  /** skip the session cache (a one-off graph the caller releases itself) */
  noCache?: boolean;
}

const defaults: Required<EngineOptions> = {
  executionProvider: 'wasm',
  threads: 1,
  graphOptimizationLevel: 'all',
  verbose: false,
  proxy: false,
};

/** Change the engine-wide defaults. The thread count is ORT-wide in onnxruntime-web and fixed by its first session. */
export function configureEngine(o: EngineOptions): void {
  Object.assign(defaults, o);
}

/** Where onnxruntime-web fetches its .wasm/.mjs files from (default: next to the page's script). */
export function setWasmPaths(prefix: string): void {
  ort.env.wasm.wasmPaths = prefix;
}

// In proxy mode ORT transfers a feed's buffer to its worker, which detaches it here: feeds get a copy, so that the
// caller's arrays (token ids, latents reused from step to step) stay whole.
export const { toOrt, fromOrt } = ortTensorCodec(
  (type, data, dims) =>
    new ort.Tensor(
      type as ort.Tensor.Type,
      (ort.env.wasm.proxy ? (data as { slice(): unknown }).slice() : data) as never,
      dims,
    ),
);

/** A compiled graph: feed host tensors by input name, get host tensors by output name (as in the Node engine). */
export class CompiledGraph {
  constructor(
    readonly session: ort.InferenceSession,
    readonly inputs: { name: string; shape: readonly number[]; dtype: DType }[],
    readonly outputs: {
      name: string;
      shape: readonly number[];
      dtype: DType;
    }[],
    readonly signature: string,
  ) {}

  /** Run once. Outputs named in `into` are copied into those host tensors (onnxruntime-web allocates its own). */
  async run(
    feeds: Record<string, HostTensor>,
    into: Record<string, HostTensor> = {},
  ): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const i of this.inputs) {
      const f = feeds[i.name];
      if (!f) throw new Error(`missing feed '${i.name}' (${i.dtype}[${i.shape}])`);
      if (f.shape.length !== i.shape.length || f.shape.some((d, k) => d !== i.shape[k]) || f.dtype !== i.dtype) {
        throw new Error(`feed '${i.name}' is ${f.dtype}[${f.shape}], the graph expects ${i.dtype}[${i.shape}]`);
      }
      ortFeeds[i.name] = toOrt(f);
    }
    const res = await this.session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const o of this.outputs) {
      const t = fromOrt(res[o.name]);
      if (into[o.name]) into[o.name].data.set(t.data as never);
      out[o.name] = into[o.name] ?? t;
    }
    return out;
  }

  /** Free the session (and take it out of the compile cache). */
  release(): Promise<void> {
    cache.forget(this.signature, this);
    return this.session.release();
  }

  /** The same as release (the Node engine's name for it). */
  dispose(): Promise<void> {
    return this.release();
  }
}

function mustOutput(graph: Graph, name: string): Tensor {
  const t = graph.outputs.get(name);
  if (!t) throw new Error(`graph has no output '${name}' (outputs: ${[...graph.outputs.keys()].join(', ')})`);
  return t;
}

// ---- session cache (LRU), keyed by a hash of the model bytes, its weights and the options ----
const cache = new SessionCache<CompiledGraph>(6);

/** FNV-1a, two 32-bit lanes with different offsets (a page that is not a secure context has no crypto.subtle). */
function fnv(parts: Uint8Array[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      a = Math.imul(a ^ p[i]!, 0x01000193);
      b = Math.imul(b ^ p[i]!, 0x01000193) ^ (b >>> 15);
    }
    a = Math.imul(a ^ p.length, 0x01000193);
  }
  return `fnv:${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

async function signatureOf(parts: Uint8Array[]): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return fnv(parts);
  const digests = await Promise.all(parts.map((p) => subtle.digest('SHA-256', p as Uint8Array<ArrayBuffer>)));
  const all = new Uint8Array(digests.length * 32);
  for (const [i, d] of digests.entries()) all.set(new Uint8Array(d), i * 32);
  const hex = [...new Uint8Array(await subtle.digest('SHA-256', all))];
  return hex.map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Serialize a graph and create an onnxruntime-web session for it, or return the cached one for the same graph. */
export async function compile(graph: Graph, o: CompileOptions = {}): Promise<CompiledGraph> {
  const opts = { ...defaults, ...o };
  const chosen = o.outputs ? new Map(o.outputs.map((n) => [n, mustOutput(graph, n)])) : graph.outputs;
  const model = serialize(graph, chosen);
  if (model.weightsDir)
    throw new Error('spilled weights (files) cannot be used in a browser; load parameters into memory');
  if (o.noCache) return create(model, chosen, opts, 'uncached');
  const settings = `|${opts.executionProvider}|${opts.threads}|${opts.graphOptimizationLevel}|${[...chosen.keys()]}`;
  const signature = await signatureOf([
    model.bytes,
    ...model.externalData.map((e) => e.data),
    new TextEncoder().encode(settings),
  ]);
  const hit = cache.get(signature);
  if (hit) return hit;
  const made = create(model, chosen, opts, signature);
  cache.add(signature, made);
  return made;
}

async function create(
  model: ReturnType<typeof serialize>,
  chosen: Map<string, Tensor>,
  opts: Required<EngineOptions>,
  signature: string,
): Promise<CompiledGraph> {
  ort.env.wasm.numThreads = opts.threads;
  ort.env.wasm.proxy = opts.proxy;
  if (opts.verbose) ort.env.logLevel = 'verbose';
  const ep = opts.executionProvider === 'cpu' ? 'wasm' : opts.executionProvider;
  const session = await ort.InferenceSession.create(model.bytes, {
    // alone: listing 'wasm' after 'webgpu' makes a page without an adapter run on wasm, silently
    executionProviders: [ep],
    graphOptimizationLevel: opts.graphOptimizationLevel,
    externalData: model.externalData,
    ...(opts.verbose ? { logSeverityLevel: 0 as const } : {}),
  });
  const info = (t: Tensor, name = t.name) => ({ name, shape: t.shape, dtype: t.dtype });
  return new CompiledGraph(
    session,
    model.inputs.map((t) => info(t)),
    [...chosen].map(([name, t]) => info(t, name)),
    signature,
  );
}

/** Build-and-run convenience (compiled outside the cache, released after the run). */
export async function evaluate(
  graph: Graph,
  feeds: Record<string, HostTensor> = {},
  o: CompileOptions = {},
): Promise<Record<string, HostTensor>> {
  const c = await compile(graph, { ...o, noCache: true });
  try {
    return await c.run(feeds);
  } finally {
    await c.release();
  }
}
