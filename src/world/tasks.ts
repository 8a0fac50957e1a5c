// The tasks of the benchmark, grouped in the five KontextBench families (paper §4.1) plus text-to-image and
// multi-turn editing. A task draws a scene (or two), applies an edit and returns scenes only; rendering and masks
// happen in src/world/dataset.ts, so a task is cheap and easy to test.
//
//   family     task                 inputs                     what must change
//   local      local.recolor        scene                      one named object's colour
//              local.remove                                    one named object disappears
//              local.add                                       a described object appears in a named region
//              local.move                                      one named object moves to a named region
//              local.resize                                    one named object changes size class
//   global     global.background    scene                      the background
//              global.daynight                                 lighting: day <-> night
//              global.grayscale                                all colour removed
//              global.style                                    every object's drawing style
//   text       text.replace         scene with a label         the word
//              text.recolor                                    the label's colour
//   style      style.reference      content + style exemplar   objects redrawn in the exemplar's style
//   character  character.scene      scene with a character     same character in a described new scene
//              character.place                                 same character moved / resized in its scene
//   t2i        t2i.caption          none                       generate the described scene
//   multiturn  multiturn.chain      scene with a character     5 chained edits; the character is never touched,
//                                                              and no turn asks for what the first image already shows

import type { Rng } from '../engine/random.ts';
import { describeIdentity, type CharacterSize } from './characters.ts';
import { drawGrid, newCharacter, newObject, randomBackground, randomScene, type SceneOptions } from './compose.ts';
import {
  add,
  alreadyIn,
  background,
  CHAIN_OPS,
  dayNight,
  grayscale,
  move,
  recolor,
  recolorText,
  remove,
  replaceWord,
  resize,
  restyle,
  sceneStyle,
  styleVisible,
  type Edit,
  type Op,
} from './ops.ts';
import { backgroundNoun, describeObject, list, phrase } from './phrases.ts';
import { characterRect, cloneScene, REGIONS, regionOf, regionPhrase, type Scene } from './scene.ts';
import { STYLES, type Style } from './shapes.ts';
import type { SplitPolicy } from './split.ts';

export const FAMILIES = ['local', 'global', 'text', 'style', 'character', 't2i', 'multiturn'] as const;
export type Family = (typeof FAMILIES)[number];

/** The five KontextBench families (the ones with a KontextBench category). */
export const KONTEXT_FAMILIES = ['local', 'global', 'text', 'style', 'character'] as const;

/** KontextBench `category` strings; the last two are ours (KontextBench has no such rows). */
export const CATEGORY: Record<Family, string> = {
  local: 'Instruction Editing - Local',
  global: 'Instruction Editing - Global',
  text: 'Text Editing',
  style: 'Style Reference',
  character: 'Character Reference',
  t2i: 'Text to Image',
  multiturn: 'Multi-turn Editing',
};

export interface Turn {
  task: string;
  instruction: string;
  edit: Edit;
  before: Scene;
  after: Scene;
}

export interface TaskInstance {
  family: Family;
  task: string;
  instruction: string;
  /** scenes of the input images, in order (empty for t2i; content then exemplar for style reference) */
  inputs: Scene[];
  /** the scene being edited (inputs[0]), null for t2i */
  before: Scene | null;
  /** the exact target */
  after: Scene;
  edit: Edit;
  /** multi-turn only: every turn, the last one's `after` equal to `after` */
  turns?: Turn[];
}

export interface TaskDef {
  name: string;
  family: Family;
  generate(rng: Rng, policy: SplitPolicy): TaskInstance;
}

export const TURNS = 5;

/** Redraw the scene until the edit applies. */
function single(name: string, family: Family, op: Op, scene: SceneOptions): TaskDef {
  return {
    name,
    family,
    generate(rng, policy) {
      for (let attempt = 0; attempt < 200; attempt++) {
        const before = randomScene(rng, policy, scene);
        const step = op(rng, policy, before);
        if (!step) continue;
        return {
          family,
          task: name,
          instruction: step.instruction,
          inputs: [before],
          before,
          after: step.after,
          edit: step.edit,
        };
      }
      throw new Error(`task ${name}: no applicable scene in 200 tries`);
    },
  };
}

const COMMON = { text: 0.3, character: 0.25, night: 0.15 };

// ---- style reference -------------------------------------------------------------------------------------------

const styleReference: TaskDef = {
  name: 'style.reference',
  family: 'style',
  generate(rng, policy) {
    let content: Scene;
    let options: Style[];
    do {
      content = randomScene(rng, policy, { objects: [2, 4], text: 0.2, character: 0.2 });
      const from = sceneStyle(content)!;
      options = STYLES.filter((s) => s !== from && styleVisible(content, s));
    } while (options.length === 0);
    const to = rng.pick(options);
    const exemplar = randomScene(rng, policy, { objects: [1, 3], text: 0.2, character: 0.2, style: to });
    const after = cloneScene(content);
    for (const o of after.objects) o.style = to;
    const instruction = phrase(
      rng,
      [
        'redraw the first image in the style of the second image',
        'apply the style of the reference image to this picture',
        'using the second image as a style reference, restyle the shapes of the first',
        'keep the content of image 1 but draw it in the style of image 2',
      ],
      {},
      policy,
    );
    return {
      family: 'style',
      task: 'style.reference',
      instruction,
      inputs: [content, exemplar],
      before: content,
      after,
      edit: { op: 'styleref', to },
    };
  },
};

// ---- character reference ---------------------------------------------------------------------------------------

function sizeWord(s: CharacterSize): string {
  return s === 'large' ? 'large' : 'small';
}

/** The same character in a new, described scene: new background, new objects, new place (never its old box). */
const characterScene: TaskDef = {
  name: 'character.scene',
  family: 'character',
  generate(rng, policy) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const before = randomScene(rng, policy, { objects: [0, 2], text: 0.2, character: true });
      const old = before.character!;
      const after: Scene = {
        background: randomBackground(rng, before.background),
        time: 'day',
        grayscale: false,
        objects: [],
        text: null,
        character: null,
      };
      const size: CharacterSize = rng.chance(0.5) ? 'small' : 'large';
      const region = rng.pick(REGIONS);
      const grid = drawGrid(policy, size === old.size ? old : undefined, 'character');
      after.character = newCharacter(rng, old.identity, after, { size, region, avoid: [characterRect(old)], grid });
      if (!after.character) continue;
      const style = rng.pick(STYLES);
      const n = 1 + rng.int(2);
      for (let i = 0; i < n; i++) {
        const o = newObject(rng, policy, after, { style });
        if (o) after.objects.push(o);
      }
      if (after.objects.length === 0) continue;
      const things = after.objects.map((o) => `${describeObject(o)} ${regionPhrase(regionOf(o.x, o.y))}`);
      const instruction = phrase(
        rng,
        [
          'show this character, {size}, {where} on {bg} with {things}',
          'put the same creature {where} of a new picture: {bg}, {things}; draw it {size}',
          'draw this character again, {size} and {where}, in a scene with {bg} and {things}',
        ],
        {
          size: sizeWord(size),
          where: regionPhrase(region),
          bg: backgroundNoun(after.background),
          things: list(things),
        },
        policy,
      );
      return {
        family: 'character',
        task: 'character.scene',
        instruction,
        inputs: [before],
        before,
        after,
        edit: { op: 'character', region, newScene: true },
      };
    }
    throw new Error('character.scene: no layout in 200 tries');
  },
};

/** The same character moved (and possibly resized) within its own scene. */
const characterPlace: TaskDef = {
  name: 'character.place',
  family: 'character',
  generate(rng, policy) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const before = randomScene(rng, policy, { objects: [0, 2], text: 0.3, character: true, night: 0.15 });
      const old = before.character!;
      const from = regionOf(old.x, old.y);
      const size: CharacterSize = rng.chance(0.5) ? old.size : old.size === 'small' ? 'large' : 'small';
      const region = rng.pick(REGIONS.filter((r) => r !== from));
      const rest = { ...before, character: null };
      const grid = drawGrid(policy, size === old.size ? old : undefined, 'character');
      const placed = newCharacter(rng, old.identity, rest, { size, region, avoid: [characterRect(old)], grid });
      if (!placed) continue;
      const after = { ...cloneScene(before), character: placed };
      const to = region === 'center' ? 'to the center' : `to the ${region}`;
      const instruction = phrase(
        rng,
        size === old.size
          ? ['move the creature {to}', 'place this character {where} instead', 'shift the character {to}']
          : [
              'move the creature {to} and make it {size}',
              'place this character {where} and draw it {size}',
              'make the character {size} and move it {to}',
            ],
        { to, where: regionPhrase(region), size: sizeWord(size) },
        policy,
      );
      return {
        family: 'character',
        task: 'character.place',
        instruction,
        inputs: [before],
        before,
        after,
        edit: { op: 'character', region, newScene: false },
      };
    }
    throw new Error('character.place: no layout in 200 tries');
  },
};

// ---- text-to-image ---------------------------------------------------------------------------------------------

export function caption(rng: Rng, scene: Scene): string {
  const parts = scene.objects.map((o) => `${describeObject(o)} ${regionPhrase(regionOf(o.x, o.y))}`);
  if (scene.character) {
    const c = scene.character;
    parts.push(`${describeIdentity(c.identity)}, drawn ${c.size}, ${regionPhrase(regionOf(c.x, c.y))}`);
  }
  if (scene.text) {
    const t = scene.text;
    parts.push(`the word '${t.word}' written in ${t.color} ${regionPhrase(regionOf(t.x, t.y))}`);
  }
  const night = scene.time === 'night' ? ', at night' : '';
  return phrase(
    rng,
    ['{things} on {bg}{night}', 'a picture of {things} on {bg}{night}', 'an image showing {things}, on {bg}{night}'],
    {
      things: list(parts),
      bg: backgroundNoun(scene.background),
      night,
    },
  );
}

const t2i: TaskDef = {
  name: 't2i.caption',
  family: 't2i',
  generate(rng, policy) {
    const after = randomScene(rng, policy, { objects: [1, 3], text: 0.4, character: 0.3, night: 0.2, drawn: true });
    return {
      family: 't2i',
      task: 't2i.caption',
      instruction: caption(rng, after),
      inputs: [],
      before: null,
      after,
      edit: { op: 'generate' },
    };
  },
};

// ---- multi-turn ------------------------------------------------------------------------------------------------

const multiturn: TaskDef = {
  name: 'multiturn.chain',
  family: 'multiturn',
  generate(rng, policy) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const first = randomScene(rng, policy, { objects: [2, 3], text: 0.6, character: true });
      const turns: Turn[] = [];
      let scene = first;
      while (turns.length < TURNS) {
        let step = null;
        for (const op of rng.shuffle(CHAIN_OPS)) {
          step = op(rng, policy, scene);
          if (step && !alreadyIn(first, step, scene)) break;
          step = null;
        }
        if (!step) break;
        turns.push({
          task: step.task,
          instruction: step.instruction,
          edit: step.edit,
          before: scene,
          after: step.after,
        });
        scene = step.after;
      }
      if (turns.length < TURNS) continue;
      return {
        family: 'multiturn',
        task: 'multiturn.chain',
        instruction: turns[0]!.instruction,
        inputs: [first],
        before: first,
        after: scene,
        edit: turns[0]!.edit,
        turns,
      };
    }
    throw new Error('multiturn: could not build a chain');
  },
};

export const TASKS: TaskDef[] = [
  single('local.recolor', 'local', recolor, { objects: [1, 4], ...COMMON }),
  // ≥ 2: with one object, wiping the image would be the right answer
  single('local.remove', 'local', remove, { objects: [2, 4], ...COMMON }),
  single('local.add', 'local', add, { objects: [0, 3], ...COMMON }),
  single('local.move', 'local', move, { objects: [1, 3], ...COMMON }),
  single('local.resize', 'local', resize, { objects: [1, 3], ...COMMON, resized: true }),
  single('global.background', 'global', background, { objects: [1, 3], ...COMMON }),
  single('global.daynight', 'global', dayNight, { objects: [1, 3], ...COMMON, night: 0.5 }),
  single('global.grayscale', 'global', grayscale, { objects: [1, 3], ...COMMON }),
  single('global.style', 'global', restyle, { objects: [2, 4], ...COMMON }),
  single('text.replace', 'text', replaceWord, { objects: [0, 3], ...COMMON, text: true }),
  single('text.recolor', 'text', recolorText, { objects: [0, 3], ...COMMON, text: true }),
  styleReference,
  characterScene,
  characterPlace,
  t2i,
  multiturn,
];

export function tasksOf(family: Family): TaskDef[] {
  return TASKS.filter((t) => t.family === family);
}

export function taskByName(name: string): TaskDef {
  const t = TASKS.find((d) => d.name === name);
  if (!t) throw new Error(`unknown task '${name}'`);
  return t;
}
