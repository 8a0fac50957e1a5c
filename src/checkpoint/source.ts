// A checkpoint "source": one model's tensors under BFL names, whatever the files look like, read lazily.
//
//   const src = await openCheckpoint('FLUX.1-Kontext-dev/', 'transformer');
//   validateCheckpoint(src, expectedFluxKeys(FLUX_KONTEXT_DEV));   // compare names and shapes before loading
//   for (const key of src.keys()) upload(key, await src.read(key)); // one tensor at a time (streaming, quantizing)
//
// Layouts understood (../shared/docs/kontext-reference.md §3):
//   - a BFL single file (`flux1-kontext-dev.safetensors`, `ae.safetensors`), also with the `model.diffusion_model.`
//     prefix of repackaged files; in an all-in-one file (transformer + VAE + text encoders) the component is picked
//     by its prefix (`model.diffusion_model.` / `first_stage_model.` or `vae.`);
//   - the diffusers layout: a repository folder with `transformer/` and `vae/`, or such a component folder itself,
//     holding `diffusion_pytorch_model.safetensors` or shards listed in `*.safetensors.index.json` (`weight_map`);
//     a single diffusers-named file works too. Names are detected from the keys, not from the folder.
//   - the text encoders (kinds 'clip' and 't5'): Hugging Face names (`text_model.*`, `shared.weight`,
//     `encoder.block.*`) in the diffusers `text_encoder/` and sharded `text_encoder_2/` folders, or the single files
//     users have (`clip_l.safetensors`, `t5xxl_fp16.safetensors`, `t5xxl_fp8_e4m3fn.safetensors`); see
//     text-encoder-keys.ts for the extra and tied keys.
// ComfyUI's "scaled" f8 files store `<module>.scale_weight` beside an f8 `<module>.weight`: the scale is folded into
// the weight when it is read (scales.ts). Mapped tensors (fused q/k/v, swapped halves, scaled) are only assembled
// when read.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DType, HostTensor } from '../engine/dtype.ts';
import { clip, preview, UserError } from '../errors.ts';
import { toFloat32 } from '../io/floats.ts';
import { MAX_HEADER_BYTES, SafetensorsFile } from '../io/safetensors.ts';
import {
  diffusersTransformerPlan,
  diffusersVaePlan,
  isDiffusersTransformer,
  isDiffusersVae,
  type Plan,
  type Recipe,
} from './diffusers.ts';
import type { KeyShapes } from './flux-keys.ts';
import { foldScales } from './scales.ts';
import { concatRows, reshape, swapHalves } from './tensor-ops.ts';
import { textEncoderPlan } from './text-encoder-keys.ts';

export type CheckpointKind = 'transformer' | 'ae' | 'clip' | 't5';

export interface CheckpointSource {
  /** the file or folder given to openCheckpoint */
  readonly path: string;
  /** what was found there, in words (for messages): "BFL single file", "diffusers folder, 3 shards", ... */
  readonly layout: string;
  readonly which: CheckpointKind;
  /** the safetensors files read (a diffusers component's config.json is beside them) */
  readonly files: string[];
  /** tensor names in BFL naming (plus, under their own names, source tensors that map to nothing) */
  keys(): string[];
  has(key: string): boolean;
  shape(key: string): number[];
  /** the stored dtype (of the first part, for fused tensors) */
  dtype(key: string): DType;
  /** all names and shapes: what validation and config inference need */
  shapes(): KeyShapes;
  /** where a tensor comes from: 'file: tensor' for each source tensor */
  origin(key: string): string[];
  read(key: string): Promise<HostTensor>;
  readF32(key: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Prefixes of the components of repackaged and all-in-one files (ComfyUI / SD style). */
const COMPONENT_PREFIXES: Record<CheckpointKind, string[]> = {
  transformer: ['model.diffusion_model.'],
  ae: ['first_stage_model.', 'vae.'],
  clip: ['text_encoders.clip_l.transformer.'],
  t5: ['text_encoders.t5xxl.transformer.'],
};

/** What each kind is called in messages, where a repository keeps it, and the BFL / ComfyUI file names. */
const KIND: Record<CheckpointKind, { what: string; folder: string; file: RegExp; expected: string }> = {
  transformer: {
    what: 'transformer',
    folder: 'transformer',
    file: /^flux1-.*\.safetensors$/,
    expected: "'flux1-*.safetensors' or a 'transformer/' folder",
  },
  ae: {
    what: 'autoencoder',
    folder: 'vae',
    file: /^ae\.safetensors$/,
    expected: "'ae.safetensors' or a 'vae/' folder",
  },
  clip: {
    what: 'CLIP text encoder',
    folder: 'text_encoder',
    file: /^clip_l.*\.safetensors$/,
    expected: "'clip_l.safetensors' or a 'text_encoder/' folder",
  },
  t5: {
    what: 'T5 text encoder',
    folder: 'text_encoder_2',
    file: /^t5xxl.*\.safetensors$/,
    expected: "'t5xxl_*.safetensors' or a 'text_encoder_2/' folder",
  },
};

interface Stored {
  file: SafetensorsFile;
  key: string; // name inside the file
}

class MappedSource implements CheckpointSource {
  private readonly entries = new Map<string, { recipe: Recipe; dtype: DType }>();

  constructor(
    readonly path: string,
    readonly layout: string,
    readonly which: CheckpointKind,
    private readonly opened: SafetensorsFile[],
    private readonly stored: Map<string, Stored>,
    plan: Plan,
  ) {
    const dtypeOf = (src: string) => {
      const s = stored.get(src)!;
      return s.file.entry(s.key).dtype;
    };
    for (const [key, recipe] of plan.recipes) {
      // a scaled f8 weight reads as float32 (its values are no longer f8 values)
      this.entries.set(key, {
        recipe,
        dtype: recipe.op === 'scaled' ? 'float32' : dtypeOf(recipe.op === 'concat' ? recipe.srcs[0] : recipe.src),
      });
    }
    for (const src of plan.unmapped) {
      const taken = this.entries.get(src);
      if (taken) {
        // e.g. both 'img_in.weight' and 'x_embedder.weight': one of them would be dropped without a word
        const from = taken.recipe.op === 'concat' ? taken.recipe.srcs.join(' + ') : taken.recipe.src;
        throw new UserError(
          `checkpoint '${path}' holds tensor '${clip(src)}' twice: under that name and as '${clip(from)}' ` +
            `(it mixes BFL and diffusers names); use a file of one layout`,
        );
      }
      this.entries.set(src, { recipe: { op: 'copy', src, shape: this.storedShape(src) }, dtype: dtypeOf(src) });
    }
  }

  get files(): string[] {
    return this.opened.map((f) => f.path);
  }

  private storedShape(src: string): number[] {
    const s = this.stored.get(src)!;
    return s.file.entry(s.key).shape;
  }

  private entry(key: string) {
    const e = this.entries.get(key);
    if (!e) throw new UserError(`checkpoint '${this.path}' (${this.layout}) has no tensor '${clip(key)}'`);
    return e;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  shape(key: string): number[] {
    return this.entry(key).recipe.shape.slice();
  }
  dtype(key: string): DType {
    return this.entry(key).dtype;
  }
  shapes(): KeyShapes {
    return new Map([...this.entries].map(([k, e]) => [k, e.recipe.shape.slice()]));
  }
  origin(key: string): string[] {
    const r = this.entry(key).recipe;
    return (r.op === 'concat' ? r.srcs : r.op === 'scaled' ? [r.src, r.scale] : [r.src]).map((src) => {
      const s = this.stored.get(src)!;
      return `${s.file.path}: ${s.key}`;
    });
  }

  private async readStored(src: string): Promise<HostTensor> {
    const s = this.stored.get(src)!;
    return s.file.read(s.key);
  }

  async read(key: string): Promise<HostTensor> {
    const { recipe } = this.entry(key);
    switch (recipe.op) {
      case 'copy':
        return reshape(await this.readStored(recipe.src), recipe.shape);
      case 'swapHalves':
        return swapHalves(await this.readStored(recipe.src));
      case 'scaled': {
        const [w, scale] = await Promise.all([this.readStored(recipe.src), this.readStored(recipe.scale)]);
        const s = toFloat32(scale)[0];
        const out = toFloat32(w).slice(); // a copy: float32 weights are returned by toFloat32 as they are
        for (let i = 0; i < out.length; i++) out[i] *= s;
        return { dtype: 'float32', shape: recipe.shape.slice(), data: out };
      }
      case 'concat': {
        const parts = await Promise.all(recipe.srcs.map((s) => this.readStored(s)));
        try {
          return concatRows(parts);
        } catch (err) {
          const from = recipe.srcs.map((s) => clip(s)).join(' + ');
          throw new UserError(
            `checkpoint '${this.path}', tensor '${clip(key)}' from ${from}: ${(err as Error).message}`,
          );
        }
      }
    }
  }

  async readF32(key: string): Promise<Float32Array> {
    return toFloat32(await this.read(key));
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.map((f) => f.close()));
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/** The files of a checkpoint: one safetensors file, or the shards of an index (with the index's key → file map). */
interface Located {
  files: string[];
  index?: { path: string; weightMap: Record<string, string> };
  description: string;
}

/** A plain file name: no separator of any platform, no drive, not '.' or '..'. */
function isShardName(f: unknown): f is string {
  return typeof f === 'string' && f !== '' && f !== '.' && f !== '..' && !/[\\/:\0]/.test(f);
}

async function readIndex(indexPath: string): Promise<Located> {
  let weightMap: unknown;
  try {
    // diffusers' indexes are ~100 kB: refuse a huge file before reading it (as for a safetensors header)
    const { size } = await stat(indexPath);
    if (size > MAX_HEADER_BYTES) throw new Error(`it is ${size} bytes, above the limit of ${MAX_HEADER_BYTES}`);
    weightMap = JSON.parse(await readFile(indexPath, 'utf8'))?.weight_map;
  } catch (err) {
    throw new UserError(`cannot read the shard index '${indexPath}': ${(err as Error).message}`);
  }
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap))
    throw new UserError(`shard index '${indexPath}' has no "weight_map" object`);
  // every entry must be a plain file name beside the index, checked before any is opened: an index naming
  // '../../etc/passwd' would otherwise have that file opened and its first bytes quoted in the error. (The named
  // file may itself be a link: the Hugging Face cache links each shard to ../../blobs/<hash>.)
  for (const [k, f] of Object.entries(weightMap)) {
    if (!isShardName(f)) {
      throw new UserError(
        `shard index '${indexPath}' maps '${clip(k)}' to ${preview(f)}, which is not a file name beside the index; ` +
          `weight_map may name only shard files in its folder (no folders, '..' or absolute paths)`,
      );
    }
  }
  const dir = path.dirname(indexPath);
  const map = Object.fromEntries(
    Object.entries(weightMap as Record<string, string>).map(([k, f]) => [k, path.join(dir, f)]),
  );
  const files = [...new Set(Object.values(map))];
  for (const f of files) {
    if (!(await isFile(f)))
      throw new UserError(`shard '${clip(f)}' listed in '${indexPath}' is missing (incomplete download?)`);
  }
  return {
    files,
    index: { path: indexPath, weightMap: map },
    description: `diffusers folder, ${files.length} shard${files.length === 1 ? '' : 's'}`,
  };
}

/** A diffusers component folder (or any folder holding one checkpoint). */
async function locateInFolder(dir: string): Promise<Located | undefined> {
  const names = await readdir(dir);
  const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
  if (indexes.length === 1) return readIndex(path.join(dir, indexes[0]));
  // diffusers' file names: models (transformer, vae) and transformers' (text_encoder, text_encoder_2)
  for (const name of ['diffusion_pytorch_model.safetensors', 'model.safetensors']) {
    if (names.includes(name)) return { files: [path.join(dir, name)], description: 'diffusers folder, single file' };
  }
  const st = names.filter((n) => n.endsWith('.safetensors'));
  if (st.length === 1) return { files: [path.join(dir, st[0])], description: 'single file' };
  if (st.length > 1 || indexes.length > 1) {
    throw new UserError(
      `folder '${dir}' holds several checkpoints (${[...indexes, ...st].join(', ')}); give the file to use`,
    );
  }
  return undefined;
}

async function locate(p: string, which: CheckpointKind): Promise<Located> {
  if (await isFile(p)) {
    if (p.endsWith('.json')) return readIndex(p);
    return { files: [p], description: 'single file' };
  }
  if (!(await isDir(p))) throw new UserError(`checkpoint path '${p}' does not exist`);
  // a repository root: BFL files beside the diffusers component folders (the Kontext repo has both); ComfyUI's
  // text-encoder folder holds clip_l and t5xxl files side by side
  const kind = KIND[which];
  const names = await readdir(p);
  const named = names.filter((n) => kind.file.test(n));
  if (named.length === 1) return { files: [path.join(p, named[0])], description: 'single file' };
  if (named.length > 1)
    throw new UserError(`folder '${p}' holds several ${kind.what}s (${named.join(', ')}); give the file to use`);
  const sub = path.join(p, kind.folder);
  if (await isDir(sub)) {
    const found = await locateInFolder(sub);
    if (found) return found;
  }
  const found = await locateInFolder(p);
  if (found) return found;
  const single = which === 'clip' || which === 't5' ? 'model.safetensors' : 'diffusion_pytorch_model.safetensors';
  throw new UserError(
    `no ${kind.what} checkpoint in '${p}': expected ${kind.expected} ` +
      `(diffusers: ${single} or a *.safetensors.index.json); found: ${names.join(', ') || 'nothing'}`,
  );
}

/**
 * Open the transformer, autoencoder or a text encoder at `pathOrDir` (a file, a diffusers component folder, or a
 * repository folder) and present its tensors under BFL (text encoders: Hugging Face) names. Reads headers only.
 * Throws UserError naming the problem for missing or truncated files and incomplete shard sets; call
 * validateCheckpoint to compare names and shapes with a config.
 */
export async function openCheckpoint(pathOrDir: string, which: CheckpointKind): Promise<CheckpointSource> {
  const located = await locate(pathOrDir, which);
  const files: SafetensorsFile[] = [];
  try {
    for (const f of located.files) files.push(await SafetensorsFile.open(f));
    // every stored tensor by name (the index, when there is one, says which shard holds which key)
    const raw = new Map<string, Stored>();
    for (const file of files) for (const key of file.keys()) raw.set(key, { file, key });
    if (located.index) {
      for (const [key, f] of Object.entries(located.index.weightMap)) {
        const file = files.find((x) => x.path === f)!;
        if (!file.has(key)) {
          throw new UserError(
            `'${located.index.path}' lists '${clip(key)}' in '${clip(f)}', but that shard has no such tensor ` +
              `(shards from different downloads?)`,
          );
        }
        raw.set(key, { file, key });
      }
    }

    // pick the component of an all-in-one file by its prefix, or strip a prefix that every key shares
    let description = located.description;
    const stored = new Map<string, Stored>();
    const own = COMPONENT_PREFIXES[which].find((pre) => [...raw.keys()].some((k) => k.startsWith(pre)));
    const shared = Object.values(COMPONENT_PREFIXES)
      .flat()
      .find((pre) => [...raw.keys()].every((k) => k.startsWith(pre)));
    const prefix = own ?? shared;
    for (const [k, s] of raw) {
      if (prefix && !k.startsWith(prefix)) continue; // another component of an all-in-one file
      stored.set(prefix ? k.slice(prefix.length) : k, s);
    }
    if (prefix) description += `, prefix '${prefix}' stripped`;

    const shapes: KeyShapes = new Map([...stored].map(([k, s]) => [k, s.file.entry(s.key).shape]));
    let plan: Plan;
    if (which === 'clip' || which === 't5') {
      plan = textEncoderPlan(which, shapes);
      description = `${description}, Hugging Face names`;
    } else if (isDiffusersTransformer(shapes.keys())) {
      plan = diffusersTransformerPlan(shapes);
      description = `${description}, diffusers transformer names`;
    } else if (isDiffusersVae(shapes.keys())) {
      plan = diffusersVaePlan(shapes);
      description = `${description}, diffusers autoencoder names`;
    } else {
      plan = {
        recipes: new Map([...shapes].map(([k, shape]) => [k, { op: 'copy' as const, src: k, shape }])),
        unmapped: [],
      };
      description = `${description}, BFL names`;
    }
    return new MappedSource(pathOrDir, description, which, files, stored, foldScales(plan, shapes));
  } catch (err) {
    await Promise.all(files.map((f) => f.close()));
    throw err;
  }
}
