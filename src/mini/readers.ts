// The output step's readers, one per kind of edit: which of them reads an instruction, and what it takes from the
// model's answer — the pixels of the edit as the world draws them, where the answer shows it (glyph.ts, moved.ts,
// resized.ts, redrawn.ts, world-light.ts) —, and how much of the edit the answer shows (the editor samples again
// where it shows less than all: its retries).

import type { RGBImage } from '../image/rgb.ts';
import { backgroundAsked } from '../world/phrases.ts';
import {
  addedShape,
  cellAsked,
  creatureResized,
  movedShape,
  movesCreature,
  namesAShape,
  recoloredShape,
  removedShape,
  resizedShape,
  restyleAsked,
  type SeenShape,
} from '../world/shapes-seen.ts';
import { CHARACTER_SIZES } from '../world/characters.ts';
import { type Region, regionOf } from '../world/scene.ts';
import { type Size, SIZES } from '../world/shapes.ts';
import { toneEdit } from '../world/tone-edits.ts';
import { findWord, type GlyphEdit, recoloredWordReader, snapToGlyph, wordRecolorAsked } from './glyph.ts';
import { wordRemovedAsked } from './word-edits.ts';
import { drawnOffWorld } from './kept-drawn.ts';
import { creatureSprite, intoCell, MOVED_RIM, snapMoved } from './moved.ts';
import { grown, keptShapesMask, layOver, silhouettes, type Taken } from './preserve.ts';
import { snapAdded, snapRedrawn, snapRedrawnAt } from './redrawn.ts';
import { creatureBoxAt, creatureSize, snapCreatureResized, snapResized } from './resized.ts';
import { backgroundShown, groundLaid, groundWhere, worldGrounds } from './world-light.ts';

/**
 * What the output step takes from an answer: the pixels taken (null where the answer shows none of the edit) and how
 * much of the edit the answer shows, 0 to 1 (the share of a restyle's shapes taken; 1 where there is nothing to read).
 */
export interface Snapped {
  taken: Taken | null;
  shown: number;
}
export type Snap = (out: RGBImage) => Snapped;

/** A reader that takes a thing whole or not at all. */
const whole =
  (take: (out: RGBImage) => Taken | null): Snap =>
  (out) => {
    const taken = take(out);
    return { taken, shown: taken ? 1 : 0 };
  };

/** Whether a thing centred at (x, y) (fractions of the side) lies in the cell the words name (any, where none). */
const inCellNamed = (cell: Region | null, x: number, y: number): boolean => !cell || regionOf(x, y) === cell;

/** A thing taken alone: the edit is these pixels, and no other of the answer's is kept (preserve.ts Taken). */
const alone = (taken: Taken | null): Taken | null => taken && { ...taken, alone: true };

/**
 * How the output step takes from an answer the thing the edit `prompt` names (the editor's `copied`, for the picture
 * `fitted` at the model's size, and a background change's ground): a function of the answer giving the pixels taken
 * (null where the answer does not show the edit) and how much of the edit it shows; null for an edit none of them
 * reads.
 */
export function snapFor(
  prompt: string,
  fitted: RGBImage,
  glyph: GlyphEdit | null,
  seen: readonly SeenShape[] | null,
  model: { labels: readonly string[]; grow: number },
): Snap | null {
  // a word replaced, the edit the model was trained on: the word taken from the glyph image where the answer copied it
  if (glyph?.from && glyph.to && !glyph.at) return whole((out) => snapToGlyph(out, fitted, glyph).taken);
  // a word written, moved (the word replaced by itself, its glyphs elsewhere) or taken away (replaced by nothing, its
  // box laid as its ground where the answer erased it): edits the model was not trained on, each the word alone — the
  // model may smudge a word the picture has — and, where no try made it, undone (the picture as it was, said)
  const wordRemoved = glyph ? null : wordRemovedAsked(model.labels, prompt);
  const found = wordRemoved && findWord(fitted, wordRemoved);
  const word = glyph ?? (found ? { from: wordRemoved!, to: '', found } : null);
  if (word) {
    const undone = alone({ image: fitted, mask: new Float32Array(fitted.width * fitted.height) });
    return (out) => {
      const taken = snapToGlyph(out, fitted, word).taken;
      return taken ? { taken: alone(taken), shown: 1 } : { taken: undone, shown: 0 };
    };
  }
  // a word recoloured, its ink laid in the world's colour asked (glyph.ts)
  const recolor = wordRecolorAsked(model.labels, prompt);
  if (recolor) {
    const read = recoloredWordReader(fitted, recolor);
    return whole((out) => read(out).taken);
  }
  // a background changed, the picture's ground laid in the world's background asked (world-light.ts groundLaid)
  // where the answer shows it; a tone edit is the tone's (its words name no background: one in a quoted label, "make
  // it night 'SKY BLUE BACKGROUND'", is not the instruction's), and an instruction that names a shape too is read for
  // the shape (below: laid, the ground would cover it)
  const ground = toneEdit(prompt) || namesAShape(prompt) ? null : backgroundAsked(prompt);
  if (ground) {
    const laid = groundLaid(fitted, ground);
    return (out) => {
      const shown = backgroundShown(out, fitted, ground);
      return { taken: shown ? laid : null, shown: shown ? 1 : 0 };
    };
  }
  if (!seen) return null;
  // the thing's pixels, and around them its silhouette grown past the model's rim (MOVED_RIM)
  const { grow } = model;
  const { width: W, height: H } = fitted;
  const moved = movedShape(prompt, seen);
  if (moved) {
    const around = silhouettes([moved], W, H, grow + MOVED_RIM);
    const ink = keptShapesMask([moved], fitted, grow);
    // the cell the words name, and the shape's centre in the picture (pixels)
    const cell = cellAsked(prompt);
    const centre = moved.x === undefined || moved.y === undefined ? null : ([moved.x * W, moved.y * H] as const);
    return (out) => {
      // where the answer shows the shape moved, it is redrawn there as the world draws it, at half pixels — inside
      // the cell the words name where the model put it just across its border (moved.ts intoCell)
      const found = snapMoved(out, fitted, ink, around);
      const at = found.offset && centre ? intoCell(found.offset, centre[0], centre[1], cell, W, H) : found.offset;
      const copy = found.taken && (snapRedrawnAt(out, fitted, moved, at!, grow) ?? found.taken);
      // and under it the old place, the ground where the model erased the shape there (a removal's, redrawn.ts)
      const erased = copy && snapRedrawn(out, fitted, [{ shape: moved, removed: true }], grow).taken;
      // (both taken, the move is all there: nothing else of the answer is)
      const taken = copy && erased ? { ...layOver(copy, erased), alone: true } : copy;
      // moved to another cell than the one named, it does not show the edit (asked again; the best kept)
      const there = !at || !centre || inCellNamed(cell, (centre[0] + at[0]) / W, (centre[1] + at[1]) / H);
      return { taken, shown: taken && there ? 1 : 0 };
    };
  }
  const resized = resizedShape(prompt, seen);
  if (resized) {
    const scale = SIZES[resized.to] / SIZES[resized.shape.size as Size];
    return whole((out) => {
      // where the answer shows it resized, the shape is redrawn at the size asked as the world draws it
      const found = snapResized(out, fitted, resized.shape, scale, grow);
      if (!found.taken) return null;
      // about its own centre, which a resize keeps (the model's copy may sit a pixel off); the shape at its new size
      // and the ground of its old place are the resize alone (resized.ts snapScaled lays both)
      const redrawn = snapRedrawnAt(out, fitted, resized.shape, 'in place', grow, resized.to);
      return { ...(redrawn ? layOver(redrawn, found.taken) : found.taken), alone: true };
    });
  }
  // a shape recoloured, a shape taken away (the ground drawn where it was), or every shape restyled, redrawn in
  // the world's colour or style asked (redrawn.ts)
  const recolored = recoloredShape(prompt, seen);
  const removed = removedShape(prompt, seen);
  const style = restyleAsked(prompt);
  const redraws = recolored
    ? [{ shape: recolored.shape, color: recolored.to }]
    : removed
      ? [{ shape: removed, removed: true as const }]
      : style
        ? seen.map((shape) => ({ shape, style }))
        : null;
  // (every shape taken, the edit is all there — a redraw changes nothing outside its shapes —: nothing else of
  // the answer is, as for a move)
  if (redraws)
    return (out) => {
      const { shapes, taken } = snapRedrawn(out, fitted, redraws, grow);
      const shown = shapes.length ? shapes.filter((r) => r.taken).length / shapes.length : 1;
      return { taken: taken && shown === 1 ? { ...taken, alone: true } : taken, shown };
    };
  // a shape added, drawn as the world draws the shape asked where the model drew it (redrawn.ts) — inside the cell
  // the words name where the model drew it just across its border
  const added = addedShape(prompt);
  if (added) {
    const cell = cellAsked(prompt);
    return (out) => {
      const { taken, at } = snapAdded(out, fitted, added, grow, cell);
      // drawn in another cell than the one named, it does not show the edit (asked again; the best kept)
      const there = !at || inCellNamed(cell, at[0], at[1]);
      return { taken: taken && { ...taken, alone: true }, shown: taken && there ? 1 : 0 };
    };
  }
  // the creature moved at its size, or moved and resized (resized.ts)
  const to = creatureResized(prompt);
  // (the picture's ground read once, for what is drawn on it and for the creature's old place)
  const rows = to || movesCreature(prompt) ? worldGrounds(fitted) : null;
  const drawn = rows && drawnOffWorld(fitted, seen, rows);
  const creature = drawn && creatureSprite(fitted, seen, drawn);
  if (!rows || !creature) return null;
  // an answer that draws it elsewhere (resized in place, moved to another cell) or where the world could not (across
  // the picture's border) does not show the edit, and the model is asked again (its best is kept)
  const cell = cellAsked(prompt);
  const placed = (offset: readonly [number, number] | null, scale: number) => {
    const at = offset && creatureBoxAt(creature, offset, scale, W, H);
    return !offset || (!!at && inCellNamed(cell, at.x, at.y));
  };
  const shownIn = (
    { taken, offset }: { taken: Taken | null; offset: readonly [number, number] | null },
    scale = 1,
  ) => ({ taken: alone(taken), shown: taken && placed(offset, scale) ? 1 : 0 });
  // (taken, the move is all there, as a shape's: nothing else of the answer is)
  if (to) {
    const scale = CHARACTER_SIZES[to] / CHARACTER_SIZES[creatureSize(creature, W, H)];
    return (out) => shownIn(snapCreatureResized(out, fitted, creature, to, grow), scale);
  }
  const around = grown(creature, W, H, grow + MOVED_RIM);
  // and under it the old place, the ground as the world draws it where the model left a ghost (world-light.ts)
  const old = groundWhere(fitted, creature, around, rows);
  return (out) => {
    const { taken, offset } = snapMoved(out, fitted, creature, around);
    return shownIn({ taken: taken && layOver(taken, old), offset });
  };
}
