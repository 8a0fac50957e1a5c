// Typed instructions: the world's edits asked as people type them, on test-split rows with exact ground truth.
// Each phrasing is asked of the same rows as the world's own phrasing (generation seed 7, bench seed 0), through
// the editor as `kontext edit` runs it, and judged by the benchmark's checks (src/bench/analyze.ts): the phrasing
// should succeed about as often as the world's words (the editor reads it as them: src/world/other-phrasings.ts).
// A shape named by its shape alone, with its size or with its place among its kind ("remove the circle", "the large
// circle", "the circle on the left") is named as the input shows it (src/world/shapes-seen.ts asWorldNames; on rows
// with two shapes of one kind alike the picture cannot say which). Several things in one edit ("remove the red
// circle and the blue square", src/world/several-things.ts; "remove all the shapes", shapes-seen.ts) are judged on
// every thing, against the same prompt given to the model as one edit (`oneByOne: false`), as before the split; "it"
// across turns ("move it up" after "make the red circle blue", src/world/outside.ts resolveIt) against "it" with no
// turn before and the world's own turn. ~20 rows a case; about 5 minutes on the 2-core machine.

import { judge } from '../src/bench/analyze.ts';
import { Rng } from '../src/engine/random.ts';
import type { RGBImage } from '../src/image/rgb.ts';
import { MiniEditor } from '../src/mini/editor.ts';
import { makeSample, type Sample, type SampleTurn, streamSamples } from '../src/world/dataset.ts';
import type { Edit } from '../src/world/ops.ts';
import { OBJECT_COLOR_NAMES } from '../src/world/palette.ts';
import { describeObject } from '../src/world/phrases.ts';
import { cloneScene, type Region, regionPhrase, type Scene, type SceneObject } from '../src/world/scene.ts';

/**
 * A task of the test split, the world's own phrasing of its edit (one of its templates) and other phrasings; {obj}
 * the edited object ({shape}: by its shape alone, "the circle"; {sized}: with its size, "the large circle"; {placed}:
 * with where it is among its kind, "the circle on the left"), {to} the colour asked (a word replaced: its new word,
 * {from} the old), {where} the place a move asks ("top left"), {desc} an added object ("a
 * small red dotted star") and {place} where it is added ("at the top left").
 */
const CASES: { task: string; to?: string; world: string; phrasings: string[] }[] = [
  {
    task: 'local.recolor',
    world: 'make {obj} {to}',
    phrasings: [
      'change {obj} to {to}',
      'fill {obj} with {to}',
      '{obj} should be {to}',
      "I'd like {obj} to be {to}",
      'recolor {obj} to {to}',
      'make {shape} {to}',
      'make {sized} {to}',
      'make {placed} {to}',
    ],
  },
  {
    task: 'local.remove',
    world: 'remove {obj}',
    phrasings: [
      'remove {obj} from the image',
      '{obj} should be gone',
      "I don't want {obj}",
      '{obj} should go',
      'remove {shape}',
      'remove {sized}',
      'remove {placed}',
    ],
  },
  {
    task: 'local.move',
    world: 'move {obj} to the {where}',
    phrasings: [
      '{obj} should be in the {where}',
      'could {obj} be in the {where}?',
      'drag {obj} to the {where}',
      'move {shape} to the {where}',
      'move {placed} to the {where}',
    ],
  },
  {
    task: 'local.add',
    world: 'add {desc} {place}',
    phrasings: ['I want {desc} {place}', 'there should be {desc} {place}'],
  },
  { task: 'text.recolor', world: 'make the text {to}', phrasings: ['make the word {to}', 'change the text to {to}'] },
  {
    task: 'text.replace',
    world: "replace '{from}' with '{to}'",
    phrasings: ["change the word to '{to}'", 'make the sign say {to}', 'replace the text with {to}'],
  },
  {
    task: 'global.grayscale',
    world: 'make the image grayscale',
    phrasings: ['remove the colors', 'make it gray', 'make everything gray'],
  },
  {
    task: 'global.daynight',
    to: 'night',
    world: 'make it night',
    phrasings: ['make it a bit darker', 'turn the lights off'],
  },
  {
    task: 'global.daynight',
    to: 'day',
    world: 'make it daytime',
    phrasings: ['turn it into day', 'make it brighter', 'turn the lights on'],
  },
];

interface Count {
  n: number;
  world: number;
  own: number;
  typed: number[];
}

export async function benchMiniTyped(dir?: string, rows = 20): Promise<Record<string, number | string>> {
  const editor = await MiniEditor.load(dir);
  const ok = async (prompt: string, s: Sample, oneByOne = true) =>
    judge(s.edit, s.before, s.after, await answer(editor, prompt, s.inputs[0]!, oneByOne)).success;
  const out: Record<string, number | string> = {};
  let all = 0;
  let world = 0;
  let typed = 0;
  for (const c of CASES) {
    const count: Count = { n: 0, world: 0, own: 0, typed: c.phrasings.map(() => 0) };
    for (const s of testRows(c.task, rows, c.to)) {
      count.n++;
      if (await ok(fill(c.world, s), s)) count.world++;
      if (await ok(s.instruction, s)) count.own++; // held-out templates among them
      for (const [i, p] of c.phrasings.entries()) if (await ok(fill(p, s), s)) count.typed[i]!++;
    }
    for (const [i, p] of c.phrasings.entries()) {
      const as = `the world's "${c.world}": ${count.world}, the rows' own instructions: ${count.own}`;
      out[`typed "${p}"`] = `${count.typed[i]} of ${count.n} (${as})`;
      all += count.n;
      world += count.world;
      typed += count.typed[i]!;
    }
  }
  // several things in one edit, two or all of them: each judged; two removals wished away too
  for (const which of ['two', 'all'] as const)
    for (const kind of ['remove', 'recolor', 'wish away'] as const) {
      if (kind === 'wish away' && which === 'all') continue;
      let n = 0;
      let asOne = 0;
      let split = 0;
      for (const t of severalThings(kind === 'wish away' ? 'remove' : kind, which, rows)) {
        n++;
        const done = (image: RGBImage) =>
          t.edits.every((e, i) => judge(e, t.scenes[i]!, t.scenes.at(-1)!, image).success);
        const prompt = kind === 'wish away' ? t.prompt.replace(/^remove /, "I don't want ") : t.prompt;
        if (done(await answer(editor, prompt, t.image, false))) asOne++;
        if (done(await answer(editor, prompt, t.image, true))) split++;
      }
      const asked = which === 'two' ? 'the X and the Y' : 'all the shapes';
      const typed = kind === 'wish away' ? `I don't want ${asked}` : `${kind} ${asked}`;
      out[`typed "${typed}"`] = `${split} of ${n} (as one edit: ${asOne})`;
    }
  // "it" across turns: a chain's next turn on the same shape asked "move it …" / "make it …", after the turn before
  // (its instruction handed over as a session does) and alone, from the turn before's exact target
  const it = { n: 0, world: 0, alone: 0, after: 0 };
  for (const [a, b] of itPairs(rows)) {
    it.n++;
    const judged = async (prompt: string, previous?: string) =>
      judge(b.edit, b.before, b.after, (await editor.edit({ prompt, image: a.target, seed: 0, previous })).image)
        .success;
    if (await judged(b.instruction)) it.world++;
    if (await judged(itPhrase(b.edit))) it.alone++;
    if (await judged(itPhrase(b.edit), a.instruction)) it.after++;
  }
  out['typed "move it …" / "make it …" after a turn'] =
    `${it.after} of ${it.n} (alone: ${it.alone}; the world's turn: ${it.world})`;
  return { miniTypedRows: all, miniTypedWorldWords: world, miniTypedAsTyped: typed, ...out };
}

/** "move it to the top", "make it blue", "make it large": a chain turn's edit with its shape as "it". */
function itPhrase(e: Edit): string {
  if (e.op === 'move') return `move it ${e.region === 'center' ? 'to the center' : `to the ${e.region}`}`;
  return `make it ${'to' in e ? e.to : ''}`;
}

/** The first `n` test chains' first two consecutive turns that edit one shape (a move, recolour or resize second). */
function* itPairs(n: number): Generator<[SampleTurn, SampleTurn]> {
  for (let k = 0, found = 0; found < n && k < 3000; k++) {
    const turns = makeSample({ split: 'test', seed: 7, families: ['multiturn'] }, k).turns!;
    for (let i = 0; i + 1 < turns.length; i++) {
      const [a, b] = [turns[i]!, turns[i + 1]!];
      const [ea, eb] = [a.edit, b.edit] as { op: string; id?: number }[];
      if (ea!.id === undefined || ea!.id !== eb!.id || ea!.op === 'remove' || ea!.op === 'add') continue;
      if (!['move', 'recolor', 'resize'].includes(eb!.op)) continue;
      found++;
      yield [a, b];
      break;
    }
  }
}

const answer = async (editor: MiniEditor, prompt: string, image: RGBImage, oneByOne: boolean) =>
  (await editor.edit({ prompt, image, seed: 0, oneByOne })).image;

/** The first `n` rows of a task in the test split (generation seed 7); for day/night only those made `to`. */
function* testRows(task: string, n: number, to?: string): Generator<Sample> {
  const family = task.split('.')[0] as 'local';
  // the other tasks' samples are skipped before they are rendered
  const rows = streamSamples({ split: 'test', seed: 7, families: [family], count: 20000, keep: (t) => t === task });
  let found = 0;
  for (const s of rows) {
    if (found >= n) return;
    if (to && (s.edit as { to?: string }).to !== to) continue;
    found++;
    yield s;
  }
}

/** A phrasing with the row's object, colour and place: "change the red circle to blue". */
function fill(phrasing: string, s: Sample): string {
  const e = s.edit as { id?: number; from?: string; to?: string; region?: Region };
  const o = s.before?.objects.find((p) => p.id === e.id);
  const added = s.after.objects.find((p) => p.id === e.id);
  return phrasing
    .replace('{obj}', o ? name(o) : '')
    .replace('{shape}', o ? `the ${o.shape}` : '')
    .replace('{sized}', o ? `the ${o.size} ${o.shape}` : '')
    .replace('{placed}', o ? `the ${o.shape} ${placeAmong(o, s.before!.objects)}` : '')
    .replace('{from}', e.from ?? '')
    .replace('{to}', e.to ?? '')
    .replace('{where}', e.region ?? '')
    .replace('{desc}', added ? describeObject(added) : '')
    .replace('{place}', e.region ? regionPhrase(e.region) : '');
}

const name = (o: SceneObject) => `the ${o.color} ${o.shape}`;

/**
 * Where an object is among the objects of its shape, as people tell one apart: "on the left" of the leftmost, "at the
 * top" of the topmost, … (the first way it lies furthest by a tenth of the picture); alone of its kind, the side of
 * the picture it is on.
 */
function placeAmong(o: SceneObject, objects: readonly SceneObject[]): string {
  const others = objects.filter((p) => p.shape === o.shape && p.id !== o.id);
  const ways: [string, (p: SceneObject) => number][] = [
    ['on the left', (p) => -p.x],
    ['on the right', (p) => p.x],
    ['at the top', (p) => -p.y],
    ['at the bottom', (p) => p.y],
  ];
  const way = ways.find(([, along]) => others.every((p) => along(o) - along(p) >= 0.1));
  return way ? way[0] : o.x < 0.5 ? 'on the left' : 'on the right';
}

/**
 * Objects of a test scene removed, or recoloured to one colour no object has, asked in one edit: two of them ("remove
 * the X and the Y") or all ("remove all the shapes", "make all the shapes blue"). `scenes[i]` is the scene before
 * edit i, and the last one the scene after them all.
 */
function* severalThings(kind: 'remove' | 'recolor', which: 'two' | 'all', n: number) {
  let found = 0;
  for (const s of testRows('local.remove', 4 * n)) {
    if (found >= n) return;
    const before = s.before!;
    if (before.objects.length < 2) continue;
    found++;
    const things = which === 'two' ? before.objects.slice(0, 2) : before.objects;
    const to = new Rng(found).pick(OBJECT_COLOR_NAMES.filter((c) => !before.objects.some((o) => o.color === c)));
    const edits: Edit[] = things.map((o) =>
      kind === 'remove' ? { op: 'remove', id: o.id } : { op: 'recolor', id: o.id, from: o.color, to },
    );
    const scenes = [before];
    for (const o of things) {
      const next = cloneScene(scenes.at(-1)!);
      if (kind === 'remove') next.objects = next.objects.filter((p) => p.id !== o.id);
      else next.objects.find((p) => p.id === o.id)!.color = to;
      scenes.push(next);
    }
    const named = which === 'two' ? `${name(things[0]!)} and ${name(things[1]!)}` : 'all the shapes';
    const prompt = kind === 'remove' ? `remove ${named}` : `make ${named} ${to}`;
    yield { image: s.inputs[0]!, scenes, edits, prompt } satisfies {
      image: RGBImage;
      scenes: Scene[];
      edits: Edit[];
      prompt: string;
    };
  }
}
