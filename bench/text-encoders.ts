// Text-encoder benchmarks (`npm run bench -- --only t5`):
//  - full-size T5-XXL encoder (4.76B parameters, every name and shape as shapes-t5xxl.json) encoding a 512-token
//    prompt, with random int4 and then int8 weights (Linear layers as MatMulNBits, spilled to files ORT maps; the
//    32128×4096 embedding table in float32, as the loader keeps it): weight setup, session creation, encode time
//    apart (one encode: at this size a second one would add a minute and tell little), peak RSS after each, and
//    the memory estimate made before loading;
//  - CLIP-L (123M parameters, float32) encoding its 77 tokens.
// int4 runs first: peak RSS only grows, so the int4 figure is its own and the int8 one the larger of the two.
// It allocates several GB and takes minutes: run it with the training paused (scratch/paused.sh).
// KONTEXT_BENCH_T5_LAYERS=n runs n of the 24 blocks (a quick look; the recorded numbers use all 24).

import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compile,
  type Graph,
  type Module,
  mulberry32,
  randn,
  releaseParameter,
  spillDir,
  spillParameter,
  type WeightFormat,
} from '../src/engine/index.ts';
import { estimateTextEncoderMemory } from '../src/pipeline/memory.ts';
import { CLIP_L, ClipTextModel, clipTextGraph } from '../src/prompt/clip.ts';
import { lookupKeys } from '../src/prompt/encoder-files.ts';
import { idsTensor } from '../src/prompt/tokenizers.ts';
import { T5_XXL, T5EncoderModel, t5EncoderGraph } from '../src/prompt/t5.ts';
import { matmulFlops } from './engine.ts';
import { peakRssMiB, timeit } from './util.ts';

const TEXT_FIXTURES = join(import.meta.dirname, '../../shared/fixtures/text-encoders');
const seconds = (t0: number) => +((performance.now() - t0) / 1000).toFixed(1);

/**
 * Random weights of a module in the form its loader gives them: Linear weights quantized (random codes around the
 * middle, scales 1/(c·√K) so activations keep their size), embedding tables and the rest in float32 (norms 1).
 * With `spill`, each tensor goes to a file as soon as it exists, as a checkpoint loader does.
 */
async function randomWeights(m: Module, format: WeightFormat, spill: boolean): Promise<void> {
  const r = mulberry32(11);
  const dir = spillDir();
  const tables = lookupKeys(m);
  for (const [key, p] of m.namedParameters()) {
    if (format !== 'f32' && !tables.has(key) && p.shape.length === 2 && key.endsWith('.weight')) {
      const [N, K] = p.shape;
      const bits = format === 'int4' ? 4 : 8;
      const kb = K / 32;
      const packed = randomFillSync(new Uint8Array((N * K * bits) / 8)); // uniform codes: mean at the zero point
      const scales = new Float32Array(N * kb).fill(1 / ((bits === 4 ? 4.6 : 74) * Math.sqrt(K)));
      const zeroPoints = new Uint8Array(N * Math.ceil((kb * bits) / 8)).fill(bits === 4 ? 0x88 : 128);
      p.setQuantized({ bits, blockSize: 32, N, K, packed, scales, zeroPoints });
    } else {
      const norm = p.shape.length === 1;
      const data = norm
        ? new Float32Array(p.numel).fill(1)
        : randn(p.numel, r, tables.has(key) ? 1 : 1 / Math.sqrt(p.shape[1]));
      p.set({ dtype: 'float32', shape: [...p.shape], data });
    }
    if (spill) await spillParameter(p, dir);
  }
}

/** MatMul + MatMulNBits FLOPs of an inference graph. */
function flops(g: Graph): number {
  let f = matmulFlops(g.nodes);
  for (const n of g.nodes) if (n.op === 'MatMulNBits') f += 2 * n.outputs[0].size * (n.attrs.K.value as number);
  return f;
}

async function benchT5(format: 'int8' | 'int4', layers: number): Promise<Record<string, number>> {
  const model = new T5EncoderModel({ ...T5_XXL, num_layers: layers });
  const est = estimateTextEncoderMemory([
    {
      name: 'T5',
      shapes: model.shapes(),
      float: lookupKeys(model),
      format,
      spilled: true,
      activations: 4 * (512 * (6 * 4096 + 3 * 10240) + 3 * 64 * 512 * 512),
    },
  ]);
  let t0 = performance.now();
  await randomWeights(model, format, true);
  const weightsSeconds = seconds(t0);
  t0 = performance.now();
  const g = t5EncoderGraph(model, 1, 512);
  const c = await compile(g, { noCache: true });
  const sessionSeconds = seconds(t0);
  // a 512-token prompt: 511 text ids and </s> (FLUX pads shorter prompts to 512 the same way)
  const r = mulberry32(5);
  const ids = idsTensor([[...Array.from({ length: 511 }, () => 3 + Math.floor(r() * 32000)), 1]]);
  t0 = performance.now();
  const out = (await c.run({ input_ids: ids })).last_hidden_state.data as Float32Array;
  const encodeSeconds = seconds(t0);
  const peak = peakRssMiB();
  await c.release();
  for (const p of model.parameters()) await releaseParameter(p); // before the next format loads
  const k = `t5${format === 'int8' ? 'Int8' : 'Int4'}`;
  return {
    [`${k}WeightSetupSeconds`]: weightsSeconds,
    [`${k}SessionSeconds`]: sessionSeconds,
    [`${k}EncodeSeconds`]: encodeSeconds,
    [`${k}Gflops`]: +(flops(g) / encodeSeconds / 1e9).toFixed(1),
    [`${k}PeakRssMiB`]: peak,
    [`${k}EstimateMiB`]: Math.round(est.total / 2 ** 20),
    [`${k}OutputFinite`]: out.every(Number.isFinite) ? 1 : 0,
  };
}

async function benchClip(): Promise<Record<string, number>> {
  const model = new ClipTextModel(CLIP_L);
  await randomWeights(model, 'f32', false);
  const t0 = performance.now();
  const c = await compile(clipTextGraph(model, 1, 77), { noCache: true, outputs: ['pooler_output'] });
  const sessionSeconds = seconds(t0);
  const ids = idsTensor([[49406, ...Array.from({ length: 20 }, (_, i) => 320 + i), ...Array(56).fill(49407)]]);
  const ms = await timeit(() => c.run({ input_ids: ids }), { warmup: 2, runs: 10 });
  await c.release();
  for (const p of model.parameters()) await releaseParameter(p);
  return { clipSessionSeconds: sessionSeconds, clipEncodeMs: +ms.toFixed(1) };
}

export async function benchTextEncoders(): Promise<Record<string, number>> {
  const layers = Number(process.env.KONTEXT_BENCH_T5_LAYERS) || T5_XXL.num_layers;
  const shapes = JSON.parse(readFileSync(join(TEXT_FIXTURES, 'shapes-t5xxl.json'), 'utf8'));
  const full = new T5EncoderModel(T5_XXL);
  // our module tree against the released key list (the tie encoder.embed_tokens.weight included)
  let mismatches = 0;
  for (const [key, s] of full.checkpointShapes()) if (shapes.shapes[key]?.join() !== s.join()) mismatches++;
  const t5Params = new T5EncoderModel({ ...T5_XXL, num_layers: layers }).parameters().reduce((s, p) => s + p.numel, 0);
  return {
    t5Layers: layers,
    t5Params,
    t5ShapeMismatches: mismatches + Object.keys(shapes.shapes).length - full.checkpointShapes().size,
    t5Tokens: 512,
    ...(await benchClip()),
    ...(await benchT5('int4', layers)),
    ...(await benchT5('int8', layers)),
  };
}
