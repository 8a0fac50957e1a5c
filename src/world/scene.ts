// A scene: the plain, JSON-serialisable description of one image of the world. render(scene, size) draws it;
// edits are functions from scene to scene; the benchmark keeps the scene before and after every edit, so the
// exact target of every instruction is known.
//
// Positions and sizes are fractions of the image side (0..1, y down), so one scene renders at any resolution.
// Every item (object, text label, character) occupies an axis-aligned rectangle; items never overlap (with a
// margin), which keeps the edit mask of an item its own rectangle.

import type { BackgroundColor, ObjectColor, TextColor, TimeOfDay } from './palette.ts';
import { GLYPH_H, textCells } from './font.ts';
import { SIZES, type Shape, type Size, type Style } from './shapes.ts';
import { CHARACTER_SIZES, type CharacterSize } from './characters.ts';

export type Background =
  | { kind: 'solid'; color: BackgroundColor }
  | { kind: 'gradient'; from: BackgroundColor; to: BackgroundColor }; // vertical, `from` at the top

export interface SceneObject {
  /** stable within an edit chain, so "the same object" can be followed from before to after */
  id: number;
  shape: Shape;
  color: ObjectColor;
  size: Size;
  style: Style;
  /** centre, fraction of the image side */
  x: number;
  y: number;
}

export interface TextLabel {
  word: string;
  color: TextColor;
  /** centre, fraction of the image side */
  x: number;
  y: number;
}

export interface CharacterPlacement {
  identity: number;
  size: CharacterSize;
  /** centre, fraction of the image side */
  x: number;
  y: number;
}

export interface Scene {
  background: Background;
  time: TimeOfDay;
  grayscale: boolean;
  objects: SceneObject[];
  text: TextLabel | null;
  character: CharacterPlacement | null;
}

/** One glyph cell of the text labels, as a fraction of the image side (1 px at 64 px). */
export const TEXT_UNIT = 1 / 64;

/** Rectangle [x0, y0, x1, y1] in fractions of the image side. */
export type Rect = [number, number, number, number];

export function objectRect(o: SceneObject): Rect {
  const h = SIZES[o.size] / 2;
  return [o.x - h, o.y - h, o.x + h, o.y + h];
}

export function textRect(t: TextLabel): Rect {
  const w = (textCells(t.word).w * TEXT_UNIT) / 2;
  const h = (GLYPH_H * TEXT_UNIT) / 2;
  return [t.x - w, t.y - h, t.x + w, t.y + h];
}

export function characterRect(c: CharacterPlacement): Rect {
  const h = CHARACTER_SIZES[c.size] / 2;
  return [c.x - h, c.y - h, c.x + h, c.y + h];
}

/** Rectangles of every item in the scene. */
export function itemRects(scene: Scene): Rect[] {
  const rects = scene.objects.map(objectRect);
  if (scene.text) rects.push(textRect(scene.text));
  if (scene.character) rects.push(characterRect(scene.character));
  return rects;
}

/** Gap kept between items and from the image border. */
export const MARGIN = 0.04;
export const BORDER = 0.02;

export function rectsOverlap(a: Rect, b: Rect, margin = MARGIN): boolean {
  return a[0] < b[2] + margin && b[0] < a[2] + margin && a[1] < b[3] + margin && b[1] < a[3] + margin;
}

export function rectInside(r: Rect, border = BORDER): boolean {
  return r[0] >= border && r[1] >= border && r[2] <= 1 - border && r[3] <= 1 - border;
}

/** True when no two items overlap (with the margin) and all are inside the image. */
export function sceneIsValid(scene: Scene): boolean {
  const rects = itemRects(scene);
  for (let i = 0; i < rects.length; i++) {
    if (!rectInside(rects[i]!)) return false;
    for (let j = i + 1; j < rects.length; j++) if (rectsOverlap(rects[i]!, rects[j]!)) return false;
  }
  return true;
}

/**
 * Integer pixel rectangle [x0, y0, x1, y1) covering a rect at `size` px, grown by `pad` pixels and clipped.
 * Everything an item draws lies inside its pixel rect (pad 0); edit masks use pad 1 to be safe at the edges.
 */
export function pixelRect(r: Rect, size: number, pad = 1): [number, number, number, number] {
  return [
    Math.max(0, Math.floor(r[0] * size) - pad),
    Math.max(0, Math.floor(r[1] * size) - pad),
    Math.min(size, Math.ceil(r[2] * size) + pad),
    Math.min(size, Math.ceil(r[3] * size) + pad),
  ];
}

// ---- regions: how instructions say where ----------------------------------------------------------------------

export const REGIONS = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;
export type Region = (typeof REGIONS)[number];

/** The 3x3 cell a point falls in. */
export function regionOf(x: number, y: number): Region {
  const col = Math.min(2, Math.max(0, Math.floor(x * 3)));
  const row = Math.min(2, Math.max(0, Math.floor(y * 3)));
  return REGIONS[row * 3 + col]!;
}

/** The cell of a region as a Rect. */
export function regionRect(region: Region): Rect {
  const i = REGIONS.indexOf(region);
  const col = i % 3;
  const row = Math.floor(i / 3);
  return [col / 3, row / 3, (col + 1) / 3, (row + 1) / 3];
}

/** Centres are kept this far from the lines between the 3x3 regions, so "at the top left" is never borderline. */
export const REGION_CLEARANCE = 0.03;
export const nearRegionLine = (v: number): boolean =>
  Math.abs(v - 1 / 3) < REGION_CLEARANCE || Math.abs(v - 2 / 3) < REGION_CLEARANCE;

/**
 * The centres the world may give an item of half-size `hw` × `hh` (fractions of the side) inside `cell` (a region's
 * Rect, or the whole picture): its placement rule (compose.ts placeRect) — centre inside the cell, box inside the
 * image's border, on the 1/128 lattice, and with `clear` off the lines between the regions as the world draws (a judge
 * of where a model put a thing leaves `clear` out: a centre just inside its cell is in it).
 */
export function placesIn(cell: Rect, hw: number, hh: number, clear = false): { x: number; y: number }[] {
  const lattice = (lo: number, hi: number): number[] => {
    const out: number[] = [];
    for (let k = Math.ceil(lo * 128); k <= Math.floor(hi * 128); k++)
      if (!clear || !nearRegionLine(k / 128)) out.push(k / 128);
    return out;
  };
  const xs = lattice(Math.max(BORDER + hw, cell[0]), Math.min(1 - BORDER - hw, cell[2]));
  const ys = lattice(Math.max(BORDER + hh, cell[1]), Math.min(1 - BORDER - hh, cell[3]));
  return ys.flatMap((y) => xs.map((x) => ({ x, y })));
}

/** "at the top left", "in the center", "on the right" */
export function regionPhrase(region: Region): string {
  if (region === 'center') return 'in the center';
  if (region === 'left' || region === 'right') return `on the ${region}`;
  return `at the ${region}`;
}

export function cloneScene(scene: Scene): Scene {
  return structuredClone(scene);
}
