// Text-encoder checkpoints in the layouts users have, written by the tests from the tiny reference encoders
// (../shared/fixtures/text-encoders) — never downloaded:
//   - diffusers folders: text_encoder/ (config.json + model.safetensors), text_encoder_2/ (config.json + shards +
//     model.safetensors.index.json), tokenizer/ (vocab.json, merges.txt), tokenizer_2/ (tokenizer.json);
//   - single files in other float formats (castFloat), and header-only files of the full-size models: the data
//     area is a hole (a sparse file), so a 4.7B-parameter T5-XXL costs no disk and no time, and everything that
//     reads headers only (validation) sees the real thing.
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { bflToDiffusersTransformer, bflToDiffusersVae } from '../../src/checkpoint/diffusers.ts';
import { BYTES, type DType, type HostTensor } from '../../src/engine/dtype.ts';
import { castFloat, type FloatDType } from '../../src/io/floats.ts';
import { DTYPE_SAFETENSORS, readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { loadMap, writeDiffusersComponent } from '../checkpoint/helpers.ts';
import { FIXTURES, TEXT_FIXTURES } from '../fixtures-path.ts';

export const CLIP_TINY = JSON.parse(readFileSync(join(TEXT_FIXTURES, 'clip-tiny.json'), 'utf8')).config;
export const T5_TINY = JSON.parse(readFileSync(join(TEXT_FIXTURES, 't5-tiny.json'), 'utf8')).config;

export async function tinyWeights(kind: 'clip' | 't5'): Promise<Map<string, HostTensor>> {
  return new Map(Object.entries(await readSafetensors(join(TEXT_FIXTURES, `${kind}-tiny.weights.safetensors`))));
}

/** The same tensors in another float dtype. */
export function cast(tensors: Map<string, HostTensor>, dtype: FloatDType): Map<string, HostTensor> {
  return new Map([...tensors].map(([k, t]) => [k, castFloat(t, dtype)]));
}

/** A transformers-style component folder: config.json and one model.safetensors, or `shards` files and an index. */
export async function writeTextEncoderFolder(
  dir: string,
  config: object,
  tensors: Map<string, HostTensor>,
  shards = 1,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  if (shards === 1) {
    await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    return dir;
  }
  const keys = [...tensors.keys()];
  const per = Math.ceil(keys.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = new Map(keys.slice(s * per, (s + 1) * per).map((k) => [k, tensors.get(k)!]));
    for (const k of part.keys()) weightMap[k] = name;
    await writeSafetensors(join(dir, name), part, { format: 'pt' });
  }
  await writeFile(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
  );
  return dir;
}

/** A safetensors file whose header lists these tensors and whose data area is a hole of the right size. */
export async function writeHeaderOnly(
  path: string,
  entries: Iterable<[string, number[]]>,
  dtype: DType | ((key: string) => DType),
): Promise<void> {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of entries) {
    const d = typeof dtype === 'function' ? dtype(name) : dtype;
    const bytes = BYTES[d] * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: DTYPE_SAFETENSORS[d], shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'ascii');
  const fh = await open(path, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(head.length + offset);
  } finally {
    await fh.close();
  }
}

/** Hugging Face config.json contents for the tiny encoders (the fields transformers writes, and the model type). */
export const clipConfigJson = (c = CLIP_TINY) => ({
  architectures: ['CLIPTextModel'],
  model_type: 'clip_text_model',
  ...c,
});
export const t5ConfigJson = (c = T5_TINY) => ({
  architectures: ['T5EncoderModel'],
  model_type: 't5',
  is_gated_act: true,
  dense_act_fn: 'gelu_new',
  ...c,
});

/**
 * A small SentencePiece-unigram tokenizer.json as tokenizer_2/ holds it: <pad> 0, </s> 1, <unk> 2, then pieces;
 * ids stay far below T5's 32128 embeddings.
 */
export function t5TokenizerJson(): Record<string, unknown> {
  const words = [
    'make',
    'the',
    'cup',
    'red',
    'blue',
    'a',
    'circle',
    'square',
    'on',
    'white',
    'background',
    'it',
    'in',
    'style',
    'of',
  ];
  const vocab: [string, number][] = [
    ['<pad>', 0],
    ['</s>', 0],
    ['<unk>', 0],
    ['▁', -3],
  ];
  for (const w of words) vocab.push([`▁${w}`, -2]);
  for (const ch of 'abcdefghijklmnopqrstuvwxyz') vocab.push([ch, -5]);
  return unigramTokenizerJson(vocab);
}

/**
 * A tokenizer.json in the layout of T5's (google/t5-v1_1-xxl has the same sections): a SentencePiece unigram model
 * over `vocab` (<pad> 0, </s> 1, <unk> 2, then pieces with log-probabilities), Metaspace '▁', "$A </s>" template;
 * `special` names the ids that are added tokens.
 */
export function unigramTokenizerJson(vocab: [string, number][], special = [0, 1, 2]): Record<string, unknown> {
  const added = (id: number) => ({
    id,
    content: vocab[id]![0],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const metaspace = { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always' };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map(added),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 2, vocab },
  };
}

/** tokenizer/ (the fixture's CLIP vocabulary) and tokenizer_2/ (t5TokenizerJson) under `root`. */
export async function writeTokenizers(root: string): Promise<void> {
  await mkdir(join(root, 'tokenizer'), { recursive: true });
  await mkdir(join(root, 'tokenizer_2'), { recursive: true });
  for (const f of ['vocab.json', 'merges.txt'])
    await copyFile(join(TEXT_FIXTURES, 'clip-tokenizer', f), join(root, 'tokenizer', f));
  await writeFile(join(root, 'tokenizer_2', 'tokenizer.json'), JSON.stringify(t5TokenizerJson()));
}

/** The tiny text encoders and tokenizers in diffusers layout under `root` (T5 in two shards). */
export async function writeTinyTextEncoders(root: string): Promise<void> {
  await writeTextEncoderFolder(join(root, 'text_encoder'), clipConfigJson(), await tinyWeights('clip'));
  await writeTextEncoderFolder(join(root, 'text_encoder_2'), t5ConfigJson(), await tinyWeights('t5'), 2);
  await writeTokenizers(root);
}

/**
 * flux-tiny with a text input of 64 features per token and a pooled input of 64 (the tiny encoders' widths; the
 * fixture's are 48 and 32): the fixture's columns first, then fixed small values.
 */
export async function tinyTransformerFor64(): Promise<Map<string, HostTensor>> {
  const t = await loadMap(join(FIXTURES, 'flux-tiny.weights.safetensors'));
  for (const key of ['txt_in.weight', 'vector_in.in_layer.weight']) {
    const w = castFloat(t.get(key)!, 'float32');
    const [H, K] = w.shape;
    const data = new Float32Array(H * 64);
    for (let r = 0; r < H; r++)
      for (let c = 0; c < 64; c++)
        data[r * 64 + c] = c < K ? (w.data as Float32Array)[r * K + c] : 0.05 * Math.sin(r * 64 + c);
    t.set(key, castFloat({ dtype: 'float32', shape: [H, 64], data }, 'bfloat16'));
  }
  return t;
}

/**
 * A whole diffusers FLUX.1 Kontext folder at tiny size: transformer/ (2 shards) and vae/ in diffusers names, the
 * text encoders and tokenizers, model_index.json.
 */
export async function writeTinyKontextFolder(root: string): Promise<void> {
  await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(await tinyTransformerFor64()), 2);
  await writeDiffusersComponent(
    root,
    'vae',
    bflToDiffusersVae(await loadMap(join(FIXTURES, 'ae-tiny.weights.safetensors'))),
  );
  await writeTinyTextEncoders(root);
  await writeFile(join(root, 'model_index.json'), JSON.stringify({ _class_name: 'FluxKontextPipeline' }));
}
