// The shapes an edit leaves alone kept as the picture has them (src/world/shapes-seen.ts shapesKept, src/mini/
// preserve.ts keptShapesMask): where the model smudges a shape the instruction never named, the input's comes back
// whole; the shapes it names, and every shape of an edit that may change any, stay the model's.
import { describe, expect, it } from 'vitest';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { OBJECT_COLORS } from '../../src/world/palette.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { keptShapesMask } from '../../src/mini/preserve.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import type { SceneObject } from '../../src/world/scene.ts';
import { forEachInk, SIZES, type Style } from '../../src/world/shapes.ts';

const SMUDGE = [255, 0, 255] as const;

/** The pixels an object inks at 64 px (in its own style, or another: 'filled' for its silhouette). */
function pixels(o: SceneObject, style: Style = o.style): number[] {
  const out: number[] = [];
  const box = { cx: o.x * 64, cy: o.y * 64, half: (SIZES[o.size] * 64) / 2, unit: 1 };
  forEachInk(o.shape, style, box, 64, 64, (x, y) => out.push(y * 64 + x));
  return out;
}

describe('keptShapesMask', () => {
  it("is 1 on a kept shape's ink, not on the ground inside its outline, nor where it meets a shape named", () => {
    // a medium red square outlined at (8, 8) of a 32-px grey picture, and a filled one at (24, 24)
    const img = createImage(32, 32, [200, 200, 200]);
    const red = [...OBJECT_COLORS.red] as [number, number, number];
    const box = (x: number) => ({ cx: x, cy: x, half: (SIZES.medium * 32) / 2, unit: 0.5 });
    forEachInk('square', 'outline', box(8), 32, 32, (x, y) => img.data.set(red, (y * 32 + x) * 3));
    forEachInk('square', 'filled', box(24), 32, 32, (x, y) => img.data.set(red, (y * 32 + x) * 3));
    const kept = [
      { color: 'red', shape: 'square', size: 'medium', x: 0.25, y: 0.25 },
      { color: 'red', shape: 'square', size: 'medium', x: 0.75, y: 0.75 },
    ];
    const m = keptShapesMask(kept, img, 1);
    const inked = (p: number) => img.data[p * 3] === red[0];
    for (let p = 0; p < 32 * 32; p++) expect(m[p], `pixel ${p % 32}, ${Math.floor(p / 32)}`).toBe(inked(p) ? 1 : 0);
    expect(m[8 * 32 + 8]).toBe(0); // the ground inside the outline
    expect(m[24 * 32 + 24]).toBe(1);
    // a shape named over the first: its pixels are the model's
    const named = [{ color: 'blue', shape: 'circle', size: 'large', x: 0.25, y: 0.25 }];
    const n = keptShapesMask(kept, img, 1, named);
    expect(n.slice(0, 16 * 32).every((v) => v === 0)).toBe(true);
    expect(n[24 * 32 + 24]).toBe(1);
  });
});

describe('the editor keeps the shapes an edit leaves alone', () => {
  it('a smudge over the unnamed shapes of a recolour is the input there; over a restyle it stays', async () => {
    const ed = await MiniEditor.load();
    const samples = [...streamSamples({ split: 'test', seed: 3, families: ['local', 'global'], count: 120 })];
    const recolor = samples.find((s) => s.task === 'local.recolor' && s.before!.objects.length >= 2)!;
    const restyle = samples.find((s) => s.task === 'global.style' && s.before!.objects.length >= 2)!;
    const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    // the model's answer with these pixels smudged (every shape's silhouette: a model that smudged them all)
    let smudge: number[] = [];
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await run(reqs, o);
      const img: RGBImage = { ...r.images[0]!, data: r.images[0]!.data.slice() };
      for (const p of smudge) img.data.set(SMUDGE, p * 3);
      return { ...r, images: [img] };
    };
    const smudged = (img: RGBImage, p: number) => [...img.data.subarray(p * 3, p * 3 + 3)].join() === SMUDGE.join();

    const id = (recolor.edit as { id: number }).id;
    const named = recolor.before!.objects.filter((o) => o.id === id);
    const others = recolor.before!.objects.filter((o) => o.id !== id);
    expect(named.length, recolor.instruction).toBe(1);
    smudge = recolor.before!.objects.flatMap((o) => pixels(o, 'filled'));
    const a = (await ed.edit({ prompt: recolor.instruction, image: recolor.inputs[0], seed: 0 })).image;
    const input = recolor.inputs[0]!;
    for (const o of others)
      for (const p of pixels(o))
        expect([...a.data.subarray(p * 3, p * 3 + 3)], recolor.instruction).toEqual([
          ...input.data.subarray(p * 3, p * 3 + 3),
        ]);
    // the shape named is the model's
    expect(pixels(named[0]!, 'filled').every((p) => smudged(a, p))).toBe(true);

    // a restyle may change every shape: the model's smudge stays on each
    smudge = restyle.before!.objects.flatMap((o) => pixels(o, 'filled'));
    const b = (await ed.edit({ prompt: restyle.instruction, image: restyle.inputs[0], seed: 0 })).image;
    for (const o of restyle.before!.objects)
      expect(
        pixels(o, 'filled').every((p) => smudged(b, p)),
        restyle.instruction,
      ).toBe(true);
  });

  it("the shapes a background change leaves alone are the input's, not through the model's colour map", async () => {
    const ed = await MiniEditor.load();
    const bg = [...streamSamples({ split: 'test', seed: 3, families: ['global'], count: 120 })].find(
      (s) => s.task === 'global.background' && s.before!.objects.length >= 1 && s.before!.time === 'day',
    )!;
    const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    // the model's answer: the input's round trip with red and blue swapped everywhere — one colour map of the whole
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await run(reqs, o);
      const t = r.roundTrips[0]!;
      const data = t.data.slice();
      for (let i = 0; i < data.length; i += 3) [data[i], data[i + 2]] = [t.data[i + 2]!, t.data[i]!];
      return { ...r, images: [{ ...t, data }] };
    };
    const a = (await ed.edit({ prompt: bg.instruction, image: bg.inputs[0], seed: 0 })).image;
    const input = bg.inputs[0]!;
    const px = (img: RGBImage, p: number) => [...img.data.subarray(p * 3, p * 3 + 3)];
    for (const o of bg.before!.objects)
      for (const p of pixels(o)) expect(px(a, p), bg.instruction).toEqual(px(input, p));
    // the background is the model's: swapped
    const corner = px(input, 0);
    expect(px(a, 0)).not.toEqual(corner);
  });
});
