// A picture drawn from words in parts (src/mini/editor.ts drawnInParts, src/world/caption-parts.ts): the ground laid
// as the world draws it where the model's answer shows it (world-light.ts groundDrawn), then each shape added; the
// shipped model's pictures so drawn are judged right where the one pass's are not.
import { describe, expect, it } from 'vitest';
import { judge } from '../../src/bench/analyze.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { composite, maskImage } from '../../src/mini/preserve.ts';
import { groundDrawn } from '../../src/mini/world-light.ts';
import { Rng } from '../../src/engine/random.ts';
import { captionParts, inPartsNote, sceneNote, sceneParts } from '../../src/world/caption-parts.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import type { Background, Scene } from '../../src/world/scene.ts';

const bare = (background: Background, time: 'day' | 'night', text: Scene['text'] = null): Scene => ({
  background,
  time,
  grayscale: false,
  objects: [],
  text,
  character: null,
});

/** `img` with every channel moved by up to ±`by` levels (the autoencoder's few levels off). */
function noisy(img: RGBImage, by: number, seed: number): RGBImage {
  const rng = new Rng(seed);
  return { ...img, data: img.data.map((v) => Math.max(0, Math.min(255, v + Math.round((rng.next() * 2 - 1) * by)))) };
}

describe('groundDrawn', () => {
  it("lays the world's ground where the answer shows the background asked, the word drawn on it left as drawn", () => {
    const word = { word: 'OWL', color: 'purple', x: 0.5, y: 0.8 } as Scene['text'];
    for (const [background, time] of [
      [{ kind: 'gradient', from: 'peach', to: 'lavender' }, 'day'],
      [{ kind: 'solid', color: 'cream' }, 'night'],
    ] as [Background, 'day' | 'night'][]) {
      const target = render(bare(background, time, word), 64);
      const ground = render(bare(background, time), 64);
      const out = noisy(target, 4, 1);
      const taken = groundDrawn(out, background, time)!;
      expect(taken, JSON.stringify(background)).not.toBeNull();
      const laid = composite(taken.image, out, maskImage(taken.mask, 64, 64));
      for (let p = 0; p < 64 * 64; p++) {
        const ink = [0, 1, 2].some((c) => target.data[p * 3 + c] !== ground.data[p * 3 + c]);
        // the ground the world's exactly; the word's ink the answer's own
        const want = ink ? out : ground;
        expect([...laid.data.subarray(p * 3, p * 3 + 3)], `pixel ${p}`).toEqual([
          ...want.data.subarray(p * 3, p * 3 + 3),
        ]);
      }
      // an answer with another ground shows none: the gradient upside down, the other light
      const flipped =
        background.kind === 'gradient' ? { ...background, from: background.to, to: background.from } : background;
      expect(
        groundDrawn(noisy(render(bare(flipped, time === 'day' ? 'night' : 'day'), 64), 4, 2), background, time),
      ).toBeNull();
      if (background.kind === 'gradient')
        expect(groundDrawn(noisy(render(bare(flipped, time), 64), 4, 3), background, time)).toBeNull();
    }
  });
});

describe('the editor draws a picture from words in parts', () => {
  /** The first four test captions with neither a word nor the creature. */
  const plainCaptions = () =>
    [...streamSamples({ split: 'test', seed: 3, families: ['t2i'], count: 60 })]
      .filter((s) => !s.after.text && !s.after.character)
      .slice(0, 4);

  it("draws a caption's ground and then its shapes, judged right where the one pass is not", async () => {
    const ed = await MiniEditor.load();
    const captions = plainCaptions();
    let [inParts, onePass] = [0, 0];
    for (const s of captions) {
      const parts = captionParts(s.instruction)!;
      const r = await ed.generate({ prompt: s.instruction, seed: 0 });
      expect(r.edits).toEqual([parts.ground, ...parts.edits]);
      const one = await ed.generate({ prompt: s.instruction, seed: 0, inParts: false });
      expect(one.edits).toBeUndefined();
      inParts += +judge(s.edit, null, s.after, r.image).success;
      onePass += +judge(s.edit, null, s.after, one.image).success;
    }
    expect(captions.length).toBe(4);
    expect(inParts).toBeGreaterThanOrEqual(2);
    expect(onePass).toBe(0);
    // without the output step (the transformer's pixels everywhere) the caption is drawn in one pass
    expect((await ed.generate({ prompt: captions[0]!.instruction, seed: 0, preserve: false })).edits).toBeUndefined();
  });

  it('draws a caption that names no background on a white one: judged right on white, in one pass not', async () => {
    const ed = await MiniEditor.load();
    const captions = plainCaptions();
    let [inParts, onePass] = [0, 0];
    for (const s of captions) {
      const prompt = s.instruction.replace(
        /(?:,\s*|\s+)on\s+(?:an?|the)\s+(?:(?!(?:on|an?|the)\s)\S+\s+){0,3}background\b[^,]*/i,
        '',
      );
      expect(prompt).not.toMatch(/background/);
      const onWhite = { ...s.after, background: { kind: 'solid' as const, color: 'white' as const } };
      const r = await ed.generate({ prompt, seed: 0 });
      expect(r.edits?.[0]).toBe('A white background');
      inParts += +judge(s.edit, null, onWhite, r.image).success;
      onePass += +judge(s.edit, null, onWhite, (await ed.generate({ prompt, seed: 0, inParts: false })).image).success;
    }
    expect(inParts).toBeGreaterThanOrEqual(3);
    expect(onePass).toBe(0);
  });

  it('answers at the size asked; a ground no try shows is asked again, then said', async () => {
    const ed = await MiniEditor.load();
    const prompt = 'a small red circle at the top on a peach background';
    const r = await ed.generate({ prompt, seed: 0, width: 96, height: 48 });
    expect([r.image.width, r.image.height]).toEqual([96, 48]);
    expect(r.edits).toEqual(['A peach background', 'add a small red circle at the top']);
    // and said before it runs (a picture drawn from words: no image), not before an edit
    expect(ed.checkPrompt(prompt, { images: 0 }).note).toBe(inPartsNote(captionParts(prompt)));
    expect(ed.checkPrompt(prompt, { images: 1 }).note ?? '').not.toContain('drawn as its ground');
    // a model whose ground from words is the world's a few levels off: the world's laid, to the level
    const run = ed.pipe.run.bind(ed.pipe);
    const seeds: number[] = [];
    let drawn = noisy(render(bare({ kind: 'solid', color: 'peach' }, 'day'), 64), 4, 4);
    ed.pipe.run = async (reqs, o) => {
      if (reqs[0]!.images.length) return run(reqs, o);
      seeds.push(reqs[0]!.seed);
      return [drawn];
    };
    const peach = await ed.generate({ prompt, seed: 5 });
    const corners = [0, 63, 64 * 63, 64 * 64 - 1].map((p) => [...peach.image.data.subarray(p * 3, p * 3 + 3)]);
    expect(corners).toEqual(Array(4).fill([250, 205, 185]));
    expect([seeds, peach.unshown]).toEqual([[5], undefined]);
    // one whose ground from words is always the sky: asked at three seeds (two retries), and said
    seeds.length = 0;
    drawn = render(bare({ kind: 'solid', color: 'sky' }, 'day'), 64);
    const sky = await ed.generate({ prompt, seed: 5 });
    expect(seeds).toEqual([5, 6, 7]);
    expect(sky.unshown?.[0]).toBe('A peach background');
    expect(sky.tries).toBe(3);
  });

  it("puts the picture's creature in a new scene as edits of the picture, judged right where the one pass is not", async () => {
    const ed = await MiniEditor.load();
    const all = [...streamSamples({ split: 'test', seed: 3, families: ['character'], count: 200 })].filter(
      (s) => s.task === 'character.scene',
    );
    // three, and the first whose picture shows a word (the world's new scene keeps none: taken away too)
    const scenes = [...all.slice(0, 3), all.find((s) => s.before!.text)!];
    let [inParts, onePass] = [0, 0];
    for (const s of scenes) {
      const picture = s.inputs[0]!;
      const r = await ed.edit({ prompt: s.instruction, image: picture, seed: 0 });
      // the edits as read from the picture: its shapes (left to right), its creature's size
      const edits = sceneParts(s.instruction, s.before!.objects, s.before!.character!.size, s.before!.text?.word)!;
      expect([...r.edits!].sort()).toEqual([...edits].sort());
      // and said before it runs, as made; not with the one pass
      const seen = await ed.shapesIn(picture);
      expect(ed.checkPrompt(s.instruction, { seen }).note).toContain(sceneNote(r.edits!)!);
      expect(ed.checkPrompt(s.instruction, { seen, inParts: false }).note ?? '').not.toContain('edits of the picture');
      const one = await ed.edit({ prompt: s.instruction, image: picture, seed: 0, inParts: false });
      expect(one.edits).toBeUndefined();
      inParts += +judge(s.edit, s.before, s.after, r.image).success;
      onePass += +judge(s.edit, s.before, s.after, one.image).success;
    }
    expect(scenes.length).toBe(4);
    expect(scenes[3]!.before!.text).not.toBeNull();
    expect(inParts).toBeGreaterThanOrEqual(2);
    expect(onePass).toBe(0);
  });
});
