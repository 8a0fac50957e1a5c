// Text-encoder parity cases, in a folder laid out like shared/fixtures/text-encoders:
//
//   <case>.json {"kind": "clip-text" | "t5-encoder", "config": {Hugging Face config fields}}
//     + <case>.weights.safetensors (Hugging Face key names) + <case>.io.safetensors:
//       in.input_ids → out.last_hidden_state, out.pooler_output (CLIP), trace.layer.<i> (CLIP) / trace.block.<i> (T5)
//   <name>-golden.json {"cases": [{text, bpe, ids77}], bos, eos, pad, max_length} + the <name>/ tokenizer folder
//   shapes-*.json {"tensors", "params", "shapes": {key: shape}}: the full-size checkpoint's keys, compared with our
//     module tree for CLIP_L / T5_XXL (built without weights)
//
// A case that cannot run (missing file, tensor or config field) is not skipped: it becomes a failing output whose
// note says what is missing, so `kontext verify` exits 1 naming it. Once a folder has any of these cases it must
// have all five.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { diffCheckpoint } from '../checkpoint/validate.ts';
import { compile, type Graph, loadParameters, numel } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { toFloat32 } from '../io/floats.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import { CLIP_L, checkClipConfig, ClipTextModel, clipTextGraph } from '../prompt/clip.ts';
import { clipTokenizerFolder, loadClipTokenizer } from '../prompt/clip-tokenizer.ts';
import { checkT5Config, T5_XXL, T5EncoderModel, t5EncoderGraph, withTiedKeys } from '../prompt/t5.ts';
import { broken, maxRelErr, type OutputResult } from './compare.ts';

export type TextCaseKind = 'clip-text' | 't5-encoder' | 'tokenizer' | 'shapes';
/** Which of the five expected cases a file is. */
export type TextCaseRole = 'clip-text' | 't5-encoder' | 'clip-tokenizer' | 'clip-shapes' | 't5-shapes';

export interface TextCase {
  kind: TextCaseKind;
  role: TextCaseRole;
  run(): Promise<OutputResult[]>;
}

const EXPECTED: Record<TextCaseRole, { kind: TextCaseKind; what: string }> = {
  'clip-text': { kind: 'clip-text', what: 'no CLIP text-model case (<case>.json with "kind": "clip-text")' },
  't5-encoder': { kind: 't5-encoder', what: 'no T5 encoder case (<case>.json with "kind": "t5-encoder")' },
  'clip-tokenizer': { kind: 'tokenizer', what: 'no CLIP tokenizer golden ids (<name>-golden.json with cases[].ids77)' },
  'clip-shapes': { kind: 'shapes', what: 'no CLIP-L key/shape list (shapes-*.json with text_model.* keys)' },
  't5-shapes': { kind: 'shapes', what: 'no T5-XXL key/shape list (shapes-*.json with encoder.block.* keys)' },
};

/** The text-encoder case a fixture JSON describes, or null when it is none. */
export function textEncoderCase(dir: string, name: string, cfg: Record<string, unknown>): TextCase | null {
  const guard = (role: TextCaseRole, run: () => Promise<OutputResult[]>): TextCase => ({
    kind: EXPECTED[role].kind,
    role,
    run: async () => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof UserError) return [broken('case', err.message)];
        throw err;
      }
    },
  });
  if (cfg.kind === 'clip-text' || cfg.kind === 't5-encoder')
    return guard(cfg.kind, () => encoderCase(dir, name, cfg.kind as never, cfg.config));
  const cases = cfg.cases;
  if (Array.isArray(cases) && cases.some((c) => c && typeof c === 'object' && 'ids77' in c))
    return guard('clip-tokenizer', async () => tokenizerCase(dir, name, cfg));
  const shapes = cfg.shapes as Record<string, number[]> | undefined;
  if (shapes && typeof shapes === 'object') {
    const keys = Object.keys(shapes);
    if (keys.some((k) => k.startsWith('text_model.'))) return guard('clip-shapes', async () => shapesCase('clip', cfg));
    if (keys.some((k) => k.startsWith('encoder.block.'))) return guard('t5-shapes', async () => shapesCase('t5', cfg));
  }
  return null;
}

/** Failing results for the expected cases a folder lacks, once it has any of them. */
export function missingTextCases(
  dir: string,
  found: ReadonlySet<TextCaseRole>,
): { name: string; kind: TextCaseKind; outputs: OutputResult[] }[] {
  if (found.size === 0) return [];
  return (Object.keys(EXPECTED) as TextCaseRole[])
    .filter((r) => !found.has(r))
    .map((r) => ({ name: r, kind: EXPECTED[r].kind, outputs: [broken('missing', `${EXPECTED[r].what} in '${dir}'`)] }));
}

// ---------------------------------------------------------------------------------------------------------

const f32 = toFloat32;

async function encoderCase(
  dir: string,
  name: string,
  kind: 'clip-text' | 't5-encoder',
  config: unknown,
): Promise<OutputResult[]> {
  const where = `${name}.json config`;
  const clip = kind === 'clip-text';
  const model = clip
    ? new ClipTextModel(checkClipConfig(config, where))
    : new T5EncoderModel(checkT5Config(config, where));
  const files = [`${name}.weights.safetensors`, `${name}.io.safetensors`];
  const absent = files.filter((f) => !existsSync(join(dir, f)));
  if (absent.length) return [broken('files', `${absent.join(' and ')} missing from '${dir}'`)];

  const w = await SafetensorsFile.open(join(dir, files[0]));
  try {
    const source = clip ? w : withTiedKeys(w);
    const diff = diffCheckpoint(new Map(source.keys().map((k) => [k, source.shape(k)])), model.shapes());
    const problems = [
      ...diff.missing.map((k) => `lacks ${k}`),
      ...diff.wrongShape.map((m) => `${m.key} is [${m.actual}], expected [${m.expected}]`),
    ];
    const more = problems.length > 4 ? `; ${problems.length - 4} more` : '';
    if (problems.length) return [broken('weights', `${files[0]}: ${problems.slice(0, 4).join('; ')}${more}`)];
    await loadParameters(model, source);
  } finally {
    await w.close();
  }

  const io = await SafetensorsFile.open(join(dir, files[1]));
  try {
    if (!io.has('in.input_ids')) return [broken('in.input_ids', `missing from ${files[1]}`)];
    const ids = await io.read('in.input_ids');
    if (ids.dtype !== 'int64' || ids.shape.length !== 2)
      return [broken('in.input_ids', `must be int64 [B, L], is ${ids.dtype} [${ids.shape}]`)];
    const [B, L] = ids.shape;
    const layers = model instanceof ClipTextModel ? model.config.num_hidden_layers : model.config.num_layers;
    const expected = [
      ...Array.from({ length: layers }, (_, i) => `trace.${clip ? 'layer' : 'block'}.${i}`),
      'out.last_hidden_state',
      ...(clip ? ['out.pooler_output'] : []),
    ];
    const trace = expected.filter((k) => k.startsWith('trace.') && io.has(k)).map((k) => k.slice('trace.'.length));
    const g: Graph =
      model instanceof ClipTextModel ? clipTextGraph(model, B, L, { trace }) : t5EncoderGraph(model, B, L, { trace });
    const run = await compile(g, { noCache: true });
    const out = await run.run({ input_ids: ids });
    await run.release();
    const results: OutputResult[] = [];
    for (const k of expected) {
      if (!io.has(k)) results.push(broken(k, `missing from ${files[1]}`));
      else
        results.push({
          name: k,
          relErr: maxRelErr(out[k.replace(/^out\./, '')].data as Float32Array, f32(await io.read(k))),
        });
    }
    return results;
  } finally {
    await io.close();
  }
}

/** Fraction of ids that differ (0 = identical; a length difference counts every position). */
function idsErr(ours: readonly number[], ref: readonly number[]): number {
  if (ours.length !== ref.length) return 1;
  return ours.filter((v, i) => v !== ref[i]).length / Math.max(1, ref.length);
}

interface GoldenCase {
  text: string;
  bpe: number[];
  ids77: number[];
}

function tokenizerCase(dir: string, name: string, cfg: Record<string, unknown>): OutputResult[] {
  const folder = join(dir, name.replace(/-golden$/, ''));
  if (!existsSync(folder))
    return [broken('tokenizer', `the tokenizer folder '${folder}' (vocab.json + merges.txt) is missing`)];
  clipTokenizerFolder(folder); // names a missing vocab.json / merges.txt
  const tok = loadClipTokenizer(folder);
  const results: OutputResult[] = [];
  const f = tok.framing;
  for (const [field, ours] of [
    ['bos', f.bos],
    ['eos', f.eos],
    ['pad', f.pad],
    ['max_length', f.maxLength],
  ] as const) {
    if (cfg[field] !== undefined)
      results.push({
        name: field,
        relErr: cfg[field] === ours ? 0 : Infinity,
        note: cfg[field] === ours ? undefined : `ours ${ours}, golden ${cfg[field]}`,
      });
  }
  (cfg.cases as GoldenCase[]).forEach((c, i) => {
    const label = `#${i} ${JSON.stringify(c.text.length > 24 ? `${c.text.slice(0, 23)}…` : c.text)}`;
    if (typeof c.text !== 'string' || !Array.isArray(c.ids77)) {
      results.push(broken(`case ${i}`, 'needs "text" and "ids77"'));
      return;
    }
    if (Array.isArray(c.bpe)) results.push({ name: `bpe ${label}`, relErr: idsErr(tok.pieces(c.text), c.bpe) });
    results.push({ name: `ids77 ${label}`, relErr: idsErr(tok.encode(c.text).ids, c.ids77) });
  });
  return results;
}

function shapesCase(which: 'clip' | 't5', cfg: Record<string, unknown>): OutputResult[] {
  const model = which === 'clip' ? new ClipTextModel(CLIP_L) : new T5EncoderModel(T5_XXL); // parameters unallocated
  const ours = model instanceof T5EncoderModel ? model.checkpointShapes() : model.shapes();
  const ref = new Map(Object.entries(cfg.shapes as Record<string, number[]>));
  const diff = diffCheckpoint(ours, ref);
  const problems = [
    ...diff.missing.map((k) => `we lack ${k}`),
    ...diff.unexpected.map((k) => `we have ${k} extra`),
    ...diff.wrongShape.map((m) => `${m.key} is [${m.actual}], expected [${m.expected}]`),
  ];
  const results: OutputResult[] = [
    {
      name: 'keys and shapes',
      relErr: problems.length / Math.max(1, ref.size),
      note: problems.length ? problems.slice(0, 4).join('; ') : undefined,
    },
  ];
  const count = model.parameters().reduce((s, p) => s + numel(p.shape), 0);
  if (typeof cfg.params === 'number')
    results.push({
      name: 'parameter count',
      relErr: Math.abs(count - cfg.params) / cfg.params,
      note: count === cfg.params ? undefined : `ours ${count}, expected ${cfg.params}`,
    });
  if (typeof cfg.tensors === 'number')
    results.push({
      name: 'tensor count',
      relErr: Math.abs(ours.size - cfg.tensors) / cfg.tensors,
      note: ours.size === cfg.tensors ? undefined : `ours ${ours.size}, expected ${cfg.tensors}`,
    });
  return results;
}
