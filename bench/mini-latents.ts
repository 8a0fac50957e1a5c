// Where the embedded model's drawing fails: its latents or the decoder? For test-split edits of each kind, the
// RMS difference between the transformer's final latents (shipped sampling) and the exact target's latents, in the
// tokens the edit changes and in those it keeps; and how many edits the benchmark's analyzer accepts from the
// exact target's latents decoded as they are and with Gaussian noise of σ added (the decoder's tolerance), against
// the model's own. Decoded without the output step, so what is counted is the latents alone.
//
// And text-to-image's first step: the sampler starts at t = 1 from pure noise, where nothing about the image can be
// read from z, so a model that learned the end of the schedule predicts the same x̂ = z − v for every noise draw
// (the mean image the caption describes) and one that reads a layout into the noise varies with the seed. For
// test-split captions, x̂ at t = 1 (one Euler step from t = 1 to 0, shipped guidance) for SEEDS noise draws: its
// spread across the draws (RMS of the per-element standard deviation; 0 for a model that reads nothing from pure
// noise) and its RMS distance to the target's latents, per draw and for the mean over the draws. The same for adds
// and moves, in the tokens they change (where the new object goes is the edit's one free choice).

import { judge } from '../src/bench/analyze.ts';
import { Rng } from '../src/engine/random.ts';
import { textLengthFor } from '../src/mini/config.ts';
import { MiniEditor } from '../src/mini/editor.ts';
import { decodeTokens, encodeImages } from '../src/mini/latents.ts';
import { sampleTokens } from '../src/mini/sample.ts';
import { type Sample, streamSamples } from '../src/world/dataset.ts';
import type { Family } from '../src/world/tasks.ts';

const TASKS = ['local.add', 'local.move', 'local.resize', 'local.recolor', 'local.remove', 'text.replace'];
const PER_TASK = 16;
const SIGMAS = [0.1, 0.2, 0.3];
const SEEDS = 4;

export async function benchMiniLatents(dir?: string): Promise<Record<string, number>> {
  const editor = await MiniEditor.load(dir);
  const { pipe } = editor;
  const S = editor.resolution;
  const T = textLengthFor(pipe.model.config, 1);
  const rng = new Rng(1);
  const out: Record<string, number> = {};
  for (const task of TASKS) {
    const samples = testSamples(task, S);
    const target = await encodeImages(
      pipe.ae,
      samples.map((s) => s.target),
    );
    const input = await encodeImages(
      pipe.ae,
      samples.map((s) => s.inputs[0]),
    );
    const model = await sampleTokens(
      pipe.model,
      samples.map((s, i) => ({
        ids: pipe.tokenizer.encode(s.instruction, T).ids,
        context: [input[i]],
        noise: pipe.noise(i),
      })),
      {
        numInferenceSteps: pipe.model.config.sampling.numInferenceSteps,
        guidanceScale: pipe.model.config.sampling.guidanceScale,
      },
    );
    // per token: changed if the target's latent differs from the input's (mean square > 0.01)
    const C = pipe.model.config.transformer.in_channels;
    const err = { changed: [0, 0], kept: [0, 0] };
    for (const [i, t] of target.entries())
      for (let k = 0; k < t.length / C; k++) {
        let d = 0;
        let c = 0;
        for (let j = k * C; j < (k + 1) * C; j++) {
          d += (model[i][j] - t[j]) ** 2;
          c += (t[j] - input[i][j]) ** 2;
        }
        const e = c / C > 0.01 ? err.changed : err.kept;
        e[0] += d / C;
        e[1]++;
      }
    const accepted = async (tokens: Float32Array[]) =>
      (await decodeTokens(pipe.ae, tokens, S)).filter(
        (img, i) => judge(samples[i].edit, samples[i].before, samples[i].after, img).success,
      ).length;
    const tag = task.replace('.', '_');
    out[`${tag}N`] = samples.length;
    out[`${tag}ErrChanged`] = +Math.sqrt(err.changed[0] / err.changed[1]).toFixed(3);
    out[`${tag}ErrKept`] = +Math.sqrt(err.kept[0] / Math.max(1, err.kept[1])).toFixed(3);
    out[`${tag}Model`] = await accepted(model);
    out[`${tag}Exact`] = await accepted(target);
    for (const s of SIGMAS)
      out[`${tag}Noise${s}`] = await accepted(
        target.map((t) => {
          const n = rng.normals(t.length);
          return t.map((v, j) => v + s * n[j]);
        }),
      );
  }
  for (const task of ['t2i.caption', 'local.add', 'local.move']) Object.assign(out, await firstStep(pipe, task));
  return out;
}

/** The first PER_TASK test-split samples of a task. */
function testSamples(task: string, size: number): Sample[] {
  const samples: Sample[] = [];
  const family = task.split('.')[0] as Family;
  for (const s of streamSamples({ split: 'test', seed: 0, size, families: [family], keep: (t) => t === task })) {
    samples.push(s);
    if (samples.length === PER_TASK) break;
  }
  return samples;
}

/** x̂ at t = 1 for SEEDS noise draws (text-to-image: every token; an edit: the tokens it changes). */
async function firstStep(pipe: MiniEditor['pipe'], task: string): Promise<Record<string, number>> {
  const samples = testSamples(task, pipe.resolution);
  const k = samples[0].inputs.length;
  const T = textLengthFor(pipe.model.config, k);
  const target = await encodeImages(
    pipe.ae,
    samples.map((s) => s.target),
  );
  const input = k
    ? await encodeImages(
        pipe.ae,
        samples.map((s) => s.inputs[0]),
      )
    : [];
  const draws: Float32Array[][] = [];
  for (let d = 0; d < SEEDS; d++)
    draws.push(
      await sampleTokens(
        pipe.model,
        samples.map((s, i) => ({
          ids: pipe.tokenizer.encode(s.instruction, T).ids,
          context: input.slice(i, i + k),
          noise: pipe.noise(1000 * d + i),
        })),
        { numInferenceSteps: 1, guidanceScale: pipe.model.config.sampling.guidanceScale },
      ),
    );
  const C = pipe.model.config.transformer.in_channels;
  let spread = 0;
  let errDraw = 0;
  let errMean = 0;
  let n = 0;
  for (const [i, x] of target.entries())
    for (let tok = 0; tok < x.length / C; tok++) {
      if (k) {
        let c = 0;
        for (let j = tok * C; j < (tok + 1) * C; j++) c += (x[j] - input[i][j]) ** 2;
        if (c / C <= 0.01) continue;
      }
      for (let j = tok * C; j < (tok + 1) * C; j++) {
        const v = draws.map((d) => d[i][j]);
        const m = v.reduce((a, b) => a + b, 0) / SEEDS;
        spread += v.reduce((a, b) => a + (b - m) ** 2, 0) / SEEDS;
        errDraw += v.reduce((a, b) => a + (b - x[j]) ** 2, 0) / SEEDS;
        errMean += (m - x[j]) ** 2;
        n++;
      }
    }
  const tag = task.replace('.', '_');
  return {
    [`${tag}FirstStepN`]: samples.length,
    [`${tag}FirstStepSpread`]: +Math.sqrt(spread / n).toFixed(3),
    [`${tag}FirstStepErrDraw`]: +Math.sqrt(errDraw / n).toFixed(3),
    [`${tag}FirstStepErrMean`]: +Math.sqrt(errMean / n).toFixed(3),
  };
}
