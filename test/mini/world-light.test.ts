// The world's own light for a day/night edit the model made (src/mini/world-light.ts): night is the world's
// transform of the day picture and day its inverse; an answer that relit the picture takes the world's light, one
// that left it takes nothing; and the editor gives the input relit so. Grayscale likewise, in the world's grey; a
// background changed, laid on the picture's ground as the world draws it.
import { describe, expect, it } from 'vitest';
import { answerFaintly, faintly } from './faint.ts';
import { judge } from '../../src/bench/analyze.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { layOver } from '../../src/mini/preserve.ts';
import {
  backgroundShown,
  GREY_PICTURE_NOTE,
  groundLaid,
  snapGray,
  snapLight,
  worldGray,
  worldGrounds,
  worldLight,
} from '../../src/mini/world-light.ts';
import { rowGrounds } from '../../src/mini/moved.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { resizeLanczos } from '../../src/image/preprocess.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { backgroundAsked, backgroundPhrase } from '../../src/world/phrases.ts';
import { render } from '../../src/world/render.ts';

const relights = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 300 })].filter(
  (s) => s.task === 'global.daynight',
);

describe('worldLight', () => {
  it("is the world's night of a day picture exactly, and gives the day back from the night within 2 levels", () => {
    for (const s of relights.slice(0, 10)) {
      const day = render({ ...s.before!, time: 'day' }, 64);
      const night = render({ ...s.before!, time: 'night' }, 64);
      expect(worldLight(day, 'night').data).toEqual(night.data);
      const back = worldLight(night, 'day').data;
      expect(Math.max(...back.map((v, i) => Math.abs(v - day.data[i]!)))).toBeLessThanOrEqual(2);
    }
  });
});

describe('snapLight', () => {
  it('takes the light a faint copy of the target shows, and the bench judges the picture so relit a success; the picture left takes nothing', () => {
    let judged = 0;
    for (const s of relights) {
      const picture = s.inputs[0]!;
      const r = snapLight(faintly(s.target, picture), picture);
      expect(r.to, s.instruction).toBe(s.after.time);
      if (judge(s.edit, s.before, s.after, worldLight(picture, r.to!)).success) judged++;
      expect(snapLight(picture, picture).to, s.instruction).toBeNull();
    }
    expect(relights.length).toBeGreaterThan(30);
    expect(judged).toBe(relights.length);
  });

  it("relights no picture whose ground is none of the world's backgrounds, even an answer in the world's light", () => {
    // rows of colours no background of the world has, by day or by night
    const data = new Uint8Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) data.set([(p >> 6) * 4, 255 - (p >> 6) * 2, 90], p * 3);
    const picture = { width: 64, height: 64, data };
    for (const time of ['night', 'day'] as const) expect(snapLight(worldLight(picture, time), picture).to).toBeNull();
  });
});

describe('worldGrounds', () => {
  it("is the ground of every row as the world draws it, where a row's median is not; a picture not of the world keeps the medians", () => {
    let wrongMedians = 0;
    for (const s of [...streamSamples({ split: 'test', seed: 5, families: ['local', 'character'], count: 200 })]) {
      if (s.before!.grayscale) continue;
      const picture = s.inputs[0]!;
      const bare = render({ ...s.before!, objects: [], text: null, character: null }, 64);
      const truth = Uint8Array.from({ length: 64 * 3 }, (_, i) => bare.data[Math.floor(i / 3) * 64 * 3 + (i % 3)]!);
      expect(worldGrounds(picture), s.instruction).toEqual(truth);
      if (Buffer.compare(Buffer.from(rowGrounds(picture)), Buffer.from(truth)) !== 0) wrongMedians++;
    }
    expect(wrongMedians).toBeGreaterThan(0);
    const data = new Uint8Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) data.set([(p >> 6) * 4, 255 - (p >> 6) * 2, 90], p * 3);
    const photo = { width: 64, height: 64, data };
    expect(worldGrounds(photo)).toEqual(rowGrounds(photo));
  });
});

const greys = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 300 })].filter(
  (s) => s.task === 'global.grayscale',
);

describe('worldGray and snapGray', () => {
  it("is the world's grey of a picture exactly; a faint copy of the target is taken and judged a success, the picture left is not", () => {
    let judged = 0;
    for (const s of greys) {
      const picture = s.inputs[0]!;
      expect(worldGray(picture).data).toEqual(s.target.data);
      expect(snapGray(faintly(s.target, picture), picture).gray, s.instruction).toBe(true);
      if (judge(s.edit, s.before, s.after, worldGray(picture)).success) judged++;
      expect(snapGray(picture, picture).gray, s.instruction).toBe(false);
      // an answer that relit the picture instead greyed nothing
      expect(snapGray(worldLight(picture, s.before!.time === 'day' ? 'night' : 'day'), picture).gray).toBe(false);
    }
    expect(greys.length).toBeGreaterThan(20);
    expect(judged).toBe(greys.length);
  });
});

const backgrounds = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 300 })].filter(
  (s) => s.task === 'global.background',
);

describe('backgroundShown', () => {
  it('reads the background asked in the target, not in the picture left as it was nor in the target in the other light', () => {
    for (const s of backgrounds) {
      const [picture, asked] = [s.inputs[0]!, s.after.background];
      expect(backgroundShown(s.target, picture, asked), s.instruction).toBe(true);
      expect(backgroundShown(picture, picture, asked), s.instruction).toBe(false);
      const other = s.after.time === 'day' ? 'night' : 'day';
      expect(backgroundShown(worldLight(s.target, other), picture, asked), s.instruction).toBe(false);
    }
    expect(backgrounds.length).toBeGreaterThan(20);
  });

  it("reads nothing against a picture whose ground is none of the world's: every answer shows it", () => {
    const s = backgrounds[0]!;
    const other = { ...s.inputs[0]!, data: s.inputs[0]!.data.map((v, i) => (i % 3 === 0 ? 255 - v : v)) };
    expect(backgroundShown(other, other, s.after.background)).toBe(true);
  });
});

describe('groundLaid', () => {
  it("lays the background asked on the picture's ground as the world draws it: laid over the picture, the target exactly, by day and by night", () => {
    const times = new Set<string>();
    for (const s of backgrounds) {
      const picture = s.inputs[0]!;
      const laid = groundLaid(picture, s.after.background);
      times.add(s.before!.time);
      // the world's grey of a background is not the background: nothing laid on a grey picture
      expect(groundLaid(worldGray(picture), s.after.background), s.instruction).toBeNull();
      const out = layOver(laid!, { image: picture, mask: new Float32Array(64 * 64) }).image;
      expect(out.data, s.instruction).toEqual(s.target.data);
    }
    expect(times).toEqual(new Set(['day', 'night']));
  });

  it("lays nothing on a picture whose ground is none of the world's", () => {
    const data = new Uint8Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) data.set([(p >> 6) * 4, 255 - (p >> 6) * 2, 90], p * 3);
    expect(groundLaid({ width: 64, height: 64, data }, backgrounds[0]!.after.background)).toBeNull();
  });
});

describe('the editor', () => {
  it('gives the target of a background change where the model answered it faintly, a gradient ending near the new colour too', async () => {
    const ed = await MiniEditor.load();
    // the picture's ground a gradient from the colour asked (no band of the old gradient's end left where it is
    // near the new colour)
    const s = backgrounds.find((s) => {
      const [was, asked] = [s.before!.background, s.after.background];
      return was.kind === 'gradient' && asked.kind === 'solid' && [was.from, was.to].includes(asked.color);
    })!;
    answerFaintly(ed, s.target);
    const out = (await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 0 })).image;
    expect(out.data).toEqual(s.target.data);
  });

  it('lays the ground for a background change that names the creature but no shape (no new scene)', async () => {
    const ed = await MiniEditor.load();
    const s = backgrounds.find((x) => x.before!.character && x.before!.background.kind === 'solid')!;
    const picture = s.inputs[0]!;
    answerFaintly(ed, s.target);
    const prompt = s.instruction.replace(/background/, 'background behind the creature');
    expect(prompt).not.toBe(s.instruction);
    const out = (await ed.edit({ prompt, image: picture, seed: 0 })).image;
    // every pixel of the picture's ground is the target's exactly
    let ground = 0;
    for (let p = 0; p < 64 * 64; p++)
      if ([0, 1, 2].every((c) => picture.data[p * 3 + c] === picture.data[c])) {
        expect([...out.data.subarray(p * 3, p * 3 + 3)], `${prompt}: pixel ${p}`).toEqual([
          ...s.target.data.subarray(p * 3, p * 3 + 3),
        ]);
        ground++;
      }
    expect(ground).toBeGreaterThan(2000);
  });

  it('reads an instruction that names a shape and the background for the shape: an add on the picture’s background is made, not covered by its ground laid', async () => {
    const ed = await MiniEditor.load();
    const adds = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 200 })].filter(
      (s) => s.task === 'local.add' && s.before!.time === 'day' && s.before!.background.kind === 'solid',
    );
    expect(adds.length).toBeGreaterThan(3);
    let made = 0;
    for (const s of adds.slice(0, 5)) {
      // "add a small red circle at the top left, on the sky blue background": the picture's background, asked
      const prompt = `${s.instruction}, on the ${backgroundPhrase(s.before!.background)} background`;
      expect(backgroundAsked(prompt), prompt).toEqual(s.before!.background);
      answerFaintly(ed, s.target);
      const [plain, out] = await Promise.all(
        [s.instruction, prompt].map(async (p) => (await ed.edit({ prompt: p, image: s.inputs[0]!, seed: 0 })).image),
      );
      // the answer read as the add without the words of the background, byte for byte
      expect(out.data, prompt).toEqual(plain!.data);
      if (judge(s.edit, s.before, s.after, out!).success) made++;
    }
    // one, a blue striped square on peach, is not taken with or without the words: a faint blue over peach (60 %) is nearer the
    // world's purple than its blue, and the add's colour gate refuses it as purple (at 80 % it is taken)
    expect(made).toBeGreaterThanOrEqual(4);
  });

  it('keeps nothing of the picture for the creature put in a new scene in one pass: the answer as the model drew it', async () => {
    const ed = await MiniEditor.load();
    // pictures with a word and shapes (none of them in the new scene)
    const scenes = [...streamSamples({ split: 'test', seed: 5, families: ['character'], count: 300 })].filter(
      (s) => s.task === 'character.scene' && s.before!.text && s.before!.objects.length,
    );
    expect(scenes.length).toBeGreaterThan(2);
    for (const s of scenes.slice(0, 3)) {
      answerFaintly(ed, s.target, () => true, 1); // the model answers the target itself
      ed.pipe.run = async (reqs) => reqs.map(() => s.target);
      // (in parts, the default, it is made as edits of the picture: in-parts.test.ts)
      const out = (await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 0, inParts: false })).image;
      expect(out.data, s.instruction).toEqual(s.target.data);
    }
  });

  it("gives the input in the world's grey where the model greyed it", async () => {
    const ed = await MiniEditor.load();
    const s = greys[0]!;
    answerFaintly(ed, s.target);
    const out = (await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 0 })).image;
    expect(out.data).toEqual(worldGray(s.inputs[0]!).data);
  });

  it('gives the input relit as the world lights it where the model relit it', async () => {
    const ed = await MiniEditor.load();
    const s = relights[0]!;
    answerFaintly(ed, s.target);
    const out = (await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: 0 })).image;
    expect(out.data).toEqual(worldLight(s.inputs[0]!, s.after.time).data);
  });
});

describe('a grey picture', () => {
  it('is named before an edit other than greying it (the model edits pictures in colour); nothing for colour or a grey asked', async () => {
    const ed = await MiniEditor.load();
    const s = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 40 })].find(
      (x) => x.task === 'local.remove',
    )!;
    const grey = render({ ...s.before!, grayscale: true }, 64);
    const note = async (prompt: string, picture: RGBImage) =>
      ed.checkPrompt(prompt, { seen: await ed.shapesIn(picture) }).note ?? '';
    expect(await note(s.instruction, grey)).toContain(GREY_PICTURE_NOTE);
    expect(GREY_PICTURE_NOTE).toMatch(/^the picture is grey, .* make the other edits first and grey the picture last$/);
    // a picture in colour, the picture greyed again (in other words too), or no picture read: nothing said
    expect(await note(s.instruction, s.inputs[0]!)).not.toContain('grey');
    expect(await note('Turn the whole image into shades of gray', grey)).not.toContain('the picture is grey');
    expect(await note('remove the colors', grey)).not.toContain('the picture is grey');
    expect(ed.checkPrompt(s.instruction).note ?? '').not.toContain('the picture is grey');
    // a grey picture the user scaled up (Lanczos keeps r = g = b): the picture at the model's size is grey too
    const big = await resizeLanczos(grey, 200, 120);
    expect(await note(s.instruction, big)).toContain(GREY_PICTURE_NOTE);
  });
});
