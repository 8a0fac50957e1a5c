// Splits and the held-out combinations.
//
// train and val draw from the same distribution (different seed streams). test additionally uses combinations
// that never occur in train or val, so a model that only memorised the training combinations is caught:
//
//   * shape x colour pairs: one colour per shape (a perfect matching, so every shape and every colour still
//     appears in train, just never together):
//       circle x purple, square x orange, triangle x cyan, diamond x green, star x pink, cross x red
//   * character identities: every id with id % 7 == 3 (51 of the 360 identities)
//   * words: OWL, KEY, JAZZ, QUIZ, YARN, ZEBRA, PIANO, GHOST
//   * instruction templates: one phrasing of most edits (HELD_OUT_TEMPLATES), so a model's understanding of
//     paraphrases it never read is measured apart. train and val never use them; test picks among all phrasings
//     exactly as it always did (the test split is unchanged by this rule).
//
// In the test split each draw of a pair / identity / word is a held-out one with probability HELD_OUT_RATE, so
// about half of the test edits touch something the model has never seen in training.

import type { Rng } from '../engine/random.ts';
import { OBJECT_COLOR_NAMES, type ObjectColor } from './palette.ts';
import { SHAPES, type Shape } from './shapes.ts';
import { IDENTITY_COUNT } from './characters.ts';
import { VOCABULARY } from './vocabulary.ts';

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const HELD_OUT_PAIRS: readonly (readonly [Shape, ObjectColor])[] = [
  ['circle', 'purple'],
  ['square', 'orange'],
  ['triangle', 'cyan'],
  ['diamond', 'green'],
  ['star', 'pink'],
  ['cross', 'red'],
];

export const HELD_OUT_WORDS: readonly string[] = ['OWL', 'KEY', 'JAZZ', 'QUIZ', 'YARN', 'ZEBRA', 'PIANO', 'GHOST'];

/** Phrasings that train and val never use (the templates as written in src/world/ops.ts and tasks.ts). */
export const HELD_OUT_TEMPLATES: readonly string[] = [
  'paint {obj} {to}',
  'get rid of {obj}',
  'draw {desc} {where}',
  'relocate {obj} {to}',
  'resize {obj} so it is {to}',
  'use a {bg} background',
  'show this scene at night',
  'turn the night into day',
  'turn the whole image into shades of gray',
  'render the scene in {name} style',
  "rewrite the word '{from}' as '{to}'",
  "write '{word}' in {to} instead",
  'keep the content of image 1 but draw it in the style of image 2',
  'draw this character again, {size} and {where}, in a scene with {bg} and {things}',
  'shift the character {to}',
  'make the character {size} and move it {to}',
];

const templatePatterns = HELD_OUT_TEMPLATES.map(
  (t) => new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '.+')}$`, 'i'),
);

/** Was this instruction written with a held-out template? */
export function isHeldOutInstruction(instruction: string): boolean {
  return templatePatterns.some((r) => r.test(instruction.trim()));
}

export function isHeldOutIdentity(id: number): boolean {
  return id % 7 === 3;
}

export function isHeldOutPair(shape: Shape, color: ObjectColor): boolean {
  return HELD_OUT_PAIRS.some(([s, c]) => s === shape && c === color);
}

export function isHeldOutWord(word: string): boolean {
  return HELD_OUT_WORDS.includes(word);
}

export const HELD_OUT_RATE = 0.5;

const ALL_PAIRS: [Shape, ObjectColor][] = SHAPES.flatMap((s) =>
  OBJECT_COLOR_NAMES.map((c): [Shape, ObjectColor] => [s, c]),
);
const ALL_IDENTITIES = Array.from({ length: IDENTITY_COUNT }, (_, i) => i);

/** What a split may draw from. */
export class SplitPolicy {
  readonly seen: { pairs: [Shape, ObjectColor][]; identities: number[]; words: string[] };
  readonly heldOut: { pairs: [Shape, ObjectColor][]; identities: number[]; words: string[] };

  constructor(
    readonly split: Split,
    /** training data only: the step of the grid new objects are drawn on (GenerateOptions.grid) */
    readonly grid?: number,
    /** and whether characters are drawn on it too (GenerateOptions.gridCharacters) */
    readonly gridCharacters = false,
    /** and whether text-to-image scenes are drawn on it (GenerateOptions.gridScenes) */
    readonly gridScenes = false,
    /** and whether the scenes of single-turn resizes are drawn on it (GenerateOptions.gridResize) */
    readonly gridResize = false,
  ) {
    this.seen = {
      pairs: ALL_PAIRS.filter(([s, c]) => !isHeldOutPair(s, c)),
      identities: ALL_IDENTITIES.filter((i) => !isHeldOutIdentity(i)),
      words: VOCABULARY.filter((w) => !isHeldOutWord(w)),
    };
    this.heldOut = {
      pairs: ALL_PAIRS.filter(([s, c]) => isHeldOutPair(s, c)),
      identities: ALL_IDENTITIES.filter(isHeldOutIdentity),
      words: [...HELD_OUT_WORDS],
    };
  }

  private draw<T>(rng: Rng, kind: 'pairs' | 'identities' | 'words', ok: (v: T) => boolean): T | null {
    const useHeld = this.split === 'test' && rng.chance(HELD_OUT_RATE);
    const first = (useHeld ? this.heldOut[kind] : this.seen[kind]) as T[];
    const second = (useHeld ? this.seen[kind] : this.split === 'test' ? this.heldOut[kind] : []) as T[];
    for (const pool of [first, second]) {
      const options = pool.filter(ok);
      if (options.length > 0) return rng.pick(options);
    }
    return null;
  }

  /** A shape x colour pair this split may use, satisfying `ok` (null if none does). */
  pair(rng: Rng, ok: (shape: Shape, color: ObjectColor) => boolean = () => true): [Shape, ObjectColor] | null {
    return this.draw<[Shape, ObjectColor]>(rng, 'pairs', ([s, c]) => ok(s, c));
  }

  allowsPair(shape: Shape, color: ObjectColor): boolean {
    return this.split === 'test' || !isHeldOutPair(shape, color);
  }

  identity(rng: Rng, ok: (id: number) => boolean = () => true): number {
    const id = this.draw<number>(rng, 'identities', ok);
    if (id === null) throw new Error('no character identity satisfies the constraint');
    return id;
  }

  word(rng: Rng, ok: (w: string) => boolean = () => true): string | null {
    return this.draw<string>(rng, 'words', ok);
  }

  /** The phrasings this split may use from a list (train/val: without the held-out ones, unless none is left). */
  templates(templates: readonly string[]): readonly string[] {
    if (this.split === 'test') return templates;
    const seen = templates.filter((t) => !HELD_OUT_TEMPLATES.includes(t));
    return seen.length ? seen : templates;
  }
}

export function parseSplit(s: string): Split {
  if (!(SPLITS as readonly string[]).includes(s)) throw new RangeError(`unknown split '${s}'`);
  return s as Split;
}

/** For tests and audits: every held-out thing that occurs in a scene. */
export function heldOutIn(scene: {
  objects: { shape: Shape; color: ObjectColor }[];
  text: { word: string } | null;
  character: { identity: number } | null;
}): string[] {
  const found: string[] = [];
  for (const o of scene.objects) if (isHeldOutPair(o.shape, o.color)) found.push(`${o.shape}x${o.color}`);
  if (scene.text && isHeldOutWord(scene.text.word)) found.push(`word ${scene.text.word}`);
  if (scene.character && isHeldOutIdentity(scene.character.identity))
    found.push(`identity ${scene.character.identity}`);
  return found;
}
