// Sampling again where the answer does not show the edit (src/mini/editor.ts, MiniEditOptions.retries): the output
// step reads the edit asked (a shape recoloured, taken away, added or moved; the picture greyed) in each answer, and
// where the model left the picture as it was, the editor asks it again at the next seed and keeps the first answer
// that shows the edit — judged a success by the bench where the first answer alone is not; a background change is
// read in the answer's ground. An answer that never shows it gives the first back, and an edit none of them reads
// (a word recoloured) is sampled once.
import { describe, expect, it } from 'vitest';
import { mix, withStray } from './faint.ts';
import { judge } from '../../src/bench/analyze.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { streamSamples, type Sample } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import type { Style } from '../../src/world/shapes.ts';

const local = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 200 })];
const global = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 200 })];
const text = [...streamSamples({ split: 'test', seed: 5, families: ['text'], count: 50 })];
const first = (rows: Sample[], task: string) => rows.find((s) => s.task === task)!;

/**
 * The editor, its model answering try i (0, 1, …) with the input's round trip (the picture left) where `shows(i)` is
 * false, else with a copy of the target `share` (80 %) of the way from it (of `partly` where it is given and
 * `shows(i)` is 'partly'), each answer then passed through `touch(i, answer)`; the seeds it was asked at, in order.
 */
async function editorAnswering(
  target: RGBImage,
  shows: (i: number) => boolean | 'partly',
  partly: RGBImage = target,
  share = 0.8,
  touch: (i: number, answer: RGBImage) => RGBImage = (_, answer) => answer,
) {
  const ed = await MiniEditor.load();
  const seeds: number[] = [];
  const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
  ed.pipe.runWithRoundTrips = async (reqs, o) => {
    const r = await run(reqs, o);
    const left = r.roundTrips[0]!;
    const i = seeds.push(reqs[0]!.seed) - 1;
    const shown = shows(i);
    return { ...r, images: [touch(i, shown ? mix(shown === 'partly' ? partly : target, left, share) : left)] };
  };
  return { ed, seeds };
}

/**
 * Sample `s`'s edit at seed 7 with `retries`, the model answering as editorAnswering's (its other arguments): whether
 * the bench judges the answer a success, the seeds the model was asked at and the seed reported.
 */
async function judgedEdit(s: Sample, retries: number, ...answering: Parameters<typeof editorAnswering>) {
  const { ed, seeds } = await editorAnswering(...answering);
  const out = await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 7, retries });
  return { success: judge(s.edit, s.before, s.after, out.image).success, seeds, seed: out.seed };
}

describe('retries', () => {
  it('asks again at the next seed where the first answer left the picture, and the second answer is laid: a success where the first alone is not (a shape recoloured, taken away, added, moved, the picture greyed, a word recoloured)', async () => {
    const rows = ['local.recolor', 'local.remove', 'local.add', 'local.move'].map((t) => first(local, t));
    rows.push(first(global, 'global.grayscale'), first(text, 'text.recolor'));
    for (const s of rows) {
      const edit = (retries: number) => judgedEdit(s, retries, s.target, (i) => i === 1);
      const once = await edit(0);
      expect(once.seeds, s.instruction).toEqual([7]);
      expect(once.success, s.instruction).toBe(false);
      const again = await edit(2);
      // the second answer showed the edit: no third asked
      expect(again.seeds, s.instruction).toEqual([7, 8]);
      expect(again.success, s.instruction).toBe(true);
      // the seed asked is the one reported: the same seed makes the same answer
      expect(again.seed).toBe(7);
    }
  });

  it('asks again where the answer restyled one shape of three, and lays the answer that restyled them all', async () => {
    const s = global.find((g) => g.task === 'global.style' && g.before!.objects.length >= 3)!;
    const to = (s.edit as { to: Style }).to;
    const [one, ...rest] = s.before!.objects;
    const partly = render({ ...s.before!, objects: [{ ...one!, style: to }, ...rest] }, 64);
    const edit = (retries: number) => judgedEdit(s, retries, s.target, (i) => (i === 0 ? 'partly' : true), partly);
    expect(await edit(0)).toMatchObject({ success: false, seeds: [7] });
    expect(await edit(2)).toMatchObject({ success: true, seeds: [7, 8] });
  });

  it('gives the first answer back where none shows the edit, after asking as many times as allowed', async () => {
    const s = first(local, 'local.recolor');
    const none = await editorAnswering(s.target, () => false);
    const out = await none.ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 2 });
    expect(none.seeds).toEqual([3, 4, 5]);
    const alone = await editorAnswering(s.target, () => false);
    const once = await alone.ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 0 });
    expect(out.image.data).toEqual(once.image.data);
    // a later try that shows as little does not replace the first: answers that differ (a patch of another colour on
    // the ground at each try), none showing the edit — the first's patch is given
    const colors = [
      [230, 30, 30],
      [30, 230, 30],
      [30, 30, 230],
    ];
    const { spot } = withStray(s.target, s.inputs[0]!);
    const patch = (i: number, answer: RGBImage) => {
      const data = Uint8Array.from(answer.data);
      for (const p of spot) data.set(colors[i]!, p * 3);
      return { ...answer, data };
    };
    const patched = await editorAnswering(s.target, () => false, s.target, 0.8, patch);
    const firstKept = await patched.ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 2 });
    expect(patched.seeds.length).toBe(3);
    expect([...firstKept.image.data.subarray(spot[4]! * 3, spot[4]! * 3 + 3)]).toEqual(colors[0]);
    // and says so: the edit as made (the shape named as the picture shows it), that no answer showed
    expect(out.unshown).toEqual([out.edits?.[0] ?? s.instruction]);
    expect(once.unshown).toEqual(out.unshown);
    // with the tries each was given
    expect([out.tries, once.tries]).toEqual([3, 1]);
    // an answer that shows it, at the second try: nothing to say
    const shown = await editorAnswering(s.target, (i) => i === 1);
    const seen = await shown.ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 2 });
    expect([seen.unshown, seen.tries]).toEqual([undefined, undefined]);
    // nor for an edit no reader reads (nothing to tell shown from not)
    const plain = await editorAnswering(s.target, () => false);
    expect((await plain.ed.edit({ prompt: 'make it look nicer', image: s.inputs[0]!, seed: 3 })).unshown).toBe(
      undefined,
    );
  });

  it('says one try for a tone edit the answer does not show where the input is not kept (none asked again)', async () => {
    const s = first(global, 'global.grayscale');
    // the model's answers never grey (without the round trip the output step compares with: it keeps nothing)
    const ed = await MiniEditor.load();
    const seeds: number[] = [];
    const run = ed.pipe.run.bind(ed.pipe);
    ed.pipe.run = async (reqs, o) => {
      seeds.push(reqs[0]!.seed);
      await run(reqs, o);
      return [s.inputs[0]!];
    };
    const r = await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 2, preserve: false });
    expect(seeds).toEqual([3]);
    expect([r.unshown, r.tries]).toEqual([[s.instruction], 1]);
  });

  it('asks again where the answer kept the old background, and gives the answer that shows the one asked', async () => {
    const s = first(global, 'global.background');
    const edit = (retries: number) => judgedEdit(s, retries, s.target, (i) => i === 1, s.target, 1);
    expect(await edit(0)).toMatchObject({ success: false, seeds: [7] });
    expect(await edit(2)).toMatchObject({ success: true, seeds: [7, 8] });
  });

  it('samples an edit the output step does not read once, and each further try at seed + k × candidates', async () => {
    const s = first(local, 'local.recolor');
    // an edit no reader of the output step reads (no thing, colour, word or background of the world named)
    const plain = await editorAnswering(s.target, () => false);
    await plain.ed.edit({ prompt: 'make it look nicer', image: s.inputs[0]!, seed: 3, retries: 2 });
    expect(plain.seeds).toEqual([3]);
    const best = await editorAnswering(s.target, () => false);
    await best.ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 3, retries: 2, candidates: 2 });
    expect(best.seeds).toEqual([3, 5, 7]);
  });

  it("counts each try's steps in the progress, its total growing with each, never past it", async () => {
    const s = first(local, 'local.recolor');
    const { ed } = await editorAnswering(s.target, (i) => i === 2);
    const steps: [number, number][] = [];
    await ed.edit({
      prompt: s.instruction,
      image: s.inputs[0]!,
      seed: 0,
      retries: 4,
      onStep: (step, total) => steps.push([step, total]),
    });
    const per = ed.pipe.progressTotal();
    expect(steps).toHaveLength(3 * per);
    expect(steps.at(-1)).toEqual([3 * per, 3 * per]);
    steps.forEach(([step, total], i) => {
      expect(step).toBe(i + 1);
      expect(step).toBeLessThanOrEqual(total);
    });
  });

  it('counts on through several edits made one after the other, each sampled as often as it is', async () => {
    const s = first(local, 'local.recolor');
    const { ed, seeds } = await editorAnswering(s.target, () => false);
    const steps: [number, number][] = [];
    const prompt = `${s.instruction} and make the background sky blue`;
    const r = await ed.edit({
      prompt,
      image: s.inputs[0]!,
      seed: 0,
      retries: 2,
      onStep: (step, total) => steps.push([step, total]),
    });
    // the recolour and the background three times each (never shown), and both said
    expect(seeds).toHaveLength(6);
    expect(r.unshown).toEqual(r.edits);
    expect(r.tries).toBe(3);
    expect(r.edits).toHaveLength(2);
    const per = ed.pipe.progressTotal();
    expect(steps.at(-1)).toEqual([6 * per, 6 * per]);
    steps.forEach(([step, total], i) => {
      expect(step).toBe(i + 1);
      expect(step).toBeLessThanOrEqual(total);
    });
  });
});
