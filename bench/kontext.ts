// Kontext core benchmarks:
//  - a full-size FLUX.1 Kontext [dev] transformer (shapes from official-shapes.json, random int4 weights so it
//    fits here) running one denoising step of a 512×512 edit: 1024 target + 1024 context + 512 text tokens
//    (`full`), or of a 1024×1024 edit: 4096 + 4096 + 512 (`full-1024`); time, peak RSS, and the memory
//    estimate made before loading (its weight-copy factor was set from the 512 run, so the 1024 run checks it on
//    a run it was not fitted to)
//  - the flux-tiny fixture forward, against its FLOP count (the fixtures carry no PyTorch timing)
//
// `--depth-scale k` runs 1/k of the blocks (for a quick look); the recorded numbers use the full model.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compile,
  type Graph,
  type HostTensor,
  loadParameters,
  mulberry32,
  randn,
  spillDir,
  spillParameter,
} from '../src/engine/index.ts';
import { SafetensorsFile } from '../src/io/safetensors.ts';
import { estimateTransformerMemory } from '../src/pipeline/memory.ts';
import { contextIds, targetIds, textIds } from '../src/tokens/ids.ts';
import { Flux, fluxGraph } from '../src/transformer/model.ts';
import { FLUX_KONTEXT_DEV, type FluxParams } from '../src/transformer/params.ts';
import { matmulFlops } from './engine.ts';
import { peakRssMiB, timeit } from './util.ts';

const FIXTURES = join(import.meta.dirname, '../../shared/fixtures/flux-reference');
const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

/** Random weights straight in int4 form (random codes, scales 1/(8√K)): the speed does not depend on the values. */
async function randomInt4(model: Flux, accuracyLevel: number): Promise<void> {
  const r = mulberry32(7);
  const dir = spillDir();
  for (const [key, p] of model.namedParameters()) {
    if (p.shape.length === 2 && key.endsWith('.weight')) {
      const [N, K] = p.shape;
      const bs = 32;
      const kb = K / bs;
      const packed = new Uint8Array(N * kb * 16);
      for (let i = 0; i < packed.length; i += 4) {
        const v = (r() * 4294967296) >>> 0;
        packed[i] = v & 255;
        packed[i + 1] = (v >>> 8) & 255;
        packed[i + 2] = (v >>> 16) & 255;
        packed[i + 3] = v >>> 24;
      }
      const scales = new Float32Array(N * kb).fill(1 / (8 * Math.sqrt(K)));
      const zeroPoints = new Uint8Array(N * Math.ceil(kb / 2)).fill(0x88);
      p.setQuantized({ bits: 4, blockSize: bs, N, K, packed, scales, zeroPoints, accuracyLevel });
    } else {
      p.set(f32([...p.shape], key.endsWith('scale') ? new Float32Array(p.numel).fill(1) : randn(p.numel, r, 0.02)));
    }
    await spillParameter(p, dir); // as a checkpoint loader does: one tensor in host memory at a time
  }
}

/**
 * One denoising step of a size×size edit with one size×size context image (512: 1024 + 1024 image tokens; 1024:
 * 4096 + 4096) and 512 text tokens. Keys of the result carry the size when it is not 512 (`full1024StepSeconds`).
 */
export async function benchKontextFull(
  o: { depthScale?: number; accuracyLevel?: number; size?: number } = {},
): Promise<Record<string, number>> {
  const shapes = JSON.parse(readFileSync(join(FIXTURES, 'official-shapes.json'), 'utf8'));
  const k = o.depthScale ?? 1;
  const params: FluxParams = { ...FLUX_KONTEXT_DEV, depth: Math.ceil(19 / k), depth_single_blocks: Math.ceil(38 / k) };
  const size = o.size ?? 512;
  const side = size / 16; // 8× autoencoder, then 2×2 packing
  const T = 512;
  const N = side * side; // target tokens
  const M = side * side; // one context image
  const model = new Flux(params);
  // check our module tree against the released checkpoint's names and shapes
  const official = new Map<string, number[]>(Object.entries(shapes['flux1-kontext-dev']) as [string, number[]][]);
  let mismatches = 0;
  if (k === 1)
    for (const [key, p] of model.namedParameters()) if (official.get(key)?.join() !== p.shape.join()) mismatches++;
  const est = estimateTransformerMemory(
    {
      shapes: model.shapes(),
      hidden: params.hidden_size,
      heads: params.num_heads,
      mlpHidden: params.hidden_size * params.mlp_ratio,
      batch: 1,
      tokens: T + N + M,
      spilled: true,
    },
    'int4',
  );
  let t0 = performance.now();
  await randomInt4(model, o.accuracyLevel ?? 4);
  const weightsSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const c = await compile(fluxGraph(model, { batch: 1, imgTokens: N + M, txtTokens: T }), { noCache: true });
  const sessionSeconds = (performance.now() - t0) / 1000;
  const r = mulberry32(3);
  const ids = new Float32Array((N + M) * 3);
  ids.set(targetIds(side, side));
  ids.set(contextIds([{ rows: side, cols: side }]), N * 3);
  const feeds = {
    img: f32([1, N + M, 64], randn((N + M) * 64, r, 1)),
    img_ids: f32([1, N + M, 3], ids),
    txt: f32([1, T, 4096], randn(T * 4096, r, 0.1)),
    txt_ids: f32([1, T, 3], textIds(T)),
    timesteps: f32([1], new Float32Array([0.9])),
    y: f32([1, 768], randn(768, r, 0.1)),
    guidance: f32([1], new Float32Array([2.5])),
  };
  t0 = performance.now();
  const out = await c.run(feeds);
  const stepSeconds = (performance.now() - t0) / 1000;
  const finite = (out.out.data as Float32Array).every(Number.isFinite);
  const params12b = model.parameters().reduce((s, p) => s + p.numel, 0);
  const g = fluxGraph(model, { batch: 1, imgTokens: N + M, txtTokens: T });
  await c.release();
  const pre = size === 512 ? 'full' : `full${size}`;
  const result = {
    fullDepthScale: k,
    fullParams: params12b,
    fullShapeMismatches: mismatches,
    fullTokens: T + N + M,
    fullWeightSetupSeconds: +weightsSeconds.toFixed(1),
    fullSessionSeconds: +sessionSeconds.toFixed(1),
    fullStepSeconds: +stepSeconds.toFixed(1),
    fullStepGflops: +(nbitsFlops(g) / stepSeconds / 1e9).toFixed(1),
    fullPeakRssMiB: peakRssMiB(),
    fullEstimateMiB: Math.round(est.total / 2 ** 20),
    fullOutputFinite: finite ? 1 : 0,
  };
  return Object.fromEntries(Object.entries(result).map(([key, v]) => [key.replace(/^full/, pre), v]));
}

/** MatMul + MatMulNBits FLOPs of an inference graph. */
function nbitsFlops(g: Graph): number {
  let f = matmulFlops(g.nodes);
  for (const n of g.nodes) if (n.op === 'MatMulNBits') f += 2 * n.outputs[0].size * (n.attrs.K.value as number);
  return f;
}

export async function benchTiny(): Promise<Record<string, number>> {
  const cfg = JSON.parse(readFileSync(join(FIXTURES, 'flux-tiny.json'), 'utf8'));
  const w = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.weights.safetensors'));
  const model = new Flux(cfg.params);
  await loadParameters(model, w);
  const io = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.io.safetensors'));
  const img = await io.read('in.img');
  const txt = await io.read('in.txt');
  const feeds: Record<string, HostTensor> = {};
  const g = fluxGraph(model, { batch: 1, imgTokens: img.shape[1], txtTokens: txt.shape[1] });
  const c = await compile(g, { noCache: true });
  for (const i of c.inputs) feeds[i.name] = await io.read(`in.${i.name}`);
  await w.close();
  await io.close();
  const ms = await timeit(() => c.run(feeds), { warmup: 5, runs: 50 });
  const flops = matmulFlops(g.nodes);
  await c.release();
  return {
    tinyForwardMs: +ms.toFixed(3),
    tinyForwardMflop: +(flops / 1e6).toFixed(2),
    tinyForwardGflops: +(flops / (ms * 1e6)).toFixed(2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--depth-scale');
  const depthScale = i > 0 ? Number(process.argv[i + 1]) : 1;
  console.log(JSON.stringify({ ...(await benchTiny()), ...(await benchKontextFull({ depthScale })) }));
}
