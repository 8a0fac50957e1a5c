// Edit operations: scene -> (instruction, edited scene, edit record). One function per edit of the paper's
// KontextBench families. Each returns null when the edit is impossible on this scene (nothing to recolour, no room
// to move to); callers redraw the scene or pick another operation.
//
// The Edit record is what the analyzer (src/bench/analyze.ts) needs on top of the scenes before and after to
// decide whether an output image shows the edit: which object, and the region an instruction named.

import type { Rng } from '../engine/random.ts';
import type { ObjectColor, TextColor, TimeOfDay } from './palette.ts';
import { SIZE_NAMES, SIZES, STYLES, stylesDiffer, type Size, type Style } from './shapes.ts';
import { objectBox } from './render.ts';
import {
  cloneScene,
  itemRects,
  objectRect,
  rectInside,
  rectsOverlap,
  regionOf,
  regionPhrase,
  REGIONS,
  regionRect,
  textRect,
  type Region,
  type Scene,
  type SceneObject,
} from './scene.ts';
import { drawGrid, hasPair, newObject, placeRect, randomBackground, readableTextColors } from './compose.ts';
import { backgroundPhrase, describeObject, objectName, phrase, restyleAdjective, STYLE_NAME } from './phrases.ts';
import type { SplitPolicy } from './split.ts';

export type Edit =
  | { op: 'recolor'; id: number; from: ObjectColor; to: ObjectColor }
  | { op: 'remove'; id: number }
  | { op: 'add'; id: number; region: Region }
  | { op: 'move'; id: number; region: Region }
  | { op: 'resize'; id: number; from: Size; to: Size }
  | { op: 'background' }
  | { op: 'time'; to: TimeOfDay }
  | { op: 'grayscale' }
  | { op: 'style'; to: Style }
  | { op: 'word'; from: string; to: string }
  | { op: 'textcolor'; from: TextColor; to: TextColor }
  | { op: 'styleref'; to: Style }
  | { op: 'character'; region: Region; newScene: boolean }
  | { op: 'generate' };

export interface Step {
  task: string;
  instruction: string;
  edit: Edit;
  after: Scene;
}

export type Op = (rng: Rng, policy: SplitPolicy, scene: Scene) => Step | null;

const others = (scene: Scene, o: SceneObject) => [
  ...scene.objects.filter((p) => p.id !== o.id).map(objectRect),
  ...itemRects({ ...scene, objects: [] }),
];

/** The common style of the scene's objects (the first object's; scenes are generated with one style). */
export function sceneStyle(scene: Scene): Style | null {
  return scene.objects[0]?.style ?? null;
}

// ---- local editing ----------------------------------------------------------------------------------------------

export const recolor: Op = (rng, policy, scene) => {
  for (const o of rng.shuffle(scene.objects)) {
    const pair = policy.pair(rng, (s, c) => s === o.shape && c !== o.color && !hasPair(scene, s, c));
    if (!pair) continue;
    const to = pair[1];
    const after = cloneScene(scene);
    after.objects.find((p) => p.id === o.id)!.color = to;
    const instruction = phrase(
      rng,
      [
        'make {obj} {to}',
        'change the color of {obj} to {to}',
        'recolor {obj} {to}',
        'turn {obj} {to}',
        'paint {obj} {to}',
      ],
      { obj: objectName(rng, scene, o), to },
      policy,
    );
    return { task: 'local.recolor', instruction, edit: { op: 'recolor', id: o.id, from: o.color, to }, after };
  }
  return null;
};

export const remove: Op = (rng, policy, scene) => {
  if (scene.objects.length === 0) return null;
  const o = rng.pick(scene.objects);
  const after = cloneScene(scene);
  after.objects = after.objects.filter((p) => p.id !== o.id);
  const instruction = phrase(
    rng,
    ['remove {obj}', 'delete {obj}', 'take away {obj}', 'erase {obj} from the picture', 'get rid of {obj}'],
    { obj: objectName(rng, scene, o) },
    policy,
  );
  return { task: 'local.remove', instruction, edit: { op: 'remove', id: o.id }, after };
};

export const add: Op = (rng, policy, scene) => {
  if (scene.objects.length >= 4) return null;
  const style = sceneStyle(scene) ?? rng.pick(STYLES);
  for (const region of rng.shuffle(REGIONS)) {
    const o = newObject(rng, policy, scene, { style, region, grid: drawGrid(policy) });
    if (!o) continue;
    const after = cloneScene(scene);
    after.objects.push(o);
    const instruction = phrase(
      rng,
      ['add {desc} {where}', 'put {desc} {where}', 'draw {desc} {where}', 'place {desc} {where}'],
      { desc: describeObject(o), where: regionPhrase(region) },
      policy,
    );
    return { task: 'local.add', instruction, edit: { op: 'add', id: o.id, region }, after };
  }
  return null;
};

export const move: Op = (rng, policy, scene) => {
  for (const o of rng.shuffle(scene.objects)) {
    const from = regionOf(o.x, o.y);
    const side = SIZES[o.size];
    for (const region of rng.shuffle(REGIONS.filter((r) => r !== from))) {
      const at = placeRect(
        rng,
        side,
        side,
        [...others(scene, o), objectRect(o)],
        regionRect(region),
        drawGrid(policy, o),
      );
      if (!at) continue;
      const after = cloneScene(scene);
      Object.assign(after.objects.find((p) => p.id === o.id)!, { x: at[0], y: at[1] });
      const to = region === 'center' ? 'to the center' : `to the ${region}`;
      const instruction = phrase(
        rng,
        ['move {obj} {to}', 'shift {obj} {to}', 'put {obj} {where} instead', 'relocate {obj} {to}'],
        { obj: objectName(rng, scene, o), to, where: regionPhrase(region) },
        policy,
      );
      return { task: 'local.move', instruction, edit: { op: 'move', id: o.id, region }, after };
    }
  }
  return null;
};

export const resize: Op = (rng, policy, scene) => {
  for (const o of rng.shuffle(scene.objects)) {
    for (const to of rng.shuffle(SIZE_NAMES.filter((s) => s !== o.size))) {
      const moved = { ...o, size: to };
      const r = objectRect(moved);
      if (!rectInside(r) || others(scene, o).some((q) => rectsOverlap(r, q))) continue;
      const after = cloneScene(scene);
      after.objects.find((p) => p.id === o.id)!.size = to;
      const templates = ['make {obj} {to}', 'resize {obj} so it is {to}', 'change the size of {obj} to {to}'];
      // "bigger"/"smaller" only where it names one size: medium -> large / medium -> small
      if (o.size === 'medium') templates.push(to === 'large' ? 'make {obj} bigger' : 'make {obj} smaller');
      const instruction = phrase(rng, templates, { obj: objectName(rng, scene, o), to }, policy);
      return { task: 'local.resize', instruction, edit: { op: 'resize', id: o.id, from: o.size, to }, after };
    }
  }
  return null;
};

// ---- global editing ---------------------------------------------------------------------------------------------

export const background: Op = (rng, policy, scene) => {
  for (let t = 0; t < 20; t++) {
    const bg = randomBackground(rng, scene.background);
    if (scene.text && !readableTextColors(bg).includes(scene.text.color)) continue;
    const after = { ...cloneScene(scene), background: bg };
    const instruction = phrase(
      rng,
      bg.kind === 'solid'
        ? [
            'change the background to {bg}',
            'make the background {bg}',
            'use a {bg} background',
            'replace the background with a plain {bg} one',
          ]
        : ['change the background to {bg}', 'make the background {bg}', 'replace the background with {bg}'],
      { bg: backgroundPhrase(bg) },
      policy,
    );
    return { task: 'global.background', instruction, edit: { op: 'background' }, after };
  }
  return null;
};

export const dayNight: Op = (rng, policy, scene) => {
  const to: TimeOfDay = scene.time === 'day' ? 'night' : 'day';
  const after = { ...cloneScene(scene), time: to };
  const instruction = phrase(
    rng,
    to === 'night'
      ? [
          'make it night',
          'turn the scene into a night scene',
          'change the time of day to night',
          'show this scene at night',
        ]
      : ['make it daytime', 'show this scene in daylight', 'turn the night into day', 'change the time of day to day'],
    {},
    policy,
  );
  return { task: 'global.daynight', instruction, edit: { op: 'time', to }, after };
};

export const grayscale: Op = (rng, policy, scene) => {
  if (scene.grayscale) return null;
  const after = { ...cloneScene(scene), grayscale: true };
  const instruction = phrase(
    rng,
    [
      'make the image grayscale',
      'convert the picture to black and white',
      'remove all color from the image',
      'turn the whole image into shades of gray',
    ],
    {},
    policy,
  );
  return { task: 'global.grayscale', instruction, edit: { op: 'grayscale' }, after };
};

/** Every object looks different in style `to` (checked at the 64 px reference size), so the change is visible. */
export function styleVisible(scene: Scene, to: Style): boolean {
  return scene.objects.every((o) => stylesDiffer(o.shape, o.style, to, objectBox(o, 64)));
}

export const restyle: Op = (rng, policy, scene) => {
  const from = sceneStyle(scene);
  if (!from) return null;
  const options = STYLES.filter((s) => s !== from && styleVisible(scene, s));
  if (options.length === 0) return null;
  const to = rng.pick(options);
  const after = cloneScene(scene);
  for (const o of after.objects) o.style = to;
  const instruction = phrase(
    rng,
    [
      'redraw all the shapes in {name} style',
      'change the style of every shape to {name}',
      'make all objects {adj}',
      'render the scene in {name} style',
    ],
    { name: STYLE_NAME[to], adj: restyleAdjective(to) },
    policy,
  );
  return { task: 'global.style', instruction, edit: { op: 'style', to }, after };
};

// ---- text editing -----------------------------------------------------------------------------------------------

export const replaceWord: Op = (rng, policy, scene) => {
  const text = scene.text;
  if (!text) return null;
  const rest = itemRects({ ...scene, text: null });
  const word = policy.word(rng, (w) => {
    if (w === text.word) return false;
    const r = textRect({ ...text, word: w });
    return rectInside(r) && !rest.some((q) => rectsOverlap(r, q));
  });
  if (!word) return null;
  const after = cloneScene(scene);
  after.text!.word = word;
  const instruction = phrase(
    rng,
    [
      "replace '{from}' with '{to}'",
      "change the text '{from}' to '{to}'",
      "make the sign say '{to}' instead of '{from}'",
      "rewrite the word '{from}' as '{to}'",
    ],
    { from: text.word, to: word },
    policy,
  );
  return { task: 'text.replace', instruction, edit: { op: 'word', from: text.word, to: word }, after };
};

export const recolorText: Op = (rng, policy, scene) => {
  const text = scene.text;
  if (!text) return null;
  const options = readableTextColors(scene.background).filter((c) => c !== text.color);
  if (options.length === 0) return null;
  const to = rng.pick(options);
  const after = cloneScene(scene);
  after.text!.color = to;
  const instruction = phrase(
    rng,
    [
      "make the text '{word}' {to}",
      "change the color of the word '{word}' to {to}",
      "color the letters of '{word}' {to}",
      "write '{word}' in {to} instead",
    ],
    { word: text.word, to },
    policy,
  );
  return { task: 'text.recolor', instruction, edit: { op: 'textcolor', from: text.color, to }, after };
};

/**
 * Does scene `start` already show what `step` asks for? In a multi-turn chain such a turn (recolour back to the
 * original colour, remove an object added earlier, ...) would be "done" by a model that changes nothing, so chains
 * avoid them: the identity baseline then scores 0% in every turn.
 */
export function alreadyIn(start: Scene, step: Step, current: Scene): boolean {
  const e = step.edit;
  const same = (a: SceneObject, b: SceneObject) => a.color === b.color && a.shape === b.shape && a.size === b.size;
  const near = (a: SceneObject, b: SceneObject) => Math.abs(a.x - b.x) <= 0.06 && Math.abs(a.y - b.y) <= 0.06;
  const after = (id: number) => step.after.objects.find((o) => o.id === id)!;
  switch (e.op) {
    case 'recolor':
    case 'resize': {
      // judged by "this object at its place": trivial if the start has it there already
      const n = after(e.id);
      return start.objects.some((o) => same(o, n) && near(o, n));
    }
    case 'add':
    case 'move': {
      // judged by "this object in the region": trivial if the start has it there already
      const n = after(e.id);
      return start.objects.some((o) => same(o, n) && regionOf(o.x, o.y) === e.region);
    }
    case 'remove': {
      // judged by "its box shows background": only non-trivial if the start has something at exactly that box
      const o = current.objects.find((p) => p.id === e.id)!;
      return !start.objects.some((p) => p.x === o.x && p.y === o.y && p.size === o.size);
    }
    case 'background':
      return JSON.stringify(start.background) === JSON.stringify(step.after.background);
    case 'style':
      return start.objects.length > 0 && start.objects.every((o) => o.style === e.to);
    case 'word':
      return start.text?.word === e.to;
    case 'textcolor':
      return start.text?.color === e.to; // the label never moves, so its old word shows the colour in place
    default:
      return false;
  }
}

/** The single-scene edits that can be chained in multi-turn editing (global day/night and grayscale excluded so that
 * colours stay readable in every turn). */
export const CHAIN_OPS: Op[] = [recolor, remove, add, move, resize, background, restyle, replaceWord, recolorText];
