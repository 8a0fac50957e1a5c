// A moved shape the model copied from the picture, taken from the picture at its new place (src/mini/moved.ts
// snapMoved): found at the world's own offset in a faint copy of the target, laid there as the picture has it; an
// answer that left the shape where it was, or wiped it, takes nothing. And the editor lays it over its answer.
import { describe, expect, it } from 'vitest';
import { answerFaintly, faintly, under, withStray } from './faint.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { judge } from '../../src/bench/analyze.ts';
import { creatureSprite, intoCell, MOVED_RIM, NUDGE, snapMoved } from '../../src/mini/moved.ts';
import { grown, keptShapesMask, silhouettes } from '../../src/mini/preserve.ts';
import { characterRect, type Region, REGIONS, regionRect, sceneIsValid } from '../../src/world/scene.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import type { Sample } from '../../src/world/dataset.ts';

const moves = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 300 })].filter(
  (s) => s.task === 'local.move',
);

/** The moved object of a sample, before and after, and its ink and surroundings in the picture. */
function moved(s: Sample) {
  const id = (s.edit as { id: number }).id;
  const before = s.before!.objects.find((o) => o.id === id)!;
  const after = s.after.objects.find((o) => o.id === id)!;
  const shape = { ...before, color: before.color as string };
  const sprite = keptShapesMask([shape], s.inputs[0]!, 1);
  return { before, after, sprite, around: silhouettes([shape], 64, 64, 1 + MOVED_RIM) };
}

describe('snapMoved', () => {
  it("finds a faint copy at the world's offset and lays the target's pixels there; a shape left or wiped takes nothing", () => {
    let [taken, whole] = [0, 0];
    for (const s of moves) {
      const picture = s.inputs[0]!;
      const { before, after, sprite, around } = moved(s);
      const [wx, wy] = [(after.x - before.x) * 64, (after.y - before.y) * 64];
      const faint = snapMoved(faintly(s.target, picture), picture, sprite, around);
      // a move by whole pixels (as the model was trained to move: by whole token cells) draws the same pixels shifted:
      // found there, and every pixel laid is the target's; one by half a pixel draws thin strokes otherwise, and is
      // found (within a pixel) where enough of them agree
      const byWhole = Number.isInteger(wx) && Number.isInteger(wy);
      if (byWhole) expect(faint.taken, s.instruction).not.toBeNull();
      if (faint.taken) {
        taken++;
        const [dx, dy] = faint.offset!;
        expect(Math.abs(dx - wx) <= 1 && Math.abs(dy - wy) <= 1, s.instruction).toBe(true);
      }
      if (byWhole) {
        expect(faint.offset, s.instruction).toEqual([wx, wy]);
        const laid = [...faint.taken!.mask.keys()].filter((p) => faint.taken!.mask[p]);
        for (const p of laid)
          expect([...faint.taken!.image.data.subarray(p * 3, p * 3 + 3)], s.instruction).toEqual([
            ...s.target.data.subarray(p * 3, p * 3 + 3),
          ]);
        whole++;
      }
      // the shape left where it was, or wiped: nothing
      expect(snapMoved(picture, picture, sprite, around).taken, s.instruction).toBeNull();
      const wiped = render({ ...s.before!, objects: s.before!.objects.filter((o) => o !== before) }, 64);
      expect(snapMoved(wiped, picture, sprite, around).taken, s.instruction).toBeNull();
    }
    expect(whole).toBeGreaterThan(10);
    expect(taken / moves.length).toBeGreaterThan(0.8);
  });
});

const places = [...streamSamples({ split: 'test', seed: 5, families: ['character'], count: 160 })].filter(
  (s) => s.task === 'character.place',
);
const seenIn = (s: Sample) => s.before!.objects.map((o) => ({ ...o, color: o.color as string }));

describe('creatureSprite', () => {
  it("is the creature's pixels, inside its box; nothing in a picture without one", () => {
    let inBox = 0;
    for (const s of places) {
      const sprite = creatureSprite(s.inputs[0]!, seenIn(s))!;
      expect(sprite, s.instruction).not.toBeNull();
      const [x0, y0, x1, y1] = characterRect(s.before!.character!).map((v) => v * 64) as [
        number,
        number,
        number,
        number,
      ];
      const px = [...sprite.keys()].filter((p) => sprite[p]);
      const inside = px.filter((p) => p % 64 >= x0 - 1 && p % 64 <= x1 + 1 && p >> 6 >= y0 - 1 && p >> 6 <= y1 + 1);
      if (inside.length === px.length && px.length > 0.3 * (x1 - x0) * (y1 - y0)) inBox++;
    }
    expect(places.length).toBeGreaterThan(20);
    expect(inBox / places.length).toBeGreaterThan(0.95);
    let none = 0;
    const without = moves.filter((s) => !s.before!.character);
    for (const s of without) if (creatureSprite(s.inputs[0]!, seenIn(s)) === null) none++;
    expect(none / without.length).toBeGreaterThan(0.9);
  });

  it("finds a faint copy of a creature moved at its own size at the world's offset", () => {
    let [n, found] = [0, 0];
    for (const s of places) {
      const [a, b] = [s.before!.character!, s.after.character!];
      if (a.size !== b.size) continue;
      const picture = s.inputs[0]!;
      const sprite = creatureSprite(picture, seenIn(s))!;
      const r = snapMoved(faintly(s.target, picture), picture, sprite, grown(sprite, 64, 64, 1 + MOVED_RIM));
      expect(snapMoved(picture, picture, sprite).taken, s.instruction).toBeNull();
      n++;
      if (r.offset && Math.abs(r.offset[0] - (b.x - a.x) * 64) <= 1 && Math.abs(r.offset[1] - (b.y - a.y) * 64) <= 1)
        found++;
    }
    expect(n).toBeGreaterThan(10);
    expect(found / n).toBeGreaterThan(0.9);
  });
});

/**
 * The old place `old` of a thing moved (1 = its pixels), where the copy taken does not cover it, is the ground in the
 * editor's output `out` as the picture shows it (a solid background) — at more than `min` pixels —, where the model's
 * answer `faint` showed a ghost.
 */
function expectGroundAt(
  old: ArrayLike<number>,
  copy: { mask: ArrayLike<number> },
  out: RGBImage,
  faint: RGBImage,
  picture: RGBImage,
  min: number,
) {
  const ground = [...picture.data.subarray(0, 3)];
  let checked = 0;
  for (let p = 0; p < 64 * 64; p++)
    if (old[p] && !copy.mask[p]) {
      expect([...out.data.subarray(p * 3, p * 3 + 3)], `pixel ${p}`).toEqual(ground);
      checked++;
    }
  expect(checked).toBeGreaterThan(min);
  expect([...Array(64 * 64).keys()].some((p) => old[p] && !copy.mask[p] && faint.data[p * 3] !== ground[0])).toBe(true);
}

describe('the editor', () => {
  it("lays a moved shape the model copied over its answer, redrawn there as the world draws it: the target's pixels; the raw answer is the model's", async () => {
    const ed = await MiniEditor.load();
    const s = moves.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target);
    const { sprite, around } = moved(s);
    const laid = snapMoved(faintly(s.target, picture), picture, sprite, around).taken!;
    const at = (img: RGBImage) => under(laid.mask, img);
    const edit = (preserve = true) => ed.edit({ prompt: s.instruction, image: picture, seed: 0, preserve });
    expect(at((await edit()).image)).toEqual(at(s.target));
    expect(at((await edit(false)).image)).not.toEqual(at(s.target));
  });

  it('lays the ground at the old place of a shape it moved, where the answer left a ghost, under the copy', async () => {
    const ed = await MiniEditor.load();
    const s = moves.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target);
    const { before, sprite, around } = moved(s);
    const copy = snapMoved(faintly(s.target, picture), picture, sprite, around).taken!;
    const old = silhouettes([{ ...before, color: before.color as string }], 64, 64, 1);
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    expectGroundAt(old, copy, out, faintly(s.target, picture), picture, 20);
  });

  it('keeps the picture everywhere but the old place and the new of a shape it moved: a stray fragment in the answer is not taken', async () => {
    const ed = await MiniEditor.load();
    const s = moves.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    // a 3×3 fragment on ground far from its old place and its new
    const stray = withStray(s.target, picture).image;
    answerFaintly(ed, stray);
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    expect(out.data).toEqual(s.target.data);
  });

  it('lays a creature the model moved at its own size over its answer', async () => {
    const ed = await MiniEditor.load();
    const s = places.find((x) => x.before!.character!.size === x.after.character!.size)!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target);
    const sprite = creatureSprite(picture, seenIn(s))!;
    const laid = snapMoved(faintly(s.target, picture), picture, sprite, grown(sprite, 64, 64, 1 + MOVED_RIM)).taken!;
    const at = (img: RGBImage) => under(laid.mask, img);
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    expect(at(out)).toEqual(at(laid.image));
  });

  it("lays the ground at the creature's old place, where the answer left a ghost, and takes nothing else of the answer", async () => {
    const ed = await MiniEditor.load();
    const sameSize = places.filter((x) => x.before!.character!.size === x.after.character!.size);
    const s = sameSize.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    // the faint copy of the target, with a 3×3 stray fragment on the ground far from both places
    const { image: stray, spot } = withStray(s.target, picture);
    answerFaintly(ed, stray);
    const sprite = creatureSprite(picture, seenIn(s))!;
    const around = grown(sprite, 64, 64, 1 + MOVED_RIM);
    const copy = snapMoved(faintly(stray, picture), picture, sprite, around).taken!;
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    expectGroundAt(sprite, copy, out, faintly(stray, picture), picture, 100);
    // and the fragment the faint answer shows is the picture's
    const fragment = new Uint8Array(64 * 64).map((_, p) => +spot.includes(p));
    expect(under(fragment, out)).toEqual(under(fragment, picture));
  });
});

describe('a move just across the border of the cell named', () => {
  it('intoCell nudges a centre up to NUDGE pixels out of the cell into it, and leaves one inside or farther out', () => {
    // the center cell spans 21.33–42.67 px at 64 px; a centre at x = 20 (1.3 px out) goes 2 px inside
    expect(intoCell([0, 0], 20, 32, 'center', 64, 64)).toEqual([3, 0]);
    expect(intoCell([-4, 2], 24, 30, 'center', 64, 64)).toEqual([-1, 2]);
    expect(intoCell([0, 0], 32, 45, 'center', 64, 64)).toEqual([0, -4]); // 2.3 below: to 41
    expect(intoCell([0, 0], 30, 30, 'center', 64, 64)).toEqual([0, 0]); // inside
    expect(intoCell([0, 0], 21.33 - NUDGE - 0.5, 32, 'center', 64, 64)).toEqual([0, 0]); // farther out: another place
    expect(intoCell([0, 0], 20, 32, null, 64, 64)).toEqual([0, 0]); // no cell named
    // at twice the size, in its pixels
    expect(intoCell([0, 0], 40, 64, 'center', 128, 128)).toEqual([7, 0]);
  });

  it('the editor lays a shape the model moved or added 2 pixels across the border inside the cell (a success), one 8 pixels across where the model put it (a failure)', async () => {
    const adds = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 300 })].filter(
      (x) => x.task === 'local.add',
    );
    for (const rows of [moves, adds]) {
      let n = 0;
      for (const s of rows.filter((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')) {
        const { edit } = s as { edit: { id: number; region: Region } };
        const o = s.after.objects.find((p) => p.id === edit.id)!;
        const [x0, y0, x1, y1] = regionRect(edit.region);
        // the border of the cell nearest the world's place that has another cell past it, and a place `px` past it
        const borders = (
          [
            ['x', x0, -1],
            ['x', x1, 1],
            ['y', y0, -1],
            ['y', y1, 1],
          ] as const
        ).filter(([, b]) => b > 0 && b < 1);
        const [axis, b, dir] = borders.reduce((m, c) => (Math.abs(o[c[0]] - c[1]) < Math.abs(o[m[0]] - m[1]) ? c : m));
        const across = (px: number) => ({
          ...s.after,
          objects: s.after.objects.map((p) => (p.id === edit.id ? { ...p, [axis]: b + (dir * px) / 64 } : p)),
        });
        if (!sceneIsValid(across(2)) || !sceneIsValid(across(8))) continue;
        const answer = async (px: number) => {
          const ed = await MiniEditor.load();
          answerFaintly(ed, render(across(px), 64), () => true, 0.8);
          return (await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 0 })).image;
        };
        expect(judge(s.edit, s.before, s.after, await answer(2)), s.instruction).toMatchObject({ success: true });
        const far = judge(s.edit, s.before, s.after, await answer(8));
        expect(far.failures, s.instruction).toContainEqual(expect.stringMatching(/^no .* in the /));
        if (++n === 3) break;
      }
      expect(n).toBe(3);
    }
  });
});

describe('a move beside another shape', () => {
  it('is made as the move to the cell beside it, and said; one with no cell there is said too', async () => {
    const ed = await MiniEditor.load();
    const s = [...streamSamples({ split: 'test', seed: 2, families: ['local'], count: 200 })].find(
      (x) => x.task === 'local.move' && x.before!.objects.length >= 2,
    )!;
    const img = s.inputs[0]!;
    const seen = await ed.shapesIn(img);
    // the moved shape and another, from the picture as read; the cell beside the other's, on a side the grid has
    const [moved, other] = [seen[0]!, seen[1]!];
    const [col, row] = [Math.floor(other.x! * 3), Math.floor(other.y! * 3)];
    const side = col < 2 ? (['to the right of', 1] as const) : (['to the left of', -1] as const);
    const cell = REGIONS[row * 3 + col + side[1]]!;
    const typed = `move the ${moved.color} ${moved.shape} ${side[0]} the ${other.color} ${other.shape}`;
    const world = `move the ${moved.color} ${moved.shape} ${cell === 'center' ? 'to the center' : `to the ${cell}`}`;
    const r = await ed.edit({ prompt: typed, image: img, seed: 0 });
    const w = await ed.edit({ prompt: world, image: img, seed: 0 });
    expect(r.edits).toEqual([world]);
    expect([...r.image.data]).toEqual([...w.image.data]);
    expect(ed.checkPrompt(typed, { seen }).note).toContain(`read "${typed}" as "${world}": the cell ${side[0]} the`);
  });
});
