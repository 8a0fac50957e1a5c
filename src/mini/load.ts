// kontext-mini on disk: a folder with
//   config.json               MiniConfig (architecture of the three parts, text lengths, sampling defaults)
//   tokenizer.json            the word vocabulary (MiniTokenizer)
//   transformer.safetensors   the Flux transformer, BFL key names (readable by loadFlux / any BFL tool)
//   text_encoder.safetensors  the small text encoder
//   ae.safetensors            the autoencoder, BFL key names, with its latent scale/shift in the metadata
// Weights may be f32, f16 or bf16 (converted to f32 when loaded). The files come from a MiniSource: a folder on
// disk here (loadMini), or URLs a browser page fetches (src/browser/mini.ts); loadMiniFrom checks and loads either.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AutoEncoder } from '../autoencoder/model.ts';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import { type HostTensor, loadParameters, type Module, type TensorSource } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { castFloat } from '../io/floats.ts';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.ts';
import { MiniTokenizer } from '../prompt/mini-tokenizer.ts';
import { candidatesProblem, type MiniConfig, retriesProblem } from './config.ts';
import { MiniModel } from './model.ts';
import { MiniPipeline } from './pipeline.ts';
import { preserveProblem } from './preserve.ts';

/** A source whose keys are another's with a prefix added (the module tree's `transformer.` over a BFL file). */
function prefixed(src: TensorSource, prefix: string): TensorSource {
  const strip = (k: string) => {
    if (!k.startsWith(prefix)) throw new Error(`key ${k} lacks the prefix ${prefix}`);
    return k.slice(prefix.length);
  };
  return {
    keys: () => src.keys().map((k) => prefix + k),
    shape: (k) => src.shape(strip(k)),
    readF32: (k) => src.readF32(strip(k)),
  };
}

/** A safetensors file as loading needs it: SafetensorsFile on disk, FetchedSafetensors in a page. */
export interface MiniTensorFile extends TensorSource {
  has(key: string): boolean;
  readonly metadata: Record<string, string>;
  close(): Promise<void>;
}

/** Where a kontext-mini folder's files come from. */
export interface MiniSource {
  /** a file's path or URL, for messages */
  name(file: string): string;
  /** a text file's contents */
  text(file: string): Promise<string>;
  open(file: string): Promise<MiniTensorFile>;
}

/** The files of a folder on disk. */
export function folderSource(dir: string): MiniSource {
  return {
    name: (file) => join(dir, file),
    text: (file) => readFile(join(dir, file), 'utf8'),
    open: (file) => SafetensorsFile.open(join(dir, file)),
  };
}

async function loadInto(m: Module, src: MiniSource, file: string, prefix: string): Promise<void> {
  const path = src.name(file);
  const f = await src.open(file);
  try {
    const want = [...m.namedParameters()].map(([k]) => k.slice(prefix.length));
    const missing = want.filter((k) => !f.has(k));
    if (missing.length)
      throw new UserError(
        `${path} lacks ${missing.length} tensors of the model (${missing.slice(0, 4).join(', ')}…): ` +
          `it does not belong to this config.json`,
      );
    await loadParameters(m, prefixed(f, prefix));
  } finally {
    await f.close();
  }
}

/** The autoencoder of a mini model (its config, with the latent scale and shift, is in the file's metadata). */
export async function loadMiniAe(path: string): Promise<AutoEncoder> {
  return loadMiniAeFrom(folderSource(dirname(path)), basename(path));
}

async function loadMiniAeFrom(src: MiniSource, file: string): Promise<AutoEncoder> {
  const path = src.name(file);
  const f = await src.open(file);
  let params: AutoEncoderParams;
  try {
    if (!f.metadata.config)
      throw new UserError(
        `${path} has no 'config' metadata: not a kontext-mini autoencoder (train one with \`kontext train ae\`)`,
      );
    params = JSON.parse(f.metadata.config);
  } finally {
    await f.close();
  }
  const ae = new AutoEncoder(params);
  await loadInto(ae, src, file, '');
  return ae;
}

/** The files of a kontext-mini folder. */
export const MINI_FILES = [
  'config.json',
  'tokenizer.json',
  'transformer.safetensors',
  'text_encoder.safetensors',
  'ae.safetensors',
] as const;

/**
 * What identifies a model folder's weights, whatever its path: the first 12 hex digits of a sha256 over its files
 * (MINI_FILES). An API process checking requests for its workers (kontext serve --redis --check-model) compares it
 * with theirs.
 */
export async function miniDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const f of MINI_FILES) hash.update(f).update(await readFile(join(dir, f)));
  return hash.digest('hex').slice(0, 12);
}

/** Refuse a folder that lacks one of the model's files, naming it. */
export function checkMiniFolder(dir: string): void {
  for (const f of MINI_FILES) {
    if (!existsSync(join(dir, f))) throw new UserError(`${dir} is not a kontext-mini model folder: ${f} is missing`);
  }
}

/** Load a kontext-mini folder. */
export async function loadMini(dir: string): Promise<MiniPipeline> {
  checkMiniFolder(dir);
  return loadMiniFrom(folderSource(dir));
}

/** Load a kontext-mini model from its files, wherever they come from. */
export async function loadMiniFrom(src: MiniSource): Promise<MiniPipeline> {
  const configFile = src.name('config.json');
  const text = await src.text('config.json');
  let config: MiniConfig;
  try {
    config = JSON.parse(text) as MiniConfig;
  } catch (err) {
    throw new UserError(`${configFile} is not valid JSON (${(err as Error).message})`);
  }
  if (config?.format !== 'kontext-mini')
    throw new UserError(`${configFile} is not a kontext-mini config (format '${config?.format}')`);
  const keep = config.sampling?.preserve;
  if (keep !== undefined && preserveProblem(keep) !== null)
    throw new UserError(
      `${configFile}: sampling.preserve must be { "threshold": 0–254, "grow": an integer ≥ 1, ` +
        `"chroma": 0–254 (optional), "colorMap": a share in (0, 1] (optional) }, ` +
        `got ${JSON.stringify(keep)}`,
    );
  const n = config.sampling?.candidates;
  const bad = n === undefined ? null : candidatesProblem(n);
  if (bad) throw new UserError(`${configFile}: sampling.candidates ${bad}`);
  const again = config.sampling?.retries;
  const badAgain = again === undefined ? null : retriesProblem(again);
  if (badAgain) throw new UserError(`${configFile}: sampling.retries ${badAgain}`);
  const tokenizer = MiniTokenizer.fromJson(JSON.parse(await src.text('tokenizer.json')));
  const model = new MiniModel(config);
  await loadInto(model.transformer, src, 'transformer.safetensors', 'transformer.');
  await loadInto(model.text_encoder, src, 'text_encoder.safetensors', 'text_encoder.');
  const ae = await loadMiniAeFrom(src, 'ae.safetensors');
  return new MiniPipeline(model, ae, tokenizer);
}

export interface SaveMiniOptions {
  /** parameter values by key (a Trainer's EMA); default: the modules' own */
  values?: Map<string, HostTensor>;
  dtype?: 'float32' | 'float16';
}

function tensorsOf(m: Module, prefix: string, o: SaveMiniOptions): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [k, p] of m.namedParameters()) {
    const v = o.values?.get(k) ?? p.value;
    if (!v) throw new Error(`saveMini: ${k} has no value`);
    out[k.slice(prefix.length)] = o.dtype === 'float16' ? castFloat(v, 'float16') : v;
  }
  return out;
}

/** Write a kontext-mini folder. */
export async function saveMini(dir: string, p: MiniPipeline, o: SaveMiniOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config: MiniConfig = { ...p.model.config, ae: p.ae.params };
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(dir, 'tokenizer.json'), `${JSON.stringify(p.tokenizer.toJson())}\n`);
  const meta = { format: 'kontext-mini' };
  await writeSafetensors(join(dir, 'transformer.safetensors'), tensorsOf(p.model.transformer, 'transformer.', o), meta);
  await writeSafetensors(
    join(dir, 'text_encoder.safetensors'),
    tensorsOf(p.model.text_encoder, 'text_encoder.', o),
    meta,
  );
  await writeSafetensors(join(dir, 'ae.safetensors'), tensorsOf(p.ae, '', { dtype: o.dtype }), {
    ...meta,
    config: JSON.stringify(p.ae.params),
  });
}
