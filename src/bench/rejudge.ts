// Re-judging a finished run: read the outputs a `kontext bench run` saved and judge them again with the analyzers
// as they are now, against the same dataset's ground truth. When a check changes (a fairer rule, a fixed reader),
// every earlier run can be scored by the new rule without running its model again, so old and new numbers stay
// comparable. Only the verdicts change (success, failures, the character identity of chain turns): the outputs and
// the pixel metrics are the run's own — but for the licensed drift of chain turns (drift.ts), measured from the
// saved outputs where a run made before the bench had it lacks it. Chain turns are judged as a run judges them now:
// with the shapes earlier turns added or moved where the model put them (placed.ts).

import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { readImage, type RGBImage } from '../image/rgb.ts';
import { judge } from './analyze.ts';
import { dataPath, loadBench } from './kontextbench.ts';
import { summarize, type Results } from './report.ts';
import { ChainDrift } from './drift.ts';
import { OwnPlacements } from './placed.ts';
import { chainVerdict, identityKept, readMask, type SampleResult } from './run.ts';

export interface RejudgeSummary {
  results: Results;
  /** rows whose verdict changed, by direction */
  gained: string[];
  lost: string[];
}

/** Judge again every synthetic row of `results` (written in `dir`) against the dataset at `data`. */
export async function rejudge(results: Results, dir: string, data: string = results.data): Promise<RejudgeSummary> {
  const bench = await loadBench(data);
  const rows = new Map(bench.rows.map((r) => [r.key, r]));
  const output = async (s: SampleResult, file: string): Promise<RGBImage> => {
    try {
      return await readImage(join(dir, file));
    } catch (err) {
      throw new UserError(`row '${s.key}': cannot read its saved output '${file}': ${(err as Error).message}`);
    }
  };
  const gained: string[] = [];
  const lost: string[] = [];
  const samples: SampleResult[] = [];
  for (const s of results.samples) {
    const truth = rows.get(s.key)?.truth;
    if (s.success === null) {
      samples.push(s); // a real KontextBench row: nothing to judge
      continue;
    }
    if (!truth) throw new UserError(`row '${s.key}' of the results is not in the dataset '${data}' (give --data)`);
    let next: SampleResult;
    if (!s.turns) {
      const v = judge(truth.edit, truth.scene_before, truth.scene_after, await output(s, s.output));
      next = { ...s, success: v.success, failures: v.failures };
    } else {
      if (truth.turns?.length !== s.turns.length)
        throw new UserError(`row '${s.key}': the dataset's turns do not match the results' (give the run's --data)`);
      const turns = [];
      const row = rows.get(s.key)!;
      let drift: ChainDrift | null = null;
      const placed = new OwnPlacements();
      for (const [k, t] of s.turns.entries()) {
        const raw = truth.turns[k]!;
        const want = placed.scenes(raw);
        const img = await output(s, t.output);
        const v = judge(want.edit, want.scene_before, want.scene_after, img);
        placed.record(want, img);
        const judged = {
          ...t,
          success: v.success,
          failures: v.failures,
          identity: identityKept(img, want.scene_after),
        };
        // the licensed drift of a run made before the bench had it, from its saved outputs
        if (t.licensedDriftPsnr === undefined) {
          drift ??= new ChainDrift(img.width);
          drift.turn(await readMask(dataPath(row, raw.mask_file)), raw.edit, raw.scene_after);
          const target = await readImage(dataPath(row, raw.target_file));
          judged.licensedDriftPsnr = drift.psnr(img, target).licensedDriftPsnr;
        }
        turns.push(judged);
      }
      next = { ...s, turns, ...chainVerdict(turns) };
    }
    if (next.success && !s.success) gained.push(s.key);
    if (!next.success && s.success) lost.push(s.key);
    samples.push(next);
  }
  const { model, modelSpec, synthetic, sawGroundTruth } = results;
  return {
    results: summarize(samples, { model, modelSpec, data: bench.root, synthetic, sawGroundTruth }),
    gained,
    lost,
  };
}
