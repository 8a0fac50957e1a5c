// Best of n (src/mini/rerank.ts) on a tiny random model: the score belongs to the candidate (not to its batch or
// position), the pipeline keeps the lowest-scoring of the seeds' single samples, and bad counts are refused.
import { describe, expect, it } from 'vitest';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { textLengthFor } from '../../src/mini/config.ts';
import { encodeImages } from '../../src/mini/latents.ts';
import { bestOf, type Candidate, SCORE_TIMES, scoreCandidates } from '../../src/mini/rerank.ts';
import { sampleTokens } from '../../src/mini/sample.ts';
import { tinyPipeline } from './tiny.ts';

const diff = (a: RGBImage, b: RGBImage) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

function pattern(): RGBImage {
  const img = createImage(32, 32, [200, 180, 40]);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++) if ((x >> 2) % 2 === (y >> 2) % 2) img.data.set([20, 60, 220], (y * 32 + x) * 3);
  return img;
}

/** The tiny pipeline's candidates for one edit request: tokens of seeds seed … seed + n − 1. */
async function candidates(seed: number, n: number): Promise<Candidate[]> {
  const p = tinyPipeline();
  const T = textLengthFor(p.model.config, 1);
  const context = await encodeImages(p.ae, [pattern()]);
  const ids = p.tokenizer.encode('make the circle blue', T).ids;
  const reqs = Array.from({ length: n }, (_, c) => ({ ids, context, noise: p.noise(seed + c) }));
  const tokens = await sampleTokens(p.model, reqs, { numInferenceSteps: 2, guidanceScale: 2 });
  return reqs.map((request, c) => ({ request, tokens: tokens[c]!, scoreSeed: seed }));
}

describe('best of n (rerank.ts)', () => {
  it('bestOf picks the lowest score of each group', () => {
    expect(bestOf([3, 1, 2, 0.5, 0.7, 0.9], 3)).toEqual([1, 3]);
    expect(bestOf([2, 1], 1)).toEqual([0, 1]);
  });

  it("a candidate's score does not depend on its batch or position; different candidates score differently", async () => {
    const p = tinyPipeline();
    const cs = await candidates(11, 3);
    const all = await scoreCandidates(p.model, cs);
    const alone = await scoreCandidates(p.model, [cs[2]!]);
    const reversed = await scoreCandidates(p.model, [...cs].reverse());
    expect(all.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
    expect(Math.abs(alone[0]! - all[2]!)).toBeLessThan(1e-5 * all[2]!);
    for (const i of [0, 1, 2]) expect(Math.abs(reversed[2 - i]! - all[i]!)).toBeLessThan(1e-5 * all[i]!);
    expect(new Set(all.map((s) => s.toFixed(6))).size).toBe(3);
    // the same tokens under another score seed: another noise draw, another estimate
    const other = await scoreCandidates(p.model, [{ ...cs[0]!, scoreSeed: 12 }]);
    expect(other[0]).not.toBeCloseTo(all[0]!, 6);
  });

  it('the pipeline with n candidates returns the single sample of the seed that scores lowest', async () => {
    const p = tinyPipeline();
    const seed = 11;
    const scores = await scoreCandidates(p.model, await candidates(seed, 3));
    const best = bestOf(scores, 3)[0]!;
    const req = (s: number) => ({ prompt: 'make the circle blue', images: [pattern()], seed: s });
    const [chosen] = await p.run([req(seed)], { candidates: 3 });
    const singles = await Promise.all([0, 1, 2].map(async (c) => (await p.run([req(seed + c)]))[0]!));
    expect(diff(chosen!, singles[best]!)).toBeLessThanOrEqual(1);
    // and not merely any of them: the others differ from it
    for (const c of [0, 1, 2].filter((c) => c !== best)) expect(diff(chosen!, singles[c]!)).toBeGreaterThan(1);
  });

  it("progress counts the scorer's calls as steps: one run reports 1 … steps + 9 of that total", async () => {
    const p = tinyPipeline();
    const req = { prompt: 'make the circle blue', images: [pattern()], seed: 3 };
    const seen: string[] = [];
    await p.run([req], { candidates: 2, numInferenceSteps: 2, onStep: (s, t) => void seen.push(`${s}/${t}`) });
    const total = 2 + SCORE_TIMES.length;
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}/${total}`));
    seen.length = 0;
    await p.run([req], { numInferenceSteps: 2, onStep: (s, t) => void seen.push(`${s}/${t}`) }); // one sample: no scoring
    expect(seen).toEqual(['1/2', '2/2']);
  });

  it('batches several requests with their candidates in request order', async () => {
    const p = tinyPipeline();
    const reqs = [
      { prompt: 'make the circle red', images: [pattern()], seed: 1 },
      { prompt: 'a blue circle', images: [], seed: 2 },
      { prompt: 'make the circle blue', images: [pattern()], seed: 5 },
    ];
    const together = await p.run(reqs, { candidates: 2, batch: 4 });
    for (const [i, r] of reqs.entries())
      expect(diff(together[i]!, (await p.run([r], { candidates: 2 }))[0]!), `request ${i}`).toBeLessThanOrEqual(1);
  });

  it('refuses a candidate count outside 1–16', async () => {
    const p = tinyPipeline();
    const req = { prompt: 'x', images: [], seed: 0 };
    await expect(p.run([req], { candidates: 0 })).rejects.toThrow(/candidates must be an integer from 1 to 16, got 0/);
    await expect(p.run([req], { candidates: 2.5 })).rejects.toThrow(/got 2\.5/);
  });
});
