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
// The transformer, denoise and autoencoder cases are in cases.ts, shared with the browser page
// (src/browser/verify.ts); this file reads them from disk and adds the Node-only cases and the reporting.
//
// Error measure per output: max|ours − reference| / max|reference|.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { preview, UserError } from '../errors.ts';
import { isRelativeInside } from '../io/inside.ts';
import type { HostTensor } from '../engine/index.ts';
import { toFloat32 } from '../io/floats.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import { randn } from '../sampling/noise.ts';
import { getSchedule } from '../sampling/schedule.ts';
import { type CaseResult as SharedCaseResult, type FixtureSource, type FluxCaseKind, fluxCase } from './cases.ts';
import { broken, maxRelErr, type OutputResult } from './compare.ts';
import { missingTextCases, type TextCaseKind, type TextCaseRole, textEncoderCase } from './text-encoders.ts';

export { maxRelErr, type OutputResult };

export type CaseResult = SharedCaseResult<FluxCaseKind | 'noise' | 'schedule' | TextCaseKind>;

const f32 = (t: HostTensor) => toFloat32(t);

/** The fixture folder `dir` on disk, as the shared cases (cases.ts) read it. */
export function fixtureFolder(dir: string): FixtureSource {
  return {
    async open(file, role) {
      const path = join(dir, file);
      if (role === 'weights' && !existsSync(path)) throw new UserError(`fixture weights '${path}' are missing`);
      return SafetensorsFile.open(path);
    },
    async json(file) {
      const path = join(dir, file);
      return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    },
  };
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
  const src = fixtureFolder(dir);
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
    const text = textEncoderCase(dir, name, cfg);
    const flux = text ? null : fluxCase(name, cfg);
    let kind: CaseResult['kind'];
    let outputs: OutputResult[];
    if (text) {
      kind = text.kind;
      textRoles.add(text.role);
      outputs = await text.run();
    } else if (flux) {
      kind = flux.kind;
      const weights = cfg.weights;
      outputs =
        flux.kind !== 'denoise' || (typeof weights === 'string' && isRelativeInside(weights))
          ? await guarded(dir, flux.files, () => flux.run(src))
          : [broken('weights', `"weights" must name a file inside '${dir}', got ${preview(weights)}`)];
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
