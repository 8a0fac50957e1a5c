// Training on onnxruntime-node's WebGPU provider: the whole flow training step (text encoder + Kontext
// transformer, loss, backward, clipping, AdamW, EMA) is one ORT graph, so a GPU reached through Vulkan can run
// it. Where the provider starts (CI installs lavapipe), two steps must give the CPU's losses, gradient norms and
// updated weights; where it cannot start, the error must name the fix.
import { afterEach, describe, expect, it } from 'vitest';
import { useExecutionProvider } from '../../src/cli/ep.ts';
import { Rng, Trainer } from '../../src/engine/index.ts';
import { ExampleStreams, type FlowBatchSpec, flowFeeds, flowLoss } from '../../src/train/flow.ts';
import { tinyPipeline } from '../mini/tiny.ts';
import { webgpuMissing } from '../webgpu-missing.ts';

let restore = () => {};
afterEach(() => restore());

/** Two AdamW steps of the tiny model on the same world batches; the losses, norms and final weights. */
async function twoSteps() {
  const pipe = tinyPipeline(3);
  const spec: FlowBatchSpec = { batch: 2, contexts: 1, textLength: 16, tokens: 64, channels: 16 };
  const trainer = await Trainer.create(
    { ctx1: (g) => flowLoss(pipe.model, g, spec) },
    { lr: 1e-3, clipNorm: 1, ema: true },
  );
  const streams = new ExampleStreams('train', 0, 32);
  const rng = new Rng(5);
  const results = [];
  for (let i = 0; i < 2; i++) {
    const feeds = await flowFeeds(pipe.ae, pipe.tokenizer, [streams.next('local'), streams.next('text')], spec, rng, 0);
    results.push(await trainer.trainStep(feeds, { variant: 'ctx1' }));
  }
  const weights = new Map(
    [...trainer.values('params')].map(([k, t]) => [k, Float32Array.from(t.data as Float32Array)]),
  );
  await trainer.dispose();
  return { results, weights };
}

describe('a flow training step on the WebGPU provider', () => {
  it('matches the CPU step (loss, gradient norm, every updated weight), else fails naming the fix', {
    timeout: 300_000,
  }, async () => {
    const cpu = await twoSteps();
    try {
      restore = await useExecutionProvider('webgpu');
    } catch (err) {
      webgpuMissing((err as Error).message, /^execution provider 'webgpu' is not available: .*mesa-vulkan-drivers/);
      return;
    }
    const gpu = await twoSteps();
    for (const [i, r] of cpu.results.entries()) {
      expect(Math.abs(gpu.results[i].loss - r.loss)).toBeLessThan(1e-4 * r.loss);
      expect(Math.abs(gpu.results[i].gradNorm - r.gradNorm)).toBeLessThan(1e-4 * r.gradNorm);
    }
    expect(cpu.results[1].loss).not.toBe(cpu.results[0].loss); // the second step saw updated weights
    // Adam divides each gradient by its own running RMS, so a weight whose gradient is near zero moves by up to lr
    // whichever way float noise tips it: compare the moves against the lr budget of two steps (2e-3), and on
    // average, where such weights are rare.
    let worst = 0;
    let sum = 0;
    let n = 0;
    for (const [k, w] of cpu.weights) {
      const g = gpu.weights.get(k)!;
      for (let j = 0; j < w.length; j++) {
        const d = Math.abs(g[j] - w[j]);
        worst = Math.max(worst, d);
        sum += d;
        n++;
      }
    }
    console.log(`webgpu vs cpu after two steps: worst ${worst.toExponential(2)}, mean ${(sum / n).toExponential(2)}`);
    expect(worst).toBeLessThan(0.05 * 2e-3);
    expect(sum / n).toBeLessThan(1e-6);
  });
});
