// Drift over a multi-turn chain: how far a model's answer at each turn is from the turn's target on the pixels no
// turn so far was allowed to change — what a chain of edits disturbed that nobody asked it to. Two readings:
//
//   driftPsnr          on the pixels outside every turn's edit mask so far (the world's masks: the places the
//                      world's own scenes changed)
//   licensedDriftPsnr  also outside every place the words let a shape go: "add a red star at the top left" names a
//                      cell, not a place, and the world picks one at random in it (world/compose.ts placeRect: the
//                      centre anywhere in the cell). A model that puts the star elsewhere in the cell obeys the words
//                      as well as the world's pick, yet its star and, at every later turn, the star's empty place in
//                      the target read as drift by the first reading. So an add's or a move's shape licenses its
//                      cell grown by half its side (placeMask), at this turn and at every later one while the shape
//                      is there (a later resize grows it about its centre).
//
// The first is the strict number (the target reads it); the second separates what the model disturbed from
// where the words left the place free (an obedient editor with its own placements drifts 0 dB by it: a test checks).

import { psnr } from './metrics.ts';
import type { Edit } from '../world/ops.ts';
import { placeMask } from '../world/masks.ts';
import type { Region, Scene } from '../world/scene.ts';
import type { RGBImage } from '../image/rgb.ts';

export class ChainDrift {
  /** union of the turns' edit masks so far */
  private readonly touched: Uint8Array;
  /** and of the places the words left free */
  private readonly licensed: Uint8Array;
  /** the cell each shape an add or a move placed was put in, by id */
  private readonly cells = new Map<number, Region>();

  constructor(private readonly size: number) {
    this.touched = new Uint8Array(size * size);
    this.licensed = new Uint8Array(size * size);
  }

  /** Counts a turn in: its edit mask (1 = may change), its edit and the scene after it. */
  turn(mask: ArrayLike<number>, edit: Edit, after: Scene): void {
    for (let i = 0; i < mask.length; i++) if (mask[i]) this.touched[i] = this.licensed[i] = 1;
    if (edit.op === 'add' || edit.op === 'move') this.cells.set(edit.id, edit.region);
    for (const [id, region] of this.cells) {
      const free = placeMask(id, region, after, this.size);
      for (let i = 0; i < free.length; i++) if (free[i]) this.licensed[i] = 1;
    }
  }

  /** Both drift PSNRs of `out` against the turn's `target` (null where no pixel is left to compare). */
  psnr(out: RGBImage, target: RGBImage): { driftPsnr: number | null; licensedDriftPsnr: number | null } {
    return {
      driftPsnr: psnr(out, target, (i) => this.touched[i] === 0),
      licensedDriftPsnr: psnr(out, target, (i) => this.licensed[i] === 0),
    };
  }
}
