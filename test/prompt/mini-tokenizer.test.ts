// The embedded model's tokenizer: any string tokenizes (unseen words and labels are spelled as bytes), the vocabulary
// comes from the training instructions, and it round-trips through JSON.
import { describe, expect, it } from 'vitest';
import { buildVocabulary, CLS, MiniTokenizer, PAD, SPELL } from '../../src/prompt/mini-tokenizer.ts';
import { streamSamples } from '../../src/world/dataset.ts';

const tok = new MiniTokenizer(buildVocabulary(['make the circle blue', "change the text 'MOON' to 'FROG'"]));
const WORLD = [...streamSamples({ split: 'train', seed: 3, count: 200, size: 64, families: ['text', 't2i'] })];

describe('MiniTokenizer', () => {
  it('builds the vocabulary from lower-cased words, leaving labels in capitals out', () => {
    expect(tok.words).toEqual(["'", 'blue', 'change', 'circle', 'make', 'text', 'the', 'to']);
  });

  it('known words are one id each; [CLS] first, [PAD] after', () => {
    const { ids, truncated } = tok.encode('Make the circle blue', 8);
    expect(truncated).toBe(false);
    expect(ids[0]).toBe(CLS);
    expect(ids.slice(5)).toEqual([PAD, PAD, PAD]);
    expect(tok.decode(ids)).toBe('[CLS] make the circle blue');
  });

  it('labels and unseen words are spelled byte by byte after [SPELL]; nothing crashes', () => {
    const ids = tok.pieces("change the text to 'ZEBRA'");
    expect(ids.filter((i) => i === SPELL)).toHaveLength(1);
    expect(tok.decode([CLS, ...ids])).toBe("[CLS] change the text to ' [SPELL] ZEBRA '");
    for (const s of ['', '   ', 'paint the hexagon magenta', 'ünïcödé ☃ 🙂', '\u0000\uffff', 'x'.repeat(10000)]) {
      const { ids: e } = tok.encode(s, 32);
      expect(e).toHaveLength(32);
      expect(e.every((i) => Number.isInteger(i) && i >= 0 && i < tok.vocabSize)).toBe(true);
    }
    // a symbol is its bytes, no [SPELL]
    expect(tok.decode([CLS, ...tok.pieces('paint it ☃')])).toBe('[CLS] [SPELL] paint [SPELL] it☃');
  });

  it('reads a label as quoted whatever quotes were typed, or none: the phrasing the model was trained on', () => {
    const quoted = tok.decode(tok.encode("change the text 'MOON' to 'FROG'", 32).ids);
    expect(quoted).toBe("[CLS] change the text ' [SPELL] MOON ' to ' [SPELL] FROG '");
    for (const s of [
      'change the text MOON to FROG',
      'change the text "MOON" to "FROG"',
      'change the text \u201cMOON\u201d to \u2018FROG\u2019',
      "change the text 'MOON' to FROG",
      'change the text `MOON` to "FROG\'',
    ])
      expect(tok.decode(tok.encode(s, 32).ids), s).toBe(quoted);
    // a run of labels is one quoted label; a lone capital letter is no label
    expect(tok.decode([CLS, ...tok.pieces('the text HELLO WORLD')])).toBe(
      "[CLS] the text ' [SPELL] HELLO [SPELL] WORLD '",
    );
    expect(tok.decode([CLS, ...tok.pieces('the text I')])).toBe('[CLS] the text [SPELL] i');
    // a vocabulary without the quote (another model's) spells labels as before
    const bare = new MiniTokenizer(['the', 'text']);
    expect(bare.decode([CLS, ...bare.pieces('the text MOON')])).toBe('[CLS] the text [SPELL] MOON');
  });

  it('leaves out sentence marks (. ! ?) the vocabulary lacks; other symbols stay', () => {
    const plain = tok.encode('make the circle blue', 16);
    for (const s of [
      'make the circle blue.',
      'Make the circle blue!',
      'make the circle blue?!',
      'make. the circle blue',
    ])
      expect(tok.encode(s, 16), s).toEqual(plain);
    expect(tok.decode(tok.encode('make the text MOON.', 16).ids)).toBe("[CLS] make the text ' [SPELL] MOON '");
    expect(tok.encode('make the circle blue;', 16)).not.toEqual(plain);
    // a vocabulary that knows the full stop keeps it
    const dotted = new MiniTokenizer(['.', 'blue']);
    expect(dotted.decode([CLS, ...dotted.pieces('blue.')])).toBe('[CLS] blue .');
  });

  it("leaves the world's instructions as they were: their labels are quoted already", () => {
    const world = new MiniTokenizer(buildVocabulary(WORLD.map((s) => s.instruction)));
    const labelled = WORLD.filter((s) => /'\p{Lu}{2,}'/u.test(s.instruction));
    expect(labelled.length).toBeGreaterThan(20);
    for (const s of labelled) {
      const bare = s.instruction.replace(/'(\p{Lu}{2,})'/gu, '$1');
      expect(world.encode(bare, 88), bare).toEqual(world.encode(s.instruction, 88));
      // the quotes are tokens of their own around each label
      const ids = world.pieces(s.instruction);
      const q = world.pieces("'")[0];
      expect(ids.filter((i) => i === q).length, s.instruction).toBe(
        2 * (s.instruction.match(/'\p{Lu}{2,}'/gu) ?? []).length,
      );
    }
  });

  it('says when a text was cut', () => {
    const r = tok.encode('make the circle blue', 3);
    expect(r).toEqual({ ids: [CLS, tok.pieces('make')[0], tok.pieces('the')[0]], truncated: true });
  });

  it('round-trips through JSON and rejects other files', () => {
    const back = MiniTokenizer.fromJson(JSON.parse(JSON.stringify(tok.toJson())));
    expect(back.encode("change the text 'MOON'", 16)).toEqual(tok.encode("change the text 'MOON'", 16));
    expect(() => MiniTokenizer.fromJson({ type: 'bpe', words: [] } as never)).toThrow(/not a kontext-mini tokenizer/);
  });
});
