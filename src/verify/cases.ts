// The reference cases that run wherever a fixture folder can be read: transformer, denoise and autoencoder cases
// of a folder laid out like shared/fixtures/flux-reference (see fixtures.ts for the layout). One runner for both
// hosts: `kontext verify` (fixtures.ts) reads the folder from disk, the browser page (src/browser/verify.ts)
// fetches it over HTTP; each hands the cases a FixtureSource.
//
// This module is bundled into the browser page, so nothing it imports may need Node: no `node:` modules (the
// bundle turns them into stubs that throw), and the engine only through src/engine/index.ts (the bundle's seam).
// Node-only cases (noise, schedules, text encoders) and the Node runner's reporting stay in fixtures.ts.

import { AutoEncoder, decoderGraph, encoderGraph } from '../autoencoder/model.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import { inferFluxParams } from '../checkpoint/flux-keys.ts';
import { compile, type HostTensor, loadParameters, type Module, type TensorSource } from '../engine/index.ts';
import { toFloat32 } from '../io/floats.ts';
import { denoise } from '../sampling/denoise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { contextIds, targetIds, textIds } from '../tokens/ids.ts';
import { pack, unpack } from '../tokens/pack.ts';
import { Flux, fluxGraph } from '../transformer/model.ts';
import type { FluxParams } from '../transformer/params.ts';
import { maxRelErr, type OutputResult } from './compare.ts';

/** An open safetensors file of a fixture folder (a TensorSource, so loadParameters takes it). */
export interface FixtureFile extends TensorSource {
  has(name: string): boolean;
  read(name: string): HostTensor | Promise<HostTensor>;
  close(): Promise<void>;
}

/** A fixture folder, wherever its files are. */
export interface FixtureSource {
  /** Open a safetensors file of the folder; `role` 'weights' marks a case's weights (for the error if missing). */
  open(file: string, role?: 'weights' | 'io'): Promise<FixtureFile>;
  /** A JSON file of the folder, parsed; undefined when the folder has no such file. */
  json(file: string): Promise<unknown>;
}

export type FluxCaseKind = 'transformer' | 'denoise' | 'autoencoder';

/** What a runner reports per case. */
export interface CaseResult<Kind extends string = FluxCaseKind> {
  name: string;
  kind: Kind;
  outputs: OutputResult[];
  seconds: number;
}

/** A case this module runs: its kind, the files it reads (weights first), and how to run it on a source. */
export interface FluxCase {
  kind: FluxCaseKind;
  files: string[];
  run(src: FixtureSource): Promise<OutputResult[]>;
}

/**
 * The transformer, denoise or autoencoder case that the fixture `<name>.json` describes, or null when it is none.
 * A denoise case's "weights" is taken as it is: a runner that reads files checks it first.
 */
export function fluxCase(name: string, cfg: Record<string, unknown>): FluxCase | null {
  const params = cfg.params as Record<string, unknown> | undefined;
  const io = `${name}.io.safetensors`;
  const weights = `${name}.weights.safetensors`;
  if (params?.hidden_size)
    return { kind: 'transformer', files: [weights, io], run: (src) => transformerCase(src, name, cfg as never) };
  if (cfg.steps && cfg.schedule && cfg.weights)
    return { kind: 'denoise', files: [cfg.weights as string, io], run: (src) => denoiseCase(src, name, cfg as never) };
  if (params?.ch_mult)
    return { kind: 'autoencoder', files: [weights, io], run: (src) => autoencoderCase(src, name, cfg as never) };
  return null;
}

const f32 = (t: HostTensor) => toFloat32(t);

/** One output's error against the reference tensor of the same name in `io`. */
async function rel(name: string, ours: ArrayLike<number>, io: FixtureFile): Promise<OutputResult> {
  return { name, relErr: maxRelErr(ours, f32(await io.read(name))) };
}

/** `use` a safetensors file of the folder, closed after it whatever happens. */
async function withFile<T>(
  src: FixtureSource,
  file: string,
  role: 'weights' | 'io',
  use: (f: FixtureFile) => Promise<T>,
): Promise<T> {
  const f = await src.open(file, role);
  try {
    return await use(f);
  } finally {
    await f.close();
  }
}

/** A module made by `make` (once the weights file is open) with its parameters loaded from `weightsFile`. */
function loadFixture<M extends Module>(src: FixtureSource, weightsFile: string, make: () => M): Promise<M> {
  return withFile(src, weightsFile, 'weights', async (w) => {
    const model = make();
    await loadParameters(model, w);
    return model;
  });
}

async function transformerCase(
  src: FixtureSource,
  name: string,
  cfg: { params: FluxParams; target_tokens_hw: number[] },
): Promise<OutputResult[]> {
  const model = await loadFixture(src, `${name}.weights.safetensors`, () => new Flux(cfg.params));
  return withFile(src, `${name}.io.safetensors`, 'io', async (io) => {
    const img = await io.read('in.img');
    const txt = await io.read('in.txt');
    const traces = io
      .keys()
      .filter((k) => k.startsWith('trace.'))
      .map((k) => k.slice('trace.'.length));
    const g = fluxGraph(
      model,
      { batch: img.shape[0], imgTokens: img.shape[1], txtTokens: txt.shape[1] },
      { trace: traces },
    );
    const run = await compile(g, { noCache: true });
    const feeds: Record<string, HostTensor> = {};
    for (const i of run.inputs)
      feeds[i.name] = { dtype: 'float32', shape: i.shape as number[], data: f32(await io.read(`in.${i.name}`)) };
    const out = await run.run(feeds);
    await run.release();
    const full = out.out.data as Float32Array;
    const results: OutputResult[] = [];
    for (const t of traces) results.push(await rel(`trace.${t}`, out[`trace.${t}`].data as Float32Array, io));
    results.push(await rel('out.full', full, io));
    if (io.has('out.target')) {
      const [B, L, C] = img.shape;
      const N = cfg.target_tokens_hw[0] * cfg.target_tokens_hw[1];
      const target = new Float32Array(B * N * C);
      for (let b = 0; b < B; b++) target.set(full.subarray(b * L * C, (b * L + N) * C), b * N * C);
      results.push(await rel('out.target', target, io));
    }
    return results;
  });
}

/** The params of the case that owns a weights file (flux-tiny.weights.safetensors → flux-tiny.json), else inferred. */
async function paramsForWeights(src: FixtureSource, weightsFile: string): Promise<FluxParams> {
  const owner = await src.json(weightsFile.replace(/\.weights\.safetensors$/, '.json'));
  if (owner !== undefined) {
    const p = (owner as { params?: FluxParams }).params;
    if (p?.hidden_size) return p;
  }
  return withFile(src, weightsFile, 'weights', async (w) =>
    inferFluxParams(new Map(w.keys().map((k) => [k, w.shape(k)]))),
  );
}

async function denoiseCase(
  src: FixtureSource,
  name: string,
  cfg: {
    weights: string;
    steps: number;
    guidance: number;
    schedule: number[];
    latent_hw: number[];
    context_latent_hw?: number[];
  },
): Promise<OutputResult[]> {
  const params = await paramsForWeights(src, cfg.weights);
  const model = await loadFixture(src, cfg.weights, () => new Flux(params));
  return withFile(src, `${name}.io.safetensors`, 'io', async (io) => {
    const [H, W] = cfg.latent_hw;
    const C = 16;
    const noise = f32(await io.read('in.noise'));
    const txt = await io.read('in.txt');
    const schedule = getSchedule(cfg.steps, (H / 2) * (W / 2));
    const results: OutputResult[] = [{ name: 'schedule', relErr: maxRelErr(schedule, cfg.schedule) }];
    let context = null;
    if (cfg.context_latent_hw && io.has('in.context_latent')) {
      const [cH, cW] = cfg.context_latent_hw;
      context = {
        tokens: pack(f32(await io.read('in.context_latent')), 1, C, cH, cW),
        ids: contextIds([{ rows: cH / 2, cols: cW / 2 }]),
      };
    }
    const out = await denoise(model, {
      img: pack(noise, 1, C, H, W),
      imgIds: targetIds(H / 2, W / 2),
      context,
      txt: f32(txt),
      txtIds: textIds(txt.shape[1]),
      vec: f32(await io.read('in.vec')),
      batch: 1,
      timesteps: schedule,
      guidance: cfg.guidance,
    });
    results.push(await rel('out.packed', out, io));
    results.push(await rel('out.latent', unpack(out, 1, C, H, W), io));
    return results;
  });
}

async function autoencoderCase(
  src: FixtureSource,
  name: string,
  cfg: { params: AutoEncoderParams },
): Promise<OutputResult[]> {
  const ae = await loadFixture(src, `${name}.weights.safetensors`, () => new AutoEncoder(cfg.params));
  return withFile(src, `${name}.io.safetensors`, 'io', async (io) => {
    const image = await io.read('in.image');
    const [B, , H, W] = image.shape;
    const enc = await compile(encoderGraph(ae, B, H, W), { noCache: true });
    const e = await enc.run({ image: { dtype: 'float32', shape: image.shape, data: f32(image) } });
    await enc.release();
    const dec = await compile(decoderGraph(ae, B, e.latent.shape[2], e.latent.shape[3]), { noCache: true });
    const d = await dec.run({ latent: e.latent }); // decode our own latent: the whole path from in.image
    await dec.release();
    const results: OutputResult[] = [];
    if (io.has('trace.encoder_moments'))
      results.push(await rel('trace.encoder_moments', e.moments.data as Float32Array, io));
    results.push(await rel('out.latent', e.latent.data as Float32Array, io));
    results.push(await rel('out.decoded', d.image.data as Float32Array, io));
    return results;
  });
}
