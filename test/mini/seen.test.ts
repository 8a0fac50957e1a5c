// The shapes a picture of the world shows, read from its pixels (src/mini/seen.ts): exactly the scene's objects on
// test inputs, by day and by night, and none in a picture that is not of the world; whether a picture is the world's at
// all, and the note a user is given before editing one that is not.
import { describe, expect, it } from 'vitest';
import { allBackgrounds } from '../../src/bench/read.ts';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { worldGray } from '../../src/mini/world-light.ts';
import { isWorldPicture, NOT_THE_WORLD_NOTE, shapesSeen } from '../../src/mini/seen.ts';
import { render } from '../../src/world/render.ts';
import { Rng } from '../../src/engine/random.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { asWorldNames, namesOtherwise, notThereNote, whichNote } from '../../src/world/shapes-seen.ts';

const names = (list: { color: string; shape: string }[]) => list.map((o) => `${o.color} ${o.shape}`).sort();

describe('shapesSeen', () => {
  it('reads every object of a test input, its shape and colour, and nothing else, by day and by night', async () => {
    const times = new Set<string>();
    let n = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['local', 'global', 'text'], count: 150 })) {
      const img = s.inputs[0];
      if (!img || !s.before || s.before.grayscale) continue;
      const seen = await shapesSeen(img);
      expect(names(seen), s.instruction).toEqual(names(s.before.objects));
      // and where each is: its centre within 2 pixels of 64
      for (const o of s.before.objects) {
        const at = seen.find((p) => p.color === o.color && p.shape === o.shape)!;
        expect(Math.hypot(at.x! - o.x, at.y! - o.y), `${o.color} ${o.shape}`).toBeLessThan(2 / 64);
      }
      times.add(s.before.time);
      n++;
    }
    expect(n).toBeGreaterThan(100);
    expect([...times].sort()).toEqual(['day', 'night']);
  });

  it("finds every shape the world's instructions name in their pictures, named by both as it is", async () => {
    let n = 0;
    let half = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['local', 'text', 'multiturn'], count: 150 })) {
      // a chain's turn edits the turn before's target
      const turns = s.turns?.map((t, i) => ({ ...t, input: i ? s.turns![i - 1]!.target : s.inputs[0] })) ?? [
        { ...s, input: s.inputs[0] },
      ];
      for (const t of turns) {
        if (!t.input || !t.before || t.before.grayscale) continue;
        const seen = await shapesSeen(t.input);
        expect(notThereNote([t.instruction], seen), t.instruction).toBeNull();
        expect(whichNote([t.instruction], seen), t.instruction).toBeNull();
        // a shape named by its shape or colour alone ("the circle", 30 % of the world's names): the one it edits
        const o = t.before.objects.find((p) => p.id === (t.edit as { id?: number }).id);
        if (o && namesOtherwise(t.instruction)) {
          expect(asWorldNames(t.instruction, seen), t.instruction).toContain(`the ${o.color} ${o.shape}`);
          half++;
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(300);
    expect(half).toBeGreaterThan(30);
  });

  it('sees no shape in a picture not of the world, and a world picture at twice its size as at its own', async () => {
    const rng = new Rng(3);
    const noise = createImage(64, 64);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = Math.floor(rng.next() * 256);
    expect(await shapesSeen(noise)).toEqual([]);
    expect(await shapesSeen(createImage(64, 64, [200, 180, 160]))).toEqual([]);
    // a world picture at another size is read as the editor fits it
    const s = streamSamples({ split: 'test', seed: 7, families: ['local'], count: 1 }).next().value!;
    const small = s.inputs[0]!;
    const big = createImage(128, 128); // every pixel drawn 2 × 2, as a picture saved at twice the size
    for (let y = 0; y < 128; y++)
      for (let x = 0; x < 128; x++) {
        const from = ((y >> 1) * 64 + (x >> 1)) * 3;
        big.data.set(small.data.subarray(from, from + 3), (y * 128 + x) * 3);
      }
    expect(names(await shapesSeen(big))).toEqual(names(s.before!.objects));
  });
});

describe('isWorldPicture', () => {
  const world = async (img: RGBImage) => isWorldPicture(img, await shapesSeen(img));

  it("reads every picture of the world as the world's: inputs and answers of every family, by day and night, grey", async () => {
    let n = 0;
    const kinds = new Set<string>();
    for (const s of streamSamples({ split: 'test', seed: 7, count: 120 })) {
      // a chain's turns each answer the turn before: every one is a picture a user may edit next
      const pictures = [...s.inputs, s.target, ...(s.turns ?? []).map((t) => t.target)];
      for (const img of pictures) {
        expect(await world(img), `${s.task}: ${s.instruction}`).toBe(true);
        n++;
      }
      for (const after of [s.after, ...(s.turns ?? []).map((t) => t.after)])
        kinds.add(after.grayscale ? 'grey' : after.time);
    }
    expect(n).toBeGreaterThan(250);
    expect([...kinds].sort()).toEqual(['day', 'grey', 'night']);
    // and every ground of the world's bare, by day and night, in colour and grey (the grey of mint by day is no
    // colour of the world's)
    for (const background of allBackgrounds())
      for (const time of ['day', 'night'] as const)
        for (const grayscale of [false, true]) {
          const bare = { background, time, grayscale, objects: [], text: null, character: null };
          expect(await world(render(bare, 64)), JSON.stringify(bare)).toBe(true);
        }
  });

  it("reads no photo, noise or grey photo as the world's, nor the world's ground mostly painted over", async () => {
    const rng = new Rng(5);
    const noise = createImage(64, 64);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = Math.floor(rng.next() * 256);
    // a smooth picture, as a photo's sky and walls: red across, green down
    const photo = createImage(96, 64);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 96; x++)
        photo.data.set([(x * 255) / 95, (y * 255) / 63, 90 + ((x + y) % 32)], (y * 96 + x) * 3);
    for (const img of [noise, photo, worldGray(noise), worldGray(photo)]) expect(await world(img)).toBe(false);
    // the world's peach ground with a block in no colour of the world's: a tenth of it is a thing, two fifths no
    // picture of the world's
    const ground = render(
      {
        background: { kind: 'solid', color: 'peach' },
        time: 'day',
        grayscale: false,
        objects: [],
        text: null,
        character: null,
      },
      64,
    );
    const painted = (share: number) => {
      const img = { ...ground, data: Uint8Array.from(ground.data) };
      const side = Math.round(Math.sqrt(share) * 64);
      for (let y = 8; y < 8 + side; y++)
        for (let x = 8; x < 8 + side; x++) img.data.set([90, 140, 60], (y * 64 + x) * 3);
      return img;
    };
    expect(await world(ground)).toBe(true);
    expect(await world(painted(0.1))).toBe(true);
    expect(await world(painted(0.4))).toBe(false);
  });

  it('is named before an edit of a picture not of the world, and not before one of the world', async () => {
    const ed = await MiniEditor.load();
    const note = async (picture: RGBImage) =>
      ed.checkPrompt('remove the star', { seen: await ed.shapesIn(picture) }).note ?? '';
    const photo = createImage(640, 480);
    for (let y = 0; y < 480; y++)
      for (let x = 0; x < 640; x++) photo.data.set([(x * 255) / 639, (y * 255) / 479, 128], (y * 640 + x) * 3);
    expect(await note(photo)).toContain(NOT_THE_WORLD_NOTE);
    expect(NOT_THE_WORLD_NOTE).toMatch(
      /^the picture does not look like kontext-mini's world .* may change anything or nothing/,
    );
    const s = streamSamples({ split: 'test', seed: 7, families: ['local'], count: 1 }).next().value!;
    expect(await note(s.inputs[0]!)).not.toContain("kontext-mini's world");
    expect(await note(worldGray(s.inputs[0]!))).not.toContain("kontext-mini's world");
  });
});
