// Side by side with the official PyTorch code: the same f32 work timed in our engine and in
// black-forest-labs/flux's modules (bench/pytorch, run as a python3 child process) in one run:
//  (a) DoubleStreamBlock(3072, 24 heads, mlp_ratio 4, qkv_bias), 1024 image + 512 text tokens, vec [1, 3072]
//  (b) SingleStreamBlock(3072, 24, mlp_ratio 4) on 1536 tokens
//  (c) a small Flux (in 64, vec 768, context 4096, hidden 512, 8 heads, 4 double + 8 single blocks, axes
//      [8, 28, 28], guidance) on 256 target + 256 context + 64 text tokens; its weights and inputs go to PyTorch
//      too, so the run also checks that both compute the same thing (`smallModelMaxAbsDiff`)
// Paired: PyTorch stays loaded in its child process and the bench alternates rounds (ours with the default
// weights, ours with baked weights, PyTorch), so the machine's drift hits all three alike; each figure is the
// median of all its rounds' runs after a warm-up. Session creation (ours) and module setup (PyTorch) are
// reported apart. The default weights are 'shared' on cpu (one host copy fed to every session); 'baked' are
// initializers ORT pre-packs, the fastest single-shape setting (`…BakedMs`).

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CompileOptions,
  compile,
  Graph,
  type HostTensor,
  initParameters,
  mulberry32,
  randn,
} from '../src/engine/index.ts';
import { writeSafetensors } from '../src/io/safetensors.ts';
import { contextIds, targetIds, textIds } from '../src/tokens/ids.ts';
import { DoubleStreamBlock, SingleStreamBlock } from '../src/transformer/layers.ts';
import { Flux, fluxGraph } from '../src/transformer/model.ts';
import type { FluxParams } from '../src/transformer/params.ts';

const BLOCK = { hidden: 3072, heads: 24, mlpRatio: 4, imgTokens: 1024, txtTokens: 512, axes: [16, 56, 56] };
export const SMALL_FLUX: FluxParams = {
  in_channels: 64,
  out_channels: 64,
  vec_in_dim: 768,
  context_in_dim: 4096,
  hidden_size: 512,
  mlp_ratio: 4,
  num_heads: 8,
  depth: 4,
  depth_single_blocks: 8,
  axes_dim: [8, 28, 28],
  theta: 10000,
  qkv_bias: true,
  guidance_embed: true,
};
const SMALL_TOKENS = { side: 16, contexts: 1, txt: 64 }; // 256 target + 256 context + 64 text

const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

export interface ReferenceOptions {
  /** alternating rounds per case (default 3) */
  rounds?: number;
  engine?: CompileOptions;
  /** python3 with torch (default: KONTEXT_PYTHON, then /usr/bin/python3, then python3 on PATH) */
  python?: string;
  /** skip the PyTorch side */
  noTorch?: boolean;
}

/** One case: its graph and feeds, runs per round and warm-up runs (before the first round). */
interface Case {
  name: 'double' | 'single' | 'small';
  graph: Graph;
  feeds: Record<string, HostTensor>;
  runs: number;
  warmup: number;
}

/** Rotation-matrix pe [1, 1, L, d/2, 2, 2] standing for RoPE (the values do not change the work). */
function identityPe(L: number, headDim: number): HostTensor {
  const d = new Float32Array(L * (headDim / 2) * 4);
  for (let i = 0; i < d.length; i += 4) d.set([1, 0, 0, 1], i);
  return f32([1, 1, L, headDim / 2, 2, 2], d);
}

function doubleBlock(): Case {
  const { hidden: H, heads, imgTokens: N, txtTokens: T } = BLOCK;
  const block = new DoubleStreamBlock(H, heads, BLOCK.mlpRatio, true);
  initParameters(block, 1);
  const r = mulberry32(1);
  const g = new Graph();
  g.build(() => {
    const out = block.forward(
      g.input('img', [1, N, H]),
      g.input('txt', [1, T, H]),
      g.input('vec', [1, H]),
      g.input('pe', [1, 1, T + N, H / heads / 2, 2, 2]),
    );
    g.output('img_out', out.img);
    g.output('txt_out', out.txt);
  });
  const feeds = {
    img: f32([1, N, H], randn(N * H, r)),
    txt: f32([1, T, H], randn(T * H, r)),
    vec: f32([1, H], randn(H, r)),
    pe: identityPe(T + N, H / heads),
  };
  return { name: 'double', graph: g, feeds, runs: 2, warmup: 1 };
}

function singleBlock(): Case {
  const { hidden: H, heads, imgTokens: N, txtTokens: T } = BLOCK;
  const block = new SingleStreamBlock(H, heads, BLOCK.mlpRatio);
  initParameters(block, 2);
  const r = mulberry32(2);
  const g = new Graph();
  g.build(() =>
    g.output(
      'out',
      block.forward(
        g.input('x', [1, T + N, H]),
        g.input('vec', [1, H]),
        g.input('pe', [1, 1, T + N, H / heads / 2, 2, 2]),
      ),
    ),
  );
  const feeds = {
    x: f32([1, T + N, H], randn((T + N) * H, r)),
    vec: f32([1, H], randn(H, r)),
    pe: identityPe(T + N, H / heads),
  };
  return { name: 'single', graph: g, feeds, runs: 2, warmup: 1 };
}

/** The small Flux; its weights, inputs and our output go to `dataPath` for the PyTorch side. */
async function smallModel(dataPath: string, engine: CompileOptions): Promise<Case> {
  const p = SMALL_FLUX;
  const model = new Flux(p);
  initParameters(model, 3);
  const { side, contexts, txt: T } = SMALL_TOKENS;
  const N = side * side * (1 + contexts);
  const r = mulberry32(3);
  const ids = new Float32Array(N * 3);
  ids.set(targetIds(side, side));
  ids.set(contextIds([{ rows: side, cols: side }]), side * side * 3);
  const feeds: Record<string, HostTensor> = {
    img: f32([1, N, p.in_channels], randn(N * p.in_channels, r)),
    img_ids: f32([1, N, 3], ids),
    txt: f32([1, T, p.context_in_dim], randn(T * p.context_in_dim, r, 0.5)),
    txt_ids: f32([1, T, 3], textIds(T)),
    timesteps: f32([1], new Float32Array([0.7])),
    y: f32([1, p.vec_in_dim], randn(p.vec_in_dim, r, 0.5)),
    guidance: f32([1], new Float32Array([2.5])),
  };
  const graph = fluxGraph(model, { batch: 1, imgTokens: N, txtTokens: T });
  const c = await compile(graph, { ...engine, noCache: true });
  const out = (await c.run(feeds)).out;
  await c.dispose();
  const tensors = new Map<string, HostTensor>();
  for (const [key, q] of model.namedParameters()) tensors.set(key, q.value!);
  for (const [k, v] of Object.entries(feeds)) tensors.set(`in.${k}`, v);
  tensors.set('out', out);
  await writeSafetensors(dataPath, tensors);
  return { name: 'small', graph, feeds, runs: 4, warmup: 2 };
}

function findPython(o: ReferenceOptions): string | null {
  const candidates = [o.python, process.env.KONTEXT_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (x): x is string => !!x,
  );
  for (const py of candidates) if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  return null;
}

/** bench/pytorch/reference.py kept running: set up once, then timed on request (one JSON line each way). */
class TorchChild {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private stderr = '';
  private closed = false;
  private constructor(private readonly child: ReturnType<typeof spawn>) {
    createInterface({ input: child.stdout! }).on('line', (l) => this.push(l));
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.on('close', () => {
      this.closed = true;
      this.waiting?.(null);
    });
  }

  static async start(py: string, jobPath: string): Promise<{ child: TorchChild; setup: Record<string, unknown> }> {
    const child = new TorchChild(
      spawn(py, [join(import.meta.dirname, 'pytorch/reference.py'), jobPath], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    return { child, setup: JSON.parse(await child.next()) };
  }

  private push(line: string): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(line);
    } else this.lines.push(line);
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.closed) return Promise.reject(new Error(`bench/pytorch/reference.py ended: ${this.stderr}`));
    return new Promise((res, rej) => {
      this.waiting = (line) =>
        line === null ? rej(new Error(`bench/pytorch/reference.py ended: ${this.stderr}`)) : res(line);
    });
  }

  async time(c: string, warmup: number, runs: number): Promise<number[]> {
    this.child.stdin!.write(`${JSON.stringify({ case: c, warmup, runs })}\n`);
    return JSON.parse(await this.next()).times;
  }

  close(): void {
    this.child.stdin!.end();
  }
}

async function times(fn: () => Promise<unknown>, warmup: number, runs: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Our two settings and PyTorch on one case, in alternating rounds; medians in ms, session times apart. */
async function pairedCase(c: Case, o: ReferenceOptions, torch: TorchChild | null): Promise<Record<string, number>> {
  const compileTimed = async (weights: 'shared' | 'baked' | undefined) => {
    const t0 = performance.now();
    const s = await compile(c.graph, { ...o.engine, ...(weights ? { weights } : {}), noCache: true });
    return { s, ms: performance.now() - t0 };
  };
  const def = await compileTimed(undefined);
  const baked = await compileTimed('baked');
  const t = { ours: [] as number[], baked: [] as number[], torch: [] as number[] };
  for (let r = 0; r < (o.rounds ?? 3); r++) {
    const w = r === 0 ? c.warmup : 0;
    t.ours.push(...(await times(() => def.s.run(c.feeds), w, c.runs)));
    t.baked.push(...(await times(() => baked.s.run(c.feeds), w, c.runs)));
    if (torch) t.torch.push(...(await torch.time(c.name, w, c.runs)));
  }
  await def.s.dispose();
  await baked.s.dispose();
  const out: Record<string, number> = {
    ms: median(t.ours),
    bakedMs: median(t.baked),
    sessionMs: def.ms,
    bakedSessionMs: baked.ms,
  };
  if (torch) out.torchMs = median(t.torch);
  return out;
}

const KEYS = { double: 'doubleBlock', single: 'singleBlock', small: 'smallModelForward' } as const;

export async function benchReference(o: ReferenceOptions = {}): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'kontext-reference-'));
  let torch: TorchChild | null = null;
  try {
    const dataPath = join(dir, 'small.safetensors');
    const cases = [doubleBlock(), singleBlock(), await smallModel(dataPath, o.engine ?? {})];
    const threads =
      o.engine?.threads ?? (Number(process.env.KONTEXT_THREADS) || (await import('node:os')).availableParallelism());
    const result: Record<string, number | string> = {};
    const py = o.noTorch ? null : findPython(o);
    if (!o.noTorch && !py)
      console.error('reference: no python3 with torch found (set KONTEXT_PYTHON); PyTorch side skipped');
    if (py) {
      const jobPath = join(dir, 'job.json');
      const job = {
        threads,
        cases: [
          { name: 'double', kind: 'double', ...BLOCK },
          { name: 'single', kind: 'single', ...BLOCK },
          { name: 'small', kind: 'flux', params: SMALL_FLUX, data: dataPath },
        ],
      };
      writeFileSync(jobPath, JSON.stringify(job));
      const started = await TorchChild.start(py, jobPath);
      torch = started.child;
      const setup = started.setup as Record<string, { setupMs: number; maxAbsDiff?: number }> & {
        torch: string;
        threads: number;
      };
      Object.assign(result, {
        torchVersion: setup.torch,
        torchThreads: setup.threads,
        torchDoubleBlockSetupMs: Math.round(setup.double.setupMs),
        torchSingleBlockSetupMs: Math.round(setup.single.setupMs),
        torchSmallModelSetupMs: Math.round(setup.small.setupMs),
        smallModelMaxAbsDiff: +(setup.small.maxAbsDiff ?? Number.NaN).toExponential(2),
      });
    }
    for (const c of cases) {
      const r = await pairedCase(c, o, torch);
      const k = KEYS[c.name];
      const sessionKey = c.name === 'small' ? 'smallModel' : k;
      result[`${k}Ms`] = +r.ms.toFixed(2);
      result[`${k}BakedMs`] = +r.bakedMs.toFixed(2);
      result[`${sessionKey}SessionMs`] = Math.round(r.sessionMs);
      result[`${sessionKey}BakedSessionMs`] = Math.round(r.bakedSessionMs);
      if (r.torchMs !== undefined) {
        result[`torch${k[0].toUpperCase()}${k.slice(1)}Ms`] = +r.torchMs.toFixed(2);
        result[`${sessionKey}VsTorch`] = +(r.ms / r.torchMs).toFixed(3);
        result[`${sessionKey}BakedVsTorch`] = +(r.bakedMs / r.torchMs).toFixed(3);
      }
    }
    return result;
  } finally {
    torch?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchReference()));
}
