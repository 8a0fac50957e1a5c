// Honest overhead: what the engine adds on top of ONNX Runtime where it matters, and what
// compiling costs.
//
//  - flux-tiny forward (the fixture, ~300 nodes, 1 ms): a raw InferenceSession on the same model with baked
//    weights, fed ORT tensors made once, against the engine's run() with baked and with shared weights (the
//    default: ~40 weights are fed per run). Runs interleaved, medians of medians.
//  - a training step (small Flux, hidden 256, 2 + 4 blocks, batch 8: the `engine` section's trainStep): the
//    Trainer's step against the same ORT session run directly with feeds and preallocated outputs made once.
//  - compile time = graph build + serialize + session creation for flux-tiny, kontext-mini (the graphs of an
//    edit: AE encoder, velocity with CFG, AE decoder) and the full FLUX.1 Kontext [dev] transformer (512×512 edit:
//    2560 tokens). The full model's f32 weights (48 GB) cannot be held here: its parameters are views of one
//    buffer, enough to serialize and, with shared weights (parameters are inputs), to create the session.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decoderGraph, encoderGraph } from '../src/autoencoder/model.ts';
import {
  type CompileOptions,
  compile,
  F,
  type Graph,
  type HostTensor,
  initParameters,
  loadParameters,
  toOrt,
  Trainer,
} from '../src/engine/index.ts';
import { serialize } from '../src/engine/serialize.ts';
import { SafetensorsFile } from '../src/io/safetensors.ts';
import { aeFactor, textLengthFor } from '../src/mini/config.ts';
import { EMBEDDED_MODEL } from '../src/mini/embedded.ts';
import { loadMini } from '../src/mini/load.ts';
import { velocityGraph } from '../src/mini/model.ts';
import { Flux, fluxGraph } from '../src/transformer/model.ts';
import { FLUX_KONTEXT_DEV } from '../src/transformer/params.ts';
import { timeit } from './util.ts';

const FIXTURES = join(import.meta.dirname, '../../shared/fixtures/flux-reference');
const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const r3 = (x: number) => +x.toFixed(3);

async function tinyModel(): Promise<{
  model: Flux;
  feeds: Record<string, HostTensor>;
  shapes: { imgTokens: number; txtTokens: number };
}> {
  const cfg = JSON.parse(readFileSync(join(FIXTURES, 'flux-tiny.json'), 'utf8'));
  const w = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.weights.safetensors'));
  const model = new Flux(cfg.params);
  await loadParameters(model, w);
  await w.close();
  const io = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.io.safetensors'));
  const feeds: Record<string, HostTensor> = {};
  for (const k of ['img', 'img_ids', 'txt', 'txt_ids', 'timesteps', 'y', 'guidance'])
    if (io.has(`in.${k}`)) feeds[k] = await io.read(`in.${k}`);
  await io.close();
  return { model, feeds, shapes: { imgTokens: feeds.img.shape[1], txtTokens: feeds.txt.shape[1] } };
}

/** flux-tiny forward: raw ORT vs engine (baked, shared). */
async function tinyOverhead(): Promise<Record<string, number>> {
  const { model, feeds, shapes } = await tinyModel();
  const g = fluxGraph(model, { batch: 1, ...shapes });
  const m = serialize(g);
  const raw = await ort.InferenceSession.create(m.bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: (await import('node:os')).availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    externalData: m.externalData,
    extra: { session: { set_denormal_as_zero: '1' } },
  } as ort.InferenceSession.SessionOptions);
  const rawFeeds: Record<string, ort.Tensor> = {};
  for (const t of m.inputs) rawFeeds[t.name] = toOrt(feeds[t.name]);
  const baked = await compile(g, { weights: 'baked', noCache: true });
  const shared = await compile(g, { weights: 'shared', noCache: true });
  const t = { raw: [] as number[], baked: [] as number[], shared: [] as number[] };
  for (let r = 0; r < 7; r++) {
    t.raw.push(await timeit(() => raw.run(rawFeeds), { warmup: 10, runs: 60 }));
    t.baked.push(await timeit(() => baked.run(feeds), { warmup: 10, runs: 60 }));
    t.shared.push(await timeit(() => shared.run(feeds), { warmup: 10, runs: 60 }));
  }
  await raw.release();
  await baked.dispose();
  await shared.dispose();
  const [rawMs, bakedMs, sharedMs] = [med(t.raw), med(t.baked), med(t.shared)];
  return {
    tinyNodes: g.nodes.length,
    tinyRawMs: r3(rawMs),
    tinyEngineBakedMs: r3(bakedMs),
    tinyEngineSharedMs: r3(sharedMs),
    tinyOverheadBaked: +(bakedMs / rawMs - 1).toFixed(4),
    tinyOverheadShared: +(sharedMs / rawMs - 1).toFixed(4),
  };
}

/** A training step: Trainer.trainStep against its own ORT session run with everything prepared. */
async function trainOverhead(): Promise<Record<string, number>> {
  const B = 8;
  const T = 64;
  const N = 192;
  const model = new Flux({
    ...FLUX_KONTEXT_DEV,
    vec_in_dim: 64,
    context_in_dim: 64,
    hidden_size: 256,
    num_heads: 4,
    depth: 2,
    depth_single_blocks: 4,
    axes_dim: [8, 28, 28],
    guidance_embed: false,
  });
  initParameters(model, 2);
  const trainer = await Trainer.create(
    (g) => {
      const pred = model.forward({
        img: g.input('img', [B, N, 64]),
        img_ids: g.input('img_ids', [B, N, 3]),
        txt: g.input('txt', [B, T, 64]),
        txt_ids: g.input('txt_ids', [B, T, 3]),
        timesteps: g.input('timesteps', [B]),
        y: g.input('y', [B, 64]),
      });
      const d = F.sub(pred, g.input('target', [B, N, 64]));
      return F.reduceMean(F.mul(d, d), [0, 1, 2], false);
    },
    { lr: 1e-4, weightDecay: 0.01, clipNorm: 1 },
  );
  const f = (shape: number[], v = 0.1): HostTensor => ({
    dtype: 'float32',
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
  });
  const batch = {
    img: f([B, N, 64]),
    target: f([B, N, 64], 0.2),
    img_ids: f([B, N, 3], 0),
    txt: f([B, T, 64]),
    txt_ids: f([B, T, 3], 0),
    timesteps: f([B], 0.5),
    y: f([B, 64]),
  };
  // The raw side: the Trainer's own session, fed ORT tensors over the same kind of buffers, outputs preallocated,
  // all made once (two buffer sets swapped between steps, as the Trainer does).
  const session = (
    trainer as unknown as {
      variants: Map<
        string,
        { compiled: { session: ort.InferenceSession; outputs: { name: string; shape: readonly number[] }[] } }
      >;
    }
  ).variants.get('main')!.compiled;
  const params = trainer.parameters;
  const sets = [0, 1].map(() => {
    const feeds: Record<string, ort.Tensor> = {};
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const [k, v] of Object.entries(batch)) feeds[k] = toOrt(v);
    feeds['adam.step'] = new ort.Tensor('float32', new Float32Array([1]), []);
    feeds['adam.lr'] = new ort.Tensor('float32', new Float32Array([1e-4]), []);
    for (const p of params)
      for (const k of [p.key, `adam.m.${p.key}`, `adam.v.${p.key}`])
        feeds[k] = toOrt({ ...p.value!, data: (p.value!.data as Float32Array).slice() });
    for (const o of session.outputs)
      fetches[o.name] = o.name.startsWith('new.')
        ? new ort.Tensor('float32', new Float32Array(o.shape.reduce((a, b) => a * b, 1)), o.shape)
        : null;
    return { feeds, fetches };
  });
  let parity = 0;
  const rawStep = async () => {
    const s = sets[parity];
    parity ^= 1;
    await session.session.run(s.feeds, s.fetches);
  };
  const t = { raw: [] as number[], engine: [] as number[] };
  for (let r = 0; r < 3; r++) {
    t.raw.push(await timeit(rawStep, { warmup: 1, runs: 5 }));
    t.engine.push(await timeit(() => trainer.trainStep(batch), { warmup: 1, runs: 5 }));
  }
  await trainer.dispose();
  const [rawMs, engineMs] = [med(t.raw), med(t.engine)];
  return {
    trainStepRawMs: +rawMs.toFixed(1),
    trainStepEngineMs: +engineMs.toFixed(1),
    trainStepOverhead: +(engineMs / rawMs - 1).toFixed(4),
    trainStepInputs: Object.keys(sets[0].feeds).length,
  };
}

/** Graph build, serialize and session creation of one graph, in ms. */
async function compileTime(
  build: () => Graph,
  o: CompileOptions & { createSession?: boolean } = {},
): Promise<{ buildMs: number; serializeMs: number; sessionMs: number | null; nodes: number }> {
  let t0 = performance.now();
  const g = build();
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  serialize(g, undefined, { bindParams: o.weights === 'shared' });
  const serializeMs = performance.now() - t0;
  let sessionMs: number | null = null;
  if (o.createSession !== false) {
    // compile() serializes again: its session time is the whole compile less the serialization measured above
    t0 = performance.now();
    const c = await compile(g, { ...o, noCache: true });
    sessionMs = performance.now() - t0 - serializeMs;
    await c.dispose();
  }
  return { buildMs, serializeMs, sessionMs, nodes: g.nodes.length };
}

function compileRecord(prefix: string, r: Awaited<ReturnType<typeof compileTime>>): Record<string, number> {
  const out: Record<string, number> = {
    [`${prefix}Nodes`]: r.nodes,
    [`${prefix}BuildMs`]: Math.round(r.buildMs),
    [`${prefix}SerializeMs`]: Math.round(r.serializeMs),
  };
  if (r.sessionMs !== null) out[`${prefix}SessionMs`] = Math.round(r.sessionMs);
  return out;
}

async function compileTimes(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const { model, shapes } = await tinyModel();
  for (const weights of ['baked', 'shared'] as const) {
    Object.assign(
      out,
      compileRecord(
        `compileTiny${weights === 'baked' ? 'Baked' : 'Shared'}`,
        await compileTime(() => fluxGraph(model, { batch: 1, ...shapes }), { weights }),
      ),
    );
  }
  // kontext-mini: the three graphs of one 64×64 edit
  const pipe = await loadMini(EMBEDDED_MODEL);
  const cfg = pipe.model.config;
  const S = cfg.resolution;
  const h = S / aeFactor(pipe.ae.params);
  const parts = {
    Encoder: () => encoderGraph(pipe.ae, 1, S, S),
    Velocity: () => velocityGraph(pipe.model, 1, 1, textLengthFor(cfg, 1)),
    Decoder: () => decoderGraph(pipe.ae, 1, h, h),
  };
  for (const weights of ['baked', 'shared'] as const) {
    let total = 0;
    for (const [name, build] of Object.entries(parts)) {
      const r = await compileTime(build, { weights });
      total += r.buildMs + r.serializeMs + r.sessionMs!;
      if (weights === 'shared') Object.assign(out, compileRecord(`compileMini${name}`, r));
    }
    out[`compileMini${weights === 'baked' ? 'Baked' : 'Shared'}TotalMs`] = Math.round(total);
  }
  // the full transformer: every parameter a view of one zero buffer (the largest parameter's size)
  const full = new Flux(FLUX_KONTEXT_DEV);
  const biggest = Math.max(...full.parameters().map((p) => p.numel));
  const zeros = new Float32Array(biggest);
  for (const p of full.parameters()) p.set({ dtype: 'float32', shape: [...p.shape], data: zeros.subarray(0, p.numel) });
  const fullGraph = () => fluxGraph(full, { batch: 1, imgTokens: 2048, txtTokens: 512 });
  Object.assign(out, compileRecord('compileFull', await compileTime(fullGraph, { weights: 'shared' })));
  const baked = await compileTime(fullGraph, { weights: 'baked', createSession: false });
  out.compileFullBakedSerializeMs = Math.round(baked.serializeMs);
  return out;
}

export async function benchOverhead(): Promise<Record<string, number>> {
  return { ...(await tinyOverhead()), ...(await trainOverhead()), ...(await compileTimes()) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  const fns: Record<string, () => Promise<Record<string, number>>> = {
    tiny: tinyOverhead,
    train: trainOverhead,
    compile: compileTimes,
  };
  console.log(JSON.stringify(only ? await fns[only]() : await benchOverhead()));
}
