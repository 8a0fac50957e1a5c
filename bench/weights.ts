// Memory of one model compiled for three input shapes: resident memory after each session is
// created and run, with weights 'baked' (initializers: ORT copies and pre-packs them per session) and 'shared'
// (one host copy fed to every session). Each mode runs in its own child process, so RSS starts clean. Memory
// only: no timings (those are in the reference section), so it needs no quiet machine.
//
// Model: a mid-size Flux (hidden 1024, 16 heads, 4 double + 8 single blocks, 0.28 B parameters = 1.09 GiB f32),
// shapes 64 / 128 / 256 image tokens + 32 text tokens.

import { spawnSync } from 'node:child_process';
import { type CompiledGraph, compile, type HostTensor, initParameters, type WeightsMode } from '../src/engine/index.ts';
import { Flux, fluxGraph } from '../src/transformer/model.ts';

const MID = {
  in_channels: 64,
  out_channels: 64,
  vec_in_dim: 768,
  context_in_dim: 1024,
  hidden_size: 1024,
  mlp_ratio: 4,
  num_heads: 16,
  depth: 4,
  depth_single_blocks: 8,
  axes_dim: [16, 24, 24],
  theta: 10000,
  qkv_bias: true,
  guidance_embed: true,
};
const SHAPES = [64, 128, 256];

const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);

/** One mode, in this process: RSS after init and after each shape's session is created and run. */
async function measure(weights: WeightsMode): Promise<Record<string, number>> {
  const model = new Flux(MID);
  initParameters(model, 1);
  const paramMiB = Math.round(model.parameters().reduce((s, p) => s + p.numel * 4, 0) / 2 ** 20);
  const out: Record<string, number> = { paramMiB, rssInitMiB: rssMiB() };
  const keep: CompiledGraph[] = [];
  for (const n of SHAPES) {
    const c = await compile(fluxGraph(model, { batch: 1, imgTokens: n, txtTokens: 32 }), { weights, noCache: true });
    const feeds: Record<string, HostTensor> = {};
    for (const i of c.inputs)
      feeds[i.name] = {
        dtype: 'float32',
        shape: [...i.shape],
        data: new Float32Array(i.shape.reduce((a, b) => a * b, 1)).fill(0.1),
      };
    await c.run(feeds);
    await c.run(feeds);
    out[`rss${n}MiB`] = rssMiB();
    keep.push(c);
  }
  out.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  for (const c of keep) await c.dispose();
  return out;
}

export async function benchWeights(): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const mode of ['baked', 'shared'] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--mode', mode], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`bench/weights.ts --mode ${mode} failed: ${r.stderr.slice(-2000)}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
    for (const [k, v] of Object.entries(m)) result[`${mode}${k[0].toUpperCase()}${k.slice(1)}`] = v;
  }
  // memory each session adds beyond the host copy of the weights
  result.bakedPerSessionMiB = Math.round((result.bakedRss256MiB - result.bakedRssInitMiB) / SHAPES.length);
  result.sharedPerSessionMiB = Math.round((result.sharedRss256MiB - result.sharedRssInitMiB) / SHAPES.length);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--mode');
  console.log(JSON.stringify(i > 0 ? await measure(process.argv[i + 1] as WeightsMode) : await benchWeights()));
}
