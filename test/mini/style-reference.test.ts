// A style reference read by the shipped model's own flow loss (src/mini/style-reference.ts): the exemplar's style
// as the world drew it, and the editor's two-image edit made as that style named in words.
import { describe, expect, it } from 'vitest';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import {
  editsAfterStyle,
  namedStylePrompt,
  readStyle,
  STYLE_REFERENCE_NOTE,
  STYLE_TIMES,
  styleThenNote,
} from '../../src/mini/style-reference.ts';
import { makeSample } from '../../src/world/dataset.ts';
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
    // the progress counts the reading's transformer calls, then the edit's steps, to one total
    const total = STYLE_TIMES.length + ed.pipe.model.config.sampling.numInferenceSteps;
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
    expect(r.style).toBe((await readStyle(ed.pipe, exemplar, 3)).style);
    expect(r.edits).toEqual([namedStylePrompt(r.style!)]);
    const named = await ed.edit({ prompt: namedStylePrompt(r.style!), image: content, seed: 3 });
    expect(Buffer.from(r.image.data).equals(Buffer.from(named.image.data))).toBe(true);
    // readStyle false: both images go to the transformer as context, the prompt as given
    const both = await ed.edit({ prompt: s.instruction, image: [content, exemplar], seed: 3, readStyle: false });
    expect(both.style).toBeUndefined();
    expect(Buffer.from(both.image.data).equals(Buffer.from(r.image.data))).toBe(false);
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
    const total = STYLE_TIMES.length + 2 * n;
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
