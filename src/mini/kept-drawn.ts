// The creature and the word an edit leaves alone, kept as the picture has them: preserve.ts's keeping of the shapes
// not named, carried to the picture's other things. The model smudges them by mistake now and then — a letter
// garbled by a background change, the creature's eyes by a resize beside it —, and in a chain the mistake stays for
// every later turn ("rest of the scene: text reads 'P?IN', want 'RAIN'": 15 of the failing test turns and edits at
// seed 0 failed for that alone). Their pixels are what a picture of the world draws off its shapes (moved.ts
// drawnOffShapes): the creature's the largest blob of them (creatureSprite), the word's the rest.
//
// Only in a picture of the world: its ground reads as one of the world's backgrounds (world-light.ts groundTime) and
// less than a quarter of it is drawn off the shapes — in a photo, what differs from each row's median is most of the
// picture, and keeping it would undo the edit.

import type { RGBImage } from '../image/rgb.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { creatureSprite, drawnOffShapes, rowGrounds } from './moved.ts';
import { grown, silhouettes } from './preserve.ts';
import { groundTime, worldGrounds } from './world-light.ts';

/** The largest share of a picture drawn off its shapes for it to be read as the world's creature and word. */
export const MOST_DRAWN = 0.25;
/**
 * Pixels around what is kept that are kept with it where the answer's ground is the picture's (withRim): ground the
 * autoencoder smudges beside a stroke (by more than the edit mask's threshold, at times, though the edit is far away).
 * Within the world's margin between things (2.56 px at 64 px).
 */
const RIM = 2;
/** A row whose ground differs from the picture's by at most this much (0–255, every channel) has the picture's. */
const SAME_GROUND = 12;
/** The share of rows with the picture's ground for an answer to have kept the background. */
const SAME_ROWS = 0.9;

/**
 * The pixels a picture of the world draws off its shapes `seen` (moved.ts drawnOffShapes), each row's ground read as
 * the world's background (world-light.ts worldGrounds): a row crowded with things — the creature beside a wide
 * shape's base — has a median that is a thing's colour, and its ground would read as drawn. `ground`: worldGrounds
 * of the picture, where the caller has it.
 */
export function drawnOffWorld(
  picture: RGBImage,
  seen: readonly SeenShape[],
  ground: Uint8Array = worldGrounds(picture),
): Uint8Array {
  return drawnOffShapes(picture, seen, ground);
}

/**
 * 1 on the pixels of the creature (with `keep.creature`) and of the word (with `keep.word`) a picture of the world
 * shows off its shapes `seen`; all 0 for a picture that is not the world's (above).
 */
export function keptDrawnMask(
  picture: RGBImage,
  seen: readonly SeenShape[],
  keep: { creature: boolean; word: boolean },
): Uint8Array {
  const { width: W, height: H } = picture;
  const out = new Uint8Array(W * H);
  if (!keep.creature && !keep.word) return out;
  if (!groundTime(rowGrounds(picture))) return out;
  const drawn = drawnOffWorld(picture, seen);
  if (drawn.reduce((n, v) => n + v, 0) > MOST_DRAWN * W * H) return out;
  const creature = creatureSprite(picture, seen, drawn);
  for (let p = 0; p < W * H; p++) if (drawn[p] && (creature?.[p] ? keep.creature : keep.word)) out[p] = 1;
  return out;
}

/**
 * The pixels `kept` (the shapes, the creature and the word an edit leaves alone, in a picture of the world) with the
 * ground that goes with them, where the model's `answer` (at the picture's size) has the picture's ground — nearly all
 * its rows' grounds the picture's (a row across the creature and a wide shape is theirs in both, whatever the
 * background) —: the silhouettes of the shapes kept (`shapes.kept`, grown by a pixel: the ground inside an outline,
 * between a pattern's dots) and the ground within RIM pixels of anything kept (a letter's gaps, a sprite's soft rim).
 * Never a pixel of a shape the edit names (`shapes.edited`, its silhouette grown by a pixel) nor of a thing drawn off
 * the shapes that is not kept (the creature or the word the edit names). `kept` as it is where the answer changed the
 * background, and in a picture not of the world.
 */
export function withRim(
  kept: Float32Array,
  picture: RGBImage,
  shapes: { kept: readonly SeenShape[]; edited: readonly SeenShape[] },
  answer: RGBImage,
): Float32Array {
  const { width: W, height: H } = picture;
  const was = rowGrounds(picture);
  if (!groundTime(was)) return kept;
  const now = rowGrounds(answer);
  let same = 0;
  for (let y = 0; y < H; y++)
    if ([0, 1, 2].every((c) => Math.abs(was[y * 3 + c]! - now[y * 3 + c]!) <= SAME_GROUND)) same++;
  if (same < SAME_ROWS * H) return kept;
  const drawn = drawnOffWorld(picture, [...shapes.kept, ...shapes.edited]);
  const [rim, inside, named] = [
    grown(kept, W, H, RIM),
    silhouettes(shapes.kept, W, H, 1),
    silhouettes(shapes.edited, W, H, 1),
  ];
  const out = Float32Array.from(kept);
  for (let p = 0; p < W * H; p++) if ((rim[p] || inside[p]) && !named[p] && !drawn[p]) out[p] = 1;
  return out;
}
