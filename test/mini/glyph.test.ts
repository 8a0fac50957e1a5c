// A word replaced with its glyph image (src/world/glyph.ts, src/mini/glyph.ts): the old word found in the picture
// by its glyphs, by day, by night and in grey; the new word drawn white on black where the old one is centred,
// exactly as training draws it from the target scene; and given to the model after the picture only when the
// model was trained so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { createImage } from '../../src/image/rgb.ts';
import { findWord, glyphEdit } from '../../src/mini/glyph.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { glyphImage } from '../../src/world/glyph.ts';
import { TEXT_COLORS } from '../../src/world/palette.ts';
import { drawLabel, render } from '../../src/world/render.ts';

const tok = MiniTokenizer.fromJson(JSON.parse(readFileSync(join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')));

describe('glyphImage', () => {
  it('inks exactly the pixels the label of that word and centre inks, in the ink colour on the ground colour', () => {
    const label = { word: 'JAZZ', color: 'red' as const, x: 0.41, y: 0.7 };
    const scene = createImage(64, 64, [10, 10, 10]);
    drawLabel(scene, label);
    const colors = { ink: [200, 30, 40], ground: [90, 80, 70] } as const;
    const glyph = glyphImage('JAZZ', label, 64, colors);
    let inked = 0;
    for (let p = 0; p < 64 * 64; p++) {
      const ink = scene.data[p * 3] !== 10;
      expect([...glyph.data.subarray(p * 3, p * 3 + 3)]).toEqual([...(ink ? colors.ink : colors.ground)]);
      inked += ink ? 1 : 0;
    }
    expect(inked).toBeGreaterThan(40);
  });
});

describe('findWord', () => {
  it("finds a test input's word at its centre (within half a pixel), by day, by night and in grey", () => {
    const looks = new Set<string>();
    let n = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['text', 'global'], count: 160 })) {
      const t = s.before?.text;
      if (!t) continue;
      // the input, and the same scene in grey
      for (const img of [s.inputs[0]!, render({ ...s.before!, grayscale: true })]) {
        const at = findWord(img, t.word);
        expect(at, s.instruction).not.toBeNull();
        expect(Math.abs(at!.x - t.x) * 64, t.word).toBeLessThanOrEqual(0.5);
        expect(Math.abs(at!.y - t.y) * 64, t.word).toBeLessThanOrEqual(0.5);
        // a word of the same length that is not there is not found
        const other = t.word === 'ZZZZZZZZZZ'.slice(0, t.word.length) ? 'QQQQQQQQQQ' : 'ZZZZZZZZZZ';
        expect(findWord(img, other.slice(0, t.word.length)), t.word).toBeNull();
      }
      looks.add(s.before!.time);
      n++;
    }
    expect(n).toBeGreaterThan(60);
    expect([...looks].sort()).toEqual(['day', 'night']);
  });

  it('finds nothing in a picture without a word, nor a word wider than the picture', () => {
    expect(findWord(createImage(64, 64, [200, 200, 200]), 'KEY')).toBeNull();
    expect(findWord(createImage(64, 64, [200, 200, 200]), 'ABCDEFGHIJKLM')).toBeNull();
  });
});

describe('glyphEdit', () => {
  it("gives every test word replacement the glyph image training draws from its target, and nothing to the split's other edits", () => {
    let replaced = 0;
    let others = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['text'], count: 80 })) {
      const g = glyphEdit(tok.labels(s.instruction), s.inputs[0]!);
      if (s.task !== 'text.replace') {
        expect(g, s.instruction).toBeNull();
        others++;
        continue;
      }
      const t = s.after.text!;
      expect(g, s.instruction).not.toBeNull();
      expect([g!.from, g!.to]).toEqual([s.before!.text!.word, t.word]);
      // the new word where the target has it, in the old word's colours as the input shows them (by day: the
      // label's own colour exactly)
      const found = findWord(s.inputs[0]!, g!.from)!;
      if (s.before!.time === 'day') expect(found.ink).toEqual([...TEXT_COLORS[s.before!.text!.color]]);
      expect(g!.image.data).toEqual(glyphImage(t.word, t, 64, found).data);
      replaced++;
    }
    expect(replaced).toBeGreaterThan(25);
    expect(others).toBeGreaterThan(25);
  });

  it('needs two labels of which the picture shows exactly one', () => {
    const s = [...streamSamples({ split: 'test', seed: 7, families: ['text'], count: 10 })].find(
      (x) => x.before?.text,
    )!;
    const word = s.before!.text!.word;
    const img = s.inputs[0]!;
    expect(glyphEdit(tok.labels(`replace '${word}' with 'KEY'`), img)?.to).toBe('KEY');
    expect(glyphEdit(tok.labels(`make the word '${word}' red`), img)).toBeNull();
    expect(glyphEdit(tok.labels("replace 'APPLEPIE' with 'KEY'"), img)).toBeNull();
    expect(glyphEdit(tok.labels(`replace '${word}' with '${word}'`), img)).toBeNull();
  });
});

describe('the editor with a glyph-trained model', () => {
  it('gives a word replacement its glyph image after the picture, and only when the model was trained so', async () => {
    const ed = await MiniEditor.load();
    const s = [...streamSamples({ split: 'test', seed: 7, families: ['text'], count: 40 })].find(
      (x) => x.task === 'text.replace',
    )!;
    const sent: number[] = [];
    const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    ed.pipe.runWithRoundTrips = (reqs, o) => {
      sent.push(reqs[0]!.images.length);
      if (reqs[0]!.images.length === 2)
        expect(reqs[0]!.images[1]!.data).toEqual(
          glyphImage(s.after.text!.word, s.after.text!, 64, findWord(s.inputs[0]!, s.before!.text!.word)!).data,
        );
      return run(reqs, o);
    };
    const config = ed.pipe.model.config;
    const trained = config.glyph;
    try {
      for (const glyph of [false, true]) {
        config.glyph = glyph;
        await ed.edit({ prompt: s.instruction, image: s.inputs[0], seed: 0, numInferenceSteps: 1 });
        // a recolour names one word: never a glyph
        await ed.edit({
          prompt: `make the word '${s.before!.text!.word}' red`,
          image: s.inputs[0],
          seed: 0,
          numInferenceSteps: 1,
        });
      }
    } finally {
      config.glyph = trained;
    }
    expect(sent).toEqual([1, 1, 2, 1]);
  });

  it('says before the edit when a replacement will go without its glyph image: neither word shown, or both', async () => {
    const ed = await MiniEditor.load();
    const s = [...streamSamples({ split: 'test', seed: 7, families: ['text'], count: 40 })].find(
      (x) => x.task === 'text.replace',
    )!;
    const old = s.before!.text!.word;
    const img = s.inputs[0]!;
    const note = async (prompt: string, picture = img) =>
      ed.checkPrompt(prompt, { seen: await ed.shapesIn(picture) }).note ?? '';
    // the test's own replacement, and a next edit that names the word the first one draws: nothing to say
    expect(await note(s.instruction)).not.toMatch(/glyph/);
    expect(await note(`replace '${old}' with 'KEY' and replace 'KEY' with 'DOG'`)).not.toMatch(/glyph/);
    // a typo in the old word: neither is there
    expect(await note(`replace '${old}X' with 'KEY'`)).toMatch(
      new RegExp(`the picture shows neither '${old}X' nor 'KEY' as a word, .*without the new word's glyph image`),
    );
    // a picture showing both words
    const both = createImage(64, 64, [20, 20, 20]);
    drawLabel(both, { word: 'CAT', color: 'red', x: 0.5, y: 0.25 });
    drawLabel(both, { word: 'DOG', color: 'red', x: 0.5, y: 0.75 });
    expect(await note("replace 'CAT' with 'DOG'", both)).toMatch(
      /the picture shows both 'CAT' and 'DOG', so it is not clear which replaces which/,
    );
    // without the picture's shapes, or for a model not trained with glyph images, nothing is said
    expect(ed.checkPrompt(`replace '${old}X' with 'KEY'`).note ?? '').not.toMatch(/glyph/);
    const config = ed.pipe.model.config;
    const trained = config.glyph;
    try {
      config.glyph = false;
      expect(await note(`replace '${old}X' with 'KEY'`)).not.toMatch(/glyph/);
    } finally {
      config.glyph = trained;
    }
  });
});
