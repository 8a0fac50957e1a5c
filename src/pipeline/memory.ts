// How much memory a model run will need, estimated before anything large is loaded, so that an impossible run
// is refused with a clear message (and the weight format that would fit) instead of crashing half-way.
//
// The estimate: the weights times a factor for the copies alive at session creation, plus the largest
// activations of one block (the attention matrix [B, heads, L, L] and its softmax, the MLP hidden layer), plus a
// fixed runtime overhead. Weight copies: in memory, our host copy + ORT's copy + its pre-packed kernel layout
// (peak ≈ 2.5×); spilled to files (engine/spill.ts), ORT maps the files and keeps the packed layout (≈ 1.5×).
// Calibrated against peak RSS of the full-size int4 benchmark (BENCHMARKS.md).

import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { UserError } from '../errors.ts';
import { quantizable, type WeightFormat, weightBytes } from '../engine/index.ts';

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
}

const WEIGHT_COPIES = { inMemory: 2.5, spilled: 1.5 };

export interface MemoryEstimate {
  weights: number;
  activations: number;
  total: number;
}

export function weightBytesOf(shapes: Map<string, number[]>, format: WeightFormat): number {
  let total = 0;
  for (const [key, s] of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    total += format !== 'f32' && quantizable(key, s) ? weightBytes(s[0], s[1], format) : n * 4;
  }
  return total;
}

export function estimateTransformerMemory(r: TransformerRun, format: WeightFormat): MemoryEstimate {
  const weights = (r.spilled ? WEIGHT_COPIES.spilled : WEIGHT_COPIES.inMemory) * weightBytesOf(r.shapes, format);
  const L = r.tokens;
  const attention = 2 * r.batch * r.heads * L * L * 4; // scores and probabilities
  const streams = r.batch * L * (4 * r.hidden + 2 * r.mlpHidden) * 4; // qkv, residual, mlp in/out
  const activations = attention + streams;
  return { weights, activations, total: weights + activations + RUNTIME_OVERHEAD };
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
export function checkTransformerMemory(r: TransformerRun, format: WeightFormat, available = availableMemory()): MemoryEstimate {
  const est = estimateTransformerMemory(r, format);
  if (est.total <= available) return est;
  // quantized formats are always loaded spilled
  const asInt = (f: WeightFormat) => estimateTransformerMemory({ ...r, spilled: true }, f).total;
  const fits = (['int8', 'int4'] as WeightFormat[]).filter((f) => f !== format && asInt(f) <= available);
  const alt = fits.length
    ? ` Load the weights as ${fits.map((f) => `${f} (about ${fmtBytes(asInt(f))})`).join(' or ')} with --weights ${fits[0]}.`
    : ' No weight format fits: use a smaller image (fewer tokens) or a machine with more memory.';
  throw new UserError(
    `not enough memory: this run needs about ${fmtBytes(est.total)} (${format} weights ${fmtBytes(est.weights)} incl. the runtime's copies, ` +
      `activations ${fmtBytes(est.activations)} for ${r.tokens} tokens), and this machine has ${fmtBytes(available)} available ` +
      `of ${fmtBytes(totalmem())}.${alt}`,
  );
}
