// Made-up words in training instructions (src/train/phrasing.ts): the phrasing changes, the content never does,
// the made-up words are spelled by the tokenizer and are never words of the held-out templates; off, the feeds are
// the old ones.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/random.ts';
import { MiniTokenizer } from '../../src/prompt/mini-tokenizer.ts';
import { ExampleStreams, type FlowBatchSpec, flowFeeds } from '../../src/train/flow.ts';
import { withExtraWords, withUnknownWords } from '../../src/train/phrasing.ts';
import { runVocabulary } from '../../src/train/train-flow.ts';
import { makeSample } from '../../src/world/dataset.ts';
import { HELD_OUT_TEMPLATES } from '../../src/world/split.ts';
import { tinyPipeline } from '../mini/tiny.ts';

const tokenizer = new MiniTokenizer(runVocabulary(0, 2000, 64));
// as training asks it (flow.ts): a made-up word is no vocabulary word, nor a typo the tokenizer reads as one
const known = (w: string) => tokenizer.reads(w);
const heldOutWords = new Set(
  HELD_OUT_TEMPLATES.join(' ')
    .replace(/\{\w+\}/g, ' ')
    .toLowerCase()
    .match(/[a-z]+/g),
);
/** the words an edit's content is in: colours, shapes, sizes, places, styles, quoted labels */
const CONTENT =
  /^('.*'|red|orange|yellow|green|cyan|blue|purple|pink|black|white|circle|square|triangle|diamond|star|cross|small|medium|large|top|bottom|left|right|center|night|day|background|word|text|image)$/;

/**
 * Feeds of a local, a text and a global edit with `option` absent, 0 and 1: absent and 0 give the same feeds, and 1
 * changes every edit's ids. Returns what the caller checks further with.
 */
async function offZeroOn(option: 'unknownWords' | 'extraWords', T: number) {
  const pipe = tinyPipeline(4);
  const spec: FlowBatchSpec = { batch: 3, contexts: 1, textLength: T, tokens: 64, channels: 16 };
  const streams = new ExampleStreams('train', 0, 32);
  const examples = [streams.next('local'), streams.next('text'), streams.next('global')];
  const feeds = (s: FlowBatchSpec) => flowFeeds(pipe.ae, pipe.tokenizer, examples, s, new Rng(2), 0);
  const [off, zero, on] = [
    await feeds(spec),
    await feeds({ ...spec, [option]: 0 }),
    await feeds({ ...spec, [option]: 1 }),
  ];
  for (const k of Object.keys(off)) expect(zero[k]!.data, k).toEqual(off[k]!.data);
  const rows = (ids: BigInt64Array) => [0, 1, 2].map((b) => Array.from(ids.subarray(b * T, (b + 1) * T)));
  const [a, b] = [rows(off.ids!.data as BigInt64Array), rows(on.ids!.data as BigInt64Array)];
  for (let i = 0; i < 3; i++) expect(b[i]).not.toEqual(a[i]);
  return { pipe, spec, streams, examples };
}

describe('withUnknownWords', () => {
  it('replaces the verb and some phrasing words with unknown, non-held-out words, and keeps every content word', () => {
    const rng = new Rng(1);
    let others = 0;
    for (let i = 0; i < 400; i++) {
      const s = makeSample({ split: 'train', seed: 0, size: 64 }, i);
      if (!s.inputs.length) continue;
      const before = s.instruction.split(' ');
      const after = withUnknownWords(s.instruction, rng, known).split(' ');
      expect(after.length).toBe(before.length);
      before.forEach((w, j) => {
        if (after[j] === w) return;
        const made = after[j].toLowerCase();
        expect(w.toLowerCase(), s.instruction).not.toMatch(CONTENT);
        expect(made).toMatch(/^[a-z]{3,8}$/);
        expect(known(made)).toBe(false);
        expect(heldOutWords.has(made)).toBe(false);
        expect(tokenizer.pieces(made)[0]).toBe(2); // [SPELL]: the tokenizer spells it
        if (j === 0) expect(after[j][0]).toBe(after[j][0].toUpperCase());
        else others++;
      });
      // the verb: every edit template starts with a plain phrasing word
      if (/^[A-Za-z]+$/.test(before[0]) && !CONTENT.test(before[0].toLowerCase())) expect(after[0]).not.toBe(before[0]);
    }
    expect(others).toBeGreaterThan(50);
  });

  it('changes only the ids of edit examples, and nothing when off', async () => {
    const { pipe, spec, streams } = await offZeroOn('unknownWords', 24);
    // text-to-image captions are left alone
    const t2i = [streams.next('t2i')];
    const s0: FlowBatchSpec = { ...spec, batch: 1, contexts: 0 };
    const [c0, c1] = [
      await flowFeeds(pipe.ae, pipe.tokenizer, t2i, s0, new Rng(2), 0),
      await flowFeeds(pipe.ae, pipe.tokenizer, t2i, { ...s0, unknownWords: 1 }, new Rng(2), 0),
    ];
    expect(c1.ids.data).toEqual(c0.ids.data);
  });
});

describe('withExtraWords', () => {
  it('puts 1–3 made-up words before and/or 1–2 after the instruction, which stays as it was', () => {
    const rng = new Rng(3);
    let before = 0;
    let after = 0;
    for (let i = 0; i < 300; i++) {
      const s = makeSample({ split: 'train', seed: 0, size: 64 }, i);
      const out = withExtraWords(s.instruction, rng, known).split(' ');
      const words = s.instruction.split(' ');
      // find the instruction inside (its first letter lower-cased when words come before it)
      const at = out.findIndex(
        (_, j) =>
          out
            .slice(j, j + words.length)
            .join(' ')
            .toLowerCase() === s.instruction.toLowerCase(),
      );
      expect(at, out.join(' ')).toBeGreaterThanOrEqual(0);
      expect(out.slice(at + 1, at + words.length)).toEqual(words.slice(1));
      const extra = [...out.slice(0, at), ...out.slice(at + words.length)];
      expect(at).toBeLessThanOrEqual(3);
      expect(out.length - at - words.length).toBeLessThanOrEqual(2);
      expect(extra.length).toBeGreaterThan(0);
      for (const w of extra) {
        const made = w.toLowerCase();
        expect(made).toMatch(/^[a-z]{3,8}$/);
        expect(known(made)).toBe(false);
        expect(heldOutWords.has(made)).toBe(false);
        expect(['please', 'can', 'you', 'could', 'thanks']).not.toContain(made);
      }
      if (at) expect(out[0]![0]).toBe(out[0]![0]!.toUpperCase());
      if (at) before++;
      if (out.length > at + words.length) after++;
    }
    expect(before).toBeGreaterThan(150);
    expect(after).toBeGreaterThan(80);
  });

  it('changes the ids of edits and captions alike, only when the longer text fits, and nothing when off', async () => {
    const { pipe, spec, streams, examples } = await offZeroOn('extraWords', 96);
    const t2i = [streams.next('t2i')];
    const s0: FlowBatchSpec = { ...spec, batch: 1, contexts: 0, textLength: 192 };
    const [c0, c1] = [
      await flowFeeds(pipe.ae, pipe.tokenizer, t2i, s0, new Rng(2), 0),
      await flowFeeds(pipe.ae, pipe.tokenizer, t2i, { ...s0, extraWords: 1 }, new Rng(2), 0),
    ];
    expect(c1.ids.data).not.toEqual(c0.ids.data);
    // a text length the instruction alone just fills: the longer one would be cut, so the instruction stays
    const T = pipe.tokenizer.encode(examples[0]!.instruction, 200).ids.indexOf(0);
    const tight = { ...spec, batch: 1, textLength: T };
    const [t0, t1] = [
      await flowFeeds(pipe.ae, pipe.tokenizer, examples.slice(0, 1), tight, new Rng(2), 0),
      await flowFeeds(pipe.ae, pipe.tokenizer, examples.slice(0, 1), { ...tight, extraWords: 1 }, new Rng(2), 0),
    ];
    expect(t1.ids.data).toEqual(t0.ids.data);
  });
});
