// Random scenes: backgrounds, non-overlapping placement, objects with unique (colour, shape) so that "the red
// circle" always names exactly one object. Everything is drawn from an Rng and a SplitPolicy, so the held-out
// combinations of src/world/split.ts only ever appear in the test split.

import type { Rng } from '../engine/random.ts';
import {
  BACKGROUND_COLORS,
  BACKGROUND_COLOR_NAMES,
  colorDistance,
  TEXT_COLORS,
  TEXT_COLOR_NAMES,
  type ObjectColor,
  type TextColor,
} from './palette.ts';
import { SIZE_NAMES, SIZES, STYLES, type Shape, type Size, type Style } from './shapes.ts';
import { CHARACTER_SIZES, type CharacterSize } from './characters.ts';
import {
  BORDER,
  itemRects,
  nearRegionLine,
  rectsOverlap,
  regionRect,
  textRect,
  type Background,
  type Rect,
  type Region,
  type Scene,
  type SceneObject,
  type TextLabel,
} from './scene.ts';
import type { SplitPolicy } from './split.ts';

export function sameBackground(a: Background, b: Background): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A solid pastel (70%) or a vertical gradient between two pastels (30%), different from `not`. */
export function randomBackground(rng: Rng, not?: Background): Background {
  for (;;) {
    let bg: Background;
    if (rng.chance(0.7)) bg = { kind: 'solid', color: rng.pick(BACKGROUND_COLOR_NAMES) };
    else {
      const [from, to] = rng.shuffle(BACKGROUND_COLOR_NAMES);
      bg = { kind: 'gradient', from: from!, to: to! };
    }
    if (!not || !sameBackground(bg, not)) return bg;
  }
}

/**
 * A centre (x, y) for a w x h rectangle that stays inside the image, overlaps none of `taken` and, if given, has its
 * centre inside `within` and, if `grid` is given, on it. Rejection sampling; null when 60 tries fail.
 */
export function placeRect(
  rng: Rng,
  w: number,
  h: number,
  taken: Rect[],
  within?: Rect,
  grid?: Grid,
): [number, number] | null {
  const xlo = Math.max(BORDER + w / 2, within ? within[0] + 1e-6 : 0);
  const xhi = Math.min(1 - BORDER - w / 2, within ? within[2] - 1e-6 : 1);
  const ylo = Math.max(BORDER + h / 2, within ? within[1] + 1e-6 : 0);
  const yhi = Math.min(1 - BORDER - h / 2, within ? within[3] - 1e-6 : 1);
  if (xlo > xhi || ylo > yhi) return null;
  for (let t = 0; t < 60; t++) {
    // positions on a 1/128 grid (half a pixel at 64 px): short in JSON, and exact in binary
    const x = grid ? onGrid(rng, xlo, xhi, grid.step, grid.x0) : Math.round(rng.range(xlo, xhi) * 128) / 128;
    const y = grid ? onGrid(rng, ylo, yhi, grid.step, grid.y0) : Math.round(rng.range(ylo, yhi) * 128) / 128;
    if (x === null || y === null) return null;
    if (x < xlo || x > xhi || y < ylo || y > yhi || nearRegionLine(x) || nearRegionLine(y)) continue;
    const r: Rect = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
    if (!taken.some((o) => rectsOverlap(r, o))) return [x, y];
  }
  return null;
}

/**
 * Centres restricted to x0 + i·step, y0 + j·step (normalised). Training data may draw new objects on the
 * transformer's token grid (GenerateOptions.grid): then an added shape is always the same pixels up to whole
 * tokens, and a moved one moves by whole tokens.
 */
export interface Grid {
  step: number;
  x0: number;
  y0: number;
}

/**
 * The grid (if the policy draws on one: training data) for an item an edit draws: through `from` when the item
 * moves unchanged (whole cells away, so its pixels move by whole tokens), else through the cells' centres (one
 * pattern per item, up to whole tokens).
 */
export function drawGrid(
  policy: SplitPolicy,
  from?: { x: number; y: number },
  item: 'object' | 'character' = 'object',
): Grid | undefined {
  const step = policy.grid;
  if (!step || (item === 'character' && !policy.gridCharacters)) return undefined;
  return from ? { step, x0: from.x, y0: from.y } : { step, x0: step / 2, y0: step / 2 };
}

/** A random point of {v0 + k·step} in [lo, hi], or null if there is none. */
function onGrid(rng: Rng, lo: number, hi: number, step: number, v0: number): number | null {
  const k0 = Math.ceil((lo - v0) / step);
  const k1 = Math.floor((hi - v0) / step);
  return k0 > k1 ? null : v0 + step * (k0 + Math.floor(rng.next() * (k1 - k0 + 1)));
}

export function nextObjectId(scene: Scene): number {
  return scene.objects.reduce((m, o) => Math.max(m, o.id + 1), 0);
}

export function hasPair(scene: Scene, shape: Shape, color: ObjectColor, exceptId = -1): boolean {
  return scene.objects.some((o) => o.id !== exceptId && o.shape === shape && o.color === color);
}

export interface NewObjectOptions {
  style: Style;
  size?: Size;
  region?: Region;
  /** extra rectangles to keep clear of (e.g. where a moved object used to be) */
  avoid?: Rect[];
  /** centres only on this grid (placeRect) */
  grid?: Grid;
  /** only pairs passing this test */
  ok?: (shape: Shape, color: ObjectColor) => boolean;
}

/** A new object with a (shape, colour) not yet in the scene, placed without overlaps; null if it does not fit. */
export function newObject(rng: Rng, policy: SplitPolicy, scene: Scene, opts: NewObjectOptions): SceneObject | null {
  const pair = policy.pair(rng, (s, c) => !hasPair(scene, s, c) && (opts.ok?.(s, c) ?? true));
  if (!pair) return null;
  const size = opts.size ?? rng.pick(SIZE_NAMES);
  const side = SIZES[size];
  const at = placeRect(
    rng,
    side,
    side,
    [...itemRects(scene), ...(opts.avoid ?? [])],
    opts.region && regionRect(opts.region),
    opts.grid,
  );
  if (!at) return null;
  return { id: nextObjectId(scene), shape: pair[0], color: pair[1], size, style: opts.style, x: at[0], y: at[1] };
}

/** Text colours that read well on a background (far from both ends of a gradient). */
export function readableTextColors(bg: Background): TextColor[] {
  const ends = bg.kind === 'solid' ? [bg.color] : [bg.from, bg.to];
  return TEXT_COLOR_NAMES.filter((t) => ends.every((e) => colorDistance(TEXT_COLORS[t], BACKGROUND_COLORS[e]) > 100));
}

export function newText(rng: Rng, policy: SplitPolicy, scene: Scene, region?: Region): TextLabel | null {
  const word = policy.word(rng);
  if (!word) return null;
  const probe: TextLabel = { word, color: 'black', x: 0.5, y: 0.5 };
  const r = textRect(probe);
  const at = placeRect(rng, r[2] - r[0], r[3] - r[1], itemRects(scene), region && regionRect(region));
  if (!at) return null;
  return { word, color: rng.pick(readableTextColors(scene.background)), x: at[0], y: at[1] };
}

export function newCharacter(
  rng: Rng,
  identity: number,
  scene: Scene,
  opts: { size?: CharacterSize; region?: Region; avoid?: Rect[]; grid?: Grid } = {},
): Scene['character'] {
  const size = opts.size ?? (rng.chance(0.5) ? 'small' : 'large');
  const side = CHARACTER_SIZES[size];
  const taken = [...itemRects(scene), ...(opts.avoid ?? [])];
  const at = placeRect(rng, side, side, taken, opts.region && regionRect(opts.region), opts.grid);
  if (!at) return null;
  return { identity, size, x: at[0], y: at[1] };
}

export interface SceneOptions {
  /** inclusive range of object counts */
  objects: [number, number];
  /** probability of a text label, or true/false to force */
  text: number | boolean;
  character: number | boolean;
  /** probability of a night scene */
  night?: number;
  style?: Style;
  /** the scene is what a model draws from words (text-to-image): its objects and character on the policy's grid */
  drawn?: boolean;
  /** the scene of a resize: its objects on the policy's grid when it puts resizes there (gridResize) */
  resized?: boolean;
}

const want = (rng: Rng, p: number | boolean): boolean => (typeof p === 'boolean' ? p : rng.chance(p));

/**
 * A random scene. Items are placed largest first (character, text, objects); if the requested items do not fit,
 * the layout is redrawn (forced items) or the item is dropped (optional objects beyond the minimum).
 */
export function randomScene(rng: Rng, policy: SplitPolicy, opts: SceneOptions): Scene {
  const grids =
    opts.drawn && policy.gridScenes
      ? { object: drawGrid(policy), character: drawGrid(policy, undefined, 'character') }
      : opts.resized && policy.gridResize
        ? { object: drawGrid(policy), character: undefined }
        : undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    const scene: Scene = {
      background: randomBackground(rng),
      time: rng.chance(opts.night ?? 0) ? 'night' : 'day',
      grayscale: false,
      objects: [],
      text: null,
      character: null,
    };
    if (want(rng, opts.character)) {
      scene.character = newCharacter(rng, policy.identity(rng), scene, { grid: grids?.character });
      if (!scene.character) continue;
    }
    if (want(rng, opts.text)) {
      scene.text = newText(rng, policy, scene);
      if (!scene.text) continue;
    }
    const style = opts.style ?? rng.pick(STYLES);
    const n = opts.objects[0] + rng.int(opts.objects[1] - opts.objects[0] + 1);
    for (let i = 0; i < n; i++) {
      const o = newObject(rng, policy, scene, { style, grid: grids?.object });
      if (o) scene.objects.push(o);
    }
    if (scene.objects.length < opts.objects[0]) continue;
    return scene;
  }
  throw new Error(`could not lay out a scene with ${JSON.stringify(opts)}`);
}
