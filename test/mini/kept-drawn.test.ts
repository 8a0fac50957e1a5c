// The creature and the word an edit leaves alone, kept as the picture has them (src/mini/kept-drawn.ts, src/world/
// shapes-seen.ts drawnKept): their pixels are what the picture draws off its shapes; where the model wipes a word or a
// creature the edit never named, the input's comes back; one the edit names stays the model's; a photo keeps nothing.
import { describe, expect, it } from 'vitest';
import { answerFaintly } from './faint.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { keptDrawnMask, withRim } from '../../src/mini/kept-drawn.ts';
import { rowGrounds } from '../../src/mini/moved.ts';
import { grown, keptShapesMask, maskBox, silhouettes } from '../../src/mini/preserve.ts';
import { worldGrounds } from '../../src/mini/world-light.ts';
import { shapesSeen } from '../../src/mini/seen.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import type { Scene } from '../../src/world/scene.ts';

const samples = [...streamSamples({ split: 'test', seed: 5, families: ['local', 'global'], count: 400 })].filter(
  (s) => s.before && !s.before.grayscale && (s.before.text || s.before.character),
);
/** The pixels where a scene's word and creature are drawn: where it differs from the scene without them. */
function thingsOf(scene: Scene): Set<number> {
  const [all, bare] = [render(scene, 64), render({ ...scene, text: null, character: null }, 64)];
  const out = new Set<number>();
  for (let p = 0; p < 64 * 64; p++) if ([0, 1, 2].some((c) => all.data[p * 3 + c] !== bare.data[p * 3 + c])) out.add(p);
  return out;
}

describe('keptDrawnMask', () => {
  it("is the word's and the creature's pixels in test pictures, by day and by night; nothing in a photo", async () => {
    let [n, covered, inside, total, marked] = [0, 0, 0, 0, 0];
    for (const s of samples.slice(0, 40)) {
      const picture = s.inputs[0]!;
      const m = keptDrawnMask(picture, await shapesSeen(picture), { creature: true, word: true });
      const truth = thingsOf(s.before!);
      for (const p of truth) covered += m[p]!;
      for (let p = 0; p < m.length; p++) if (m[p]) [marked, inside] = [marked + 1, inside + (truth.has(p) ? 1 : 0)];
      total += truth.size;
      n++;
    }
    expect(n).toBeGreaterThan(20);
    expect(covered / total).toBeGreaterThan(0.9);
    expect(inside / marked).toBeGreaterThan(0.95);
    // a picture of no world's: noise, whose rows' medians are no background
    const data = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7919) % 251);
    const photo = { width: 64, height: 64, data };
    expect(keptDrawnMask(photo, [], { creature: true, word: true }).some((v) => v > 0)).toBe(false);
  });
});

/** The pixels a scene's word alone draws (its letters). */
const wordOf = (scene: Scene): Set<number> => {
  const others = thingsOf({ ...scene, text: null });
  return new Set([...thingsOf(scene)].filter((p) => !others.has(p)));
};

describe('keptDrawnMask on rows crowded with things', () => {
  it('marks no pixel of the ground, also where the creature and a wide shape cover more than half a row', async () => {
    let [crowded, onGround] = [0, 0];
    for (const s of samples) {
      const picture = s.inputs[0]!;
      // a row whose median is a thing's colour, not its ground
      const [medians, ground] = [rowGrounds(picture), worldGrounds(picture)];
      if (!medians.some((v, i) => Math.abs(v - ground[i]!) > 12)) continue;
      crowded++;
      const m = keptDrawnMask(picture, await shapesSeen(picture), { creature: true, word: true });
      const bare = render({ ...s.before!, objects: [], text: null, character: null }, 64);
      for (let p = 0; p < m.length; p++)
        if (m[p] && [0, 1, 2].every((c) => picture.data[p * 3 + c] === bare.data[p * 3 + c])) onGround++;
    }
    expect(crowded).toBeGreaterThan(5);
    expect(onGround).toBe(0);
  });
});

describe('withRim', () => {
  it('keeps the ground that goes with what is kept where the answer has the picture’s ground; none where the background changed', async () => {
    let [gaps, gapsKept, inside, insideKept, onNamed, n] = [0, 0, 0, 0, 0, 0];
    const keep = { creature: true, word: true };
    for (const s of samples.filter((x) => x.before!.text && x.before!.objects.length > 1).slice(0, 30)) {
      const [picture, scene] = [s.inputs[0]!, s.before!];
      const seen = await shapesSeen(picture);
      // every shape seen kept but the first, which the edit names
      const shapes = { kept: seen.slice(1), edited: seen.slice(0, 1) };
      const kept = Float32Array.from(keptShapesMask(shapes.kept, picture, 1, shapes.edited));
      const drawn = keptDrawnMask(picture, seen, keep);
      for (let p = 0; p < kept.length; p++) if (drawn[p]) kept[p] = 1;
      // an answer that left the ground as it was, up to the autoencoder's few levels
      const smudged = { ...picture, data: picture.data.map((v) => Math.min(255, v + 6)) };
      const m = withRim(kept, picture, shapes, smudged);
      for (let p = 0; p < m.length; p++) if (kept[p]) expect(m[p]).toBe(1);
      const things = thingsOf(scene);
      const bare = render({ ...scene, objects: [], text: null, character: null }, 64);
      const isGround = (p: number) => [0, 1, 2].every((c) => picture.data[p * 3 + c] === bare.data[p * 3 + c]);
      // the ground within the box of the word's letters: their holes and the gaps between them
      const mark = new Uint8Array(64 * 64);
      for (const p of wordOf(scene)) mark[p] = 1;
      const [x0, y0, x1, y1] = maskBox(mark, 64, 64)!;
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++)
          if (!things.has(y * 64 + x)) [gaps, gapsKept] = [gaps + 1, gapsKept + m[y * 64 + x]!];
      // the ground inside the shapes kept (an outline's, between a pattern's dots)
      const within = silhouettes(shapes.kept, 64, 64, 0);
      for (let p = 0; p < m.length; p++)
        if (within[p] && isGround(p)) [inside, insideKept] = [inside + 1, insideKept + m[p]!];
      // never a pixel of the shape named
      const named = silhouettes(shapes.edited, 64, 64, 1);
      for (let p = 0; p < m.length; p++) if (m[p] && named[p]) onNamed++;
      // nor where a thing kept lies within the rim of it (the world's margin keeps things apart; a thing the model
      // drew beside the named shape need not be): kept on a ring around the named shape, the rim stops at it
      const ring = grown(named, 64, 64, 2).map((v, p) => (v && !named[p] ? 1 : 0));
      const beside = withRim(Float32Array.from(ring), picture, shapes, smudged);
      for (let p = 0; p < beside.length; p++) if (beside[p] && named[p]) onNamed++;
      // the background changed: what is kept alone
      const color = scene.background.kind === 'solid' && scene.background.color === 'sky' ? 'peach' : 'sky';
      const other = render({ ...scene, background: { kind: 'solid', color } }, 64);
      expect(withRim(kept, picture, shapes, other)).toEqual(kept);
      n++;
    }
    expect(n).toBeGreaterThan(15);
    expect(gapsKept / gaps).toBeGreaterThan(0.95);
    expect(insideKept / inside).toBeGreaterThan(0.95);
    expect(onNamed).toBe(0);
  });
});

describe('the editor', () => {
  it('keeps a word and a creature the model wiped where the edit names neither; not the word a text edit names', async () => {
    const ed = await MiniEditor.load();
    const s = samples.find((x) => x.task === 'global.background' && x.before!.time === 'day' && x.before!.text)!;
    const picture = s.inputs[0]!;
    // the model's answer: the edit made, the word and the creature wiped
    const wiped = render({ ...s.after, text: null, character: null }, 64);
    const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    ed.pipe.runWithRoundTrips = async (reqs, o) => ({ ...(await run(reqs, o)), images: [wiped] });
    const things = [...thingsOf(s.before!)];
    const at = (img: RGBImage) => things.map((p) => [...img.data.subarray(p * 3, p * 3 + 3)]);
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    const kept = things.filter((_, i) => at(out)[i]!.join() === at(picture)[i]!.join()).length;
    expect(kept / things.length).toBeGreaterThan(0.9);
    // a text edit names the word: the model's answer stays there
    const word = things.filter((p) => !thingsOf({ ...s.before!, text: null }).has(p));
    const text = (await ed.edit({ prompt: 'make the text red', image: picture, seed: 0 })).image;
    const same = word.filter((p) => [0, 1, 2].every((c) => text.data[p * 3 + c] === picture.data[p * 3 + c])).length;
    expect(same / word.length).toBeLessThan(0.5);
  });

  it('keeps the ground between and around a kept word’s letters where the model smudged it (withRim)', async () => {
    const ed = await MiniEditor.load();
    const s = samples.find((x) => x.task === 'local.recolor' && x.before!.text && x.before!.time === 'day')!;
    const picture = s.inputs[0]!;
    // the model's answer: the recolour not made (an edit made is taken alone, and nothing else of the answer is), the
    // ground within a pixel of the word's letters smudged past the edit mask's threshold (the autoencoder's smudge
    // beside a stroke)
    const letters = new Uint8Array(64 * 64);
    for (const p of wordOf(s.before!)) letters[p] = 1;
    const things = thingsOf(s.before!);
    const near = grown(letters, 64, 64, 1);
    const rim = [...near.keys()].filter((p) => near[p] && !things.has(p));
    const smudged = { ...picture, data: Uint8Array.from(picture.data) };
    for (const p of rim)
      for (let c = 0; c < 3; c++) smudged.data[p * 3 + c] = Math.max(0, smudged.data[p * 3 + c]! - 80);
    answerFaintly(ed, smudged, () => true, 1); // the model answers `smudged` itself
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    const same = (p: number) => [0, 1, 2].every((c) => out.data[p * 3 + c] === picture.data[p * 3 + c]);
    expect(rim.length).toBeGreaterThan(20);
    expect(rim.filter(same).length / rim.length).toBeGreaterThan(0.95);
  });
});
