// Engine benchmarks:
//  (a) MatMul 1024³ (activation × constant weight) through the engine vs a raw ORT session built by hand → `overhead`
//  (b) one Flux double-stream block (hidden 3072, 24 heads, 512 text + 1024 image tokens, f32) forward
//  (c) a training step (forward + backward + AdamW, one ORT run) of a small Flux transformer
//      (hidden 256, 6 blocks, 256 tokens, batch 8) → `trainEfficiency` = its GFLOP/s / (a)'s GFLOP/s

import * as ort from 'onnxruntime-node';
import { compile, F, Graph, type HostTensor, initParameters, Trainer } from '../src/engine/index.ts';
import type { Node } from '../src/engine/graph.ts';
import {
  Msg,
  ModelProto as M,
  GraphProto as G,
  NodeProto as N,
  OperatorSetIdProto as OP,
  TensorShapeProto as TS,
  Dimension as D,
  TensorProto as TP,
  TypeProto,
  TypeProtoTensor as TT,
  ValueInfoProto as V,
} from '../src/engine/onnx-proto.ts';
import { DoubleStreamBlock } from '../src/transformer/layers.ts';
import { Flux } from '../src/transformer/model.ts';
import { timeit } from './util.ts';

const rand = (n: number, scale = 1) => {
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
};
const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

/** MatMul FLOPs (2·m·n·k per product) of the nodes of a graph. */
export function matmulFlops(nodes: Node[]): number {
  let flops = 0;
  for (const n of nodes) {
    if (n.op === 'MatMul') {
      const a = n.inputs[0]!;
      flops += 2 * n.outputs[0].size * a.shape[a.rank - 1];
    } else if (n.op === 'Conv' || n.op === 'ConvTranspose') {
      const w = n.inputs[1]!;
      const y = n.outputs[0];
      const perOut = n.op === 'Conv' ? w.size / w.shape[0] : w.size / w.shape[1];
      flops += 2 * (n.op === 'Conv' ? y.size * perOut : n.inputs[0]!.size * (w.size / w.shape[0]));
    }
  }
  return flops;
}

/**
 * Y = A·B with B a constant (a weight): ORT pre-packs it, as it does for every Linear layer of a model.
 * The raw side is an ONNX model written by hand and fed ORT tensors directly.
 */
async function matmulBench(n = 1024): Promise<{ engineMs: number; rawMs: number; gflops: number; overhead: number }> {
  const a = rand(n * n);
  const b = rand(n * n);
  const vi = (name: string) => {
    const s = new Msg();
    for (const d of [n, n]) s.msg(TS.dim, new Msg().int(D.dim_value, d));
    return new Msg()
      .str(V.name, name)
      .msg(V.type, new Msg().msg(TypeProto.tensor_type, new Msg().int(TT.elem_type, 1).msg(TT.shape, s)));
  };
  const weight = new Msg()
    .packedInts(TP.dims, [n, n])
    .int(TP.data_type, 1)
    .str(TP.name, 'B')
    .bytes(TP.raw_data, new Uint8Array(b.buffer));
  const graph = new Msg()
    .msg(G.node, new Msg().str(N.input, 'A').str(N.input, 'B').str(N.output, 'Y').str(N.op_type, 'MatMul'))
    .str(G.name, 'raw')
    .msg(G.initializer, weight)
    .msg(G.input, vi('A'))
    .msg(G.output, vi('Y'));
  const model = new Msg()
    .int(M.ir_version, 10)
    .msg(M.opset_import, new Msg().str(OP.domain, '').int(OP.version, 21))
    .msg(M.graph, graph)
    .finish();
  const threads = (await import('node:os')).availableParallelism();
  const raw = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const feeds = { A: new ort.Tensor('float32', a, [n, n]) };

  const g = new Graph();
  g.output('Y', F.matmul(g.input('A', [n, n]), g.constant(f32([n, n], b), 'B')));
  const c = await compile(g, { noCache: true });
  const hf = { A: f32([n, n], a) };

  // interleave the two so that machine noise hits both alike
  const rawTimes: number[] = [];
  const engTimes: number[] = [];
  for (let r = 0; r < 7; r++) {
    rawTimes.push(await timeit(() => raw.run(feeds), { warmup: 3, runs: 15 }));
    engTimes.push(await timeit(() => c.run(hf), { warmup: 3, runs: 15 }));
  }
  const med = (x: number[]) => x.sort((p, q) => p - q)[Math.floor(x.length / 2)];
  const rawMs = med(rawTimes);
  const engineMs = med(engTimes);
  await raw.release();
  await c.release();
  return { engineMs, rawMs, gflops: (2 * n ** 3) / (engineMs * 1e6), overhead: engineMs / rawMs - 1 };
}

async function doubleBlockBench(): Promise<{ ms: number; gflops: number }> {
  const H = 3072;
  const heads = 24;
  const T = 512;
  const Nimg = 1024;
  const block = new DoubleStreamBlock(H, heads, 4, true);
  initParameters(block, 1);
  const g = new Graph();
  g.build(() => {
    const img = g.input('img', [1, Nimg, H]);
    const txt = g.input('txt', [1, T, H]);
    const vec = g.input('vec', [1, H]);
    const pe = g.input('pe', [1, 1, T + Nimg, H / heads / 2, 2, 2]);
    const r = block.forward(img, txt, vec, pe);
    g.output('img_out', r.img);
    g.output('txt_out', r.txt);
  });
  const flops = matmulFlops(g.nodes);
  const c = await compile(g, { noCache: true });
  const peData = new Float32Array((T + Nimg) * (H / heads / 2) * 4);
  for (let i = 0; i < peData.length; i += 4) peData.set([1, 0, 0, 1], i);
  const feeds = {
    img: f32([1, Nimg, H], rand(Nimg * H)),
    txt: f32([1, T, H], rand(T * H)),
    vec: f32([1, H], rand(H)),
    pe: f32([1, 1, T + Nimg, H / heads / 2, 2, 2], peData),
  };
  const ms = await timeit(() => c.run(feeds), { warmup: 1, runs: 5 });
  await c.release();
  return { ms, gflops: flops / (ms * 1e6) };
}

async function trainBench(): Promise<{
  msPerStep: number;
  gflops: number;
  flopsPerStep: number;
  loss0: number;
  loss: number;
}> {
  const B = 8;
  const txtTokens = 64;
  const imgTokens = 192; // 256 tokens in all
  const model = new Flux({
    in_channels: 64,
    out_channels: 64,
    vec_in_dim: 64,
    context_in_dim: 64,
    hidden_size: 256,
    mlp_ratio: 4,
    num_heads: 4,
    depth: 2,
    depth_single_blocks: 4,
    axes_dim: [8, 28, 28],
    theta: 10000,
    qkv_bias: true,
    guidance_embed: false,
  });
  initParameters(model, 2);
  let nodes: Node[] = [];
  const trainer = await Trainer.create(
    (g) => {
      const x = g.input('img', [B, imgTokens, 64]);
      const target = g.input('target', [B, imgTokens, 64]);
      const pred = model.forward({
        img: x,
        img_ids: g.input('img_ids', [B, imgTokens, 3]),
        txt: g.input('txt', [B, txtTokens, 64]),
        txt_ids: g.input('txt_ids', [B, txtTokens, 3]),
        timesteps: g.input('timesteps', [B]),
        y: g.input('y', [B, 64]),
      });
      const d = F.sub(pred, target);
      const loss = F.reduceMean(F.mul(d, d), [0, 1, 2], false);
      nodes = g.nodes;
      return loss;
    },
    { lr: 1e-3, weightDecay: 0.01, clipNorm: 1 },
  );
  const flopsPerStep = matmulFlops(nodes);
  const ids = new Float32Array(B * imgTokens * 3);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < imgTokens; i++) ids.set([0, Math.floor(i / 16), i % 16], (b * imgTokens + i) * 3);
  const batch = {
    img: f32([B, imgTokens, 64], rand(B * imgTokens * 64)),
    target: f32([B, imgTokens, 64], rand(B * imgTokens * 64, 0.5)),
    img_ids: f32([B, imgTokens, 3], ids),
    txt: f32([B, txtTokens, 64], rand(B * txtTokens * 64)),
    txt_ids: f32([B, txtTokens, 3], new Float32Array(B * txtTokens * 3)),
    timesteps: f32([B], new Float32Array(B).fill(0.5)),
    y: f32([B, 64], rand(B * 64)),
  };
  const loss0 = (await trainer.trainStep(batch)).loss;
  let loss = loss0;
  const ms = await timeit(
    async () => {
      loss = (await trainer.trainStep(batch)).loss;
    },
    { warmup: 2, runs: 10 },
  );
  return { msPerStep: ms, gflops: flopsPerStep / (ms * 1e6), flopsPerStep, loss0, loss };
}

export async function benchEngine(): Promise<Record<string, number>> {
  const mm = await matmulBench();
  const blk = await doubleBlockBench();
  const tr = await trainBench();
  return {
    matmul1024Ms: +mm.engineMs.toFixed(3),
    matmul1024RawMs: +mm.rawMs.toFixed(3),
    matmulGflops: +mm.gflops.toFixed(1),
    overhead: +mm.overhead.toFixed(4),
    doubleBlockMs: +blk.ms.toFixed(1),
    doubleBlockGflops: +blk.gflops.toFixed(1),
    doubleBlockVsMatmul: +(blk.gflops / mm.gflops).toFixed(3),
    trainStepMs: +tr.msPerStep.toFixed(1),
    trainGflops: +tr.gflops.toFixed(1),
    trainGflopPerStep: +(tr.flopsPerStep / 1e9).toFixed(2),
    trainEfficiency: +(tr.gflops / mm.gflops).toFixed(3),
    trainLossFirst: +tr.loss0.toFixed(4),
    trainLossAfter: +tr.loss.toFixed(4),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchEngine()));
}
