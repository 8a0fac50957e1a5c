// A grey picture whose colour is known (a session's picture after a turn greyed it) is edited in colour and the answer
// greyed as the world greys a picture (src/mini/editor.ts `color`): in the world the grey of an edit is the edit of
// the grey, and the model edits pictures in colour far better (scripts/mini-limits.ts grey: 74 of 80 test edits made
// so, against 27 of 80 on the grey picture alone).
import { describe, expect, it } from 'vitest';
import { answerFaintly } from './faint.ts';
import { judge } from '../../src/bench/analyze.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { GREY_KEPT_NOTE, GREY_PICTURE_NOTE, greyNote, isWorldGrayOf, worldGray } from '../../src/mini/world-light.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';

const samples = [...streamSamples({ split: 'test', seed: 11, families: ['local', 'text'], count: 12 })];
const grey = (s: (typeof samples)[number]) => render({ ...s.before!, grayscale: true }, 64);

describe('isWorldGrayOf', () => {
  it("is the world's grey of that picture byte for byte: a level off, the picture itself, another size or another picture are not", () => {
    const [a, b] = [samples[0]!, samples[1]!];
    const gray = grey(a);
    expect(isWorldGrayOf(gray, a.inputs[0]!)).toBe(true);
    const off = { ...gray, data: Uint8Array.from(gray.data) };
    off.data.fill(off.data[0]! + (off.data[0]! < 255 ? 1 : -1), 0, 3); // one pixel a level off, still grey
    expect(isWorldGrayOf(off, a.inputs[0]!)).toBe(false);
    expect(isWorldGrayOf(a.inputs[0]!, a.inputs[0]!)).toBe(false); // in colour: no grey
    expect(isWorldGrayOf(gray, b.inputs[0]!)).toBe(false);
    expect(isWorldGrayOf(render({ ...a.before!, grayscale: true }, 32), a.inputs[0]!)).toBe(false);
    expect(isWorldGrayOf({ width: 32, height: 128, data: gray.data }, a.inputs[0]!)).toBe(false); // its bytes, reshaped
  });
});

describe('an edit of a grey picture whose colour is known', () => {
  it('is the edit of the picture in colour, greyed: the same answer at the same seed, judged made where it is made in colour', async () => {
    const ed = await MiniEditor.load();
    let [made, readable] = [0, 0];
    for (const [i, s] of samples.slice(0, 6).entries()) {
      const inColor = await ed.edit({ prompt: s.instruction, image: s.inputs[0]!, seed: i });
      const r = await ed.edit({ prompt: s.instruction, image: grey(s), color: s.inputs[0]!, seed: i });
      expect(r.image.data, s.instruction).toEqual(worldGray(inColor.image).data);
      expect(r.color?.data, s.instruction).toEqual(inColor.image.data); // for the next edit
      const [before, after] = [
        { ...s.before!, grayscale: true },
        { ...s.after, grayscale: true },
      ];
      // made in colour, and the judge reads the grey target itself: made in grey
      if (!judge(s.edit, s.before!, s.after, inColor.image).success) continue;
      if (!judge(s.edit, before, after, render(after, 64)).success) continue;
      readable++;
      if (judge(s.edit, before, after, r.image).success) made++;
    }
    expect(readable).toBeGreaterThan(3);
    expect(made).toBe(readable);
  });

  it("is made on the grey picture where the colour given is not the picture's (and says nothing of colour)", async () => {
    const ed = await MiniEditor.load();
    const [s, other] = [samples[2]!, samples[3]!];
    const alone = await ed.edit({ prompt: s.instruction, image: grey(s), seed: 3 });
    const r = await ed.edit({ prompt: s.instruction, image: grey(s), color: other.inputs[0]!, seed: 3 });
    expect(r.image.data).toEqual(alone.image.data);
    expect(r.color).toBeUndefined();
  });

  it('is not told that a grey picture is edited less well; one that asks a colour is told the colour shows as its grey', async () => {
    const ed = await MiniEditor.load();
    const s = samples.find((x) => x.task === 'local.remove')!;
    const seen = await ed.shapesIn(grey(s));
    const note = (prompt: string, color: boolean) => ed.checkPrompt(prompt, { seen, color }).note ?? '';
    expect(note(s.instruction, false)).toContain(GREY_PICTURE_NOTE);
    expect(note(s.instruction, true)).not.toContain('the picture is grey');
    // a colour asked (a shape's, a word's, a background's, in other words too): its grey said
    for (const asked of [
      'Add a red star at the top',
      'make the word pink',
      'Change the background to sky blue',
      'make the circle crimson',
    ])
      expect(note(asked, true), asked).toContain(GREY_KEPT_NOTE);
    for (const asked of [
      'Make the circle bigger',
      'make it grayscale',
      'Turn the day into night',
      'Remove the red striped circle', // a style between the colour and the noun
      'Move the large blue outlined star to the left',
    ])
      expect(note(asked, true), asked).not.toContain('the picture is grey');
    expect(ed.checkPrompt('make the circle red', { color: true }).note ?? '').not.toContain('grey'); // no picture read
  });
});

describe('greyNote', () => {
  it("tells a colour asked from a thing named by its colour, on every edit of the world's that is not a grey", () => {
    const asks = new Set(['local.add', 'local.recolor', 'text.recolor', 'global.background']);
    // each edit: its task, its words, whether a colour's grey is told
    const told: [string, string, boolean][] = [];
    for (const s of streamSamples({ split: 'test', seed: 5, families: ['local', 'text', 'global'], count: 600 }))
      if (s.task !== 'global.grayscale') told.push([s.task, s.instruction, greyNote([s.instruction], true) !== null]);
    expect(told.filter(([task, , t]) => t !== asks.has(task))).toEqual([]);
    expect(told.filter(([, , t]) => t).length).toBeGreaterThan(100);
    expect(told.filter(([, , t]) => !t).length).toBeGreaterThan(100);
    // a word of the picture's that is a colour's too is a label ('SKY', 'LIGHT'): no colour asked
    expect(told.some(([task, ins]) => task === 'text.replace' && /'(?:SKY|LIGHT)'/.test(ins))).toBe(true);
    // its colour not known: the grey picture's note, whatever is asked
    expect(greyNote(['Move the green diamond to the right'], false)).toBe(GREY_PICTURE_NOTE);
  });
});

describe('the colour an edit gives for the next one', () => {
  it('is the picture it greyed; after a grey then an edit asked at once, the edit made in colour', async () => {
    const ed = await MiniEditor.load();
    const s = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 300 })].find(
      (x) => x.task === 'global.grayscale',
    )!;
    answerFaintly(ed, s.target);
    const picture = s.inputs[0]!;
    const greyed = await ed.edit({ prompt: s.instruction, image: picture, seed: 0 });
    expect(greyed.image.data).toEqual(worldGray(picture).data);
    expect(greyed.color).toBe(picture);
    // greyed again with its colour known: the same grey, the same colour
    const again = await ed.edit({ prompt: s.instruction, image: greyed.image, color: picture, seed: 0 });
    expect(again.image.data).toEqual(greyed.image.data);
    expect(again.color).toBe(picture);
    // an answer in colour gives none
    const ed2 = await MiniEditor.load();
    const r = samples.find((x) => x.task === 'local.remove')!;
    expect((await ed2.edit({ prompt: r.instruction, image: r.inputs[0]!, seed: 0 })).color).toBeUndefined();
    // greyed, then the shape removed in colour and greyed again: the answer is the grey of the colour it gives
    const both = await ed2.edit({
      prompt: `Make it grayscale and ${r.instruction.toLowerCase()}`,
      image: r.inputs[0]!,
      seed: 0,
    });
    expect(both.edits).toHaveLength(2);
    expect(both.color).toBeDefined();
    expect(isWorldGrayOf(both.image, both.color!)).toBe(true);
    expect(judge(r.edit, r.before!, r.after, both.color!).success).toBe(true);
  });
});
