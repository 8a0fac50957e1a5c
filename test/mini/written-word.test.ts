// A word written where the picture shows none (src/mini/word-edits.ts wordWrittenAsked, writtenGlyph): its glyph image
// drawn in the cell asked where it covers the least of the picture, in the colour asked and the picture's light, the
// model asked to replace the word with itself; the shipped model so writes a caption's word, and a user's, where from
// words it draws a scribble. And a word taken away (wordRemovedAsked): laid as its ground where the model erased it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge } from '../../src/bench/analyze.ts';
import { lit, readWord } from '../../src/bench/read.ts';
import { readImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { findWord } from '../../src/mini/glyph.ts';
import {
  movedGlyph,
  removedGlyph,
  wordMovedAsked,
  wordRemovedAsked,
  withWordNamed,
  wordWrittenAsked,
  worldWordIn,
  writtenGlyph,
  writtenNote,
  writtenPrompt,
} from '../../src/mini/word-edits.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { captionParts } from '../../src/world/caption-parts.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { TEXT_COLORS } from '../../src/world/palette.ts';
import { render } from '../../src/world/render.ts';
import {
  nearRegionLine,
  objectRect,
  rectsOverlap,
  REGIONS,
  regionOf,
  regionRect,
  type Scene,
  textRect,
} from '../../src/world/scene.ts';

const tok = MiniTokenizer.fromJson(JSON.parse(readFileSync(join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')));
const asked = (edit: string) => wordWrittenAsked(tok.labels(edit), edit);

const scene = (over: Partial<Scene>): Scene => ({
  background: { kind: 'solid', color: 'cream' },
  time: 'day',
  grayscale: false,
  objects: [],
  text: null,
  character: null,
  ...over,
});

describe('wordWrittenAsked', () => {
  it('reads a word written, its colour and cell where said; not a replacement, a recolour phrasing or a shape', () => {
    expect(asked("add the word 'OWL' in orange at the top")).toEqual({ word: 'OWL', color: 'orange', region: 'top' });
    expect(asked("write 'MOON'")).toEqual({ word: 'MOON', color: null, region: null });
    expect(asked('put the text "SALE" at the bottom right')).toEqual({
      word: 'SALE',
      color: null,
      region: 'bottom right',
    });
    for (const none of [
      "replace 'OWL' with 'MOON'",
      "make the word 'OWL' red",
      "add a red circle 'OWL' at the top",
      "add the word 'OWL' in red and blue",
      'add a red circle at the top',
    ])
      expect(asked(none), none).toBeNull();
  });
});

describe('writtenGlyph', () => {
  const shape = { id: 0, shape: 'square', color: 'blue', size: 'small', style: 'filled', x: 0.5, y: 0.12 } as const;
  const picture = render(scene({ objects: [shape] }), 64);

  it('draws the word in the cell asked, clear of what the picture draws, nearest its centre, in the colour asked', () => {
    const g = writtenGlyph(asked("add the word 'OWL' in red at the top"), picture)!;
    expect(g.from).toBe('');
    expect(g.to).toBe('OWL');
    expect(g.prompt).toBe(writtenPrompt('OWL'));
    // in its cell, its box clear of the square's
    expect(regionOf(g.found.x, g.found.y)).toBe('top');
    expect(rectsOverlap(textRect({ word: 'OWL', color: 'red', ...g.found }), objectRect(shape), 0)).toBe(false);
    expect([...g.found.ink]).toEqual([...TEXT_COLORS.red]);
    // on the picture's ground there, and the glyph image is that word drawn so
    expect([...g.found.ground]).toEqual([...picture.data.subarray(0, 3)]);
    const drawn = findWord(g.image, 'OWL')!;
    expect(Math.abs(drawn.x - g.found.x)).toBeLessThanOrEqual(1 / 128);
    expect(Math.abs(drawn.y - g.found.y)).toBeLessThanOrEqual(1 / 128);
    // on a bare picture, the cell's centre (the half-pixel lattice)
    const bare = writtenGlyph(asked("add the word 'OWL' at the bottom left"), render(scene({}), 64))!;
    const [b0, b1, b2, b3] = regionRect('bottom left');
    expect(Math.abs(bare.found.x - (b0 + b2) / 2)).toBeLessThanOrEqual(1 / 128);
    expect(Math.abs(bare.found.y - (b1 + b3) / 2)).toBeLessThanOrEqual(1 / 128);
  });

  it('places a word off the lines between the cells, as the world places things, in every cell of test pictures', () => {
    let placed = 0;
    for (const s of streamSamples({ split: 'test', seed: 3, families: ['local', 'character'], count: 12 }))
      for (const region of REGIONS) {
        const g = writtenGlyph({ word: 'HELLO', color: null, region }, s.inputs[0]!);
        if (!g) continue;
        expect(regionOf(g.found.x, g.found.y)).toBe(region);
        expect(nearRegionLine(g.found.x) || nearRegionLine(g.found.y), `${s.key} ${region}`).toBe(false);
        placed++;
      }
    expect(placed).toBe(12 * 9);
  });

  it("takes a colour that reads on the ground where none is asked, and the picture's night", () => {
    const night = render(scene({ background: { kind: 'solid', color: 'white' }, time: 'night' }), 64);
    const g = writtenGlyph(asked("write 'MOON'"), night)!;
    expect([...g.found.ink]).toEqual([...lit(TEXT_COLORS.black, { time: 'night', grayscale: false })]);
    expect(writtenGlyph(asked("write 'MOON' in blue"), night)!.found.ink).toEqual(
      lit(TEXT_COLORS.blue, { time: 'night', grayscale: false }),
    );
  });

  it('gives none where the picture shows the word already (a recolour) or nothing is written', () => {
    const shown = render(scene({ text: { word: 'OWL', color: 'green', x: 0.5, y: 0.5 } }), 64);
    expect(writtenGlyph(asked("write 'OWL' in red"), shown)).toBeNull();
    expect(writtenGlyph(null, shown)).toBeNull();
  });
});

describe('the editor writes a word', () => {
  it("writes a user's word in its cell and leaves every other pixel as the picture has it, said before", async () => {
    const ed = await MiniEditor.load();
    const img = await readImage('examples/scene.png');
    const prompt = "add the word 'SUN' in red at the top right";
    const seen = await ed.shapesIn(img);
    expect(ed.checkPrompt(prompt, { seen }).note).toBe(writtenNote(asked(prompt)!));
    expect(ed.checkPrompt(prompt, { seen }).unknownWords).toEqual([]);
    // the model is asked the replacement it was trained on, the glyph image after the picture
    const given: { prompt: string; images: number }[] = [];
    const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    ed.pipe.runWithRoundTrips = (reqs, o) => {
      given.push(...reqs.map((q) => ({ prompt: q.prompt, images: q.images.length })));
      return run(reqs, o);
    };
    const r = await ed.edit({ prompt, image: img, seed: 0 });
    expect(given).toEqual([{ prompt: writtenPrompt('SUN'), images: 2 }]);
    expect(r.unshown).toBeUndefined();
    const look = { time: 'day', grayscale: false } as const;
    expect(readWord(r.image, regionRect('top right'), TEXT_COLORS.red, look)).toBe('SUN');
    // the picture's own word, FLUX, is kept (asked a replacement, the model may smudge it): every pixel off the new
    // word's box is the input's
    const g = writtenGlyph(asked(prompt), img)!;
    const [x0, y0, x1, y1] = textRect({ word: 'SUN', color: 'red', ...g.found }).map((v) => v * 64);
    let changed = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        if (x >= x0! - 3 && x < x1! + 3 && y >= y0! - 3 && y < y1! + 3) continue;
        const p = (y * 64 + x) * 3;
        if ([0, 1, 2].some((c) => r.image.data[p + c] !== img.data[p + c])) changed++;
      }
    expect(changed).toBe(0);
  });

  it("writes a caption's word after its shapes, read in its cell where the one pass draws none", async () => {
    const ed = await MiniEditor.load();
    const captions = [...streamSamples({ split: 'test', seed: 3, families: ['t2i'], count: 120 })]
      .filter((s) => s.after.text && !s.after.character && s.after.time === 'day')
      .slice(0, 3);
    expect(captions.length).toBe(3);
    let [inParts, onePass] = [0, 0];
    for (const s of captions) {
      const parts = captionParts(s.instruction)!;
      expect(parts.edits.at(-1)).toMatch(/^add the word '/);
      const r = await ed.generate({ prompt: s.instruction, seed: 0 });
      const one = await ed.generate({ prompt: s.instruction, seed: 0, inParts: false });
      const words = (img: typeof r.image) =>
        judge(s.edit, null, s.after, img).failures.filter((f) => f.startsWith('text reads')).length === 0;
      inParts += +words(r.image);
      onePass += +words(one.image);
    }
    expect(inParts).toBeGreaterThanOrEqual(2);
    expect(onePass).toBe(0);
  });
});

describe('a word taken away', () => {
  it('reads the word a removal names by its label; not a shape, a replacement or a word said without its label', () => {
    const removed = (edit: string) => wordRemovedAsked(tok.labels(edit), edit);
    expect(removed("remove the word 'OWL'")).toBe('OWL');
    expect(removed("Please delete 'OWL'.")).toBe('OWL');
    expect(removed('get rid of the text OWL')).toBe('OWL');
    for (const none of [
      'remove the red circle',
      "remove the circle under 'OWL'",
      "replace 'OWL' with 'MOON'",
      'remove the word',
      "make 'OWL' red",
    ])
      expect(removed(none), none).toBeNull();
  });

  it("erases a test picture's word as the world draws the picture without it, every other pixel kept, said before; left as it was where no try erased it", async () => {
    const ed = await MiniEditor.load();
    const rows = [...streamSamples({ split: 'test', seed: 3, families: ['text'], count: 40 })]
      .filter((s) => s.task === 'text.replace')
      .slice(0, 4);
    let erased = 0;
    for (const s of rows) {
      const word = s.before!.text!.word;
      const prompt = `remove the word '${word}'`;
      const img = s.inputs[0]!;
      expect(ed.checkPrompt(prompt, { seen: await ed.shapesIn(img) }).note).toMatch(/its box is laid as the ground/);
      const r = await ed.edit({ prompt, image: img, seed: 0 });
      if (findWord(r.image, word)) {
        expect(r.unshown).toEqual([prompt]);
        continue;
      }
      erased++;
      // the world's picture without the word (its old strokes laid as each row's ground)
      const truth = render({ ...s.before!, text: null }, 64);
      const off = r.image.data.filter((v, i) => v !== truth.data[i]).length;
      expect(off, s.key).toBe(0);
      // outside the word's box (and a rim), the input's own pixels
      const [x0, y0, x1, y1] = textRect(s.before!.text!).map((v) => v * 64);
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          if (x < x0! - 3 || x >= x1! + 3 || y < y0! - 3 || y >= y1! + 3)
            for (let c = 0; c < 3; c++) expect(r.image.data[(y * 64 + x) * 3 + c]).toBe(img.data[(y * 64 + x) * 3 + c]);
    }
    expect(erased).toBeGreaterThanOrEqual(3);
    // an answer that erases the word and smudges a corner too: the word alone taken, the corner the input's
    const s = rows[0]!;
    const keep = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await keep(reqs, o);
      const smudged = render({ ...s.before!, text: null }, 64);
      for (let p = 0; p < 6 * 64 * 3; p++) smudged.data[p] = 255 - smudged.data[p]!;
      return { ...r, images: reqs.map(() => smudged) };
    };
    const only = await ed.edit({ prompt: `remove the word '${s.before!.text!.word}'`, image: s.inputs[0]!, seed: 0 });
    expect(findWord(only.image, s.before!.text!.word)).toBeNull();
    expect([...only.image.data.subarray(0, 6 * 64 * 3)]).toEqual([...s.inputs[0]!.data.subarray(0, 6 * 64 * 3)]);
    // an answer that restrokes the word in another colour (no try erases it): the picture as it was, the edit said
    // unshown
    const word = s.before!.text!;
    const recoloured = render({ ...s.before!, text: { ...word, color: word.color === 'red' ? 'blue' : 'red' } }, 64);
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await keep(reqs, o);
      return { ...r, images: reqs.map(() => recoloured) };
    };
    const left = await ed.edit({ prompt: `remove the word '${word.word}'`, image: s.inputs[0]!, seed: 0 });
    const diff = [...left.image.data].flatMap((v, i) =>
      v !== s.inputs[0]!.data[i] ? [[i, v, s.inputs[0]!.data[i]]] : [],
    );
    expect(diff.slice(0, 12)).toEqual([]);
    expect(left.unshown).toHaveLength(1);
  });
});

describe('a word taken away with its blank glyph image', () => {
  it("gives the picture's ground where the word is, no glyphs; none for a word the picture does not show", async () => {
    const img = await readImage('examples/scene.png');
    const g = removedGlyph('FLUX', img)!;
    const found = findWord(img, 'FLUX')!;
    expect([g.from, g.to, g.prompt]).toEqual(['FLUX', '', undefined]);
    expect(g.found).toEqual(found);
    expect(new Set(Array.from({ length: 64 * 64 }, (_, p) => g.image.data.subarray(p * 3, p * 3 + 3).join()))).toEqual(
      new Set([found.ground.join()]),
    );
    expect(removedGlyph('FLUXX', img)).toBeNull();
    expect(removedGlyph(null, img)).toBeNull();
  });

  it('asks the model with the blank glyph image and without it in turn, and takes the word alone', async () => {
    const ed = await MiniEditor.load();
    const img = await readImage('examples/scene.png');
    const keep = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    const given: number[] = [];
    // answers that never erase the word (the input, its corner smudged): every try asked
    const smudged = { ...img, data: Uint8Array.from(img.data, (v, i) => (i < 64 * 4 * 3 ? 255 - v : v)) };
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await keep(reqs, o);
      given.push(...reqs.map((q) => q.images.length));
      return { ...r, images: reqs.map(() => smudged) };
    };
    const r = await ed.edit({ prompt: "remove the word 'FLUX'", image: img, seed: 0 });
    expect(given).toEqual([2, 1, 2]);
    // no try erased it: the picture as it was (the smudge not kept), said
    expect([...r.image.data]).toEqual([...img.data]);
    expect(r.unshown).toEqual(["remove the word 'FLUX'"]);
  });
});

describe("a new scene's word", () => {
  it("reads the world's word a picture shows, and takes it away when the creature is put in a new scene", async () => {
    const samples = [...streamSamples({ split: 'test', seed: 3, families: ['text', 'character'], count: 120 })];
    for (const s of samples.filter((x) => x.task === 'text.replace').slice(0, 6))
      expect(worldWordIn(s.inputs[0]!), s.key).toBe(s.before!.text!.word);
    expect(worldWordIn(render(scene({}), 64))).toBeNull();
    // a word with a shorter one of the world's in it ('OPEN' shows 'PEN'): the word
    expect(worldWordIn(render(scene({ text: { word: 'OPEN', color: 'black', x: 0.5, y: 0.5 } }), 64))).toBe('OPEN');
    // the world's new scene keeps no word: said among the edits before they run
    const ed = await MiniEditor.load();
    const worded = samples.find((x) => x.task === 'character.scene' && x.before!.text)!;
    const img = worded.inputs[0]!;
    const note = ed.checkPrompt(worded.instruction, { seen: await ed.shapesIn(img) }).note ?? '';
    expect(note).toContain(`"remove the word '${worded.before!.text!.word}'"`);
  });
});

describe('a word moved', () => {
  it('reads the word a move names by its label and the cell; not a shape, nor a word without a cell', () => {
    const moved = (edit: string) => wordMovedAsked(tok.labels(edit), edit);
    expect(moved("move the word 'OWL' to the top left")).toEqual({ word: 'OWL', region: 'top left' });
    expect(moved('put the text OWL at the bottom')).toEqual({ word: 'OWL', region: 'bottom' });
    for (const none of ["move the circle under 'OWL' to the top", "move the word 'OWL'", "replace 'OWL' with 'FOX'"])
      expect(moved(none), none).toBeNull();
  });

  it("writes a test picture's word in the cell asked and takes the old one away, every other pixel kept", async () => {
    const ed = await MiniEditor.load();
    const rows = [...streamSamples({ split: 'test', seed: 3, families: ['text'], count: 40 })]
      .filter((s) => s.task === 'text.replace')
      .slice(0, 4);
    let made = 0;
    for (const s of rows) {
      const t = s.before!.text!;
      const img = s.inputs[0]!;
      const to = regionOf(t.x, t.y) === 'top' ? 'bottom' : 'top';
      const prompt = `move the word '${t.word}' to the ${to}`;
      const seen = await ed.shapesIn(img);
      expect(ed.checkPrompt(prompt, { seen }).note).toBe(writtenNote({ word: t.word, region: to }, true));
      const g = movedGlyph(wordMovedAsked(tok.labels(prompt), prompt), img)!;
      expect(regionOf(g.at!.x, g.at!.y)).toBe(to);
      expect([...g.at!.ink]).toEqual([...findWord(img, t.word)!.ink]);
      const r = await ed.edit({ prompt, image: img, seed: 0 });
      if (r.unshown) {
        // no try made it: the picture as it was, said
        expect([...r.image.data]).toEqual([...img.data]);
        expect(r.unshown).toEqual([prompt]);
        continue;
      }
      made++;
      const at = findWord(r.image, t.word)!;
      expect(regionOf(at.x, at.y)).toBe(to);
      // the old word's box is its ground now; every pixel off both words' boxes the input's
      const old = textRect(t).map((v) => v * 64);
      const now = textRect({ ...t, x: at.x, y: at.y }).map((v) => v * 64);
      const inBox = (b: number[], x: number, y: number) =>
        x >= b[0]! - 3 && x < b[2]! + 3 && y >= b[1]! - 3 && y < b[3]! + 3;
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) {
          if (inBox(old, x, y) || inBox(now, x, y)) continue;
          for (let c = 0; c < 3; c++) expect(r.image.data[(y * 64 + x) * 3 + c]).toBe(img.data[(y * 64 + x) * 3 + c]);
        }
    }
    expect(made).toBeGreaterThanOrEqual(3);
    // a word the picture shows in that cell already, or does not show: not moved so
    const t = rows[0]!.before!.text!;
    expect(movedGlyph({ word: t.word, region: regionOf(t.x, t.y) }, rows[0]!.inputs[0]!)).toBeNull();
    expect(movedGlyph({ word: 'ZZZ', region: 'top' }, rows[0]!.inputs[0]!)).toBeNull();
  });

  it('leaves the picture as it was where no try writes the word (written or moved), and says so', async () => {
    const ed = await MiniEditor.load();
    const img = await readImage('examples/scene.png');
    const keep = ed.pipe.runWithRoundTrips.bind(ed.pipe);
    // an answer that ignores the glyphs and smudges the picture's own word
    const smudged = { ...img, data: Uint8Array.from(img.data, (v, i) => (i < 64 * 30 * 3 ? 255 - v : v)) };
    ed.pipe.runWithRoundTrips = async (reqs, o) => {
      const r = await keep(reqs, o);
      return { ...r, images: reqs.map(() => smudged) };
    };
    for (const prompt of ["add the word 'SUN' at the bottom left", "move the word 'FLUX' to the bottom left"]) {
      const r = await ed.edit({ prompt, image: img, seed: 0 });
      expect([...r.image.data], prompt).toEqual([...img.data]);
      expect(r.unshown, prompt).toEqual([prompt]);
    }
  });
});

describe('a word the picture does not show', () => {
  it('is named before a move or a removal of it (a typo), and not for a word the picture shows', async () => {
    const ed = await MiniEditor.load();
    const img = await readImage('examples/scene.png');
    const seen = await ed.shapesIn(img);
    const note = (p: string) => ed.checkPrompt(p, { seen }).note ?? '';
    for (const p of ["remove the word 'FLUXX'", "move the word 'FLUXX' to the top"])
      expect(note(p), p).toContain("the picture shows no word 'FLUXX' in the world's font (check its spelling)");
    for (const p of ["remove the word 'FLUX'", "move the word 'FLUX' to the bottom"])
      expect(note(p), p).not.toContain('shows no word');
  });
});

describe("the picture's word spoken of without its label", () => {
  it("is named by the world's word the picture shows; not where a label is quoted, a shape named or a word written", async () => {
    const img = await readImage('examples/scene.png');
    const named = (edit: string, picture = img) => withWordNamed(edit, tok.labels(edit), picture);
    expect(named('remove the text')).toBe("remove the text 'FLUX'");
    expect(named('move the word to the top')).toBe("move the word 'FLUX' to the top");
    expect(named('make the Letters blue')).toBe("make the Letters 'FLUX' blue");
    expect(named('Please delete the sign.')).toBe("Please delete the sign 'FLUX'.");
    for (const same of [
      "remove the word 'OWL'",
      'remove the text FLUX',
      'remove the circle under the text',
      'add the text in red at the top',
      'write the word at the top',
      'make the background blue',
    ])
      expect(named(same), same).toBe(same);
    expect(named('remove the text', render(scene({}), 64))).toBe('remove the text');
  });

  it("reads a replacement that names its new word alone as the world's, the picture's word replaced", async () => {
    const img = await readImage('examples/scene.png');
    const named = (edit: string, picture = img) => withWordNamed(edit, tok.labels(edit), picture);
    for (const typed of [
      "change the word to 'HELLO'",
      'Please change the text to HELLO.',
      'turn the sign into HELLO',
      'replace the letters with "HELLO"',
      'rewrite the word as HELLO',
      'make the sign say HELLO',
      'make it read HELLO',
    ])
      expect(named(typed), typed).toBe("replace 'FLUX' with 'HELLO'");
    for (const same of [
      // the picture's word already; more after the new word; a shape
      'change the word to FLUX',
      'make it say HELLO and more',
      'change the circle to HELLO',
    ])
      expect(named(same), same).toBe(same);
    expect(named('change the text to HELLO', render(scene({}), 64))).toBe('change the text to HELLO');
    // made as the world's replacement, byte for byte, and said
    const ed = await MiniEditor.load();
    const typed = 'make the sign say HELLO';
    const r = await ed.edit({ prompt: typed, image: img, seed: 0 });
    const world = await ed.edit({ prompt: "replace 'FLUX' with 'HELLO'", image: img, seed: 0 });
    expect(r.edits).toEqual(["replace 'FLUX' with 'HELLO'"]);
    expect([...r.image.data]).toEqual([...world.image.data]);
    expect(findWord(r.image, 'HELLO')).not.toBeNull();
    expect(ed.checkPrompt(typed, { seen: await ed.shapesIn(img) }).note).toContain(
      `read "${typed}" as "replace 'FLUX' with 'HELLO'": the word the picture shows`,
    );
  });

  it("is named by a user's word the turn before wrote, which is not the world's", async () => {
    const ed = await MiniEditor.load();
    const img = render(scene({ text: { word: 'SUNNY', color: 'red', x: 0.5, y: 0.2 } }), 64);
    const seen = await ed.shapesIn(img);
    // the world's 'SUN' in it is not the picture's word: letters stand beside it
    expect(worldWordIn(img)).toBeNull();
    expect(worldWordIn(img, ['SUNNY'])).toBe('SUNNY');
    const previous = "add the word 'SUNNY' in red at the top";
    expect(ed.checkPrompt('remove the text', { seen, previous }).note).toContain(
      `read "remove the text" as "remove the text 'SUNNY'"`,
    );
    // without the turn before, no word of the world's is found: as typed
    expect(ed.checkPrompt('remove the text', { seen }).note ?? '').not.toContain("'SUNNY'");
    const r = await ed.edit({ prompt: 'remove the text', image: img, seed: 0, previous });
    expect(r.edits).toEqual(["remove the text 'SUNNY'"]);
  });

  it('is edited as the edit with its label, and said before', async () => {
    const ed = await MiniEditor.load();
    const img = await readImage('examples/scene.png');
    const seen = await ed.shapesIn(img);
    for (const [typed, read] of [
      ['move the word to the top', "move the word 'FLUX' to the top"],
      ['make the text blue', "make the text 'FLUX' blue"],
    ] as const) {
      expect(ed.checkPrompt(typed, { seen }).note, typed).toContain(
        `read "${typed}" as "${read}": the word the picture shows`,
      );
      const r = await ed.edit({ prompt: typed, image: img, seed: 0 });
      const labelled = await ed.edit({ prompt: read, image: img, seed: 0 });
      expect(r.edits, typed).toEqual([read]);
      expect([...r.image.data], typed).toEqual([...labelled.image.data]);
      expect([...r.image.data], typed).not.toEqual([...img.data]);
    }
  });
});
