// A chain judged against the model's own placements. "add a red star at the top left" names a cell, not a place:
// the world picks a place in it at random (world/compose.ts placeRect) and its later scenes hold that pick. A model
// that put its star elsewhere in the cell obeyed the words as well as the world's pick, yet every later turn's
// "rest of the scene" check would look for the star at the world's place and fail, and a later "remove the star"
// would look for background where the star never was. So where a turn's add or move shows its shape in the cell
// named, the place it shows it at replaces the world's in every later turn's scenes — before and after — until a
// later move places it again (a resize keeps its centre, as the world's does). Where the shape is not found in its
// cell, the world's place stays and later turns look for it there. This is the verdict's counterpart of drift.ts's
// licensed reading; an editor that obeys every turn with its own placements passes every turn by it (a test checks).

import type { RGBImage } from '../image/rgb.ts';
import type { Edit } from '../world/ops.ts';
import type { Scene, SceneObject } from '../world/scene.ts';
import { atPlace, lookOf, objectFound } from './analyze.ts';

/** What judge() takes of a turn. */
export interface JudgedTurn {
  edit: Edit;
  scene_before: Scene | null;
  scene_after: Scene;
}

const sameKind = (a: SceneObject, b: SceneObject): boolean =>
  a.shape === b.shape && a.color === b.color && a.size === b.size;

export class OwnPlacements {
  /** where the model's outputs put each shape an add or a move placed, by id */
  private readonly at = new Map<number, { x: number; y: number }>();

  /** The turn's scenes with every shape an earlier turn placed where the model put it. */
  scenes<T extends JudgedTurn>(turn: T): T {
    // the shape this turn moves goes where the world put it: the move's own place is judged by its cell
    const placedNow = turn.edit.op === 'move' ? turn.edit.id : null;
    const own = (s: Scene, keep: number | null): Scene => ({
      ...s,
      objects: s.objects.map((o) => (o.id !== keep && this.at.has(o.id) ? { ...o, ...this.at.get(o.id)! } : o)),
    });
    return {
      ...turn,
      scene_before: turn.scene_before && own(turn.scene_before, null),
      scene_after: own(turn.scene_after, placedNow),
    };
  }

  /**
   * After a turn (its scenes as scenes() gave them) and the model's output: where the output shows the shape the
   * turn added or moved, in the cell named. Of several readings, one not at another shape's place of the same kind,
   * nearest to the world's place.
   */
  record(turn: JudgedTurn, output: RGBImage): void {
    const e = turn.edit;
    if (e.op !== 'add' && e.op !== 'move') return;
    const after = turn.scene_after;
    const o = after.objects.find((p) => p.id === e.id);
    if (!o) return;
    const twins = after.objects.filter((p) => p.id !== o.id && sameKind(p, o));
    const found = objectFound(output, o, lookOf(after), 'region')
      .filter((f) => !twins.some((t) => atPlace(f, t)))
      .sort((a, b) => Math.hypot(a.x - o.x, a.y - o.y) - Math.hypot(b.x - o.x, b.y - o.y));
    // on the world's 1/128 lattice (compose.ts placeRect), where the readers' drawings of a style line up
    const snap = (v: number): number => Math.round(v * 128) / 128;
    if (found[0]) this.at.set(o.id, { x: snap(found[0].x), y: snap(found[0].y) });
    else this.at.delete(o.id);
  }
}
