// kontext-mini's plumbing on a tiny random model: folder round trip, batching, letterboxing, the editor API.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { fitSquare, unfit } from '../../src/mini/fit.ts';
import { loadMini } from '../../src/mini/load.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { tinyModelDir, tinyPipeline } from './tiny.ts';

let dir: string;
beforeAll(async () => {
  dir = await tinyModelDir();
});
afterAll(async () => rm(dirname(dir), { recursive: true, force: true }));

const diff = (a: RGBImage, b: RGBImage) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

function pattern(w: number, h: number): RGBImage {
  const img = createImage(w, h, [200, 180, 40]);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if ((x >> 2) % 2 === (y >> 2) % 2) img.data.set([20, 60, 220], (y * w + x) * 3);
  return img;
}

describe('kontext-mini pipeline', () => {
  it('a saved folder loads back to the same outputs (f32 exactly)', async () => {
    const a = tinyPipeline();
    const b = await loadMini(dir);
    const req = { prompt: 'make the circle blue', images: [pattern(32, 32)], seed: 3 };
    const [x] = await a.run([req]);
    const [y] = await b.run([req]);
    expect(diff(x!, y!)).toBe(0);
  });

  it('batched requests give the same images as one at a time, in request order', async () => {
    const p = tinyPipeline();
    const reqs = [
      { prompt: 'make the circle red', images: [pattern(32, 32)], seed: 1 },
      { prompt: 'a blue circle', images: [], seed: 2 },
      { prompt: 'make the circle blue', images: [pattern(32, 32)], seed: 5 },
    ];
    const all = await p.run(reqs);
    for (const [i, r] of reqs.entries())
      expect(diff(all[i]!, (await p.run([r]))[0]!), `request ${i}`).toBeLessThanOrEqual(1);
    expect(diff(all[0]!, all[2]!)).toBeGreaterThan(0); // different seeds and prompts differ
  });

  it('runWithRoundTrips: the same outputs, and each first input round-tripped as roundTrip() does it', async () => {
    const p = tinyPipeline();
    const a = pattern(32, 32);
    const b = createImage(32, 32, [30, 140, 90]);
    const reqs = [
      { prompt: 'make the circle red', images: [a], seed: 1 },
      { prompt: 'a blue circle', images: [], seed: 2 },
      { prompt: 'in the style of this', images: [b, a], seed: 5 },
    ];
    const { images, roundTrips } = await p.runWithRoundTrips(reqs);
    const plain = await p.run(reqs);
    for (const i of [0, 1, 2]) expect(diff(images[i]!, plain[i]!), `output ${i}`).toBe(0);
    const [ra, rb] = await p.roundTrip([a, b]);
    expect(diff(roundTrips[0]!, ra!)).toBeLessThanOrEqual(1);
    expect(roundTrips[1]).toBeUndefined(); // text-to-image has no input
    expect(diff(roundTrips[2]!, rb!)).toBeLessThanOrEqual(1); // the first image (content), not the reference
    expect(diff(ra!, rb!)).toBeGreaterThan(10);
  });

  it('the seed fixes the output; another seed changes it', async () => {
    const p = tinyPipeline();
    const r = (seed: number) => p.run([{ prompt: 'make the circle blue', images: [pattern(32, 32)], seed }]);
    expect(diff((await r(7))[0]!, (await r(7))[0]!)).toBe(0);
    expect(diff((await r(7))[0]!, (await r(8))[0]!)).toBeGreaterThan(0);
  });

  it('refuses images that are not at the model resolution', async () => {
    await expect(tinyPipeline().run([{ prompt: 'x', images: [pattern(40, 32)], seed: 0 }])).rejects.toThrow(
      /images must be 32x32 \(fit them first\), got 40x32/,
    );
  });

  it('refuses a config.json whose preserve or candidates setting is malformed, naming the file and the form', async () => {
    const bad = await tinyModelDir();
    try {
      const path = join(bad, 'config.json');
      const cfg = JSON.parse(await readFile(path, 'utf8'));
      const form =
        /sampling\.preserve must be \{ "threshold": 0–254, "grow": an integer ≥ 1, "chroma": 0–254 \(optional\), "colorMap": a share in \(0, 1\] \(optional\) \}/;
      cfg.sampling.preserve = { threshold: 300, grow: 1 };
      await writeFile(path, JSON.stringify(cfg));
      await expect(loadMini(bad)).rejects.toThrow(form);
      await expect(loadMini(bad)).rejects.toThrow('config.json: sampling.preserve must be');
      await expect(loadMini(bad)).rejects.toThrow('got {"threshold":300,"grow":1}');
      cfg.sampling.preserve = { threshold: 32, grow: 1, chroma: 255 };
      await writeFile(path, JSON.stringify(cfg));
      await expect(loadMini(bad)).rejects.toThrow('got {"threshold":32,"grow":1,"chroma":255}');
      cfg.sampling.preserve = { threshold: 32, grow: 1, colorMap: 1.5 };
      await writeFile(path, JSON.stringify(cfg));
      await expect(loadMini(bad)).rejects.toThrow('got {"threshold":32,"grow":1,"colorMap":1.5}');
      cfg.sampling.preserve = { threshold: 32, grow: 1 };
      cfg.sampling.candidates = 0;
      await writeFile(path, JSON.stringify(cfg));
      await expect(loadMini(bad)).rejects.toThrow(
        /config\.json: sampling\.candidates must be an integer from 1 to 16, got 0/,
      );
      cfg.sampling.candidates = 1;
      cfg.sampling.retries = 9;
      await writeFile(path, JSON.stringify(cfg));
      await expect(loadMini(bad)).rejects.toThrow(
        /config\.json: sampling\.retries must be an integer from 0 to 8, got 9/,
      );
    } finally {
      await rm(dirname(bad), { recursive: true, force: true });
    }
  });

  it('names a folder that is not a model', async () => {
    await expect(loadMini(dirname(dir))).rejects.toThrow(/is not a kontext-mini model folder: config.json is missing/);
  });
});

describe('letterbox fit', () => {
  it('a square at the model size passes through untouched both ways', async () => {
    const img = pattern(32, 32);
    const f = await fitSquare(img, 32);
    expect(f.image).toBe(img);
    expect(await unfit(img, f)).toBe(img);
  });

  it('a wide image is centred with border-coloured margins, and comes back at its own size', async () => {
    const img = createImage(64, 32, [10, 200, 30]);
    const f = await fitSquare(img, 32);
    expect(f.box).toEqual({ x: 0, y: 8, width: 32, height: 16 });
    expect([...f.image.data.subarray(0, 3)]).toEqual([10, 200, 30]); // margin = border colour
    const back = await unfit(f.image, f);
    expect([back.width, back.height]).toEqual([64, 32]);
    expect(diff(back, img)).toBeLessThanOrEqual(1);
  });
});

describe('MiniEditor', () => {
  it('answers at the input size and aspect; text-to-image at the asked size', async () => {
    const ed = await MiniEditor.load(dir);
    const r = await ed.edit({ prompt: 'make the circle blue', image: pattern(50, 30), seed: 1 });
    expect([r.image.width, r.image.height, r.seed]).toEqual([50, 30, 1]);
    const g = await ed.generate({ prompt: 'a red circle', seed: 2, width: 48, height: 48 });
    expect([g.image.width, g.image.height]).toEqual([48, 48]);
  });

  it('makes two edits asked at once one after the other (seeds S, S + 1), exactly as two calls would', async () => {
    const ed = await MiniEditor.load(dir);
    const img = pattern(40, 24);
    const steps: [number, number][] = [];
    const both = await ed.edit({
      prompt: 'make the circle blue and the background red',
      image: img,
      seed: 7,
      numInferenceSteps: 2,
      onStep: (s, t) => void steps.push([s, t]),
    });
    expect(both.edits).toEqual(['make the circle blue', 'make the background red']);
    expect(steps.map(([s, t]) => `${s}/${t}`)).toEqual(['1/4', '2/4', '3/4', '4/4']); // one progress over both
    const first = await ed.edit({ prompt: 'make the circle blue', image: img, seed: 7, numInferenceSteps: 2 });
    const second = await ed.edit({
      prompt: 'make the background red',
      image: first.image,
      seed: 8,
      numInferenceSteps: 2,
    });
    expect(both.image).toEqual(second.image);
    expect(both.seed).toBe(7);
    // as one prompt: one edit, another answer; one edit asked: no `edits`
    const asOne = await ed.edit({
      prompt: 'make the circle blue and the background red',
      image: img,
      seed: 7,
      numInferenceSteps: 2,
      oneByOne: false,
    });
    expect(asOne.edits).toBeUndefined();
    // typos are read before the split ("the cirlce red" names the circle), and before the colour notes
    const typo = await ed.edit({
      prompt: 'make the circle blue and the cirlce red',
      image: img,
      seed: 7,
      numInferenceSteps: 2,
    });
    expect(typo.edits).toEqual(['make the circle blue', 'make the circle red']);
    expect(ed.checkPrompt('make the cirlce black').note).toMatch(
      /^read "cirlce" as "circle", a typo of a word the model knows; .*so a "black" circle is outside what it learnt$/,
    );
    expect(diff(asOne.image, both.image)).toBeGreaterThan(0);
    expect(first.edits).toBeUndefined();
    // several things in one edit: one edit per thing, the same answer as the two edits typed out, and said
    const run = (prompt: string) => ed.edit({ prompt, image: img, seed: 7, numInferenceSteps: 2 });
    const [things, typed] = await Promise.all(
      ['remove the circle and the red square', 'remove the circle and remove the red square'].map(run),
    );
    expect(things.edits).toEqual(['remove the circle', 'remove the red square']);
    expect(things.image).toEqual(typed.image);
    expect(ed.checkPrompt('remove the circle and the red square').note).toContain(
      'asks for 2 ("remove the circle", "remove the red square")',
    );
    // "all the shapes": one edit per shape the input shows (left to right), as if typed out; none seen: as typed
    const scene = [...streamSamples({ split: 'test', seed: 7, families: ['local'], count: 40 })].find(
      (s) => s.before!.objects.length >= 2,
    )!;
    const each = [...scene.before!.objects].sort((a, b) => a.x - b.x).map((o) => `remove the ${o.color} ${o.shape}`);
    const runOn = (prompt: string, image: RGBImage) => ed.edit({ prompt, image, seed: 7, numInferenceSteps: 2 });
    const [all, typedOut] = await Promise.all(
      ['remove all the shapes', each.join(' and ')].map((p) => runOn(p, scene.inputs[0]!)),
    );
    expect(all.edits).toEqual(each);
    expect(all.image).toEqual(typedOut.image);
    expect((await runOn('remove all the shapes', img)).edits).toBeUndefined();
    // a shape named by its shape alone is named by its colour too, as the input shows it: the same answer
    const unique = scene.before!.objects.find(
      (o) => scene.before!.objects.filter((p) => p.shape === o.shape).length === 1,
    )!;
    const [bare, full] = await Promise.all(
      [`remove the ${unique.shape}`, `remove the ${unique.color} ${unique.shape}`].map((p) =>
        runOn(p, scene.inputs[0]!),
      ),
    );
    expect(bare.edits).toEqual([`remove the ${unique.color} ${unique.shape}`]);
    expect(bare.image).toEqual(full.image);
    expect(full.edits).toBeUndefined();
    // two of a kind told apart by where they are ("the star on the left"): the one there, by its colour and shape
    const pair = [...streamSamples({ split: 'test', seed: 7, families: ['local'], count: 200 })].flatMap((s) => {
      const [a, b] = s.before!.objects.filter((o, _, all) => all.filter((p) => p.shape === o.shape).length === 2);
      return a && b && a.color !== b.color && Math.abs(a.x - b.x) > 0.2 ? [{ s, left: a.x < b.x ? a : b }] : [];
    })[0]!;
    const [placed, named] = await Promise.all(
      [`remove the ${pair.left.shape} on the left`, `remove the ${pair.left.color} ${pair.left.shape}`].map((p) =>
        runOn(p, pair.s.inputs[0]!),
      ),
    );
    expect(placed.edits).toEqual([`remove the ${pair.left.color} ${pair.left.shape}`]);
    expect(placed.image).toEqual(named.image);
    // nothing said to tell them apart: as typed, and the note says which there are
    const seen = await ed.shapesIn(pair.s.inputs[0]!);
    // "the thing" named as the picture shows it: "thing" is then no unknown word (it is not asked)
    const other = pair.s.before!.objects.find((o) =>
      pair.s.before!.objects.every((p) => p === o || p.color !== o.color),
    )!;
    const thing = ed.checkPrompt(`remove the ${other.color} thing`, { seen });
    expect(thing.unknownWords).not.toContain('thing');
    expect(thing.note).toContain(`read "the ${other.color} thing" as "the ${other.color} ${other.shape}"`);
    expect(ed.checkPrompt(`remove the ${other.color} thing`).unknownWords).toContain('thing'); // no picture read
    // a shape recoloured in its own colour: said (the picture read), nothing said without the picture
    const same = `make the ${other.color} ${other.shape} ${other.color}`;
    expect(ed.checkPrompt(same, { seen }).note).toContain(
      `the ${other.color} ${other.shape} is ${other.color} already`,
    );
    expect(ed.checkPrompt(same).note ?? '').not.toContain('already');
    expect(ed.checkPrompt(`remove the ${pair.left.shape}`, { seen }).note).toMatch(
      new RegExp(
        `the picture shows 2 shapes "the ${pair.left.shape}" may name \\(a ${pair.left.color} ${pair.left.shape} and `,
      ),
    );
  });

  it('asks a colour the world never draws as the nearest it does: the same answer, and said', async () => {
    const ed = await MiniEditor.load(dir);
    const img = pattern(32, 32);
    const run = (prompt: string) => ed.edit({ prompt, image: img, seed: 3, numInferenceSteps: 2 });
    const [plain, world, far] = await Promise.all(
      ['make the background blue', 'make the background sky blue', 'make the background red'].map(run),
    );
    expect(plain.image).toEqual(world.image);
    expect(diff(plain.image, far.image)).toBeGreaterThan(0);
    // a shape's: "crimson" (a word this vocabulary lacks) is asked as its red, and so is not unknown
    const [crimson, red] = await Promise.all(['make the circle crimson', 'make the circle red'].map(run));
    expect(crimson.image).toEqual(red.image);
    expect(crimson.unknownWords).toEqual([]);
    expect(ed.checkPrompt('make the circle crimson')).toMatchObject({
      unknownWords: [],
      note: expect.stringMatching(/"crimson" circle is drawn as the nearest of them, "red"$/),
    });
    expect(ed.checkPrompt('make the crimson circle blue').unknownWords).toEqual(['crimson']); // not what is asked
    // the world's edits in other words (the whole picture's lighting, sizes, moves): asked in the world's, and said
    const [dark, night, shrink, smaller] = await Promise.all(
      ['make it dark', 'make it night', 'shrink the circle', 'make the circle smaller'].map(run),
    );
    expect(dark.image).toEqual(night.image);
    expect(shrink.image).toEqual(smaller.image);
    expect(shrink.unknownWords).toEqual(smaller.unknownWords); // not "shrink": it was not what the model was asked
    expect(ed.checkPrompt('Make it dark, please').note).toMatch(
      /^read "Make it dark, please" as "make it night", as the world words it(;|$)/,
    );
    // several such edits at once: each read on its own after the split, and "shrink" is no unknown word
    const two = ed.checkPrompt('make it a bit darker and shrink the star');
    expect(two.phrasings).toEqual([
      { typed: 'make it a bit darker', read: 'make it night' },
      { typed: 'shrink the star', read: 'make the star smaller' },
    ]);
    expect(two.unknownWords).toEqual(ed.checkPrompt('make it night and make the star smaller').unknownWords);
    expect(two.note).toMatch(
      /^read "make it a bit darker" as "make it night" and "shrink the star" as "make the star smaller", as the world words them;.* the model learnt one edit per instruction, and this asks for 2 /,
    );
    expect(ed.checkPrompt('make the background blue').note).toMatch(
      /so a "blue" background is drawn as the nearest of them, "sky blue"$/,
    );
  });

  it('reads "it" after the turn before as the shape that turn edited: the same answer as naming it, and said', async () => {
    const ed = await MiniEditor.load(dir);
    const img = pattern(32, 32);
    const run = (prompt: string, previous?: string) =>
      ed.edit({ prompt, image: img, seed: 3, numInferenceSteps: 2, previous });
    const [it, named, alone] = await Promise.all([
      run('move it up', 'make the red circle blue'),
      run('move the blue circle to the top'),
      run('move it up'),
    ]);
    expect(it.image).toEqual(named.image);
    expect(diff(it.image, alone.image)).toBeGreaterThan(0); // with no turn before, "it" is as typed
    // the edit as read is returned, so that the next turn's "it" reads on from it
    expect([it.edits, named.edits, alone.edits]).toEqual([['move the blue circle up'], undefined, undefined]);
    expect(ed.checkPrompt('make it bigger', { previous: it.edits![0] }).note).toMatch(
      /^read "make it bigger" as "make the blue circle bigger"/,
    );
    expect(ed.checkPrompt('move it up', { previous: 'make the red circle blue' }).note).toMatch(
      /^read "move it up" as "move the blue circle up": "it" is the shape the turn before edited; read "move the blue circle up" as "move the blue circle to the top", as the world words it/,
    );
    expect(ed.checkPrompt('make it night', { previous: 'make the red circle blue' }).note).not.toMatch(/"it" is/);
    // "them" after several things: each, one edit after the other
    const them = ed.checkPrompt('now move them up', { previous: 'make the circle and the square red' });
    expect(them.note).toMatch(
      /^read "now move them up" as "move the circle up and move the square up": "them" are the shapes the turn before edited;.* this asks for 2 \("move the circle up", "move the square up"\)/,
    );
  });

  it('rejects bad requests with messages that say what to fix', async () => {
    const ed = await MiniEditor.load(dir);
    const img = pattern(32, 32);
    await expect(ed.edit({ prompt: 'x', image: [img, img, img] })).rejects.toThrow(
      /at most 2 images \(content and style reference\), got 3/,
    );
    await expect(ed.edit({ prompt: 'x', image: img, seed: -1 })).rejects.toThrow(
      /seed -1 must be a non-negative integer/,
    );
    await expect(ed.edit({ prompt: 'x', image: img, numInferenceSteps: 0 })).rejects.toThrow(
      /numInferenceSteps must be an integer from 1 to 1000, got 0/,
    );
    await expect(ed.edit({ prompt: 'x', image: img, candidates: 20 })).rejects.toThrow(
      /candidates must be an integer from 1 to 16, got 20/,
    );
    await expect(ed.edit({ prompt: 'x', image: img, retries: -1 })).rejects.toThrow(
      /retries must be an integer from 0 to 8, got -1/,
    );
    await expect(ed.edit({ prompt: 'x', image: img, retries: 1.5 })).rejects.toThrow(
      /retries must be an integer from 0 to 8, got 1\.5/,
    );
  });
});
