// How much memory a model run will need, estimated before anything large is loaded, so that an impossible run
// is refused with a clear message (and the weight format that would fit) instead of crashing half-way.
//
// The estimate: the weights times a factor for the copies alive at session creation, plus the largest
// activations of one block (the attention's working set, the MLP hidden layer), plus a fixed runtime overhead.
// Attention in inference graphs is fused (F.sdpa: ORT's MultiHeadAttention, flash attention on CPU), so it holds
// no [B, heads, L, L] scores — only layout copies of q, k, v and the output, linear in L; the composite form
// (training graphs, or KONTEXT_ATTENTION=composite) holds the scores and their softmax, quadratic in L.
// Weight copies: in memory, our host copy + ORT's copy + its pre-packed kernel layout (peak ≈ 2.5×); spilled to
// files (engine/spill.ts), ORT maps the files and keeps the packed layout (≈ 1.5×).
// Calibrated against peak RSS of the full-size int4 benchmarks (BENCHMARKS.md).

import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { UserError } from '../errors.ts';
import { F, quantizable, type WeightFormat, weightBytes } from '../engine/index.ts';

const { DEFAULT_ATTENTION_CHUNK } = F;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const RUNTIME_OVERHEAD = 300 * MiB;

export interface TransformerRun {
  /** parameter names and shapes (e.g. expectedFluxKeys(params)) */
  shapes: Map<string, number[]>;
  hidden: number;
  heads: number;
  mlpHidden: number;
  batch: number;
  /** total sequence length: text + target + context tokens */
  tokens: number;
  /** weights spilled to files (see engine/spill.ts) */
  spilled?: boolean;
  /** how the graphs compute attention (default: KONTEXT_ATTENTION, else 'fused', what inference graphs use) */
  attention?: AttentionForm;
  /** queries per chunk for 'chunked' (default DEFAULT_ATTENTION_CHUNK) */
  attentionChunk?: number;
}

export type AttentionForm = 'composite' | 'chunked' | 'fused';

const WEIGHT_COPIES = { inMemory: 2.5, spilled: 1.5 };
/**
 * Live activations are about twice the tensors counted below: ORT keeps a node's inputs while its outputs are
 * written, and its arena holds freed blocks at their peak size. Fitted on the full-size int4 1024×1024 edit (8704
 * tokens: 15,050 MiB peak, where the uncorrected estimate said 13,160); checked on the 512×512 edit (BENCHMARKS.md).
 */
const ACTIVATION_COPIES = 2;

export interface MemoryEstimate {
  weights: number;
  activations: number;
  total: number;
}

/** Bytes of these weights in a format; `float` names tensors that stay float32 (embedding tables). */
export function weightBytesOf(
  shapes: Map<string, number[]>,
  format: WeightFormat,
  float: ReadonlySet<string> = new Set(),
): number {
  let total = 0;
  for (const [key, s] of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    total += format !== 'f32' && !float.has(key) && quantizable(key, s) ? weightBytes(s[0], s[1], format) : n * 4;
  }
  return total;
}

export function estimateTransformerMemory(r: TransformerRun, format: WeightFormat): MemoryEstimate {
  const weights = (r.spilled ? WEIGHT_COPIES.spilled : WEIGHT_COPIES.inMemory) * weightBytesOf(r.shapes, format);
  const L = r.tokens;
  const attention = attentionBytes(r, L);
  const streams = r.batch * L * (4 * r.hidden + 2 * r.mlpHidden) * 4; // qkv, residual, mlp in/out
  const activations = ACTIVATION_COPIES * (attention + streams);
  return { weights, activations, total: weights + activations + RUNTIME_OVERHEAD };
}

/**
 * Working memory of one attention beyond its q, k, v inputs. Composite: scores and probabilities
 * [B, heads, L, L]. Chunked: the same for one block of queries. Fused: q, k, v and the output rearranged to
 * [B, L, hidden] plus the kernel's own [B, heads, L, D] copies of q, k, v (7 tensors of B·L·hidden), and per-thread
 * blocks of a few MB, which the runtime overhead covers. Measured at B=1, heads=24, L=4096, D=128 (peak RSS
 * above a graph with the same inputs and output): composite +1.65 GB (ORT runs the softmax in place; this formula
 * says 3.2 GB), chunked by 1024 +0.40 GB (0.8 GB), fused +0.25 GB (0.34 GB).
 */
export function attentionBytes(
  r: Pick<TransformerRun, 'batch' | 'heads' | 'hidden' | 'attention' | 'attentionChunk'>,
  L: number,
): number {
  const form = r.attention ?? attentionFromEnv();
  if (form === 'fused') return 7 * r.batch * L * r.hidden * 4;
  const rows = form === 'chunked' ? Math.min(L, r.attentionChunk ?? DEFAULT_ATTENTION_CHUNK) : L;
  return 2 * r.batch * r.heads * rows * L * 4; // scores and probabilities
}

function attentionFromEnv(): AttentionForm {
  const v = process.env.KONTEXT_ATTENTION;
  return v === 'composite' || v === 'chunked' ? v : 'fused';
}

/** Memory this process can still use: MemAvailable on Linux, else free memory. */
export function availableMemory(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

export const fmtBytes = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(1)} GB` : `${Math.round(b / MiB)} MB`);

/**
 * Refuse a transformer run that will not fit, naming the weight formats that would.
 * `available` defaults to this machine's available memory (tests pass their own).
 */
export function checkTransformerMemory(
  r: TransformerRun,
  format: WeightFormat,
  available = availableMemory(),
): MemoryEstimate {
  const est = estimateTransformerMemory(r, format);
  if (est.total <= available) return est;
  // quantized formats are always loaded spilled
  const asInt = (f: WeightFormat) => estimateTransformerMemory({ ...r, spilled: true }, f).total;
  const fits = (['int8', 'int4'] as WeightFormat[]).filter((f) => f !== format && asInt(f) <= available);
  const alt = fits.length
    ? ` Load the weights as ${fits.map((f) => `${f} (about ${fmtBytes(asInt(f))})`).join(' or ')} ` +
      `with --weights ${fits[0]}.`
    : ' No weight format fits: use a smaller image (fewer tokens) or a machine with more memory.';
  throw new UserError(
    `not enough memory: this run needs about ${fmtBytes(est.total)} (${format} weights ` +
      `${fmtBytes(est.weights)} incl. the runtime's copies, activations ${fmtBytes(est.activations)} for ` +
      `${r.tokens} tokens), and this machine has ${fmtBytes(available)} available of ${fmtBytes(totalmem())}.${alt}`,
  );
}

/** One text encoder of a run: its parameters, which stay float, the format and the working memory of one encode. */
export interface EncoderRun {
  name: string;
  shapes: Map<string, number[]>;
  /** embedding tables (Parameter.lookup): never quantized */
  float: ReadonlySet<string>;
  format: WeightFormat;
  spilled: boolean;
  /** bytes of the largest activations of one encode */
  activations: number;
}

/**
 * The text encoders run before the transformer loads and are released after (never in memory together), so the
 * run's peak is the larger of this and the transformer's estimate. Same weight-copy factors as the transformer.
 */
export function estimateTextEncoderMemory(runs: EncoderRun[]): MemoryEstimate {
  let weights = 0;
  let activations = 0;
  for (const r of runs) {
    weights +=
      (r.spilled ? WEIGHT_COPIES.spilled : WEIGHT_COPIES.inMemory) * weightBytesOf(r.shapes, r.format, r.float);
    activations = Math.max(activations, r.activations); // one encoder runs at a time
  }
  return { weights, activations, total: weights + activations + RUNTIME_OVERHEAD };
}

/** Refuse text encoders that will not fit, naming the T5 weight format that would (quantized: spilled). */
export function checkTextEncoderMemory(runs: EncoderRun[], available = availableMemory()): MemoryEstimate {
  const est = estimateTextEncoderMemory(runs);
  if (est.total <= available) return est;
  const t5 = runs.find((r) => r.name === 'T5');
  const asInt = (f: WeightFormat) =>
    estimateTextEncoderMemory(runs.map((r) => (r === t5 ? { ...r, format: f, spilled: true } : r))).total;
  const fits = t5 ? (['int8', 'int4'] as WeightFormat[]).filter((f) => f !== t5.format && asInt(f) <= available) : [];
  const alt = fits.length
    ? ` Load T5 as ${fits.map((f) => `${f} (about ${fmtBytes(asInt(f))})`).join(' or ')} with --weights ${fits[0]}.`
    : ' No weight format fits: compute the embeddings on a machine with more memory (kontext encode) ' +
      'and pass --prompt-embeds.';
  const parts = runs.map((r) => `${r.name} ${r.format}`).join(', ');
  throw new UserError(
    `not enough memory for the text encoders: they need about ${fmtBytes(est.total)} (${parts}: ` +
      `weights ${fmtBytes(est.weights)} incl. the runtime's copies), and this machine has ` +
      `${fmtBytes(available)} available of ${fmtBytes(totalmem())}.${alt}`,
  );
}
