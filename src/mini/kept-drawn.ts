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
import { groundTime } from './world-light.ts';

/** The largest share of a picture drawn off its shapes for it to be read as the world's creature and word. */
const MOST_DRAWN = 0.25;

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
  const drawn = drawnOffShapes(picture, seen);
  if (drawn.reduce((n, v) => n + v, 0) > MOST_DRAWN * W * H) return out;
  const creature = creatureSprite(picture, seen, drawn);
  for (let p = 0; p < W * H; p++) if (drawn[p] && (creature?.[p] ? keep.creature : keep.word)) out[p] = 1;
  return out;
}
