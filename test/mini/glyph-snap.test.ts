// A replaced word the model copied from its glyph image taken from the glyph image (src/mini/glyph.ts snapToGlyph):
// only where the model's answer sides with the glyphs on the pixels the replacement changes; the word's box is then
// the target's own pixels on a flat ground, whatever the model's strokes; an answer that left the old word, or
// changed half of what it should, takes nothing. And the editor lays the taken box over its answer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerFaintly, faintly, under } from './faint.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { GLYPH_AGREEMENT, glyphEdit, snapToGlyph } from '../../src/mini/glyph.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { streamSamples } from '../../src/world/dataset.ts';

const tok = MiniTokenizer.fromJson(JSON.parse(readFileSync(join(EMBEDDED_MODEL, 'tokenizer.json'), 'utf8')));

const replacements = [...streamSamples({ split: 'test', seed: 5, families: ['text'], count: 160 })].filter(
  (s) => s.task === 'text.replace',
);

/** `base` with `taken`'s pixels where its mask is 1 (the editor's last composite at the model's size). */
function laid(base: RGBImage, t: NonNullable<ReturnType<typeof snapToGlyph>['taken']>): RGBImage {
  return { ...base, data: base.data.map((v, i) => (t.mask[Math.floor(i / 3)] ? t.image.data[i]! : v)) };
}

describe('snapToGlyph', () => {
  it("takes a faint copy of the glyphs as the target's word; the picture left as it was, or half changed, takes nothing", () => {
    let flat = 0;
    for (const s of replacements) {
      const picture = s.inputs[0]!;
      const g = glyphEdit(tok.labels(s.instruction), picture)!;
      expect(g, s.instruction).not.toBeNull();
      // the model left the picture as it was: it sides with the glyphs nowhere
      const none = snapToGlyph(picture, picture, g);
      expect([none.agreement, none.taken]).toEqual([0, null]);
      // a faint copy of the target (60 % of the way from the picture): every changed pixel on the glyphs' side
      const faint = snapToGlyph(faintly(s.target, picture), picture, g);
      expect(faint.agreement, s.instruction).toBe(1);
      expect(faint.taken, s.instruction).not.toBeNull();
      // on a flat ground the box is the target's pixels exactly, and outside it nothing is taken
      const out = laid(picture, faint.taken!);
      if (s.before!.background.kind === 'solid') {
        expect(out.data, s.instruction).toEqual(s.target.data);
        flat++;
      }
      // the target with every other changed pixel as the picture had it: half the replacement, nothing taken
      const half = { ...s.target, data: s.target.data.slice() };
      const changed = [...Array(64 * 64).keys()].filter((p) =>
        [0, 1, 2].some((c) => s.target.data[p * 3 + c] !== picture.data[p * 3 + c]),
      );
      for (const p of changed.filter((_, i) => i % 2)) half.data.set(picture.data.subarray(p * 3, p * 3 + 3), p * 3);
      const h = snapToGlyph(half, picture, g);
      expect(h.agreement, s.instruction).toBeLessThan(GLYPH_AGREEMENT);
      expect(h.taken).toBeNull();
    }
    expect(replacements.length).toBeGreaterThan(20);
    expect(flat).toBeGreaterThan(5);
  });
});

describe('the editor with a glyph-trained model', () => {
  it("lays a copied word's glyphs over its answer; an answer that kept the old word stays the model's", async () => {
    const ed = await MiniEditor.load();
    const s = replacements.find((x) => x.before!.background.kind === 'solid' && x.before!.time === 'day')!;
    const picture = s.inputs[0]!;
    // the model's answer: a faint copy of the target, or the picture's own round trip (the old word kept)
    let faint = true;
    answerFaintly(ed, s.target, () => faint);
    const edit = (preserve = true) => ed.edit({ prompt: s.instruction, image: picture, seed: 0, preserve });
    const g = glyphEdit(tok.labels(s.instruction), picture)!;
    const box = snapToGlyph(s.target, picture, g).taken!.mask;
    const inBox = (img: RGBImage) => under(box, img);
    expect(inBox((await edit()).image)).toEqual(inBox(s.target));
    // the raw answer (no output step) is the model's faint copy
    expect(inBox((await edit(false)).image)).not.toEqual(inBox(s.target));
    faint = false;
    expect(inBox((await edit()).image)).toEqual(inBox(picture));
  });
});
