// Reference parity in a browser page: the cases of shared/fixtures/flux-reference (transformer, denoise,
// autoencoder), fetched from a URL and run on onnxruntime-web. The same model code and the same error measure
// as `kontext verify` (src/verify/fixtures.ts, which reads files with node:fs and so cannot run here).

import { AutoEncoder, decoderGraph, encoderGraph } from '../autoencoder/model.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import type { HostTensor } from '../engine/dtype.ts';
import { loadParameters } from '../engine/load.ts';
import { toFloat32 } from '../io/floats.ts';
import { denoise } from '../sampling/denoise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { contextIds, targetIds, textIds } from '../tokens/ids.ts';
import { pack, unpack } from '../tokens/pack.ts';
import { Flux, fluxGraph } from '../transformer/model.ts';
import type { FluxParams } from '../transformer/params.ts';
import { maxRelErr, type OutputResult } from '../verify/compare.ts';
import { FetchedSafetensors } from './safetensors.ts';
import { compile, configureEngine, type EngineOptions } from './session.ts';

export interface BrowserCaseResult {
  name: string;
  kind: 'transformer' | 'denoise' | 'autoencoder';
  outputs: OutputResult[];
  seconds: number;
}

const f32 = (t: HostTensor): HostTensor => ({ dtype: 'float32', shape: t.shape, data: toFloat32(t) });

/** One output's error against the reference tensor `key` of `io`. */
const rel = async (
  name: string,
  ours: HostTensor | Float32Array,
  io: FetchedSafetensors,
  key = name,
): Promise<OutputResult> => ({
  name,
  relErr: maxRelErr(ours instanceof Float32Array ? ours : (ours.data as Float32Array), await io.readF32(key)),
});

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function loadFlux(base: string, weights: string, params: FluxParams): Promise<Flux> {
  const model = new Flux(params);
  await loadParameters(model, await FetchedSafetensors.fetch(`${base}/${weights}`));
  return model;
}

async function transformerCase(
  base: string,
  name: string,
  cfg: { params: FluxParams; target_tokens_hw: number[] },
): Promise<OutputResult[]> {
  const model = await loadFlux(base, `${name}.weights.safetensors`, cfg.params);
  const io = await FetchedSafetensors.fetch(`${base}/${name}.io.safetensors`);
  const img = io.read('in.img');
  const txt = io.read('in.txt');
  const traces = io
    .keys()
    .filter((k) => k.startsWith('trace.'))
    .map((k) => k.slice('trace.'.length));
  const run = await compile(
    fluxGraph(model, { batch: img.shape[0], imgTokens: img.shape[1], txtTokens: txt.shape[1] }, { trace: traces }),
  );
  const feeds: Record<string, HostTensor> = {};
  for (const i of run.inputs) feeds[i.name] = f32(io.read(`in.${i.name}`));
  const out = await run.run(feeds);
  await run.release();
  const results: OutputResult[] = [];
  for (const t of traces) results.push(await rel(`trace.${t}`, out[`trace.${t}`], io));
  results.push(await rel('out.full', out.out, io));
  if (io.has('out.target')) {
    const full = out.out.data as Float32Array;
    const [B, L, C] = img.shape;
    const N = cfg.target_tokens_hw[0] * cfg.target_tokens_hw[1];
    const target = new Float32Array(B * N * C);
    for (let b = 0; b < B; b++) target.set(full.subarray(b * L * C, (b * L + N) * C), b * N * C);
    results.push(await rel('out.target', target, io));
  }
  return results;
}

type DenoiseConfig = {
  weights: string;
  steps: number;
  guidance: number;
  schedule: number[];
  latent_hw: number[];
  context_latent_hw?: number[];
};

async function denoiseCase(base: string, name: string, cfg: DenoiseConfig): Promise<OutputResult[]> {
  const owner = await getJson(`${base}/${cfg.weights.replace(/\.weights\.safetensors$/, '.json')}`);
  const model = await loadFlux(base, cfg.weights, owner.params as FluxParams);
  const io = await FetchedSafetensors.fetch(`${base}/${name}.io.safetensors`);
  const [H, W] = cfg.latent_hw;
  const C = 16;
  const txt = io.read('in.txt');
  const schedule = getSchedule(cfg.steps, (H / 2) * (W / 2));
  let context = null;
  if (cfg.context_latent_hw && io.has('in.context_latent')) {
    const [cH, cW] = cfg.context_latent_hw;
    context = {
      tokens: pack(await io.readF32('in.context_latent'), 1, C, cH, cW),
      ids: contextIds([{ rows: cH / 2, cols: cW / 2 }]),
    };
  }
  const out = await denoise(model, {
    img: pack(await io.readF32('in.noise'), 1, C, H, W),
    imgIds: targetIds(H / 2, W / 2),
    context,
    txt: toFloat32(txt),
    txtIds: textIds(txt.shape[1]),
    vec: await io.readF32('in.vec'),
    batch: 1,
    timesteps: schedule,
    guidance: cfg.guidance,
  });
  return [
    { name: 'schedule', relErr: maxRelErr(schedule, cfg.schedule) },
    await rel('out.packed', out, io),
    await rel('out.latent', unpack(out, 1, C, H, W), io),
  ];
}

async function autoencoderCase(
  base: string,
  name: string,
  cfg: { params: AutoEncoderParams },
): Promise<OutputResult[]> {
  const ae = new AutoEncoder(cfg.params);
  await loadParameters(ae, await FetchedSafetensors.fetch(`${base}/${name}.weights.safetensors`));
  const io = await FetchedSafetensors.fetch(`${base}/${name}.io.safetensors`);
  const image = f32(io.read('in.image'));
  const [B, , H, W] = image.shape;
  const enc = await compile(encoderGraph(ae, B, H, W));
  const e = await enc.run({ image });
  await enc.release();
  const dec = await compile(decoderGraph(ae, B, e.latent.shape[2], e.latent.shape[3]));
  const d = await dec.run({ latent: e.latent }); // decode our own latent: the whole path from in.image
  await dec.release();
  const results: OutputResult[] = [];
  if (io.has('trace.encoder_moments')) results.push(await rel('trace.encoder_moments', e.moments, io));
  results.push(await rel('out.latent', e.latent, io));
  results.push(await rel('out.decoded', d.image, io));
  return results;
}

/**
 * Run the named cases of the fixture folder served at `base` (e.g. '/fixtures'); the kind is read from each JSON.
 * `engine` becomes the engine's default (model code such as denoise compiles with the defaults).
 */
export async function verifyCases(
  base: string,
  names: string[],
  engine: EngineOptions = {},
): Promise<BrowserCaseResult[]> {
  configureEngine(engine);
  const results: BrowserCaseResult[] = [];
  for (const name of names) {
    const cfg = await getJson(`${base}/${name}.json`);
    const params = cfg.params as Record<string, unknown> | undefined;
    const t0 = performance.now();
    let kind: BrowserCaseResult['kind'];
    let outputs: OutputResult[];
    if (params?.hidden_size) [kind, outputs] = ['transformer', await transformerCase(base, name, cfg as never)];
    else if (cfg.steps && cfg.schedule && cfg.weights)
      [kind, outputs] = ['denoise', await denoiseCase(base, name, cfg as never)];
    else if (params?.ch_mult) [kind, outputs] = ['autoencoder', await autoencoderCase(base, name, cfg as never)];
    else throw new Error(`${name}.json is not a transformer, denoise or autoencoder case`);
    results.push({ name, kind, outputs, seconds: (performance.now() - t0) / 1000 });
  }
  return results;
}
