// The terminal views: the sessions table and a session's turns drawn as a tree.
import { expect, it } from 'vitest';
import { describeMadeAs, describeUnshown, formatSessions, formatTree } from '../../src/session/format.ts';
import {
  describeMadeAs as describeInPage,
  describeUnshown as describeUnshownInPage,
  // @ts-expect-error: the web app's modules are plain JS without types (no build step)
} from '../../src/service/web/timeline.js';
import type { Turn } from '../../src/session/types.ts';

const turn = (n: number, parent: number | null, extra: Partial<Turn> = {}): Turn => ({
  session: 's1',
  n,
  parent,
  instruction: `edit ${n}`,
  inputs: [],
  output: 'a'.repeat(64),
  width: 64,
  height: 64,
  steps: null,
  guidance: null,
  candidates: null,
  retries: null,
  seed: n,
  model: 'identity',
  seconds: 0.25,
  createdAt: '2025-01-01T00:00:00.000Z',
  madeAs: null,
  unshown: null,
  color: null,
  ...extra,
});

it('draws branches with ├─ / └─, keeps the rails of open branches, and marks the head', () => {
  // 1 ─ 2 ─ 3        5 is a second root (start over)
  //   └ 4 ─ 6
  const turns = [
    turn(1, null, { steps: 20, guidance: 2.5, candidates: 4, retries: 2 }),
    turn(2, 1, { candidates: 1, retries: 0 }),
    turn(3, 2),
    turn(4, 1),
    turn(5, null),
    turn(6, 4),
  ];
  const text = formatTree({ id: 's1', createdAt: '', head: 6, turnCount: 6 }, turns);
  expect(text.split('\n')).toEqual([
    'session s1: 6 turns, head 6',
    '1  "edit 1"  64x64 seed 1 steps 20 guidance 2.5 best of 4 retries 2 identity 0.25 s',
    '├─ 2  "edit 2"  64x64 seed 2 identity 0.25 s',
    '│  └─ 3  "edit 3"  64x64 seed 3 identity 0.25 s',
    '└─ 4  "edit 4"  64x64 seed 4 identity 0.25 s',
    '   └─ 6  "edit 6"  64x64 seed 6 identity 0.25 s  <- head',
    '5  "edit 5"  64x64 seed 5 identity 0.25 s',
  ]);
  expect(formatTree({ id: 'e', createdAt: '', head: null, turnCount: 0 }, [])).toBe('session e: 0 turns, at the start');
});

it('lists sessions as an aligned table, or says how to start one', () => {
  expect(formatSessions([])).toBe('no sessions yet (kontext session new)');
  expect(
    formatSessions([
      { id: 's1', createdAt: '2025-01-01T00:00:00.000Z', head: 12, turnCount: 14 },
      { id: 'a-longer-name', createdAt: '2025-01-02T00:00:00.000Z', head: null, turnCount: 0 },
    ]).split('\n'),
  ).toEqual([
    'session        turns  head  created',
    's1             14     12    2025-01-01T00:00:00.000Z',
    'a-longer-name  0      -     2025-01-02T00:00:00.000Z',
  ]);
});

it('says what the model made of an instruction where not as given: several edits, a style reference read', () => {
  const turns = [
    turn(1, null, {
      instruction: 'make the circle blue and the square red',
      madeAs: { edits: ['make the circle blue', 'make the square red'] },
    }),
    turn(2, 1, {
      instruction: 'like image 2',
      madeAs: { edits: ['redraw all the shapes in striped style'], style: 'striped' },
    }),
  ];
  expect(formatTree({ id: 's1', createdAt: '', head: 2, turnCount: 2 }, turns).split('\n').slice(1)).toEqual([
    '1  "make the circle blue and the square red"  64x64 seed 1 identity 0.25 s' +
      ' (2 edits one after the other: "make the circle blue", "make the square red")',
    '└─ 2  "like image 2"  64x64 seed 2 identity 0.25 s' +
      ` (the reference's style read as striped, made as "redraw all the shapes in striped style")  <- head`,
  ]);
  // the short form the edit command prints
  expect(describeMadeAs({ edits: ['a', 'b', 'c'] }, false)).toBe('3 edits one after the other');
  // one edit read otherwise ("it" named after the turn before)
  expect(describeMadeAs({ edits: ['move the blue circle up'] })).toBe('made as "move the blue circle up"');
});

it('names the edits asked after a style reference, after the style; the web app says the same words', () => {
  const made = {
    edits: ['redraw all the shapes in dotted style', 'make the star blue', 'make the word "A, B" red'],
    style: 'dotted' as const,
  };
  const words =
    `the reference's style read as dotted, made as "redraw all the shapes in dotted style", ` +
    'then "make the star blue", "make the word \\"A, B\\" red"';
  expect(describeMadeAs(made)).toBe(words);
  // the page's timeline (plain JS, no build step) keeps its own copy: the same words for every kind
  const kinds = [made, { edits: [made.edits[0]!], style: 'dotted' as const }, { edits: ['a', 'b'] }, { edits: ['a'] }];
  for (const m of kinds) expect(describeInPage(m)).toBe(describeMadeAs(m));
  expect(describeInPage(null)).toBeNull();
});

it("says a turn's edits its answer did not show; the web app says the same words", () => {
  const unshown = ['make the blue circle red', 'make the word "A, B" red'];
  const turns = [turn(1, null, { instruction: 'make the circle red', unshown: unshown.slice(0, 1) })];
  expect(formatTree({ id: 's1', createdAt: '', head: 1, turnCount: 1 }, turns).split('\n')[1]).toBe(
    '1  "make the circle red"  64x64 seed 1 identity 0.25 s' +
      ' (the answer does not show all of "make the blue circle red" as the editor reads it)  <- head',
  );
  expect(describeUnshown(unshown)).toBe(
    'the answer does not show all of "make the blue circle red", "make the word \\"A, B\\" red" as the editor reads it',
  );
  // the page's timeline (plain JS) keeps its own copy, as for what was made
  for (const u of [unshown, unshown.slice(1)]) expect(describeUnshownInPage(u)).toBe(describeUnshown(u));
  for (const none of [null, undefined, []]) expect(describeUnshownInPage(none)).toBeNull();
});
