// What is this model? `kontext models PATH` and inspectModels(): the layout of a checkpoint or model folder
// (kontext-mini, BFL files, diffusers folders, CLIP/T5 files), each component's configuration, its tensors' dtypes,
// parameter count and file size, and the memory one edit would need. Headers only: nothing large is read, so a 24 GB
// checkpoint is described in milliseconds, with the same detection and checks the loaders use (openCheckpoint,
// inferFluxParams / inferAEParams, validateCheckpoint) and the same memory estimate (pipeline/memory.ts).

import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AutoEncoderParams } from '../autoencoder/params.ts';
import type { WeightFormat } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import { type MiniConfig, textLengthFor, tokenSide } from '../mini/config.ts';
import { MiniTokenizer } from '../prompt/mini-tokenizer.ts';
import { estimateTextEncoderMemory, estimateTransformerMemory } from '../pipeline/memory.ts';
import type { ClipTextConfig } from '../prompt/clip.ts';
import { encoderRun, type InspectedEncoder, inspectTextEncoder } from '../prompt/encoder-files.ts';
import type { T5Config } from '../prompt/t5.ts';
import type { FluxParams } from '../transformer/params.ts';
import { expectedAEKeys, inferAEParams } from './ae-keys.ts';
import { expectedFluxKeys, inferFluxParams, type KeyShapes } from './flux-keys.ts';
import { type CheckpointSource, openCheckpoint, type CheckpointKind } from './source.ts';
import { validateCheckpoint } from './validate.ts';

export interface ComponentReport {
  /** transformer, autoencoder, text encoder, or tensors (a safetensors file that is none of them) */
  role: 'transformer' | 'autoencoder' | 'text encoder' | 'tensors';
  /** how it is stored, in words: "single file, BFL names", "diffusers folder, 3 shards, diffusers transformer names" */
  storage: string;
  /** FluxParams, AutoEncoderParams, the CLIP/T5 config, the mini text encoder's params; null for plain tensors */
  config: FluxParams | AutoEncoderParams | ClipTextConfig | T5Config | MiniConfig['text'] | null;
  /** text encoders: which one ('CLIP' or 'T5') */
  encoder?: 'CLIP' | 'T5';
  tensors: number;
  parameters: number;
  /** parameters per stored dtype */
  dtypes: Record<string, number>;
  files: { path: string; bytes: number }[];
  bytes: number;
  /** why plain tensors are not a model component */
  note?: string;
}

export interface MemoryReport {
  /** the run the estimate is for, in words */
  run: string;
  tokens: number;
  /** estimated peak bytes of the transformer's run, by weight format (int8/int4 spilled to files as when loading) */
  bytes: Record<WeightFormat, number>;
  /** estimated peak bytes of encoding one prompt with the text encoders found (T5 in each format), when any */
  textEncoders?: Record<WeightFormat, number>;
}

export interface ModelReport {
  path: string;
  layout: 'kontext-mini' | 'BFL' | 'diffusers' | 'safetensors';
  components: ComponentReport[];
  parameters: number;
  bytes: number;
  memory: MemoryReport | null;
  /** kontext-mini: the square it works at, its sampling defaults and the words it knows (its tokenizer's) */
  mini?: Pick<MiniConfig, 'resolution' | 'textLength' | 'sampling'> & { words: string[] };
}

const FORMATS: WeightFormat[] = ['f32', 'int8', 'int4'];

/**
 * Describe what is at `path`: a kontext-mini folder, a checkpoint (a BFL file, a diffusers folder or component
 * folder) or, for a folder of loose safetensors files (e.g. test fixtures), each file. One report per model.
 */
export async function inspectModels(path: string): Promise<ModelReport[]> {
  if (!existsSync(path)) throw new UserError(`${path} does not exist; give a checkpoint file or a model folder`);
  if (statSync(path).isDirectory()) {
    if (await isMiniFolder(path)) return [await inspectMini(path)];
    const whole = await inspectCheckpoint(path).catch((err) => (err instanceof UserError ? null : Promise.reject(err)));
    if (whole) return [whole];
    const files = (await readdir(path)).filter((n) => n.endsWith('.safetensors')).sort();
    if (!files.length)
      throw new UserError(
        `${path} holds no model: no kontext-mini config.json, no transformer/ or vae/ folder, no .safetensors file`,
      );
    return Promise.all(files.map((f) => inspectFile(join(path, f))));
  }
  if (!path.endsWith('.safetensors') && !path.endsWith('.json'))
    throw new UserError(
      `${path} is not a .safetensors file (or a shard index .json); give a checkpoint or a model folder`,
    );
  return [await inspectFile(path)];
}

// ---- released checkpoints (BFL, diffusers) ----------------------------------------------------------------------

/** A file: a transformer, an autoencoder, or other tensors (described, with the reason it is neither). */
async function inspectFile(path: string): Promise<ModelReport> {
  try {
    const r = await inspectCheckpoint(path);
    if (r) return r;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
  }
  return inspectTensors(path, 'not a FLUX transformer, autoencoder or text encoder (its keys and shapes match none)');
}

/** The transformer, autoencoder and text encoders found at `path`; null when there is none of them. */
async function inspectCheckpoint(path: string): Promise<ModelReport | null> {
  const transformer = await component(path, 'transformer');
  const ae = await component(path, 'ae');
  const clip = await textComponent(path, 'clip');
  const t5 = await textComponent(path, 't5');
  const components = [transformer, ae, clip?.report, t5?.report].filter((c) => c !== null && c !== undefined);
  if (!components.length) return null;
  const diffusers = components.some((c) => c.storage.includes('diffusers'));
  const params = transformer?.config as FluxParams | undefined;
  // what a released model's default edit is: a 1024×1024 target, one 1024×1024 context image, 512 T5 tokens
  let memory = params
    ? memoryOf(params, 512 + 2 * 4096, 'one 1024×1024 edit (512 text tokens, one context image)')
    : null;
  const encoders = [clip, t5].filter((e) => e !== null);
  if (encoders.length) {
    // CLIP-L stays float32 (as the loader keeps it); the format applies to T5
    const textEncoders = Object.fromEntries(
      FORMATS.map((f) => [
        f,
        estimateTextEncoderMemory(
          encoders.map((e) => encoderRun(e.enc, e.enc.kind === 't5' ? f : 'f32', e.enc.kind === 't5' && f !== 'f32')),
        ).total,
      ]),
    ) as Record<WeightFormat, number>;
    memory = memory
      ? { ...memory, textEncoders }
      : { run: 'encoding one prompt', tokens: 0, bytes: textEncoders, textEncoders };
  }
  const layout = diffusers ? 'diffusers' : transformer || ae ? 'BFL' : 'safetensors';
  return summarise(path, layout, components, memory);
}

/** A CLIP or T5 encoder as the pipeline's loader checks it (config.json or the full-size model, every key). */
async function textComponent(path: string, which: 'clip' | 't5') {
  let enc: InspectedEncoder;
  try {
    enc = await inspectTextEncoder(which, path);
  } catch (err) {
    if (err instanceof UserError) return null;
    throw err;
  }
  const source = await openCheckpoint(path, which);
  try {
    const report: ComponentReport = {
      ...(await describeSource(source, 'text encoder', enc.model.config)),
      encoder: which === 'clip' ? 'CLIP' : 'T5',
    };
    return { report, enc };
  } finally {
    await source.close();
  }
}

/** One component as the loaders see it: opened, its configuration inferred and every key and shape checked. */
async function component(path: string, which: CheckpointKind): Promise<ComponentReport | null> {
  let source: CheckpointSource;
  try {
    source = await openCheckpoint(path, which);
  } catch (err) {
    if (err instanceof UserError) return null;
    throw err;
  }
  try {
    const shapes = source.shapes();
    let config: FluxParams | AutoEncoderParams;
    try {
      config = which === 'transformer' ? inferFluxParams(shapes) : inferAEParams(shapes);
      validateCheckpoint(
        source,
        which === 'transformer' ? expectedFluxKeys(config as FluxParams) : expectedAEKeys(config as AutoEncoderParams),
      );
    } catch (err) {
      if (err instanceof UserError) return null;
      throw err;
    }
    return describeSource(source, which === 'transformer' ? 'transformer' : 'autoencoder', config);
  } finally {
    await source.close();
  }
}

/** A checked component's tensors as stored: parameters per dtype, its files and their sizes. */
async function describeSource(
  source: CheckpointSource,
  role: ComponentReport['role'],
  config: ComponentReport['config'],
): Promise<ComponentReport> {
  const dtypes: Record<string, number> = {};
  const files = new Set<string>();
  for (const key of source.keys()) {
    const n = count(source.shape(key));
    dtypes[source.dtype(key)] = (dtypes[source.dtype(key)] ?? 0) + n;
    for (const o of source.origin(key)) files.add(o.slice(0, o.lastIndexOf(': '))); // 'file: tensor'
  }
  return {
    role,
    storage: source.layout,
    config,
    tensors: source.keys().length,
    parameters: sum(Object.values(dtypes)),
    dtypes,
    ...(await sizes([...files])),
  };
}

/** A safetensors file that is no model component: its tensors, dtypes and size. */
async function inspectTensors(path: string, note: string): Promise<ModelReport> {
  const c = await fileComponent(path, 'tensors', null);
  return summarise(path, 'safetensors', [{ ...c, note }], null);
}

// ---- kontext-mini ------------------------------------------------------------------------------------------------

async function isMiniFolder(dir: string): Promise<boolean> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return false;
  try {
    return JSON.parse(await readFile(file, 'utf8'))?.format === 'kontext-mini';
  } catch {
    return false;
  }
}

/** A kontext-mini folder (src/mini/load.ts): config.json, then its three safetensors files. */
async function inspectMini(dir: string): Promise<ModelReport> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as MiniConfig;
  const parts: [string, ComponentReport['role'], ComponentReport['config']][] = [
    ['transformer.safetensors', 'transformer', config.transformer],
    ['text_encoder.safetensors', 'text encoder', config.text],
    ['ae.safetensors', 'autoencoder', config.ae],
  ];
  const need = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new UserError(`${dir} is not a complete kontext-mini folder: ${file} is missing`);
    return path;
  };
  const components = [];
  for (const [file, role, cfg] of parts) components.push(await fileComponent(need(file), role, cfg));
  // one edit at the model's square: the text of an edit, the target's and the context image's tokens
  const side = tokenSide(config);
  const tokens = textLengthFor(config, 1) + 2 * side * side;
  const memory = memoryOf(
    config.transformer,
    tokens,
    `one ${config.resolution}×${config.resolution} edit (${textLengthFor(config, 1)} text tokens, one context image)`,
  );
  const { resolution, textLength, sampling } = config;
  // the vocabulary's words (its punctuation aside): what the model reads with meaning, labels' letters besides
  const tokenizer = MiniTokenizer.fromJson(JSON.parse(await readFile(need('tokenizer.json'), 'utf8')));
  const words = tokenizer.words.filter((w) => /\p{L}/u.test(w));
  return {
    ...summarise(dir, 'kontext-mini', components, memory),
    mini: { resolution, textLength, sampling, words },
  };
}

// ---- pieces ------------------------------------------------------------------------------------------------------

/** One safetensors file's tensors, as stored. */
async function fileComponent(
  path: string,
  role: ComponentReport['role'],
  config: ComponentReport['config'],
): Promise<ComponentReport> {
  const f = await SafetensorsFile.open(path);
  try {
    const dtypes: Record<string, number> = {};
    for (const key of f.keys()) {
      const e = f.entry(key);
      dtypes[e.dtype] = (dtypes[e.dtype] ?? 0) + count(e.shape);
    }
    return {
      role,
      storage: 'single file',
      config,
      tensors: f.keys().length,
      parameters: sum(Object.values(dtypes)),
      dtypes,
      files: [{ path, bytes: f.fileSize }],
      bytes: f.fileSize,
    };
  } finally {
    await f.close();
  }
}

/** The transformer's estimated peak memory for one run, per weight format (as loadFlux checks it). */
function memoryOf(p: FluxParams, tokens: number, run: string): MemoryReport {
  const shapes: KeyShapes = expectedFluxKeys(p);
  const r = {
    shapes,
    hidden: p.hidden_size,
    heads: p.num_heads,
    mlpHidden: Math.trunc(p.hidden_size * p.mlp_ratio),
    batch: 1,
    tokens,
  };
  const bytes = Object.fromEntries(
    FORMATS.map((f) => [f, estimateTransformerMemory({ ...r, spilled: f !== 'f32' }, f).total]),
  ) as Record<WeightFormat, number>;
  return { run, tokens, bytes };
}

function summarise(
  path: string,
  layout: ModelReport['layout'],
  components: ComponentReport[],
  memory: MemoryReport | null,
): ModelReport {
  const files = new Map(components.flatMap((c) => c.files.map((f) => [f.path, f.bytes] as const)));
  return {
    path,
    layout,
    components,
    parameters: sum(components.map((c) => c.parameters)),
    bytes: sum([...files.values()]),
    memory,
  };
}

async function sizes(paths: string[]): Promise<{ files: { path: string; bytes: number }[]; bytes: number }> {
  const files = await Promise.all(paths.sort().map(async (path) => ({ path, bytes: (await stat(path)).size })));
  return { files, bytes: sum(files.map((f) => f.bytes)) };
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
