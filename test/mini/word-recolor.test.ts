// A word recoloured as the world draws it (src/mini/glyph.ts wordRecolorAsked, snapRecoloredWord): the edit's one
// label and one of the world's text colours are read; where the model's answer shows the word's ink in the colour
// asked, the word's box is laid with its ink in that colour, lit as the picture is, and the rest the picture's own —
// the target exactly, by day and by night. An answer that left the word, wiped it or drew it in another colour takes
// nothing. And the editor lays it over its answer (and samples again where the answer does not show it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerFaintly, faintly, under } from './faint.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { findWord, snapRecoloredWord, wordRecolorAsked } from '../../src/mini/glyph.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { TEXT_COLOR_NAMES } from '../../src/world/palette.ts';
import { render } from '../../src/world/render.ts';

const tok = MiniTokenizer.fromJson(JSON.parse(readFileSync(join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')));
const recolors = [...streamSamples({ split: 'test', seed: 5, families: ['text'], count: 90 })].filter(
  (s) => s.task === 'text.recolor',
);
const asked = (s: (typeof recolors)[number]) => ({
  word: s.before!.text!.word,
  to: (s.edit as { to: (typeof TEXT_COLOR_NAMES)[number] }).to,
});

/** `base` with `taken`'s pixels where its mask is 1 (the editor's last composite at the model's size). */
const laid = (base: RGBImage, t: { image: RGBImage; mask: Float32Array }): RGBImage => ({
  ...base,
  data: base.data.map((v, i) => (t.mask[Math.floor(i / 3)] ? t.image.data[i]! : v)),
});

describe('wordRecolorAsked', () => {
  it("reads the word and the colour of every world recolour's phrasing; nothing from a replacement or an edit naming no colour", () => {
    for (const s of recolors) expect(wordRecolorAsked(tok.labels(s.instruction), s.instruction)).toEqual(asked(s));
    expect(recolors.length).toBeGreaterThan(15);
    const read = (e: string) => wordRecolorAsked(tok.labels(e), e);
    expect(read("make the text 'RED' blue")).toEqual({ word: 'RED', to: 'blue' });
    expect(read("replace 'MOON' with 'SUN'")).toBeNull();
    expect(read("move the word 'MOON' to the top")).toBeNull();
    expect(read("make the word 'MOON' red or blue")).toBeNull();
  });
});

describe('snapRecoloredWord', () => {
  it('takes a faint copy of the target as the word in the colour asked, exactly; the word left, wiped or in another colour takes nothing', () => {
    let [n, night, taken] = [0, 0, 0];
    for (const s of recolors) {
      const picture = s.inputs[0]!;
      const r = asked(s);
      // the target itself, and a faint copy of it (60 % of the way from the picture: between two near hues, blue
      // and purple, it may read as neither)
      const whole = snapRecoloredWord(s.target, picture, r);
      expect(laid(picture, whole.taken!).data, s.instruction).toEqual(s.target.data);
      const faint = snapRecoloredWord(faintly(s.target, picture), picture, r);
      if (faint.taken) {
        taken++;
        expect(laid(picture, faint.taken).data, s.instruction).toEqual(s.target.data);
      }
      expect(snapRecoloredWord(picture, picture, r).taken, s.instruction).toBeNull();
      const wiped = render({ ...s.before!, text: null }, 64);
      expect(snapRecoloredWord(wiped, picture, r).taken, s.instruction).toBeNull();
      const other = TEXT_COLOR_NAMES.find((c) => c !== r.to && c !== s.before!.text!.color)!;
      const elsewise = render({ ...s.before!, text: { ...s.before!.text!, color: other } }, 64);
      expect(snapRecoloredWord(elsewise, picture, r).taken, `${s.instruction} drawn ${other}`).toBeNull();
      n++;
      if (s.before!.time === 'night') night++;
    }
    expect(n).toBeGreaterThan(15);
    expect(night).toBeGreaterThan(2);
    expect(taken / n).toBeGreaterThan(0.75);
  });
});

describe('snapRecoloredWord, each of its rules', () => {
  const day = recolors.filter((s) => s.before!.time === 'day');
  /** The pixels the recolour changes: the word's ink. */
  const inkOf = (s: (typeof recolors)[number]) =>
    Array.from({ length: 64 * 64 }, (_, p) =>
      [0, 1, 2].some((c) => s.target.data[p * 3 + c] !== s.inputs[0]!.data[p * 3 + c]),
    );

  it('takes nothing from a word recoloured on its left half alone (under 3 in 4 of its ink in the colour asked)', () => {
    for (const s of day) {
      const ink = inkOf(s);
      const xs = ink.flatMap((on, p) => (on ? [p % 64] : []));
      const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
      const half = {
        ...s.target,
        data: s.target.data.map((v, i) => (Math.floor(i / 3) % 64 < mid ? v : s.inputs[0]!.data[i]!)),
      };
      const r = snapRecoloredWord(half, s.inputs[0]!, asked(s));
      expect(r.agreement, s.instruction).toBeGreaterThan(0.2);
      expect(r.agreement, s.instruction).toBeLessThan(0.75);
      expect(r.taken, s.instruction).toBeNull();
    }
  });

  it('takes nothing from an answer that left a word whose ink is already near the colour asked (not a world colour)', () => {
    let n = 0;
    for (const s of day) {
      const ink = inkOf(s);
      // the word in the colour asked, each channel moved 12 levels towards grey: not the world's ink, and for most
      // words still nearer that colour than any other text colour and the ground (without the rule, taken)
      const near = {
        ...s.target,
        data: s.target.data.map((v, i) => (ink[Math.floor(i / 3)] ? v + (v < 128 ? 12 : -12) : v)),
      };
      if (!findWord(near, s.before!.text!.word)) continue; // too near its ground to be found
      n++;
      expect(snapRecoloredWord(near, near, asked(s)).taken, s.instruction).toBeNull();
    }
    expect(n).toBeGreaterThan(5);
  });

  it('in a grey picture takes the word recoloured as the world greys it, exactly, by day and by night', () => {
    for (const s of recolors) {
      const picture = render({ ...s.before!, grayscale: true }, 64);
      const target = render({ ...s.after, grayscale: true }, 64);
      const r = snapRecoloredWord(target, picture, asked(s));
      expect(laid(picture, r.taken!).data, s.instruction).toEqual(target.data);
    }
  });
});

describe('the editor', () => {
  it("lays a recoloured word over its answer; an answer that kept the word's colour stays the model's", async () => {
    const ed = await MiniEditor.load();
    const s = recolors.find((x) => x.before!.time === 'day')!;
    const picture = s.inputs[0]!;
    let faint = true;
    answerFaintly(ed, s.target, () => faint);
    const edit = (preserve = true) => ed.edit({ prompt: s.instruction, image: picture, seed: 0, preserve, retries: 0 });
    const box = snapRecoloredWord(s.target, picture, asked(s)).taken!.mask;
    const inBox = (img: RGBImage) => under(box, img);
    expect(inBox((await edit()).image)).toEqual(inBox(s.target));
    expect(inBox((await edit(false)).image)).not.toEqual(inBox(s.target));
    faint = false;
    expect(inBox((await edit()).image)).not.toEqual(inBox(s.target));
  });
});
