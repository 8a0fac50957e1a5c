// The embedded model's tokenizer: any string tokenizes (unseen words and labels are spelled as bytes), the vocabulary
// comes from the training instructions, and it round-trips through JSON.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import { buildVocabulary, CLS, MiniTokenizer, PAD, SPELL } from '../../src/prompt/mini-tokenizer.ts';
import { otherWordsNote, unknownWordsNote } from '../../src/prompt/unknown-words.ts';
import { withUnknownWords } from '../../src/train/phrasing.ts';
import { streamSamples } from '../../src/world/dataset.ts';

const tok = new MiniTokenizer(buildVocabulary(['make the circle blue', "change the text 'MOON' to 'FROG'"]));
const WORLD = [...streamSamples({ split: 'train', seed: 3, count: 200, size: 64, families: ['text', 't2i'] })];

/** Each text tokenizes exactly as 'make the circle blue' does; that encoding is returned. */
function readAsPlain(texts: string[]) {
  const plain = tok.encode('make the circle blue', 16);
  for (const s of texts) expect(tok.encode(s, 16), s).toEqual(plain);
  return plain;
}

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
    const plain = readAsPlain([
      'make the circle blue.',
      'Make the circle blue!',
      'make the circle blue?!',
      'make. the circle blue',
    ]);
    expect(tok.decode(tok.encode('make the text MOON.', 16).ids)).toBe("[CLS] make the text ' [SPELL] MOON '");
    expect(tok.encode('make the circle blue;', 16)).not.toEqual(plain);
    // a vocabulary that knows the full stop keeps it
    const dotted = new MiniTokenizer(['.', 'blue']);
    expect(dotted.decode([CLS, ...dotted.pieces('blue.')])).toBe('[CLS] blue .');
  });

  it('reads a label typed in lower case as the label where nothing else can be meant', () => {
    const quoted = "[CLS] change the text ' [SPELL] MOON ' to ' [SPELL] FROG '";
    for (const s of [
      "change the text 'moon' to 'frog'",
      'change the text "Moon" to \u201cfrog\u201d',
      'change the text moon to frog',
      'change the text MOON to frog',
    ])
      expect(tok.decode(tok.encode(s, 32).ids), s).toBe(quoted);
    const texty = new MiniTokenizer(
      buildVocabulary(["make the word 'A' blue", "replace 'A' with 'B'", 'the letters of']),
    );
    const cases: [string, string][] = [
      ['make the word flux blue', "make the word ' [SPELL] FLUX ' blue"],
      ['replace zebra with key', "replace ' [SPELL] ZEBRA ' with ' [SPELL] KEY '"],
      ['the letters of key', "the letters of ' [SPELL] KEY '"],
      // a vocabulary word after a cue stays itself, and "with" is a cue only shortly after a label
      ['make the word blue', 'make the word blue'],
      ['make the word blue the', 'make the word blue the'],
      ['make the blue with teal', 'make the blue with [SPELL] teal'],
      // a vocabulary word in capitals is that word shouted, unless quoted, cued or beside a label
      ['MAKE THE BLUE', 'make the blue'],
      // …and so is a whole instruction in capitals, but for its quoted words and the labels its cues name
      ['MAKE THE WORD FLUX BLUE', "make the word ' [SPELL] FLUX ' blue"],
      ["REPLACE 'ZEBRA' WITH KEY", "replace ' [SPELL] ZEBRA ' with ' [SPELL] KEY '"],
      ['make the word BLUE', "make the word ' [SPELL] BLUE '"],
      ["make 'BLUE'", "make ' [SPELL] BLUE '"],
      ['the word FLUX BLUE', "the word ' [SPELL] FLUX [SPELL] BLUE '"],
      ["replace 'ZEBRA' WITH 'KEY'", "replace ' [SPELL] ZEBRA ' with ' [SPELL] KEY '"],
      ["make the word 'FLUX' THE", "make the word ' [SPELL] FLUX ' the"],
      // an apostrophe is no quote: "it's" stays a word
      ["it's blue", "[SPELL] it ' [SPELL] s blue"],
    ];
    for (const [text, read] of cases) expect(texty.decode([CLS, ...texty.pieces(text)]), text).toBe(`[CLS] ${read}`);
  });

  it('drops courtesy and chat words around an instruction when the vocabulary lacks them', () => {
    const plain = readAsPlain([
      'Please make the circle blue',
      'please, make the circle blue.',
      'Could you please make the circle blue?',
      'can you make the circle blue',
      'Kindly make the circle blue!',
      'make the circle blue please',
      'Make the circle blue, thank you.',
      'make the circle blue, thanks so much!',
      'Please make the circle blue, thanks',
      'Now make the circle blue',
      'OK, also make the circle blue',
      'next, make the circle blue',
      'make the circle blue too',
    ]);
    // only around it, only words the vocabulary lacks, and not a label's ("say thank you")
    expect(tok.encode('make please the circle blue', 16)).not.toEqual(plain);
    const sign = new MiniTokenizer(["'", 'make', 'say', 'sign', 'the']);
    expect(sign.decode([CLS, ...sign.pieces('make the sign say thank you')])).toBe(
      "[CLS] make the sign say ' [SPELL] THANK ' [SPELL] you",
    );
    // a courtesy word in capitals is the label's, unless the whole instruction is shouted
    expect(sign.decode([CLS, ...sign.pieces('make the sign say ME TOO')])).toBe(
      "[CLS] make the sign say ' [SPELL] ME [SPELL] TOO '",
    );
    expect(sign.decode([CLS, ...sign.pieces('MAKE THE SIGN SAY FLUX TOO')])).toBe(
      "[CLS] make the sign say ' [SPELL] FLUX '",
    );
    const polite = new MiniTokenizer(['please', 'blue']);
    expect(polite.decode([CLS, ...polite.pieces('please blue')])).toBe('[CLS] please blue');
  });

  it('lists the words it does not know (not labels, not courtesy, not British spellings of known words), once each', () => {
    const t = new MiniTokenizer(buildVocabulary(['make the word circle gray']));
    expect(t.unknownWords('Please make the crimson circle crimson and grey, thank you.')).toEqual(['crimson', 'and']);
    expect(t.unknownWords('make the word flux gray')).toEqual([]);
    expect(t.unknownWords("make the circle 'MOON' 42 ☃")).toEqual([]);
    expect(unknownWordsNote([])).toBeNull();
    // a typo is read as the known word it is one edit from (when just one is), and said; the rest are guessed
    const shapes = new MiniTokenizer(buildVocabulary(['make the circle square star blue white']));
    expect(shapes.check('make the cirle bleu, the sqaure red and the stra tiny')).toEqual({
      unknownWords: ['red', 'and', 'tiny'],
      typos: [
        { typed: 'cirle', read: 'circle' },
        { typed: 'bleu', read: 'blue' },
        { typed: 'sqaure', read: 'square' },
        { typed: 'stra', read: 'star' },
      ],
      otherWords: [], // "tiny" would be the world's "small", which this vocabulary lacks
      note:
        'read "cirle" as "circle", "bleu" as "blue", "sqaure" as "square" and "stra" as "star", typos of words the ' +
        'model knows; the model does not know "red", "and", "tiny" and reads them without meaning: it knows the ' +
        "synthetic world's words (shapes, colours, sizes, places, backgrounds, day and night, styles, characters) " +
        "and a label's letters, such as 'FLUX'",
    });
    // an English word one typo from a known word is no typo: unknown, with the guess offered
    expect(shapes.check('blur the circle')).toMatchObject({
      unknownWords: ['blur'],
      typos: [],
      note: expect.stringMatching(/^the model does not know "blur" \(did you mean "blue"\?\) and reads it /),
    });
    expect(shapes.check('make the circle blue')).toEqual({ unknownWords: [], typos: [], otherWords: [], note: null });
    expect(new MiniTokenizer(['cart', 'card']).closestWord('carx')).toBeUndefined(); // two at one edit: no guess
    expect(unknownWordsNote(['crimson', 'and'])).toMatch(
      /^the model does not know "crimson", "and" and reads them without meaning: /,
    );
  });

  it('reads a typo of a vocabulary word as that word, never as another one; an English word is no typo', () => {
    const samples = [...streamSamples({ split: 'train', seed: 5, count: 300, size: 64 })];
    const world = new MiniTokenizer(buildVocabulary(samples.map((s) => s.instruction)));
    expect(world.decode([CLS, ...world.pieces('Mvoe the trinagle to the rigth')])).toBe(
      '[CLS] move the triangle to the right',
    );
    expect(world.typos('MAKE THE CIRLCE BLUE')).toEqual([{ typed: 'cirlce', read: 'circle' }]);
    // after "to" near a label, a typo of a colour is the colour, not a second label; after "word", a label
    expect(world.decode([CLS, ...world.pieces("change the word 'SHOP' to grene")])).toBe(
      "[CLS] change the word ' [SPELL] SHOP ' to green",
    );
    expect(world.decode([CLS, ...world.pieces('make the word cirlce red')])).toBe(
      "[CLS] make the word ' [SPELL] CIRLCE ' red",
    );
    expect(world.typos('make the word cirlce red')).toEqual([]);
    // English words one typo from a vocabulary word stay as typed: "blur" is not "blue", nor "back" "black"
    for (const w of ['blur', 'back', 'line', 'snow', 'write'])
      expect(world.decode([CLS, ...world.pieces(`${w} the circle`)]), w).toBe(`[CLS] [SPELL] ${w} the circle`);
    // every vocabulary word of 5 letters or more in 300 world instructions, two neighbouring letters swapped or one
    // left out: read back as the instruction, or left unknown (two words one typo away, or an English word), never
    // read as another word (spelled: unknown, or a label after "to" near one)
    const tried = { swap: 0, swapBack: 0, drop: 0, dropBack: 0 };
    for (const s of samples) {
      for (const m of s.instruction.matchAll(/(?<!')\b[a-z]{5,}\b(?!')/g)) {
        const w = m[0];
        if (!world.knows(w)) continue;
        // (a typo that is the British spelling, "centre", is read as the word anyway)
        for (let i = 1; i < w.length - 1; i++) {
          for (const kind of ['swap', 'drop'] as const) {
            const typo =
              kind === 'swap' ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w.slice(0, i) + w.slice(i + 1);
            if (typo === w || world.knows(typo)) continue;
            const text = s.instruction.slice(0, m.index) + typo + s.instruction.slice(m.index + w.length);
            const read = world.typos(text);
            tried[kind]++;
            if (read.length) {
              expect(read, text).toEqual([{ typed: typo, read: w }]);
              expect(world.encode(text, 120), text).toEqual(world.encode(s.instruction, 120));
              tried[`${kind}Back`]++;
            } else {
              const spelled = world.decode([CLS, ...world.pieces(text)]).toLowerCase();
              expect(spelled, text).toContain(`[spell] ${typo}`); // unknown, or a label ("… 'PARK' to back")
            }
          }
        }
      }
    }
    expect(tried.swap).toBeGreaterThan(1000);
    expect(tried.swapBack / tried.swap).toBeGreaterThan(0.9);
    expect(tried.dropBack / tried.drop).toBeGreaterThan(0.8);
    // the text with its typos written as read, for what reads words without the tokenizer; labels stay
    expect(world.asRead("Cirlce: make it bleu, and the word 'BLEU' bleu too")).toBe(
      "Circle: make it blue, and the word 'BLEU' blue too",
    );
    // in a shouted instruction a word in capitals is a word, so its typo is read too; a quoted label stays
    expect(world.asRead('MAKE THE CIRLCE BLEU AND THE BACKGRUND PINK')).toBe(
      'MAKE THE CIRCLE BLUE AND THE BACKGROUND PINK',
    );
    expect(world.asRead('MAKE THE WORD \u201cBLEU\u201d BLEU')).toBe('MAKE THE WORD \u201cBLEU\u201d BLUE');
    // of several words one typo away, the one with the same letters: "palce" is place, not pale
    expect(world.typos('Palce a star at the top')).toEqual([{ typed: 'palce', read: 'place' }]);
  });

  it("reads none of the world's own words as a typo with the embedded model's vocabulary", () => {
    const shipped = MiniTokenizer.fromJson(
      JSON.parse(readFileSync(new URL('../../models/kontext-mini/tokenizer.json', import.meta.url), 'utf8')),
    );
    let n = 0;
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 3, size: 32, count: 700 }))
        for (const text of [s.instruction, ...(s.turns ?? []).map((t) => t.instruction)]) {
          expect(shipped.typos(text), text).toEqual([]);
          n++;
        }
    expect(n).toBeGreaterThan(3 * 700);
  });

  it("reads a hyphen between two vocabulary words as a space, but in the world's own 'bare-headed'", () => {
    const world = new MiniTokenizer(
      buildVocabulary([
        'move the cross to the bottom right and make the background sky blue, then black and white',
        'a plain and bare-headed creature',
      ]),
    );
    const same = (typed: string, written: string) =>
      expect(world.encode(typed, 40), typed).toEqual(world.encode(written, 40));
    same('Move the cross to the bottom-right', 'Move the cross to the bottom right');
    same('make the background sky-blue', 'make the background sky blue');
    same('make it black-and-white', 'make it black and white');
    // the world's compound keeps its hyphen; words the vocabulary lacks keep theirs
    expect(world.decode([CLS, ...world.pieces('a plain and bare-headed creature')])).toBe(
      '[CLS] a plain and bare - headed creature',
    );
    expect(world.decode([CLS, ...world.pieces('move the x-ray')])).toBe('[CLS] move the [SPELL] x - [SPELL] ray');
  });

  it('leaves out "corner" after a corner and "side" after a side: the world names the place alone', () => {
    const world = new MiniTokenizer(buildVocabulary(['move the cross to the bottom right, the top left or the left']));
    const same = (typed: string, written: string) =>
      expect(world.encode(typed, 40), typed).toEqual(world.encode(written, 40));
    same('Move the cross to the bottom right corner', 'Move the cross to the bottom right');
    same('move the cross to the top-left corner', 'move the cross to the top left');
    same('move the cross to the left side', 'move the cross to the left');
    // in capitals too, and the place's words are then no label beside an unknown word
    same('move the cross to the TOP LEFT CORNER', 'move the cross to the top left');
    same('MOVE THE CROSS TO THE BOTTOM RIGHT CORNER', 'move the cross to the bottom right');
    // elsewhere they are words the vocabulary lacks, and named
    expect(world.unknownWords('move the cross to the corner')).toEqual(['corner']);
    expect(world.unknownWords('move the cross to the side')).toEqual(['side']);
  });

  it('reads British spellings of vocabulary words as the vocabulary spells them', () => {
    const us = new MiniTokenizer(buildVocabulary(['change the color of the gray circle in the center']));
    const plain = us.encode('change the color of the gray circle in the center', 16);
    expect(us.encode('Change the colour of the grey circle in the centre', 16)).toEqual(plain);
    expect(us.encode('change the color of the gray circle in the middle', 16)).toEqual(plain); // the world's center
    expect(us.knows('grey')).toBe(true);
    // a vocabulary that has the British word keeps it (the American one, a letter off, reads as it: a typo's rule);
    // a word neither has is spelled
    const uk = new MiniTokenizer(['grey']);
    expect(uk.decode([CLS, ...uk.pieces('grey gray colour')])).toBe('[CLS] grey grey [SPELL] colour');
  });

  it('reads a plural the vocabulary lacks as its singular, and "nighttime" as the world\'s "night"', () => {
    const world = new MiniTokenizer(
      buildVocabulary(['move the circle left', 'turn the cross and the size blue', 'make it night', 'add new shapes']),
    );
    const same = (typed: string, written: string) =>
      expect(world.encode(typed, 24), typed).toEqual(world.encode(written, 24));
    same('move the circles left', 'move the circle left');
    same('turn the crosses and the sizes blue', 'turn the cross and the size blue'); // -es, and -s of a word in -e
    same('make it nighttime', 'make it night');
    expect(world.unknownWords('move the circles left, make it nighttime')).toEqual([]);
    // a plural the vocabulary has is its own word; words that only end like plurals are not read as singulars
    expect(world.decode([CLS, ...world.pieces('add new shapes')])).toBe('[CLS] add new shapes');
    expect(world.unknownWords('the news, its ones, addss')).toEqual(['news', 'its', 'ones', 'addss']);
    expect(world.check('move the circles left').note).toBeNull();
  });

  it("reads other words people use as the world's words for them, and says so; not a label's, not the vocabulary's own", () => {
    const world = new MiniTokenizer(
      buildVocabulary([
        'move the circle to the top left and the square to the bottom',
        'make the small diamond large and bigger',
        'change the background of the picture to night and grayscale',
        'make the creature and the text letters blue',
        'make the word in the center red and say',
      ]),
    );
    const same = (typed: string, written: string) =>
      expect(world.encode(typed, 24), typed).toEqual(world.encode(written, 24));
    same(
      'move the ball to the upper left and the box to the lower',
      'move the circle to the top left and the square to the bottom',
    );
    same('MOVE THE BALLS TO THE UPPER LEFT', 'move the circles to the top left'); // shouted: words, as typos are
    same('make the tiny rhombus huge and larger', 'make the small diamond large and bigger');
    same(
      'change the backdrop of the photo to evening and monochrome',
      'change the background of the picture to night and grayscale',
    );
    same('make the monster and the writing lettering blue', 'make the creature and the text letters blue');
    same('make the disc in the middle red', 'make the circle in the center red');
    const adds = new MiniTokenizer(buildVocabulary(['add a blue square']));
    expect(adds.encode('insert a blue box', 24)).toEqual(adds.encode('add a blue square', 24));
    const c = world.check('move the balls to the upper left and make the cirlce tiny');
    expect(c).toMatchObject({
      unknownWords: [],
      typos: [{ typed: 'cirlce', read: 'circle' }],
      otherWords: [
        { typed: 'balls', read: 'circles' },
        { typed: 'upper', read: 'top' },
        { typed: 'tiny', read: 'small' },
      ],
    });
    expect(c.note).toBe(
      'read "cirlce" as "circle", a typo of a word the model knows; ' +
        'read "balls" as "circles", "upper" as "top" and "tiny" as "small", the world\'s words for them',
    );
    expect(otherWordsNote([{ typed: 'box', read: 'square' }])).toBe('read "box" as "square", the world\'s word for it');
    // what the tokenizer does not read (splitting edits, notes, tone edits) gets the world's words too
    expect(world.asRead('Move the Ball to the upper left; make the backdrop evening')).toBe(
      'Move the Circle to the top left; make the background night',
    );
    // after a label's cue the word is the label, as any word the vocabulary lacks
    expect(world.decode(world.pieces('make the word ball red'))).toBe('make the word [SPELL] BALL red');
    expect(world.check('make the word ball red').otherWords).toEqual([]);
    // …and so does a label before "to": the new word is a label too ("change the word 'CAT' to box" writes BOX)
    expect(world.decode(world.pieces("change the word 'RED' to box"))).toMatch(/ to \S* ?\[SPELL\] BOX/);
    expect(world.check("change the word 'RED' to box").otherWords).toEqual([]);
    // "a little" is no size; a vocabulary that has the word, or lacks the world's, reads it as it did
    expect(world.unknownWords('make the circle a little bigger')).toEqual(['a', 'little']);
    const own = new MiniTokenizer(['ball', 'circle']);
    expect(own.decode(own.pieces('ball'))).toBe('ball');
    expect(new MiniTokenizer(['make']).unknownWords('make the ball')).toEqual(['the', 'ball']);
  });

  it("reads the world's instructions typed in many ways as they are written (quotes, case, courtesy, spelling)", () => {
    const samples = [...streamSamples({ split: 'train', seed: 5, count: 300, size: 64 })];
    const world = new MiniTokenizer(buildVocabulary(samples.map((s) => s.instruction)));
    const rng = new Rng(11);
    const british: [RegExp, string][] = [
      [/\bcolor\b/g, 'colour'],
      [/\bgray\b/g, 'grey'],
      [/\bcenter\b/g, 'centre'],
    ];
    let typed = 0;
    for (const s of samples) {
      for (let k = 0; k < 4; k++) {
        let t = s.instruction;
        const quoted = rng.chance(0.5);
        const quote = rng.pick(["'", '"', '\u201c', '`']);
        t = t.replace(/'(\p{Lu}{2,})'/gu, (_, w: string) =>
          quoted ? `${quote}${rng.chance(0.5) ? w.toLowerCase() : w}${quote === '\u201c' ? '\u201d' : quote}` : w,
        );
        if (quoted && rng.chance(0.3)) t = t.toUpperCase(); // shouted, labels still quoted
        for (const [from, to] of british) if (rng.chance(0.5)) t = t.replace(from, to);
        if (rng.chance(0.5)) t = `${rng.pick(['Please', 'Could you please', 'Now', 'OK, also', 'Kindly'])} ${t}`;
        if (rng.chance(0.5)) t = `${t}${rng.pick(['.', '!', ', thanks', ' please', ', thank you.', ' too'])}`;
        if (t !== s.instruction) typed++;
        expect(world.encode(t, 120), `${t} (${s.instruction})`).toEqual(world.encode(s.instruction, 120));
      }
    }
    expect(typed).toBeGreaterThan(900);
  });

  it("leaves the world's instructions as they were: their labels are quoted already", () => {
    const world = new MiniTokenizer(buildVocabulary(WORLD.map((s) => s.instruction)));
    // the world's instructions and their made-up phrasings (training's unknownWords) lose no word and gain no label
    const rng = new Rng(5);
    const texts = WORLD.flatMap((s) => [s.instruction, withUnknownWords(s.instruction, rng, (w) => world.reads(w))]);
    const plainly = (s: string) => (s.toLowerCase().match(/\p{L}+|[^\s'\p{L}]/gu) ?? []).join(' ');
    for (const text of texts) {
      const { ids, truncated } = world.encode(text, 400);
      expect(truncated).toBe(false);
      const back = world.decode(ids).replace(/\[CLS\]|\[SPELL\]/g, '');
      expect(plainly(back), text).toBe(plainly(text));
      expect(back.split("'").length, text).toBe(text.split("'").length);
    }
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
