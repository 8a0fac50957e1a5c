// Running graphs with ONNX Runtime: compile (serialize + create an InferenceSession), cache compiled sessions by
// graph signature, convert host tensors to and from ORT tensors, and choose the execution provider and threads.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors.ts';
import type { DType, HostArray, HostTensor } from './dtype.ts';
import type { Graph, Tensor } from './graph.ts';
import { type SerializedModel, serialize } from './serialize.ts';

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

export interface EngineOptions {
  /** 'cpu' (default), 'webgpu' (bundled with onnxruntime-node on linux), 'cuda' (needs the CUDA add-on, see README). */
  executionProvider?: ExecutionProvider;
  /** intra-op threads; default: all cores */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

const defaults: Required<EngineOptions> = {
  executionProvider: (process.env.KONTEXT_EP as ExecutionProvider) || 'cpu',
  threads: Number(process.env.KONTEXT_THREADS) || availableParallelism(),
  graphOptimizationLevel: 'all',
};

/** Change the engine-wide defaults (execution provider, threads). */
export function configureEngine(o: EngineOptions): void {
  Object.assign(defaults, o);
}

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

export function toOrt(t: HostTensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (!type) throw new Error(`dtype ${t.dtype} cannot be passed to ONNX Runtime directly; convert it first`);
  return new ort.Tensor(type, t.data as never, t.shape);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = (Object.keys(ORT_TYPE) as DType[]).find((d) => ORT_TYPE[d] === t.type);
  if (!dtype) throw new Error(`unsupported ORT output type ${t.type}`);
  return { dtype, shape: [...t.dims], data: t.data as HostArray };
}

/** A compiled graph: feed host tensors by input name, get host tensors by output name. */
export class CompiledGraph {
  constructor(
    readonly session: ort.InferenceSession,
    readonly inputs: { name: string; shape: readonly number[]; dtype: DType }[],
    readonly outputs: { name: string; shape: readonly number[]; dtype: DType }[],
    readonly signature: string,
  ) {}

  /**
   * Run once. `into` may hold preallocated host tensors for some outputs; ORT then writes straight into them
   * (the training loop uses this to keep parameters and optimizer state in place between steps).
   */
  async run(feeds: Record<string, HostTensor>, into: Record<string, HostTensor> = {}): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const i of this.inputs) {
      const f = feeds[i.name];
      if (!f) throw new Error(`missing feed '${i.name}' (${i.dtype}[${i.shape}])`);
      if (f.shape.length !== i.shape.length || f.shape.some((d, k) => d !== i.shape[k]) || f.dtype !== i.dtype) {
        throw new Error(`feed '${i.name}' is ${f.dtype}[${f.shape}], the graph expects ${i.dtype}[${i.shape}]`);
      }
      ortFeeds[i.name] = toOrt(f);
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const o of this.outputs) fetches[o.name] = into[o.name] ? toOrt(into[o.name]) : null;
    const res = await this.session.run(ortFeeds, fetches);
    const out: Record<string, HostTensor> = {};
    for (const o of this.outputs) out[o.name] = into[o.name] ?? fromOrt(res[o.name]);
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

// ---- session cache (LRU), keyed by model signature + options ----
const cache = new Map<string, Promise<CompiledGraph>>();
let cacheLimit = 6;

export function setSessionCacheLimit(n: number): void {
  cacheLimit = n;
}

export async function clearSessionCache(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) await (await p).release().catch(() => {});
}

export interface CompileOptions extends EngineOptions {
  /** output names to compute (default: all outputs marked on the graph) */
  outputs?: string[];
  /** skip the cache (e.g. a one-off benchmark) */
  noCache?: boolean;
}

function epConfig(ep: ExecutionProvider): ort.InferenceSession.ExecutionProviderConfig[] {
  return ep === 'cpu' ? ['cpu'] : [ep, 'cpu'];
}

/** Serialize and compile a graph, or return the cached session for an identical graph. */
export async function compile(graph: Graph, o: CompileOptions = {}): Promise<CompiledGraph> {
  const opts = { ...defaults, ...o };
  const chosen = o.outputs ? new Map(o.outputs.map((n) => [n, mustOutput(graph, n)])) : graph.outputs;
  const model = serialize(graph, chosen);
  const signature = createHash('sha256')
    .update(model.bytes)
    .update(`|${opts.executionProvider}|${opts.threads}|${opts.graphOptimizationLevel}`)
    .digest('hex');
  const hit = !o.noCache && cache.get(signature);
  if (hit) {
    cache.delete(signature); // refresh LRU position
    cache.set(signature, hit);
    return hit;
  }
  const made = (async () => {
    let session: ort.InferenceSession;
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: epConfig(opts.executionProvider),
        intraOpNumThreads: opts.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: opts.graphOptimizationLevel,
        // Denormal floats (tiny gradients late in training) run ~100x slower on x86; flush them to zero.
        extra: { session: { set_denormal_as_zero: '1' } },
      };
      if (model.weightsDir) {
        // Spilled weights: ORT reads (memory-maps) the external data files next to a model file.
        const path = await writeModelFiles(model, signature);
        session = await ort.InferenceSession.create(path, sessionOptions);
      } else {
        session = await ort.InferenceSession.create(model.bytes, { ...sessionOptions, externalData: model.externalData } as ort.InferenceSession.SessionOptions);
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (opts.executionProvider !== 'cpu' && /provider|backend|EP|cuda|webgpu/i.test(msg)) {
        throw new UserError(
          `execution provider '${opts.executionProvider}' is not available: ${msg}. ` +
            (opts.executionProvider === 'cuda'
              ? 'Install the CUDA add-on with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` on a machine with internet and CUDA 12, or use the cpu provider.'
              : 'Use the cpu provider.'),
        );
      }
      throw err;
    }
    const info = (t: Tensor, name = t.name) => ({ name, shape: t.shape, dtype: t.dtype });
    return new CompiledGraph(
      session,
      model.inputs.map((t) => info(t)),
      [...chosen].map(([name, t]) => info(t, name)),
      signature,
    );
  })();
  if (!o.noCache) {
    cache.set(signature, made);
    made.catch(() => cache.delete(signature));
    while (cache.size > cacheLimit) {
      // Evicted sessions are only forgotten, not released: a caller may still be running one.
      cache.delete(cache.keys().next().value!);
    }
  }
  return made;
}

/** Write the model and its in-memory external data into the spilled weights' directory; returns the model path. */
async function writeModelFiles(model: SerializedModel, signature: string): Promise<string> {
  const dir = model.weightsDir!;
  for (const e of model.externalData) {
    const p = join(dir, e.path);
    if (!existsSync(p)) await writeFile(p, e.data);
  }
  const path = join(dir, `model-${signature.slice(0, 16)}.onnx`);
  await writeFile(path, model.bytes);
  return path;
}

function mustOutput(graph: Graph, name: string): Tensor {
  const t = graph.outputs.get(name);
  if (!t) throw new Error(`graph has no output '${name}' (outputs: ${[...graph.outputs.keys()].join(', ')})`);
  return t;
}

/** Build-and-run convenience for tests and one-off computations. */
export async function evaluate(graph: Graph, feeds: Record<string, HostTensor> = {}, o: CompileOptions = {}): Promise<Record<string, HostTensor>> {
  const c = await compile(graph, o);
  return c.run(feeds);
}
