// Reference parity: run every case of a fixture folder laid out like shared/fixtures/flux-reference and compare
// our outputs with the ones the official PyTorch code computed.
//
//   <case>.json + <case>.weights.safetensors + <case>.io.safetensors
//     transformer case   JSON has params.hidden_size   in.* → out.full, out.target, trace.*
//     denoise case       JSON has steps and schedule   in.* → out.packed, out.latent (weights named in the JSON)
//     autoencoder case   JSON has params.ch_mult       in.image → trace.encoder_moments, out.latent, out.decoded
//   noise.json + noise.safetensors   torch.randn for given seeds, shapes and dtypes
//   schedules.json                   get_schedule for "steps@seq_len[:noshift]"
//   text encoders (shared/fixtures/text-encoders; see text-encoders.ts): CLIP and T5 cases (JSON "kind"
//     'clip-text' / 't5-encoder'), CLIP tokenizer golden ids, full-size key/shape lists
//
// Error measure per output: max|ours − reference| / max|reference|.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { preview, UserError } from '../errors.ts';
import { isRelativeInside } from '../io/inside.ts';
import { AutoEncoder, decoderGraph, encoderGraph } from '../autoencoder/model.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import { inferFluxParams } from '../checkpoint/flux-keys.ts';
import { compile, type HostTensor, loadParameters } from '../engine/index.ts';
import { toFloat32 } from '../io/floats.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import { denoise } from '../sampling/denoise.ts';
import { randn } from '../sampling/noise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { contextIds, targetIds, textIds } from '../tokens/ids.ts';
import { pack, unpack } from '../tokens/pack.ts';
import { Flux, fluxGraph } from '../transformer/model.ts';
import type { FluxParams } from '../transformer/params.ts';
import { broken, maxRelErr, type OutputResult } from './compare.ts';
import { missingTextCases, type TextCaseKind, type TextCaseRole, textEncoderCase } from './text-encoders.ts';

export { maxRelErr, type OutputResult };

export interface CaseResult {
  name: string;
  kind: 'transformer' | 'denoise' | 'autoencoder' | 'noise' | 'schedule' | TextCaseKind;
  outputs: OutputResult[];
  seconds: number;
}

const f32 = (t: HostTensor) => toFloat32(t);

async function openWeights(dir: string, file: string): Promise<SafetensorsFile> {
  const path = join(dir, file);
  if (!existsSync(path)) throw new UserError(`fixture weights '${path}' are missing`);
  return SafetensorsFile.open(path);
}

async function loadFluxFixture(dir: string, weightsFile: string, params: FluxParams): Promise<Flux> {
  const w = await openWeights(dir, weightsFile);
  try {
    const model = new Flux(params);
    await loadParameters(model, w);
    return model;
  } finally {
    await w.close();
  }
}

async function transformerCase(
  dir: string,
  name: string,
  cfg: { params: FluxParams; target_tokens_hw: number[] },
): Promise<OutputResult[]> {
  const model = await loadFluxFixture(dir, `${name}.weights.safetensors`, cfg.params);
  const io = await SafetensorsFile.open(join(dir, `${name}.io.safetensors`));
  try {
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
    for (const t of traces)
      results.push({
        name: `trace.${t}`,
        relErr: maxRelErr(out[`trace.${t}`].data as Float32Array, f32(await io.read(`trace.${t}`))),
      });
    results.push({ name: 'out.full', relErr: maxRelErr(full, f32(await io.read('out.full'))) });
    if (io.has('out.target')) {
      const [B, L, C] = img.shape;
      const N = cfg.target_tokens_hw[0] * cfg.target_tokens_hw[1];
      const target = new Float32Array(B * N * C);
      for (let b = 0; b < B; b++) target.set(full.subarray(b * L * C, (b * L + N) * C), b * N * C);
      results.push({ name: 'out.target', relErr: maxRelErr(target, f32(await io.read('out.target'))) });
    }
    return results;
  } finally {
    await io.close();
  }
}

/** The params of the case that owns a weights file (flux-tiny.weights.safetensors → flux-tiny.json), else inferred. */
async function paramsForWeights(dir: string, weightsFile: string): Promise<FluxParams> {
  const owner = join(dir, weightsFile.replace(/\.weights\.safetensors$/, '.json'));
  if (existsSync(owner)) {
    const p = JSON.parse(readFileSync(owner, 'utf8')).params;
    if (p?.hidden_size) return p;
  }
  const w = await openWeights(dir, weightsFile);
  try {
    return inferFluxParams(new Map(w.keys().map((k) => [k, w.entry(k).shape])));
  } finally {
    await w.close();
  }
}

async function denoiseCase(
  dir: string,
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
  const model = await loadFluxFixture(dir, cfg.weights, await paramsForWeights(dir, cfg.weights));
  const io = await SafetensorsFile.open(join(dir, `${name}.io.safetensors`));
  try {
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
    results.push({ name: 'out.packed', relErr: maxRelErr(out, f32(await io.read('out.packed'))) });
    results.push({ name: 'out.latent', relErr: maxRelErr(unpack(out, 1, C, H, W), f32(await io.read('out.latent'))) });
    return results;
  } finally {
    await io.close();
  }
}

async function autoencoderCase(dir: string, name: string, cfg: { params: AutoEncoderParams }): Promise<OutputResult[]> {
  const w = await openWeights(dir, `${name}.weights.safetensors`);
  const ae = new AutoEncoder(cfg.params);
  await loadParameters(ae, w);
  await w.close();
  const io = await SafetensorsFile.open(join(dir, `${name}.io.safetensors`));
  try {
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
      results.push({
        name: 'trace.encoder_moments',
        relErr: maxRelErr(e.moments.data as Float32Array, f32(await io.read('trace.encoder_moments'))),
      });
    results.push({
      name: 'out.latent',
      relErr: maxRelErr(e.latent.data as Float32Array, f32(await io.read('out.latent'))),
    });
    results.push({
      name: 'out.decoded',
      relErr: maxRelErr(d.image.data as Float32Array, f32(await io.read('out.decoded'))),
    });
    return results;
  } finally {
    await io.close();
  }
}

async function noiseCase(
  dir: string,
  cfg: { cases: { key: string; seed: number; shape: number[]; dtype: 'bf16' | 'f32' }[] },
): Promise<OutputResult[]> {
  const io = await SafetensorsFile.open(join(dir, 'noise.safetensors'));
  try {
    const results: OutputResult[] = [];
    for (const c of cfg.cases) {
      const ours = f32(randn(c.seed, c.shape, c.dtype));
      results.push({ name: c.key, relErr: maxRelErr(ours, f32(await io.read(c.key))) });
    }
    return results;
  } finally {
    await io.close();
  }
}

function scheduleCase(cfg: Record<string, number[]>): OutputResult[] {
  return Object.entries(cfg).map(([key, ref]) => {
    const m = /^(\d+)@(\d+)(:noshift)?$/.exec(key);
    if (!m) return { name: key, relErr: Infinity };
    return { name: key, relErr: maxRelErr(getSchedule(Number(m[1]), Number(m[2]), { shift: !m[3] }), ref) };
  });
}

/**
 * Run a case whose files are all present; a case that lacks a file, or whose files lack a tensor or are cut short
 * (a UserError from the reader), is not skipped and does not stop the run: it becomes one failing output that says
 * what is missing, so `kontext verify` exits 1 naming it.
 */
async function guarded(dir: string, files: string[], run: () => Promise<OutputResult[]>): Promise<OutputResult[]> {
  const absent = files.filter((f) => !existsSync(join(dir, f)));
  if (absent.length) return [broken('files', `${absent.join(' and ')} missing from '${dir}'`)];
  try {
    return await run();
  } catch (err) {
    if (err instanceof UserError) return [broken('case', err.message)];
    throw err;
  }
}

/** Run every case found in `dir`, calling `onCase` as each finishes. */
export async function verifyFolder(dir: string, onCase: (r: CaseResult) => void = () => {}): Promise<CaseResult[]> {
  if (!existsSync(dir)) throw new UserError(`fixture folder '${dir}' does not exist`);
  const jsons = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const results: CaseResult[] = [];
  const textRoles = new Set<TextCaseRole>();
  for (const file of jsons) {
    const name = basename(file, '.json');
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      throw new UserError(`fixture '${file}' is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) continue; // not a case
    const t0 = performance.now();
    const params = cfg.params as Record<string, unknown> | undefined;
    const text = textEncoderCase(dir, name, cfg);
    let kind: CaseResult['kind'];
    let outputs: OutputResult[];
    if (text) {
      kind = text.kind;
      textRoles.add(text.role);
      outputs = await text.run();
    } else if (params?.hidden_size) {
      kind = 'transformer';
      outputs = await guarded(dir, [`${name}.weights.safetensors`, `${name}.io.safetensors`], () =>
        transformerCase(dir, name, cfg as never),
      );
    } else if (cfg.steps && cfg.schedule && cfg.weights) {
      kind = 'denoise';
      const weights = cfg.weights;
      outputs =
        typeof weights === 'string' && isRelativeInside(weights)
          ? await guarded(dir, [weights, `${name}.io.safetensors`], () => denoiseCase(dir, name, cfg as never))
          : [broken('weights', `"weights" must name a file inside '${dir}', got ${preview(weights)}`)];
    } else if (params?.ch_mult) {
      kind = 'autoencoder';
      outputs = await guarded(dir, [`${name}.weights.safetensors`, `${name}.io.safetensors`], () =>
        autoencoderCase(dir, name, cfg as never),
      );
    } else if (Array.isArray(cfg.cases) && name === 'noise') {
      kind = 'noise';
      outputs = await guarded(dir, [`${name}.safetensors`], () => noiseCase(dir, cfg as never));
    } else if (name === 'schedules') {
      kind = 'schedule';
      outputs = scheduleCase(cfg as never);
    } else {
      continue; // not a case (e.g. official-shapes.json)
    }
    const r = { name, kind, outputs, seconds: (performance.now() - t0) / 1000 };
    results.push(r);
    onCase(r);
  }
  for (const m of missingTextCases(dir, textRoles)) {
    const r = { ...m, seconds: 0 };
    results.push(r);
    onCase(r);
  }
  if (results.length === 0)
    throw new UserError(`no reference cases found in '${dir}' (expected <case>.json with <case>.io.safetensors)`);
  return results;
}
