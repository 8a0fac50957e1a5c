// Edit masks: which pixels an edit is allowed to change (1) and which must stay as they were (0).
//
// Local, text and character edits may change the rectangles of the items they touch (before and after, one pixel
// of padding); a background change may change every pixel that is not ink of an item; lighting, grayscale, new
// scenes and text-to-image may change everything. Outside the mask the target equals the input exactly (a test
// checks this), so "PSNR outside the mask to the input" measures how much a model disturbs what it was not asked
// to touch.

import {
  characterRect,
  objectRect,
  pixelRect,
  type Rect,
  type Region,
  regionRect,
  type Scene,
  textRect,
} from './scene.ts';
import type { Edit } from './ops.ts';
import { forEachInk, SIZES } from './shapes.ts';
import { objectBox } from './render.ts';
import { textCells, textInkAt } from './font.ts';
import { CHARACTER_SIZES, identityTraits, spriteAt } from './characters.ts';
import { TEXT_UNIT } from './scene.ts';

export type Mask = Uint8Array; // size*size, 1 = may change

function fillRect(mask: Mask, size: number, r: Rect): void {
  const [x0, y0, x1, y1] = pixelRect(r, size, 1);
  for (let y = y0; y < y1; y++) mask.fill(1, y * size + x0, y * size + x1);
}

/** 1 on every pixel an item of the scene (object, text, character) draws, 0 on background. */
export function inkMask(scene: Scene, size: number): Mask {
  const m = new Uint8Array(size * size);
  for (const o of scene.objects)
    forEachInk(o.shape, o.style, objectBox(o, size), size, size, (x, y) => (m[y * size + x] = 1));
  if (scene.text) {
    const t = scene.text;
    const unit = TEXT_UNIT * size;
    const { w, h } = textCells(t.word);
    const x0 = t.x * size - (w * unit) / 2;
    const y0 = t.y * size - (h * unit) / 2;
    const [a, b, c, d] = pixelRect(textRect(t), size, 0);
    for (let y = b; y < d; y++) {
      for (let x = a; x < c; x++) {
        if (textInkAt(t.word, Math.floor((x + 0.5 - x0) / unit), Math.floor((y + 0.5 - y0) / unit)))
          m[y * size + x] = 1;
      }
    }
  }
  if (scene.character) {
    const ch = scene.character;
    const r = characterRect(ch);
    const side = CHARACTER_SIZES[ch.size] * size;
    const t = identityTraits(ch.identity);
    const [a, b, c, d] = pixelRect(r, size, 0);
    for (let y = b; y < d; y++) {
      const v = (y + 0.5 - r[1] * size) / side;
      for (let x = a; x < c; x++) {
        const u = (x + 0.5 - r[0] * size) / side;
        if (u >= 0 && u < 1 && v >= 0 && v < 1 && spriteAt(t, u, v)) m[y * size + x] = 1;
      }
    }
  }
  return m;
}

function objectRects(scene: Scene | null, id: number): Rect[] {
  const o = scene?.objects.find((p) => p.id === id);
  return o ? [objectRect(o)] : [];
}

/** The pixels `edit` may change when turning scene `before` into `after`, at `size` px. */
export function editMask(edit: Edit, before: Scene | null, after: Scene, size: number): Mask {
  const mask = new Uint8Array(size * size);
  const rects: Rect[] = [];
  switch (edit.op) {
    case 'recolor':
    case 'remove':
    case 'add':
    case 'move':
    case 'resize':
      rects.push(...objectRects(before, edit.id), ...objectRects(after, edit.id));
      break;
    case 'style':
    case 'styleref':
      for (const s of [before, after]) for (const o of s?.objects ?? []) rects.push(objectRect(o));
      break;
    case 'word':
    case 'textcolor':
      for (const s of [before, after]) if (s?.text) rects.push(textRect(s.text));
      break;
    case 'character':
      if (edit.newScene) return mask.fill(1);
      for (const s of [before, after]) if (s?.character) rects.push(characterRect(s.character));
      break;
    case 'background': {
      const ink = inkMask(after, size);
      for (let i = 0; i < mask.length; i++) mask[i] = ink[i] ? 0 : 1;
      return mask;
    }
    case 'time':
    case 'grayscale':
    case 'generate':
      return mask.fill(1);
  }
  for (const r of rects) fillRect(mask, size, r);
  return mask;
}

/**
 * The pixels shape `id` of `scene` could cover with its centre anywhere in the cell `region` (1), at `size` px: the
 * cell grown by half the shape's side, one pixel of padding (an add or a move names a cell, and the world puts the
 * shape at a random place in it: compose.ts placeRect). All 0 when the scene has no such shape.
 */
export function placeMask(id: number, region: Region, scene: Scene, size: number): Mask {
  const mask = new Uint8Array(size * size);
  const o = scene.objects.find((p) => p.id === id);
  if (!o) return mask;
  const h = SIZES[o.size] / 2;
  const [x0, y0, x1, y1] = regionRect(region);
  fillRect(mask, size, [x0 - h, y0 - h, x1 + h, y1 + h]);
  return mask;
}

/** Fraction of pixels an edit may change. */
export function maskCoverage(mask: Mask): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n / mask.length;
}
