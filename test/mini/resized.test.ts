// A resized shape the model drew, taken as the picture's own shape scaled (src/mini/resized.ts snapResized): in a faint
// copy of the target it is found and laid at the size asked, and reads back as the world's shape at that size; an
// answer that left the shape, wiped it or drew it in a far colour takes nothing. And the editor lays it over its
// answer. A creature moved and resized likewise, found wherever the answer drew it.
import { describe, expect, it } from 'vitest';
import { answerFaintly, faintly, under, withStray } from './faint.ts';
import { judge, lookOf, objectPresent } from '../../src/bench/analyze.ts';
import { readFileSync } from 'node:fs';
import { readImage, type RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { creatureSprite, rowGrounds } from '../../src/mini/moved.ts';
import { silhouettes } from '../../src/mini/preserve.ts';
import { snapCreatureResized, snapResized } from '../../src/mini/resized.ts';
import { shapesSeen } from '../../src/mini/seen.ts';
import { worldGrounds } from '../../src/mini/world-light.ts';
import { streamSamples, type Sample } from '../../src/world/dataset.ts';
import { OBJECT_COLOR_NAMES, OBJECT_COLORS, type RGB } from '../../src/world/palette.ts';
import { render } from '../../src/world/render.ts';
import type { Scene, SceneObject } from '../../src/world/scene.ts';
import { asWorldNames, resizedShape } from '../../src/world/shapes-seen.ts';
import { SIZES } from '../../src/world/shapes.ts';

const resizes = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 400 })].filter(
  (s) => s.task === 'local.resize',
);

/** The resized object of a sample, before and after, and the scale the resize asks. */
function resized(s: Sample) {
  const id = (s.edit as { id: number }).id;
  const before = s.before!.objects.find((o) => o.id === id)!;
  const after = s.after.objects.find((o) => o.id === id)!;
  return {
    before,
    after,
    shape: { ...before, color: before.color as string },
    scale: SIZES[after.size] / SIZES[before.size],
  };
}

describe('snapResized', () => {
  it('takes a faint copy of the target as the shape at the size asked; a shape left, wiped or drawn in a far colour takes nothing', () => {
    let [taken, reads] = [0, 0];
    for (const s of resizes) {
      const picture = s.inputs[0]!;
      const { before, after, shape, scale } = resized(s);
      const faint = snapResized(faintly(s.target, picture), picture, shape, scale);
      if (faint.taken) {
        taken++;
        // laid from the picture's own pixels, it reads back as the world's shape at its new size, at its place
        if (objectPresent(faint.taken.image, after, lookOf(s.after), 'place')) reads++;
        const [dx, dy] = faint.offset!;
        expect(Math.abs(dx) <= 1 && Math.abs(dy) <= 1, s.instruction).toBe(true);
      }
      expect(snapResized(picture, picture, shape, scale).taken, s.instruction).toBeNull();
      const wiped = render({ ...s.before!, objects: s.before!.objects.filter((o) => o !== before) }, 64);
      expect(snapResized(wiped, picture, shape, scale).taken, s.instruction).toBeNull();
      // drawn at its new size in the colour farthest from its own (a neighbouring hue, red for orange, is within
      // what a faint copy's colour can tell)
      const far = (c: RGB) => (c[0] - own[0]) ** 2 + (c[1] - own[1]) ** 2 + (c[2] - own[2]) ** 2;
      const own = OBJECT_COLORS[before.color];
      const other = OBJECT_COLOR_NAMES.reduce((a, b) => (far(OBJECT_COLORS[b]) > far(OBJECT_COLORS[a]) ? b : a));
      const recoloured = render(
        { ...s.after, objects: s.after.objects.map((o) => (o === after ? { ...o, color: other } : o)) },
        64,
      );
      expect(snapResized(recoloured, picture, shape, scale).taken, s.instruction).toBeNull();
    }
    expect(resizes.length).toBeGreaterThan(20);
    expect(taken / resizes.length).toBeGreaterThan(0.8);
    expect(reads / taken).toBeGreaterThan(0.9);
  });

  it("takes a blob of the shape's colour spread to the size asked, which the pixels' reading does not (a large outlined triangle drawn as a rounded ring); at another size, away from the shape, a sliver of it or a filled one's ring, the spread takes nothing", () => {
    let [blobs, taken, bySpread, reads, checked] = [0, 0, 0, 0, 0];
    for (const s of resizes) {
      const picture = s.inputs[0]!;
      const { before, after, shape, scale } = resized(s);
      if (after.shape === 'circle') continue;
      blobs++;
      // the shape asked drawn as a circle of its colour and style, faintly: the model's blob
      const blob = (o: Partial<SceneObject>) =>
        faintly(
          render(
            { ...s.after, objects: s.after.objects.map((x) => (x === after ? { ...x, shape: 'circle', ...o } : x)) },
            64,
          ),
          picture,
        );
      // what the spread takes that the pixels' reading does not
      const spreadOnly = (img: RGBImage) =>
        snapResized(img, picture, shape, scale).taken && !snapResized(img, picture, shape, scale, 1, false).taken;
      const r = snapResized(blob({}), picture, shape, scale);
      if (r.taken) {
        taken++;
        if (spreadOnly(blob({}))) bySpread++;
        // laid from the picture's own pixels: the world's shape at its new size, at its place
        if (objectPresent(r.taken.image, after, lookOf(s.after), 'place')) reads++;
      }
      // the third of the world's sizes (neither the one seen nor the one asked), and at the size asked across the
      // picture from the shape
      const other = (['small', 'medium', 'large'] as const).find((k) => k !== before.size && k !== after.size)!;
      expect(spreadOnly(blob({ size: other })), `${s.instruction} (${other})`).toBeFalsy();
      // at the size asked, but only a sliver of it (its left edge): its spread is the size asked, its ink too little
      const sliver = blob({});
      const edge = (after.x - 0.6 * (SIZES[after.size] / 2)) * 64;
      for (let p = 0; p < 64 * 64; p++)
        if (p % 64 > edge) sliver.data.set(picture.data.subarray(p * 3, p * 3 + 3), p * 3);
      expect(spreadOnly(sliver), `${s.instruction} (a sliver)`).toBeFalsy();
      // a filled shape drawn small as a ring: it spreads as far all round, showing little of its ink (a larger ring
      // shows a quarter or more of a filled shape's: the pixels' reading asks no more of a shape it scales)
      if (before.style === 'filled' && after.size === 'small')
        expect(spreadOnly(blob({ style: 'outline' })), `${s.instruction} (a ring)`).toBeFalsy();
      if (Math.hypot(1 - 2 * after.x, 1 - 2 * after.y) > 0.5) {
        checked++;
        expect(spreadOnly(blob({ x: 1 - after.x, y: 1 - after.y })), `${s.instruction} (away)`).toBeFalsy();
      }
    }
    expect(blobs).toBeGreaterThan(15);
    expect(checked).toBeGreaterThan(5);
    // (71 blobs of the test scenes: 29 taken by the pixels' reading, 15 more by the spread — a circle is not every
    // shape's blob: a star's or a cross's spreads less than its points —, none at another size or away)
    expect(taken / blobs).toBeGreaterThan(0.5);
    expect(bySpread).toBeGreaterThan(8);
    expect(reads / taken).toBeGreaterThan(0.9);
  });

  it("takes the model's own blobs at the size asked, which the pixels' reading does not: laid, they read as the shape at that size, in place", async () => {
    // the model's answers (at the seed and try each names) to resizes of its own chains: a ring for a large
    // circle or outlined triangle, a blob for a large or a small cross (fixtures/resize-blobs)
    const dir = 'test/mini/fixtures/resize-blobs';
    const cases: { name: string; instruction: string }[] = JSON.parse(readFileSync(`${dir}/cases.json`, 'utf8'));
    expect(cases.length).toBe(4);
    for (const c of cases) {
      const [picture, answer] = await Promise.all(
        ['picture', 'answer'].map((f) => readImage(`${dir}/${c.name}-${f}.png`)),
      );
      const seen = await shapesSeen(picture!);
      const asked = resizedShape(asWorldNames(c.instruction, seen), seen)!;
      const scale = SIZES[asked.to] / SIZES[asked.shape.size as keyof typeof SIZES];
      expect(snapResized(answer!, picture!, asked.shape, scale, 1, false).taken, c.name).toBeNull();
      const laid = snapResized(answer!, picture!, asked.shape, scale).taken!;
      const { shape, color, x, y } = asked.shape;
      const read = (await shapesSeen(laid.image)).find((o) => o.shape === shape && o.color === color);
      expect([read?.size, Math.abs(read!.x! - x!) < 0.03, Math.abs(read!.y! - y!) < 0.03], c.name).toEqual([
        asked.to,
        true,
        true,
      ]);
      // and what else the picture draws around it (the creature beside the triangle) laid as the picture has it
      const rows = worldGrounds(picture!);
      const mine = [asked.shape, { ...asked.shape, size: asked.to }].map((o) => silhouettes([o], 64, 64, 1));
      const others = new Uint8Array(64 * 64).map((_, p) => {
        const ground = [0, 1, 2].some(
          (k) => Math.abs(picture!.data[p * 3 + k]! - rows[Math.floor(p / 64) * 3 + k]!) > 24,
        );
        return +(ground && laid.mask[p]! > 0 && !mine.some((m) => m[p]));
      });
      expect(under(others, laid.image), c.name).toEqual(under(others, picture!));
    }
  });

  it('lays the world’s ground where the shape was, also on a row crowded with things (whose median is a thing’s colour)', () => {
    // the scene of a test chain's resize (row 111, turn 2): the triangle's base, the creature and the word's row
    // beside it cover more than half of row 21
    const before: Scene = {
      background: { kind: 'gradient', from: 'white', to: 'gray' },
      time: 'day',
      grayscale: false,
      objects: [
        { id: 0, shape: 'triangle', color: 'purple', size: 'large', style: 'outline', x: 0.75, y: 0.203125 },
        { id: 1, shape: 'circle', color: 'green', size: 'small', style: 'outline', x: 0.2421875, y: 0.6015625 },
      ],
      text: { word: 'YARN', color: 'purple', x: 0.390625, y: 0.8125 },
      character: { identity: 59, size: 'small', x: 0.390625, y: 0.2890625 },
    };
    const after: Scene = { ...before, objects: before.objects.map((o) => (o.id === 0 ? { ...o, size: 'small' } : o)) };
    const [picture, target] = [render(before, 64), render(after, 64)];
    const bare = render({ ...before, objects: [], text: null, character: null }, 64);
    const rows = rowGrounds(picture);
    const crowded = [...Array(64).keys()].filter((y) => rows[y * 3] !== bare.data[y * 64 * 3]);
    expect(crowded.length).toBeGreaterThan(0);
    const laid = snapResized(faintly(target, picture), picture, { ...before.objects[0]!, color: 'purple' }, 0.5).taken!;
    // where the shape was and its smaller self is not (its box grown by a pixel): the ground, as the world draws it
    const small = silhouettes([{ ...after.objects[0]!, color: 'purple' }], 64, 64, 1);
    let ground = 0;
    for (let p = 0; p < 64 * 64; p++) {
      if (!laid.mask[p] || small[p] || [0, 1, 2].some((c) => target.data[p * 3 + c] !== bare.data[p * 3 + c])) continue;
      expect([...laid.image.data.subarray(p * 3, p * 3 + 3)], `pixel ${p % 64}, ${Math.floor(p / 64)}`).toEqual([
        ...bare.data.subarray(p * 3, p * 3 + 3),
      ]);
      if (crowded.includes(Math.floor(p / 64))) ground++;
    }
    expect(ground).toBeGreaterThan(10);
  });

  it("keeps a thin outline whole when it shrinks (a band a pixel wide falls on fewer than most of a pixel's points)", () => {
    // a test row's own scene: a medium outlined cross made small, its band broke in two at 5 of 9 points everywhere
    const cross: SceneObject = {
      id: 0,
      shape: 'cross',
      color: 'red',
      size: 'medium',
      style: 'outline',
      x: 0.2890625,
      y: 0.7265625,
    };
    const scene = (o: SceneObject): Scene => ({
      background: { kind: 'solid', color: 'mint' },
      time: 'day',
      grayscale: false,
      objects: [o],
      text: null,
      character: null,
    });
    const small = { ...cross, size: 'small' as const };
    const [picture, target] = [render(scene(cross), 64), render(scene(small), 64)];
    const r = snapResized(faintly(target, picture), picture, cross, SIZES.small / SIZES.medium);
    expect(objectPresent(r.taken!.image, small, lookOf(scene(small)), 'place')).toBe(true);
  });
});

const places = [...streamSamples({ split: 'test', seed: 5, families: ['character'], count: 300 })].filter(
  (s) => s.task === 'character.place' && s.before!.character!.size !== s.after.character!.size,
);
const spriteOf = (s: Sample) =>
  creatureSprite(
    s.inputs[0]!,
    s.before!.objects.map((o) => ({ ...o, color: o.color as string })),
  )!;

describe('snapCreatureResized', () => {
  it("takes a faint copy of a creature moved and resized as the picture's creature scaled; one left or wiped takes nothing", () => {
    let [taken, judged] = [0, 0];
    for (const s of places) {
      const picture = s.inputs[0]!;
      const [sprite, to] = [spriteOf(s), s.after.character!.size];
      const r = snapCreatureResized(faintly(s.target, picture), picture, sprite, to);
      if (r.taken) {
        taken++;
        // the bench's own judge: the creature of its identity, at the size asked, in the region named, its old box
        // the background's and the rest of the scene intact
        if (judge(s.edit, s.before, s.after, r.taken.image).success) judged++;
      }
      expect(snapCreatureResized(picture, picture, sprite, to).taken, s.instruction).toBeNull();
      const wiped = render({ ...s.before!, character: null }, 64);
      expect(snapCreatureResized(wiped, picture, sprite, to).taken, s.instruction).toBeNull();
    }
    expect(places.length).toBeGreaterThan(30);
    expect(taken / places.length).toBeGreaterThan(0.9);
    expect(judged / taken).toBeGreaterThan(0.9);
  });
});

describe('the editor', () => {
  it('leaves the shape as the picture has it where the answer did not resize it (nothing to redraw)', async () => {
    const ed = await MiniEditor.load();
    const s = resizes.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target, () => false);
    const { shape } = resized(s);
    const around = silhouettes([shape], 64, 64, 2);
    const at = (img: RGBImage) => under(around, img);
    const out = await ed.edit({ prompt: s.instruction, image: picture, seed: 0, retries: 0 });
    expect(at(out.image)).toEqual(at(picture));
  });

  it("lays a resized shape the model drew over its answer, redrawn at the size asked as the world draws it: the target's pixels; the raw answer is the model's", async () => {
    const ed = await MiniEditor.load();
    const s = resizes.find((x) => x.before!.time === 'day' && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target);
    const { shape, scale } = resized(s);
    const laid = snapResized(faintly(s.target, picture), picture, shape, scale).taken!;
    const at = (img: RGBImage) => under(laid.mask, img);
    const edit = (preserve = true) => ed.edit({ prompt: s.instruction, image: picture, seed: 0, preserve });
    expect(at((await edit()).image)).toEqual(at(s.target));
    expect(at((await edit(false)).image)).not.toEqual(at(s.target));
  });

  it('lays a creature the model moved and resized over its answer, and nothing else of the answer', async () => {
    const ed = await MiniEditor.load();
    const s = places[0]!;
    const picture = s.inputs[0]!;
    // a 3×3 stray fragment on the ground far from both places: not the edit, not taken
    const { image: stray, spot } = withStray(s.target, picture);
    answerFaintly(ed, stray);
    const laid = snapCreatureResized(faintly(stray, picture), picture, spriteOf(s), s.after.character!.size).taken!;
    const at = (img: RGBImage) => under(laid.mask, img);
    const out = (await ed.edit({ prompt: s.instruction, image: picture, seed: 0 })).image;
    expect(at(out)).toEqual(at(laid.image));
    const fragment = new Uint8Array(64 * 64).map((_, p) => +spot.includes(p));
    expect(under(fragment, out)).toEqual(under(fragment, picture));
  });
});
