// A style reference read from the exemplar (src/mini/style-reference.ts): the style its shapes are drawn in, or else
// by the shipped model's own flow loss, and the editor's two-image edit made as that style named in words.
import { describe, expect, it } from 'vitest';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { fitSquare } from '../../src/mini/fit.ts';
import { shapesSeen } from '../../src/mini/seen.ts';
import {
  editsAfterStyle,
  namedStylePrompt,
  readStyle,
  STYLE_REFERENCE_NOTE,
  styleShown,
  STYLE_TIMES,
  styleThenNote,
} from '../../src/mini/style-reference.ts';
import { makeSample } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import { STYLES } from '../../src/world/shapes.ts';

describe('style references read by the model', () => {
  it("reads the style of the world's exemplars far above chance (1 in 4)", async () => {
    const ed = await MiniEditor.load();
    let right = 0;
    const n = 8;
    for (let i = 0; i < n; i++) {
      const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, i);
      const truth = s.inputScenes[1]!.objects[0]!.style;
      const r = await readStyle(ed.pipe, s.inputs[1]!, i);
      expect(r.losses).toHaveLength(STYLES.length);
      expect(r.losses[STYLES.indexOf(r.style)]).toBe(Math.min(...r.losses));
      if (r.style === truth) right++;
    }
    expect(right).toBeGreaterThanOrEqual(6);
  });

  it("reads the style the exemplar's shapes are drawn in, and none where its shapes say none", async () => {
    let right = 0;
    const n = 40;
    for (let i = 0; i < n; i++) {
      const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, i);
      const exemplar = s.inputs[1]!;
      if (styleShown(exemplar, await shapesSeen(exemplar)) === s.inputScenes[1]!.objects[0]!.style) right++;
    }
    expect(right).toBe(n);
    // a picture with no shape of the world's, and one whose shapes are drawn two ways, half each: no style shown
    const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, 0);
    const scene = s.inputScenes[1]!;
    const empty = render({ ...scene, objects: [] }, 64);
    expect(styleShown(empty, await shapesSeen(empty))).toBeNull();
    const two = {
      ...scene,
      objects: [
        { id: 0, shape: 'circle', color: 'red', size: 'large', style: 'filled', x: 0.28125, y: 0.28125 },
        { id: 1, shape: 'square', color: 'blue', size: 'large', style: 'outline', x: 0.71875, y: 0.71875 },
      ],
    } as typeof scene;
    const mixed = render(two, 64);
    const seen = await shapesSeen(mixed);
    expect(seen).toHaveLength(2);
    expect(styleShown(mixed, seen)).toBeNull();
    expect(styleShown(mixed, seen.slice(1))).toBe('outline');
  });

  it('edits the content with the style named: the same answer as that one-image edit, at the content’s size', async () => {
    const ed = await MiniEditor.load();
    const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, 0);
    const [content, exemplar] = s.inputs as [RGBImage, RGBImage];
    const steps: [number, number][] = [];
    const r = await ed.edit({
      prompt: s.instruction,
      image: [content, exemplar],
      seed: 3,
      onStep: (step, total) => steps.push([step, total]),
    });
    // the exemplar's shapes show its style: no transformer call reads it, the progress counts the edit's steps
    const total = ed.pipe.model.config.sampling.numInferenceSteps;
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
    expect(r.style).toBe(s.inputScenes[1]!.objects[0]!.style);
    expect(r.edits).toEqual([namedStylePrompt(r.style!)]);
    const named = await ed.edit({ prompt: namedStylePrompt(r.style!), image: content, seed: 3 });
    expect(Buffer.from(r.image.data).equals(Buffer.from(named.image.data))).toBe(true);
    // readStyle false: both images go to the transformer as context, the prompt as given
    const both = await ed.edit({ prompt: s.instruction, image: [content, exemplar], seed: 3, readStyle: false });
    expect(both.style).toBeUndefined();
    expect(Buffer.from(both.image.data).equals(Buffer.from(r.image.data))).toBe(false);
  });

  it('reads the style of an exemplar that shows no shape of the world by the model, its calls counted as steps', async () => {
    const ed = await MiniEditor.load();
    const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, 0);
    const content = s.inputs[0]!;
    // an exemplar of no shape the world draws: one colour none of the world's shapes has, and a pale square
    const exemplar = { width: 48, height: 40, data: new Uint8Array(48 * 40 * 3) };
    for (let p = 0; p < 48 * 40; p++)
      exemplar.data.set(
        p % 48 > 20 && p % 48 < 30 && p / 48 > 10 && p / 48 < 20 ? [200, 190, 170] : [90, 70, 60],
        p * 3,
      );
    expect(await shapesSeen(exemplar)).toEqual([]);
    const steps: [number, number][] = [];
    const r = await ed.edit({
      prompt: s.instruction,
      image: [content, exemplar],
      seed: 3,
      onStep: (a, b) => steps.push([a, b]),
    });
    const total = STYLE_TIMES.length + ed.pipe.model.config.sampling.numInferenceSteps;
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
    const fitted = (await fitSquare(exemplar, ed.resolution)).image;
    expect(r.style).toBe((await readStyle(ed.pipe, fitted, 3)).style);
  });

  it('says before a two-image edit that the words are not read (not with readStyle false, nor with one image)', async () => {
    const ed = await MiniEditor.load();
    const prompt = 'make the circle blue and the background red, thnaks';
    // the words are not read: none is unknown (the CLI would add where the known words are listed), none a typo
    expect(ed.checkPrompt(prompt, { images: 2 })).toEqual({
      unknownWords: [],
      typos: [],
      otherWords: [],
      phrasings: [],
      note: STYLE_REFERENCE_NOTE,
    });
    expect(ed.checkPrompt(prompt).unknownWords).toEqual(['thnaks']);
    const one = ed.checkPrompt(prompt).note;
    expect(one).toMatch(/^the model does not know "thnaks"/);
    expect(ed.checkPrompt(prompt, { images: 2, readStyle: false }).note).toBe(one);
    expect(ed.checkPrompt(prompt, { images: 1 }).note).toBe(one);
  });

  it('finds the edits asked after the style, and none in what the world writes', () => {
    expect(editsAfterStyle('apply the style of image 2 and make the star blue')).toEqual(['make the star blue']);
    expect(editsAfterStyle('make the star blue, then redraw it in the style of the reference image')).toEqual([
      'make the star blue',
    ]);
    expect(
      editsAfterStyle(
        'keep the content of image 1 but draw it in the style of image 2; make it night and remove the cross',
      ),
    ).toEqual(['make it night', 'remove the cross']);
    // one clause, or none about the reference: the whole prompt is the style request
    expect(editsAfterStyle('redraw the first image in the style of the second image')).toEqual([]);
    expect(editsAfterStyle('make the circle blue and the background red')).toEqual([]);
    // every style reference of the world's, both splits' phrasings, is one request
    for (const split of ['train', 'test'] as const)
      for (let i = 0; i < 400; i++) {
        const s = makeSample({ split, seed: 5, families: ['style'], size: 32 }, i);
        expect(editsAfterStyle(s.instruction), s.instruction).toEqual([]);
      }
  });

  it('makes the edits asked after the style on the restyled image, one after the other', async () => {
    const ed = await MiniEditor.load();
    const s = makeSample({ split: 'val', seed: 11, families: ['style'] }, 0);
    const [content, exemplar] = s.inputs as [RGBImage, RGBImage];
    const steps: [number, number][] = [];
    const prompt = `${s.instruction} and make the backgrund red`;
    const r = await ed.edit({ prompt, image: [content, exemplar], seed: 3, onStep: (a, b) => steps.push([a, b]) });
    const n = ed.pipe.model.config.sampling.numInferenceSteps;
    const total = 2 * n;
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
    // the typo is read as the word it is a typo of, as a one-image edit reads it
    expect(r.edits).toEqual([namedStylePrompt(r.style!), 'make the background red']);
    const restyled = await ed.edit({ prompt: namedStylePrompt(r.style!), image: content, seed: 3 });
    const then = await ed.edit({ prompt: 'make the background red', image: restyled.image, seed: 4 });
    expect(Buffer.from(r.image.data).equals(Buffer.from(then.image.data))).toBe(true);
    expect(Buffer.from(r.image.data).equals(Buffer.from(restyled.image.data))).toBe(false);
    // only the edits after the style are read: their unknown words, not the style request's
    const odd = await ed.edit({
      prompt: 'copy the zorblax style of image 2 and make the star quuxy',
      image: [content, exemplar],
      seed: 3,
    });
    expect(odd.unknownWords).toEqual(['quuxy']);
  });

  it('says before a two-image edit which edits after the style are made, and checks only their words', async () => {
    const ed = await MiniEditor.load();
    const prompt = 'copy the zorblax style of image 2 and make the cirlce quuxy, then make it nigth';
    const c = ed.checkPrompt(prompt, { images: 2 });
    expect(c.unknownWords).toEqual(['quuxy']);
    expect(c.typos).toEqual([
      { typed: 'cirlce', read: 'circle' },
      { typed: 'nigth', read: 'night' },
    ]);
    const after = ['make the circle quuxy', 'make it night'];
    expect(c.note).toMatch(
      new RegExp(`^${styleThenNote(after).replace(/[.*+?^$()|[\]\\]/g, '\\$&')}; read "cirlce" as "circle"`),
    );
    expect(c.note).toContain('the model does not know "quuxy"');
    expect(c.note).not.toContain('zorblax');
    // other words for the world's are read in the edits after the style, and only there said
    const balls = (p: string) => ed.checkPrompt(p, { images: 2 }).otherWords;
    expect(balls('apply the style of image 2 and make the ball blue')).toEqual([{ typed: 'ball', read: 'circle' }]);
    expect(balls('apply the ball style of image 2 and make the star blue')).toEqual([]);
    // a colour the world never gives a thing is noted for the edit that asks it
    expect(ed.checkPrompt('apply the style of image 2 and make the background purple', { images: 2 }).note).toContain(
      'a "purple" background is drawn as the nearest of them, "lavender"',
    );
  });

  it('names every style in words the model knows', async () => {
    const ed = await MiniEditor.load();
    for (const s of STYLES) expect(ed.pipe.tokenizer.unknownWords(namedStylePrompt(s)), s).toEqual([]);
  });
});
