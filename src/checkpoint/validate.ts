// Compare a checkpoint's names and shapes with what a configuration needs, before loading anything, and say in one
// error what is wrong and why it probably is (wrong file, wrong model variant, truncated file, ...).
import { UserError } from '../errors.ts';
import { blockIndices, type KeyShapes } from './flux-keys.ts';

export interface ShapeMismatch {
  key: string;
  expected: number[];
  actual: number[];
}

export interface CheckpointDiff {
  missing: string[];
  unexpected: string[];
  wrongShape: ShapeMismatch[];
}

/** Keys of `expected` absent from `actual`, keys of `actual` not in `expected`, and common keys whose shapes differ. */
export function diffCheckpoint(actual: KeyShapes, expected: KeyShapes): CheckpointDiff {
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const unexpected = [...actual.keys()].filter((k) => !expected.has(k));
  const wrongShape: ShapeMismatch[] = [];
  for (const [key, exp] of expected) {
    const act = actual.get(key);
    if (act && (act.length !== exp.length || act.some((d, i) => d !== exp[i])))
      wrongShape.push({ key, expected: exp, actual: act });
  }
  return { missing, unexpected, wrongShape };
}

type Kind = 'transformer' | 'ae' | 't5' | 'clip' | 'lora' | 'unknown';
const LABEL: Record<Kind, string> = {
  transformer: 'a transformer',
  ae: 'an autoencoder',
  t5: 'a T5 text encoder',
  clip: 'a CLIP text encoder',
  lora: 'a LoRA',
  unknown: 'an unknown model',
};

/** What kind of model a key set belongs to, from telltale names. */
function classify(keys: string[]): Kind {
  const any = (re: RegExp) => keys.some((k) => re.test(k));
  if (any(/lora_(up|down|A|B)\b|\.lora\.|lora_unet|lora_te/i)) return 'lora';
  if (any(/^(img_in|txt_in)\.|^(double|single)_blocks\.\d+\./)) return 'transformer';
  if (any(/^encoder\.block\.\d+\.layer\./) || keys.includes('shared.weight')) return 't5';
  if (any(/^text_model\./)) return 'clip';
  if (any(/^(encoder|decoder)\.(down|up|mid|conv_in)\b/)) return 'ae';
  return 'unknown';
}

const QUANTIZED =
  /(weight_scale|scale_weight|input_scale|scale_input|comfy_quant|\.absmax|\.quant_map|\.qweight|\.qzeros)$/;

/** Plausible explanations of a mismatch, most specific first. */
export function likelyCauses(diff: CheckpointDiff, actual: KeyShapes, expected: KeyShapes): string[] {
  const causes: string[] = [];
  const actualKeys = [...actual.keys()];
  const expectedKeys = [...expected.keys()];
  const have = classify(actualKeys);
  const want = classify(expectedKeys);
  if (have === 'lora') {
    const example = actualKeys.find((k) => /lora/i.test(k));
    return [
      `this is a LoRA file (keys like '${example}'), not a full checkpoint: ` +
        `load the base model and apply the LoRA to it`,
    ];
  }
  if (have !== want && have !== 'unknown' && want !== 'unknown') {
    return [`this is ${LABEL[have]} file, not ${LABEL[want]}`];
  }

  const quantized = diff.unexpected.filter((k) => QUANTIZED.test(k));
  if (quantized.length > 0) {
    causes.push(
      `this looks like a quantized checkpoint (keys like '${quantized[0]}'); use a plain bf16/f16/f32 or f8 checkpoint`,
    );
  }

  if (want === 'transformer') {
    const missingGuidance = diff.missing.some((k) => k.startsWith('guidance_in.'));
    if (missingGuidance && !actualKeys.some((k) => k.startsWith('guidance_in.'))) {
      causes.push(
        'this looks like a flux-schnell checkpoint (no guidance_in): ' +
          'FLUX.1 Kontext [dev] needs the guidance embedding; use flux1-kontext-dev.safetensors',
      );
    }
    if (diff.unexpected.some((k) => k.startsWith('guidance_in.'))) {
      causes.push(
        'the checkpoint has a guidance embedding (guidance_in, as flux-dev and Kontext) ' +
          'but the configuration has guidance_embed = false',
      );
    }
    const blocks = (keys: string[]) => [
      blockIndices(keys, 'double_blocks').length,
      blockIndices(keys, 'single_blocks').length,
    ];
    const [ad, as] = blocks(actualKeys);
    const [ed, es] = blocks(expectedKeys);
    if (ad !== ed || as !== es) {
      causes.push(
        `the checkpoint has ${ad} double and ${as} single blocks, the configuration expects ${ed} and ${es}: ` +
          `a different model size (infer the configuration from the checkpoint?)`,
      );
    }
    const imgIn = diff.wrongShape.find((m) => m.key === 'img_in.weight');
    if (imgIn) {
      const [ah, ai] = imgIn.actual;
      const [eh, ei] = imgIn.expected;
      if (ah !== eh) causes.push(`the checkpoint's hidden size is ${ah}, the configuration's ${eh}: a different model`);
      if (ai !== ei) {
        const variant =
          ai === 128 ? ' (as FLUX.1 Canny/Depth, which take a control image)' : ai === 384 ? ' (as FLUX.1 Fill)' : '';
        causes.push(`the checkpoint's img_in takes ${ai} input channels${variant}, the configuration ${ei}`);
      }
    }
    const isQkvBias = (k: string) => /\.qkv\.bias$/.test(k);
    if (diff.missing.some(isQkvBias) && !actualKeys.some(isQkvBias))
      causes.push('the checkpoint has no q/k/v biases but the configuration has qkv_bias = true');
    if (diff.unexpected.some(isQkvBias))
      causes.push('the checkpoint has q/k/v biases but the configuration has qkv_bias = false');
  }
  if (want === 'clip' || want === 't5') causes.push(...textEncoderCauses(want, diff, actualKeys, expectedKeys));
  if (want === 'ae') {
    const zIn = diff.wrongShape.find((m) => m.key === 'decoder.conv_in.weight');
    if (zIn && zIn.actual[1] === 4) {
      causes.push(
        'this looks like a Stable Diffusion VAE (4 latent channels); ' +
          'FLUX needs its own 16-channel autoencoder (ae.safetensors)',
      );
    } else if (zIn) {
      causes.push(`the autoencoder has ${zIn.actual[1]} latent channels, the configuration ${zIn.expected[1]}`);
    }
  }

  // a prefix we do not know: stripping the first name segments of the unexpected keys gives the missing ones
  if (diff.unexpected.length > 0 && diff.missing.length > 0) {
    const missing = new Set(diff.missing);
    const counts = new Map<string, number>();
    for (const k of diff.unexpected) {
      for (let i = k.indexOf('.'); i >= 0; i = k.indexOf('.', i + 1)) {
        if (missing.has(k.slice(i + 1))) counts.set(k.slice(0, i + 1), (counts.get(k.slice(0, i + 1)) ?? 0) + 1);
      }
    }
    const best = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (best && best[1] >= diff.missing.length / 2)
      causes.push(`the checkpoint's keys carry the prefix '${best[0]}' (${best[1]} keys); strip it`);
  }

  // nothing wrong but a tail of missing tensors: the file stops early
  if (causes.length === 0 && missingTail(diff, expectedKeys)) {
    const last = expectedKeys[expectedKeys.length - diff.missing.length - 1];
    causes.push(
      `the checkpoint stops after '${last}': its last ${diff.missing.length} tensors are missing ` +
        `(the file is truncated or was written partially)`,
    );
  }
  return causes;
}

/** Is the only difference that the last tensors (in the expected order) are missing? */
function missingTail(diff: CheckpointDiff, expectedKeys: string[]): boolean {
  if (
    diff.unexpected.length ||
    diff.wrongShape.length ||
    !diff.missing.length ||
    diff.missing.length >= expectedKeys.length
  )
    return false;
  const tail = expectedKeys.slice(expectedKeys.length - diff.missing.length);
  return tail.every((k, i) => k === diff.missing[i]);
}

/** Another size or version of the text encoder than the configuration's (FLUX: CLIP-L and T5 v1.1 XXL). */
function textEncoderCauses(
  want: 'clip' | 't5',
  diff: CheckpointDiff,
  actualKeys: string[],
  expectedKeys: string[],
): string[] {
  const causes: string[] = [];
  const embed = diff.wrongShape.find(
    (m) => m.key === (want === 'clip' ? 'text_model.embeddings.token_embedding.weight' : 'shared.weight'),
  );
  if (embed && embed.actual[1] !== embed.expected[1]) {
    const names: Record<number, string> =
      want === 'clip'
        ? { 768: 'CLIP-L', 1024: 'CLIP-H', 1280: 'CLIP-G, the second text encoder of SDXL and SD3' }
        : { 512: 'T5-small', 768: 'T5-base', 1024: 'T5-large', 2048: 'T5-XL', 4096: 'T5-XXL' };
    const size = (d: number) => `${d}${names[d] ? ` (${names[d]})` : ''}`;
    causes.push(
      `the checkpoint's hidden size is ${size(embed.actual[1])}, the configuration's ${size(embed.expected[1])}: ` +
        `a different model (FLUX uses CLIP-L and T5-XXL)`,
    );
  }
  const prefix = want === 'clip' ? 'text_model.encoder.layers' : 'encoder.block';
  const [a, e] = [blockIndices(actualKeys, prefix).length, blockIndices(expectedKeys, prefix).length];
  if (a !== e && a > 0 && !missingTail(diff, expectedKeys))
    causes.push(
      `the checkpoint has ${a} ${want === 'clip' ? 'layers' : 'blocks'}, ` +
        `the configuration ${e}: a different model size`,
    );
  if (want === 't5' && diff.unexpected.some((k) => /DenseReluDense\.wi\.weight$/.test(k))) {
    causes.push(
      "this is a T5 v1.0 encoder (ReLU feed-forward 'wi'); FLUX needs T5 v1.1 (gated-GELU 'wi_0' and 'wi_1'): " +
        'use t5xxl_fp16.safetensors or the text_encoder_2/ folder',
    );
  }
  if (
    want === 't5' &&
    diff.unexpected.some((k) => /^encoder\.block\.[1-9]\d*\.layer\.0\.SelfAttention\.relative_attention_bias\./.test(k))
  ) {
    causes.push(
      'the checkpoint has a position bias in every block (UMT5); FLUX needs T5 v1.1, whose bias is in block 0 only',
    );
  }
  return causes;
}

function list(items: string[], max = 8): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, … and ${items.length - max} more` : shown;
}

const dims = (s: number[]) => `[${s.join(', ')}]`;

/**
 * Throw one UserError if the checkpoint's names and shapes differ from `expected` (expectedFluxKeys/expectedAEKeys of
 * a configuration): likely causes first, then the missing, unexpected and wrong-shape keys (lists cut at 8, with
 * counts), on one line like every user error. Returns silently when everything matches.
 */
export function validateCheckpoint(
  source: { path?: string; layout?: string; shapes(): KeyShapes },
  expected: KeyShapes,
): void {
  const actual = source.shapes();
  const diff = diffCheckpoint(actual, expected);
  if (diff.missing.length === 0 && diff.unexpected.length === 0 && diff.wrongShape.length === 0) return;
  const want = classify([...expected.keys()]);
  const what =
    (
      { ae: 'autoencoder', transformer: 'transformer', t5: 'T5 text encoder', clip: 'CLIP text encoder' } as Partial<
        Record<Kind, string>
      >
    )[want] ?? 'model';
  const lines = [
    `checkpoint '${source.path ?? '(in memory)'}'${source.layout ? ` (${source.layout})` : ''} does not match the ` +
      `expected ${what} (${expected.size} tensors; the checkpoint has ${actual.size}):`,
  ];
  for (const c of likelyCauses(diff, actual, expected)) lines.push(`  likely cause: ${c}`);
  if (diff.missing.length) lines.push(`  missing ${diff.missing.length}: ${list(diff.missing)}`);
  if (diff.unexpected.length) lines.push(`  unexpected ${diff.unexpected.length}: ${list(diff.unexpected)}`);
  if (diff.wrongShape.length) {
    const items = diff.wrongShape.map((m) => `${m.key} is ${dims(m.actual)}, expected ${dims(m.expected)}`);
    lines.push(`  wrong shape ${diff.wrongShape.length}: ${list(items, 5)}`);
  }
  throw new UserError(
    lines
      .map((l) => l.trim())
      .join('; ')
      .replace(/:; /, ': '),
  );
}
