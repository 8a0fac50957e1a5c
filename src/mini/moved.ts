// A moved thing the model copied from the picture, taken from the picture: the output step's keeping of the input
// (preserve.ts) carried to a thing that changed place. The model moves a shape by drawing it again at its new place,
// through the small autoencoder: the copy comes back faint or frayed (at night, a small star no longer reads as
// one). Where the model's answer shows the thing's own pixels shifted — most of them nearer the thing's colour there
// than to what the picture had there —, the thing's pixels are laid at that offset as the picture has them.
//
//   sprite  S = the thing's pixels in the picture (a shape's ink: preserve.ts keptShapesMask of that shape; the
//             creature's: creatureSprite below)
//   for each offset d ≠ 0 that keeps S inside the picture:
//     told(d)  = { q ∈ S : picture(q) and picture(q + d) differ } — the pixels where a copy would show
//     agree(d) = { q ∈ told(d) : |out(q + d) − picture(q)| < |out(q + d) − picture(q + d)| }
//   d* = the offset with the largest share agree / told (told at least half of S); taken when the share ≥ 3/4
//
// An answer that left the thing where it was sides with the picture at every offset and takes nothing; one that
// drew a blob, or another shape, sides with the thing on too few of its pixels.

import { blobs } from '../bench/read.ts';
import type { RGBImage } from '../image/rgb.ts';
import { type Region, regionRect } from '../world/scene.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { maskBox, silhouettes, type Taken } from './preserve.ts';

/** The share of a sprite's pixels that must side with the thing at the best offset for the copy to be taken. */
export const MOVE_AGREEMENT = 0.75;
/**
 * Pixels past a moved thing's silhouette (and the output step's `grow`) laid with it at its new place: the model's
 * copy comes with a faint rim that far (through the autoencoder's ×4 downsampling); on val moves, 0 / 1 / 2 / 3 / 5
 * extra pixels: 18 / 20 / 21 / 22 / 21 of 30 succeed (13 without the step).
 */
export const MOVED_RIM = 2;
/**
 * How far outside the cell its words name (pixels at 64 px, each way) the centre of a shape the model moved or added
 * may lie and be nudged in: the model puts it about where the words say, now and then just across a cell's border
 * (test chains at seed 0, as the output step reads them: a star moved to the center 3.3 pixels left of it, a
 * circle added there 1.3 above it, a star moved to the right 0.3 below it, a cross moved to the bottom right 2.7
 * above it). A shape farther out is at another place, and left there.
 */
export const NUDGE = 4;
/** How far inside the cell (pixels at 64 px) a nudged centre is put: past the redraw's half-pixel phase and the reader's. */
const INSET = 2;

/**
 * The offset (pixels) at which a shape the model moved or added is laid, from the centre (`cx`, `cy`, pixels) it is
 * offset from, nudged so that the shape's centre lies in the cell the words name, INSET inside it, where it lies
 * outside by at most NUDGE each way; as it is where it lies inside, where it lies farther out, or where no cell is
 * named. W×H: the picture's size.
 */
export function intoCell(
  offset: readonly [number, number],
  cx: number,
  cy: number,
  cell: Region | null,
  W: number,
  H: number,
): readonly [number, number] {
  if (!cell) return offset;
  const [x0, y0, x1, y1] = regionRect(cell);
  const unit = W / 64;
  /** the shift that puts c in [lo, hi) INSET inside, or 0 where it is in; null where it is more than NUDGE out */
  const shift = (c: number, lo: number, hi: number) => {
    if (c >= lo && c < hi) return 0;
    const d = c < lo ? lo - c : hi - c;
    if (Math.abs(d) > NUDGE * unit) return null;
    return Math.round(d + Math.sign(d) * INSET * unit);
  };
  const dx = shift(cx + offset[0], x0 * W, x1 * W);
  const dy = shift(cy + offset[1], y0 * H, y1 * H);
  return dx === null || dy === null ? offset : [offset[0] + dx, offset[1] + dy];
}

/** Squared RGB distance under which two pixels of the picture show the same colour (a copy could not tell them). */
export const SAME = 24 * 24;

/** The squared RGB distance between pixel i of `a` and pixel j of `b` (byte offsets). */
export function dist2(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  const r = a[i]! - b[j]!;
  const g = a[i + 1]! - b[j + 1]!;
  const bl = a[i + 2]! - b[j + 2]!;
  return r * r + g * g + bl * bl;
}

/**
 * The thing whose pixels `sprite` marks in `picture` (1 = the thing's), taken from the picture at the offset where
 * the model's answer `out` (the picture's size) copied it, when the copy agrees on at least `agreement` of them.
 * `around` (1 = taken; it holds the sprite) is laid at the offset too: the thing's pixels as the picture has them,
 * the others as the picture has them at the new place — the ground inside an outline and around the thing, where the
 * model's copy leaves a faint rim.
 */
export function snapMoved(
  out: RGBImage,
  picture: RGBImage,
  sprite: ArrayLike<number>,
  around: ArrayLike<number> = sprite,
  agreement = MOVE_AGREEMENT,
): { agreement: number; offset: readonly [number, number] | null; taken: Taken | null } {
  const { width: W, height: H } = out;
  const pts: number[] = [];
  for (let p = 0; p < W * H; p++) if (sprite[p]) pts.push(p);
  const none = { agreement: 0, offset: null, taken: null };
  if (!pts.length) return none;
  const [x0, y0, x1, y1] = maskBox(sprite, W, H)!;
  const [o, pic] = [out.data, picture.data];
  let best = { share: 0, dx: 0, dy: 0 };
  for (let dy = -y0; dy < H - y1; dy++)
    for (let dx = -x0; dx < W - x1; dx++) {
      if (dx === 0 && dy === 0) continue;
      let [agree, told] = [0, 0];
      for (const q of pts) {
        const r = (q + dy * W + dx) * 3;
        if (dist2(pic, q * 3, pic, r) < SAME) continue;
        told++;
        if (dist2(o, r, pic, q * 3) < dist2(o, r, pic, r)) agree++;
      }
      if (told * 2 < pts.length) continue;
      if (agree / told > best.share) best = { share: agree / told, dx, dy };
    }
  if (best.share < agreement) return { ...none, agreement: best.share };
  const image = { width: W, height: H, data: Uint8Array.from(o) };
  const mask = new Float32Array(W * H);
  for (let q = 0; q < W * H; q++) {
    const [x, y] = [(q % W) + best.dx, Math.floor(q / W) + best.dy];
    if (!around[q] || x < 0 || y < 0 || x >= W || y >= H) continue;
    const r = y * W + x;
    const from = sprite[q] ? q : r;
    image.data.set(pic.subarray(from * 3, from * 3 + 3), r * 3);
    mask[r] = 1;
  }
  return { agreement: best.share, offset: [best.dx, best.dy], taken: { image, mask } };
}

/**
 * Each row's ground colour in a picture of the world, r, g, b per row: the median of the row's pixels per channel
 * (a background is one colour or a gradient from top to bottom, and the things drawn on it cover less than half a
 * row).
 */
export function rowGrounds(picture: RGBImage): Uint8Array {
  const { width: W, height: H, data } = picture;
  const ground = new Uint8Array(H * 3);
  const channel = new Array<number>(W);
  for (let y = 0; y < H; y++)
    for (let c = 0; c < 3; c++) {
      for (let x = 0; x < W; x++) channel[x] = data[(y * W + x) * 3 + c]!;
      ground[y * 3 + c] = channel.sort((a, b) => a - b)[W >> 1]!;
    }
  return ground;
}

/**
 * The pixels a picture of the world draws off the shapes `seen` (1 = drawn): those this far from their row's ground
 * in some channel, outside every shape's silhouette grown by 2 — the creature's and the word's. `ground`: each row's,
 * its median colour unless the caller has the world's (kept-drawn.ts drawnOffWorld).
 */
export function drawnOffShapes(
  picture: RGBImage,
  seen: readonly SeenShape[],
  ground: Uint8Array = rowGrounds(picture),
): Uint8Array {
  const { width: W, height: H, data } = picture;
  const shapes = silhouettes(seen, W, H, 2);
  const drawn = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) {
    const y = Math.floor(p / W);
    if (!shapes[p] && [0, 1, 2].some((c) => Math.abs(data[p * 3 + c]! - ground[y * 3 + c]!) > DRAWN)) drawn[p] = 1;
  }
  return drawn;
}

/** A pixel this far (0–255, any channel) from its row's ground shows something drawn. */
export const DRAWN = 12;
/** The fewest pixels the creature covers at 64 px (a small one is 19 pixels wide; a word's letter covers at most 35). */
const CREATURE_PIXELS = 60;
/** Pixels around the creature's blob whose drawn pixels are its too, at 64 px. */
const ACCESSORY = 4;

/**
 * The creature's pixels in a picture of the world (1 = the creature's), read without knowing which it is: the
 * ground is each row's median colour (a background is one colour or a gradient from top to bottom), what differs
 * from it and is no shape `seen` (their silhouettes grown by 2) is drawn, and the creature is the largest drawn blob
 * (the bench's `blobs`: a crown or a bow whose box meets the head's is part of it; a word's letters stay apart),
 * with what is drawn within `ACCESSORY` pixels of its box (`drawn`: drawnOffShapes of the same, where the caller has it).
 * Null when no blob is that large.
 */
export function creatureSprite(
  picture: RGBImage,
  seen: readonly SeenShape[],
  drawn: Uint8Array = drawnOffShapes(picture, seen),
): Uint8Array | null {
  const { width: W, height: H } = picture;
  const b = blobs(drawn, W, H).reduce<ReturnType<typeof blobs>[number] | null>(
    (best, x) => (!best || x.count > best.count ? x : best),
    null,
  );
  if (!b || b.count < (CREATURE_PIXELS * W * H) / (64 * 64)) return null;
  // and what is drawn within ACCESSORY pixels of its box: an antenna's tip above the head, apart from it at night
  // (on val, 2 pixels lost two placements that 4 kept; inside the character's box on 90 of 91 inputs)
  const sprite = new Uint8Array(W * H);
  const near = Math.round((ACCESSORY * W) / 64);
  for (let y = Math.max(0, b.y0 - near); y < Math.min(H, b.y1 + near); y++)
    for (let x = Math.max(0, b.x0 - near); x < Math.min(W, b.x1 + near); x++) sprite[y * W + x] = drawn[y * W + x]!;
  return sprite;
}
