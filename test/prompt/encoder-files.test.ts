// The text encoders from the files users have (src/prompt/encoder-files.ts over src/checkpoint): diffusers folders
// (sharded T5), ComfyUI single files in bf16/f16/f8 (also "scaled" f8), tied and extra keys, and the full-size key
// lists of shapes-clip-l.json / shapes-t5xxl.json on header-only files; each refusal is one line naming the cause.
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/source.ts';
import { compile, dequantizeWeight, type HostTensor, spillDir } from '../../src/engine/index.ts';
import { castFloat, f8e4m3ToF32, toFloat32 } from '../../src/io/floats.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { estimateTextEncoderMemory, checkTextEncoderMemory } from '../../src/pipeline/memory.ts';
import { CLIP_L, ClipTextModel, clipTextGraph } from '../../src/prompt/clip.ts';
import { encoderRun, inspectTextEncoder, loadTextEncoderWeights, lookupKeys } from '../../src/prompt/encoder-files.ts';
import { T5_XXL, T5EncoderModel, t5EncoderGraph } from '../../src/prompt/t5.ts';
import { idsTensor } from '../../src/prompt/tokenizers.ts';
import { maxRelErr } from '../../src/verify/compare.ts';
import { FIXTURES, TEXT_FIXTURES } from '../fixtures-path.ts';
import { sameTensor } from '../checkpoint/helpers.ts';
import {
  CLIP_TINY,
  cast,
  clipConfigJson,
  T5_TINY,
  t5ConfigJson,
  tinyWeights,
  writeHeaderOnly,
  writeTextEncoderFolder,
} from './encoder-fixtures.ts';
import { joinRegExp } from '../regex.ts';

const GB = 1024 ** 3;
let dir: string;
let clip: Map<string, HostTensor>;
let t5: Map<string, HostTensor>;
const at = (...p: string[]) => join(dir, ...p);
const fullShapes = (name: string) =>
  new Map<string, number[]>(Object.entries(JSON.parse(readFileSync(join(TEXT_FIXTURES, name), 'utf8')).shapes));
/** the message of the error `p` rejects with (the test fails if it resolves) */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-encoder-files-'));
  clip = await tinyWeights('clip');
  t5 = await tinyWeights('t5');
});
afterAll(() =>
  Promise.all([rm(dir, { recursive: true, force: true }), rm(spillDir(), { recursive: true, force: true })]),
);

/** T5 ids for the tiny encoder: two rows of 512 (text, </s> = 1, padding 0). */
const T5_IDS = idsTensor([
  [37, 1782, 25, 8, 1, ...Array(507).fill(0)],
  [100, 200, 300, 1, ...Array(508).fill(0)],
]);

async function runT5(model: T5EncoderModel): Promise<Float32Array> {
  const c = await compile(t5EncoderGraph(model, 2, 512), { noCache: true });
  const out = (await c.run({ input_ids: T5_IDS })).last_hidden_state.data as Float32Array;
  await c.release();
  return out;
}

describe('diffusers folders and single files', () => {
  it('text_encoder/ and sharded text_encoder_2/ of a repo: config.json read, every tensor bit-identical', async () => {
    await writeTextEncoderFolder(at('repo', 'text_encoder'), clipConfigJson(), clip);
    await writeTextEncoderFolder(at('repo', 'text_encoder_2'), t5ConfigJson(), t5, 2);
    const c = await inspectTextEncoder('clip', at('repo'));
    const t = await inspectTextEncoder('t5', at('repo'));
    expect(c.model.config).toEqual(CLIP_TINY);
    expect(t.model.config).toEqual({ ...T5_TINY, max_length: undefined });
    expect(c.layout).toBe('diffusers folder, single file, Hugging Face names');
    expect(t.layout).toBe('diffusers folder, 2 shards, Hugging Face names');
    expect(t.files.map((f) => f.slice(at('repo').length))).toEqual([
      '/text_encoder_2/model-00001-of-00002.safetensors',
      '/text_encoder_2/model-00002-of-00002.safetensors',
    ]);
    for (const [kind, ref] of [
      ['clip', clip],
      ['t5', t5],
    ] as const) {
      const s = await openCheckpoint(at('repo'), kind);
      expect(s.keys().sort()).toEqual([...ref.keys()].sort());
      for (const [k, v] of ref) expect(sameTensor(await s.read(k), v), k).toBe(true);
      await s.close();
    }
  });

  it('a folder of ComfyUI files picks clip_l / t5xxl by name, and asks which when there are two', async () => {
    await mkdir(at('comfy'));
    await writeSafetensors(at('comfy', 'clip_l.safetensors'), cast(clip, 'float16'));
    await writeSafetensors(at('comfy', 't5xxl_fp16.safetensors'), cast(t5, 'float16'));
    expect((await inspectTextEncoder('clip', at('comfy'), CLIP_TINY)).files).toEqual([
      at('comfy', 'clip_l.safetensors'),
    ]);
    expect((await inspectTextEncoder('t5', at('comfy'), T5_TINY)).files).toEqual([
      at('comfy', 't5xxl_fp16.safetensors'),
    ]);
    await writeSafetensors(at('comfy', 't5xxl_fp8_e4m3fn.safetensors'), cast(t5, 'float8e4m3'));
    expect(await refusal(inspectTextEncoder('t5', at('comfy'), T5_TINY))).toBe(
      `folder '${at('comfy')}' holds several T5 text encoders (t5xxl_fp16.safetensors, ` +
        `t5xxl_fp8_e4m3fn.safetensors); give the file to use`,
    );
    expect(await refusal(inspectTextEncoder('t5', at()))).toMatch(
      joinRegExp(
        /^no T5 text encoder checkpoint in '.*': expected 't5xxl_\*\.safetensors' or a 'text_encoder_2\/' folder /,
        /\(diffusers: model\.safetensors or a \*\.safetensors\.index\.json\); found: /,
      ),
    );
  });

  it('bf16, f16 and f8 files give the model whose weights are the stored values; int8 that of its codes', async () => {
    const load = async (file: string, weights?: 'int8') => {
      const e = await inspectTextEncoder('t5', file, T5_TINY);
      await loadTextEncoderWeights(e, { weights, spill: false });
      return e.model;
    };
    await writeSafetensors(at('t5-bf16.safetensors'), t5);
    const ref = await runT5(await load(at('t5-bf16.safetensors')));
    // f16 holds the bf16 values exactly but for the few below 2^-17, where its subnormals keep fewer bits
    const f16 = maxRelErr(await runT5(await load(at('comfy', 't5xxl_fp16.safetensors'))), ref);
    expect(f16).toBeGreaterThan(0);
    expect(f16).toBeLessThan(1e-6);
    // f8: the same numbers as the f8-rounded weights loaded in float32
    const f8 = await runT5(await load(at('comfy', 't5xxl_fp8_e4m3fn.safetensors')));
    const rounded = new Map(
      [...t5].map(([k, v]) => [
        k,
        { dtype: 'float32' as const, shape: v.shape, data: f8e4m3ToF32(castFloat(v, 'float8e4m3').data as Uint8Array) },
      ]),
    );
    await writeSafetensors(at('t5-f8-as-f32.safetensors'), rounded);
    expect(maxRelErr(f8, await runT5(await load(at('t5-f8-as-f32.safetensors'))))).toBe(0);
    expect(maxRelErr(f8, ref)).toBeGreaterThan(1e-3); // f8 did round
    // int8: exactly the model whose weights are the dequantized codes (MatMulNBits in float32); how far that is
    // from the bf16 model depends on the weights: this tiny random T5 (no attention scaling, sharp softmax) moves 4.5%
    const q = await load(at('t5-bf16.safetensors'), 'int8');
    const int8 = await runT5(q);
    const dequantized = new Map(
      [...q.namedParameters()].map(([k, p]) => [
        k,
        p.quant ? { dtype: 'float32' as const, shape: p.shape, data: dequantizeWeight(p.quant) } : p.value!,
      ]),
    );
    await writeSafetensors(at('t5-dequantized.safetensors'), dequantized);
    expect(maxRelErr(int8, await runT5(await load(at('t5-dequantized.safetensors'))))).toBeLessThan(1e-5);
    expect(maxRelErr(int8, ref)).toBeGreaterThan(1e-3);
    expect(maxRelErr(int8, ref)).toBeLessThan(0.06);
  });

  it('scaled f8 (ComfyUI *_fp8_scaled): weight · scale_weight; scales and marker are no parameters', async () => {
    const scaled = new Map<string, HostTensor>();
    const scales = new Map<string, number>();
    for (const [k, v] of t5) {
      if (!/\.(q|k|v|o|wi_0|wi_1|wo)\.weight$/.test(k)) {
        scaled.set(k, v);
        continue;
      }
      const w = toFloat32(v);
      const s = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0) / 448; // the largest weight maps to f8's largest value
      scales.set(k, s);
      scaled.set(k, castFloat({ dtype: 'float32', shape: v.shape, data: w.map((x) => x / s) }, 'float8e4m3'));
      const m = k.slice(0, -'.weight'.length);
      scaled.set(`${m}.scale_weight`, { dtype: 'float32', shape: [], data: Float32Array.of(s) });
      scaled.set(`${m}.scale_input`, { dtype: 'float32', shape: [], data: Float32Array.of(1) });
    }
    scaled.set('scaled_fp8', { dtype: 'float8e4m3', shape: [0], data: new Uint8Array(0) });
    await writeSafetensors(at('t5xxl_fp8_e4m3fn_scaled.safetensors'), scaled);
    // validates: no extra keys
    const e = await inspectTextEncoder('t5', at('t5xxl_fp8_e4m3fn_scaled.safetensors'), T5_TINY);
    expect(e.model.shapes().size).toBe(t5.size);
    const s = await openCheckpoint(at('t5xxl_fp8_e4m3fn_scaled.safetensors'), 't5');
    const key = 'encoder.block.1.layer.1.DenseReluDense.wo.weight';
    expect(s.dtype(key)).toBe('float32');
    expect(s.origin(key).map((o) => o.split(': ')[1])).toEqual([
      key,
      'encoder.block.1.layer.1.DenseReluDense.wo.scale_weight',
    ]);
    const read = await s.readF32(key);
    const ref = toFloat32(t5.get(key)!);
    // e4m3 keeps 3 mantissa bits: within 1/16 of each value's magnitude for normals, and of the scale below that
    const scale = scales.get(key)!;
    expect(read.every((x, i) => Math.abs(x - ref[i]) <= Math.max(Math.abs(ref[i]) / 16, scale * 2 ** -9) + 1e-9)).toBe(
      true,
    );
    expect(maxRelErr(read, ref)).toBeGreaterThan(0);
    await s.close();
  });

  it('T5: shared.weight or its tie encoder.embed_tokens.weight; a full T5 decoder, CLIP extras dropped', async () => {
    const onlyAlias = new Map([...t5].map(([k, v]) => [k === 'shared.weight' ? 'encoder.embed_tokens.weight' : k, v]));
    await writeSafetensors(at('alias.safetensors'), onlyAlias);
    let s = await openCheckpoint(at('alias.safetensors'), 't5');
    expect(s.has('shared.weight') && !s.has('encoder.embed_tokens.weight')).toBe(true);
    expect(sameTensor(await s.read('shared.weight'), t5.get('shared.weight')!)).toBe(true);
    await s.close();
    const full = new Map([
      ...t5,
      ['encoder.embed_tokens.weight', t5.get('shared.weight')!],
      ['decoder.block.0.layer.0.SelfAttention.q.weight', t5.get('encoder.block.0.layer.0.SelfAttention.q.weight')!],
      ['lm_head.weight', t5.get('shared.weight')!],
    ]);
    await writeSafetensors(at('t5-full.safetensors'), full);
    s = await openCheckpoint(at('t5-full.safetensors'), 't5');
    expect(s.keys().sort()).toEqual([...t5.keys()].sort());
    await s.close();
    const extras = new Map<string, HostTensor>([
      ...clip,
      [
        'text_model.embeddings.position_ids',
        { dtype: 'int64', shape: [1, 77], data: BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i)) },
      ],
      ['text_projection.weight', clip.get('text_model.encoder.layers.0.self_attn.q_proj.weight')!],
    ]);
    await writeSafetensors(at('clip-extras.safetensors'), extras);
    expect((await inspectTextEncoder('clip', at('clip-extras.safetensors'), CLIP_TINY)).model.shapes().size).toBe(
      clip.size,
    );
  });

  it('int8 and int4 quantize the Linear weights and keep every embedding table (Gather) in float32', async () => {
    for (const weights of ['int8', 'int4'] as const) {
      const c = await inspectTextEncoder('clip', at('repo'));
      const t = await inspectTextEncoder('t5', at('repo'));
      await loadTextEncoderWeights(c, { weights, spill: false });
      await loadTextEncoderWeights(t, { weights, spill: false });
      const params = new Map([...c.model.namedParameters(), ...t.model.namedParameters()]);
      const tables = [
        'text_model.embeddings.token_embedding.weight',
        'text_model.embeddings.position_embedding.weight',
        'shared.weight',
        'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
      ];
      expect([...lookupKeys(c.model), ...lookupKeys(t.model)].sort()).toEqual([...tables].sort());
      for (const k of tables)
        expect([k, params.get(k)!.quant, params.get(k)!.value?.dtype]).toEqual([k, null, 'float32']);
      expect(params.get('encoder.block.1.layer.1.DenseReluDense.wi_0.weight')!.quant?.bits).toBe(
        weights === 'int8' ? 8 : 4,
      );
      expect(params.get('text_model.encoder.layers.1.mlp.fc2.weight')!.quant?.bits).toBe(weights === 'int8' ? 8 : 4);
      // and they run: the tables are gathered (a quantized table would throw at graph build)
      const run = await compile(clipTextGraph(c.model, 1, 77), { noCache: true });
      const out = await run.run({ input_ids: idsTensor([[49406, 320, 49407, ...Array(74).fill(49407)]]) });
      expect((out.pooler_output.data as Float32Array).every(Number.isFinite)).toBe(true);
      await run.release();
      expect((await runT5(t.model)).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('full-size key lists (header-only files: the data area is a hole)', () => {
  const T5_FULL = fullShapes('shapes-t5xxl.json'); // with the tie encoder.embed_tokens.weight
  const CLIP_FULL = fullShapes('shapes-clip-l.json');
  const without = (m: Map<string, number[]>, drop: (k: string) => boolean) => new Map([...m].filter(([k]) => !drop(k)));

  it('t5xxl f8 (no tie), sharded bf16 text_encoder_2/ (tie), clip_l f16 (+ projection): 196/219 match', async () => {
    await writeHeaderOnly(
      at('t5xxl_fp8_e4m3fn.safetensors'),
      without(T5_FULL, (k) => k === 'encoder.embed_tokens.weight'),
      'float8e4m3',
    );
    const t = await inspectTextEncoder('t5', at('t5xxl_fp8_e4m3fn.safetensors'));
    expect(t.model.config).toEqual(T5_XXL);
    expect(t.model.checkpointShapes()).toEqual(T5_FULL);
    // 4.76B parameters of one byte
    expect((await stat(at('t5xxl_fp8_e4m3fn.safetensors'))).size).toBeGreaterThan(4.7e9);

    await mkdir(at('full', 'text_encoder_2'), { recursive: true });
    const keys = [...T5_FULL.keys()];
    await writeHeaderOnly(
      at('full', 'text_encoder_2', 'model-00001-of-00002.safetensors'),
      keys.slice(0, 110).map((k) => [k, T5_FULL.get(k)!]),
      'bfloat16',
    );
    await writeHeaderOnly(
      at('full', 'text_encoder_2', 'model-00002-of-00002.safetensors'),
      keys.slice(110).map((k) => [k, T5_FULL.get(k)!]),
      'bfloat16',
    );
    const index = {
      weight_map: Object.fromEntries(keys.map((k, i) => [k, `model-0000${i < 110 ? 1 : 2}-of-00002.safetensors`])),
    };
    await writeSafetensorsIndex(at('full', 'text_encoder_2', 'model.safetensors.index.json'), index);
    expect((await inspectTextEncoder('t5', at('full'))).model.config).toEqual(T5_XXL);

    await writeHeaderOnly(at('clip_l.safetensors'), [...CLIP_FULL, ['text_projection.weight', [768, 768]]], 'float16');
    const c = await inspectTextEncoder('clip', at('clip_l.safetensors'));
    expect(c.model.config).toEqual(CLIP_L);
    expect(c.model.shapes()).toEqual(CLIP_FULL);
  });

  it('refuses truncated files, partial key lists, missing blocks, other models: one line names the cause', async () => {
    // a download cut short: the data area is shorter than the header says
    await copyFile(join(TEXT_FIXTURES, 'clip-tiny.weights.safetensors'), at('cut.safetensors'));
    await truncate(at('cut.safetensors'), (await stat(at('cut.safetensors'))).size - 1000);
    // a file written partially: the last 5 tensors (block 23's feed-forward, the final norm) are not in it
    const t5Keys = [...without(T5_FULL, (k) => k === 'encoder.embed_tokens.weight')];
    const order = [...new T5EncoderModel(T5_XXL).shapes().keys()];
    await writeHeaderOnly(
      at('partial.safetensors'),
      order.slice(0, -5).map((k) => [k, T5_FULL.get(k)!]),
      'bfloat16',
    );
    await writeHeaderOnly(
      at('no-block-5.safetensors'),
      t5Keys.filter(([k]) => !k.startsWith('encoder.block.5.')),
      'bfloat16',
    );
    // other models
    const clipG = new ClipTextModel({
      ...CLIP_L,
      hidden_size: 1280,
      num_hidden_layers: 32,
      num_attention_heads: 20,
      intermediate_size: 5120,
    });
    await writeHeaderOnly(at('clip_g.safetensors'), clipG.shapes(), 'float16');
    const t5Base = new T5EncoderModel({ ...T5_XXL, d_model: 768, d_kv: 64, num_heads: 12, d_ff: 2048, num_layers: 12 });
    await writeHeaderOnly(at('t5-base.safetensors'), t5Base.shapes(), 'float32');
    const v10 = t5Keys
      .filter(([k]) => !/wi_1/.test(k))
      .map(([k, s]) => [k.replace('wi_0', 'wi'), s] as [string, number[]]);
    await writeHeaderOnly(at('t5-v1_0.safetensors'), v10, 'bfloat16');

    const cases: [string, 'clip' | 't5', string | RegExp][] = [
      [
        at('cut.safetensors'),
        'clip',
        joinRegExp(
          /^safetensors file '.*cut\.safetensors': the file is truncated: tensor '.*' occupies data bytes \d+\.\.\d+ /,
          /but the data area has only \d+ bytes .* Download or copy it again\.$/,
        ),
      ],
      [
        at('partial.safetensors'),
        't5',
        `checkpoint '${at('partial.safetensors')}' (single file, Hugging Face names) does not match the expected T5 ` +
          `text encoder (219 tensors; the checkpoint has 214): ` +
          "likely cause: the checkpoint stops after 'encoder.block.23.layer.0.layer_norm.weight': " +
          'its last 5 tensors are missing (the file is truncated or was written partially); ' +
          'missing 5: encoder.block.23.layer.1.DenseReluDense.wi_0.weight, ' +
          'encoder.block.23.layer.1.DenseReluDense.wi_1.weight, encoder.block.23.layer.1.DenseReluDense.wo.weight, ' +
          'encoder.block.23.layer.1.layer_norm.weight, encoder.final_layer_norm.weight',
      ],
      [
        at('no-block-5.safetensors'),
        't5',
        joinRegExp(
          /likely cause: the checkpoint has 23 blocks, the configuration 24: a different model size; missing 9: /,
          /encoder\.block\.5\.layer\.0\.SelfAttention\.q\.weight, /,
        ),
      ],
      [
        at('clip_g.safetensors'),
        'clip',
        joinRegExp(
          /does not match the expected CLIP text encoder \(196 tensors; the checkpoint has 516\): likely cause: the /,
          /checkpoint's hidden size is 1280 \(CLIP-G, the second text encoder of SDXL and SD3\), the configuration's /,
          /768 \(CLIP-L\): a different model \(FLUX uses CLIP-L and T5-XXL\); likely cause: the checkpoint has 32 /,
          /layers, the configuration 12/,
        ),
      ],
      [
        at('t5-base.safetensors'),
        't5',
        /likely cause: the checkpoint's hidden size is 768 \(T5-base\), the configuration's 4096 \(T5-XXL\)/,
      ],
      [
        at('t5-v1_0.safetensors'),
        't5',
        joinRegExp(
          /likely cause: this is a T5 v1\.0 encoder \(ReLU feed-forward 'wi'\); FLUX needs T5 v1\.1 \(gated-GELU /,
          /'wi_0' and 'wi_1'\)/,
        ),
      ],
      [
        at('t5xxl_fp8_e4m3fn.safetensors'),
        'clip',
        joinRegExp(
          /does not match the expected CLIP text encoder \(196 tensors; the checkpoint has 219\): likely cause: this /,
          /is a T5 text encoder file, not a CLIP text encoder; missing 196: /,
        ),
      ],
      [
        at('clip_l.safetensors'),
        't5',
        joinRegExp(
          /does not match the expected T5 text encoder \(219 tensors; the checkpoint has 197\): likely cause: this is /,
          /a CLIP text encoder file, not a T5 text encoder; /,
        ),
      ],
      [
        join(FIXTURES, 'flux-tiny.weights.safetensors'),
        't5',
        /likely cause: this is a transformer file, not a T5 text encoder; /,
      ],
      [
        join(FIXTURES, 'ae-tiny.weights.safetensors'),
        't5',
        /likely cause: this is an autoencoder file, not a T5 text encoder; /,
      ],
    ];
    for (const [file, kind, message] of cases) {
      const m = await refusal(inspectTextEncoder(kind, file));
      expect(m, file).toMatch(message);
      expect(m.split('\n'), file).toHaveLength(1);
    }
  });

  it('memory: T5-XXL int8 counts its 32128×4096 table in f32; f32 on 23 GB is refused, naming int8/int4', async () => {
    const t = await inspectTextEncoder('t5', at('t5xxl_fp8_e4m3fn.safetensors'));
    const c = await inspectTextEncoder('clip', at('clip_l.safetensors'));
    const table = 32128 * 4096;
    // the list's count holds the tied table once; minus the bias table, the norms
    const linear = 4_762_310_656 - table - 32 * 64 - 49 * 4096;
    const int8 = estimateTextEncoderMemory([encoderRun(t, 'int8', true)]);
    // int8: one byte, a float scale per 32 and a zero-point byte per 32; spilled: ×1.5
    expect(int8.weights).toBeCloseTo(
      1.5 * (linear * (1 + 4 / 32 + 1 / 32) + table * 4 + 32 * 64 * 4 + 49 * 4096 * 4),
      -3,
    );
    const runs = (w: 'f32' | 'int8' | 'int4') => [encoderRun(c, 'f32', false), encoderRun(t, w, w !== 'f32')];
    expect(estimateTextEncoderMemory(runs('int4')).total / GB).toBeLessThan(7);
    expect(() => checkTextEncoderMemory(runs('f32'), 23 * GB)).toThrow(
      joinRegExp(
        /^not enough memory for the text encoders: they need about 4\d\.\d GB \(CLIP f32, T5 f32: weights 4\d\.\d GB /,
        /incl\. the runtime's copies\), and this machine has 23\.0 GB available of .*\. Load T5 as int8 \(about /,
        /1?\d\.\d GB\) or int4 \(about \d\.\d GB\) with --weights int8\.$/,
      ),
    );
    expect(checkTextEncoderMemory(runs('int8'), 23 * GB).total).toBeLessThan(23 * GB);
  });
});

async function writeSafetensorsIndex(path: string, index: object): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, JSON.stringify(index));
}
