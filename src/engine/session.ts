// Running graphs with ONNX Runtime: compile (serialize + create an InferenceSession), cache compiled sessions by
// graph signature, convert host tensors to and from ORT tensors, and choose the execution provider and threads.
// Sessions of one model share its weights by default (shared-weights.ts) and are freed with dispose() or, at the
// latest, on exit (lifetime.ts).

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { DType, HostTensor } from './dtype.ts';
import type { Graph, Tensor } from './graph.ts';
import { trackSession, untrackSession } from './lifetime.ts';
import type { Parameter } from './module.ts';
import { SessionCache } from './session-cache.ts';
import { providerUnavailable } from './providers.ts';
import { type SerializedModel, serialize } from './serialize.ts';
import { ortTensorCodec } from './ort-tensors.ts';
import { bindsWeights, boundTensor, type WeightsMode } from './shared-weights.ts';

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

export interface EngineOptions {
  /** 'cpu' (default), 'webgpu' (bundled with onnxruntime-node on linux), 'cuda' (needs the CUDA add-on, see README). */
  executionProvider?: ExecutionProvider;
  /** intra-op threads; default: all cores */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** how sessions hold parameters: 'shared' (one host copy fed to every session), 'baked' (initializers, a copy
   *  per session), 'auto' (default: shared on cpu); see shared-weights.ts. KONTEXT_WEIGHTS sets the default. */
  weights?: WeightsMode;
}

const defaults: Required<EngineOptions> = {
  executionProvider: (process.env.KONTEXT_EP as ExecutionProvider) || 'cpu',
  threads: Number(process.env.KONTEXT_THREADS) || availableParallelism(),
  graphOptimizationLevel: 'all',
  weights: (process.env.KONTEXT_WEIGHTS as WeightsMode) || 'auto',
};

/** Change the engine-wide defaults (execution provider, threads). */
export function configureEngine(o: EngineOptions): void {
  Object.assign(defaults, o);
}

export const { toOrt, fromOrt } = ortTensorCodec(
  (type, data, dims) => new ort.Tensor(type as ort.Tensor.Type, data as never, dims),
);

/** A compiled graph: feed host tensors by input name, get host tensors by output name. */
export class CompiledGraph {
  private disposed: Promise<void> | null = null;
  /** set while the session is in the compile cache (so dispose() takes it out) */
  cached = false;

  constructor(
    readonly session: ort.InferenceSession,
    readonly inputs: { name: string; shape: readonly number[]; dtype: DType }[],
    readonly outputs: { name: string; shape: readonly number[]; dtype: DType }[],
    readonly signature: string,
    /** parameters fed from host memory at each run ('shared' weights), by graph input name */
    readonly bound: readonly { name: string; param: Parameter }[] = [],
  ) {
    trackSession(this);
  }

  /**
   * Run once. `into` may hold preallocated host tensors for some outputs; ORT then writes straight into them
   * (the training loop uses this to keep parameters and optimizer state in place between steps).
   */
  async run(
    feeds: Record<string, HostTensor>,
    into: Record<string, HostTensor> = {},
  ): Promise<Record<string, HostTensor>> {
    if (this.disposed) throw new Error('this compiled graph was disposed; compile it again');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const b of this.bound) ortFeeds[b.name] = boundTensor(b.param);
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

  /** Free the native session (and take it out of the compile cache). Idempotent; later runs throw. */
  dispose(): Promise<void> {
    if (!this.disposed) {
      untrackSession(this);
      if (this.cached) forget(this);
      this.disposed = this.session.release();
    }
    return this.disposed;
  }

  /** = dispose() */
  release(): Promise<void> {
    return this.dispose();
  }
}

// ---- session cache (LRU), keyed by model signature + options ----
const cache = new SessionCache<CompiledGraph>(6);

export function setSessionCacheLimit(n: number): void {
  cache.limit = n;
}

export async function clearSessionCache(): Promise<void> {
  for (const p of cache.drain()) await (await p).dispose().catch(() => {});
}

function forget(c: CompiledGraph): void {
  c.cached = false;
  cache.forget(c.signature, c);
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
  const model = serialize(graph, chosen, { bindParams: bindsWeights(opts.weights, opts.executionProvider) });
  // bound parameters appear in the model bytes by name only: their identity completes the signature (their
  // version does not: the session reads whatever value they hold at run time)
  const signature = createHash('sha256')
    .update(model.bytes)
    .update(`|${opts.executionProvider}|${opts.threads}|${opts.graphOptimizationLevel}`)
    .update(`|${model.bound.map((b) => b.param.id).join(',')}`)
    .digest('hex');
  const hit = !o.noCache && cache.get(signature);
  if (hit) return hit;
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
        try {
          session = await ort.InferenceSession.create(path, sessionOptions);
        } finally {
          await rm(path, { force: true }); // read at creation; the weight files it points to are what ORT maps
        }
      } else {
        session = await ort.InferenceSession.create(model.bytes, {
          ...sessionOptions,
          externalData: model.externalData,
        } as ort.InferenceSession.SessionOptions);
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (opts.executionProvider !== 'cpu' && /provider|backend|EP|cuda|webgpu/i.test(msg))
        throw providerUnavailable(opts.executionProvider, msg);
      throw err;
    }
    const info = (t: Tensor, name = t.name) => ({ name, shape: t.shape, dtype: t.dtype });
    return new CompiledGraph(
      session,
      model.inputs.map((t) => info(t)),
      [...chosen].map(([name, t]) => info(t, name)),
      signature,
      model.bound,
    );
  })();
  if (!o.noCache) {
    cache.add(signature, made);
    made.then((c) => (c.cached = true)).catch(() => {});
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
export async function evaluate(
  graph: Graph,
  feeds: Record<string, HostTensor> = {},
  o: CompileOptions = {},
): Promise<Record<string, HostTensor>> {
  const c = await compile(graph, o);
  return c.run(feeds);
}
