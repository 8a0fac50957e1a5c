// The shapes a picture of the world shows, read from its pixels with the benchmark's readers (src/bench/read.ts):
// every object of each of the world's colours that reads as one of its shapes, by day or by night (whichever look
// finds more). Pixels, not ground truth: on the inputs of 300 test edits it reads every shape and colour there is
// and nothing else (test/mini/seen.test.ts). A picture not of the world shows none. The editor asks it which shape
// "the circle" is, what "all the shapes" are, and whether a shape named is there at all (src/world/shapes-seen.ts).
// Whether a picture is the world's at all is read too (isWorldPicture), and a user told when it is not.

import { findObjects, lit, readBackground } from '../bench/read.ts';
import type { RGBImage } from '../image/rgb.ts';
import { fitSquare, type Resize } from './fit.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { OBJECT_COLOR_NAMES, OBJECT_COLORS } from '../world/palette.ts';
import { backgroundRow } from '../world/render.ts';
import { MOST_DRAWN } from './kept-drawn.ts';
import { drawnOffShapes } from './moved.ts';
import { isGray } from './world-light.ts';

/** The world's own size: its shapes read as drawn, whatever the model's resolution. */
const READ_SIZE = 64;

/**
 * The shapes `img` shows, left to right (read at the world's 64 px, letterboxed as the editor fits it; their centres
 * in fractions of that square).
 */
export async function shapesSeen(image: RGBImage, resize?: Resize): Promise<SeenShape[]> {
  const { image: img } = await fitSquare(image, READ_SIZE, resize);
  let best: SeenShape[] = [];
  for (const time of ['day', 'night'] as const) {
    const found = OBJECT_COLOR_NAMES.flatMap((color) =>
      findObjects(img, OBJECT_COLORS[color], { time, grayscale: false }).map((r) => ({
        color,
        shape: r.shape,
        size: r.size,
        x: r.x,
        y: r.y,
      })),
    );
    if (found.length > best.length) best = found;
  }
  return best.sort((a, b) => a.x! - b.x!);
}

/**
 * Is `picture` (at the model's resolution, letterboxed) one of the world's? Its outermost pixels, where the world
 * never draws a thing (world/scene.ts BORDER), read as one of its backgrounds by day or by night (greyed, in a grey
 * picture: bench/read.ts readBackground), and — in colour, where its shapes `seen` are read — at most MOST_DRAWN of it
 * is drawn off them on that ground. A photo's edge is no world ground, and a picture of the world is mostly ground:
 * every input and target of the test split reads as the world's, and none of the photos and drawings tried
 * (test/mini/seen.test.ts).
 */
export function isWorldPicture(picture: RGBImage, seen: readonly SeenShape[]): boolean {
  const { width: W, height: H } = picture;
  const grayscale = isGray(picture);
  const edge = [...Array(W * H).keys()].filter((p) => p < W || p >= W * (H - 1) || p % W === 0 || p % W === W - 1);
  const read = readBackground(picture, edge, grayscale);
  if (!read || grayscale) return read !== null;
  const ground = new Uint8Array(H * 3);
  for (let y = 0; y < H; y++)
    ground.set(lit(backgroundRow(read.background, y, H), { time: read.time, grayscale }), y * 3);
  return drawnOffShapes(picture, seen, ground).reduce((n, v) => n + v, 0) <= MOST_DRAWN * W * H;
}

/** What a user is told before an edit of a picture that is not the world's (isWorldPicture). */
export const NOT_THE_WORLD_NOTE =
  "the picture does not look like kontext-mini's world (simple shapes, a word and a creature drawn on a plain or " +
  'top-to-bottom gradient ground, by day or by night): the model was trained on that world alone and may change ' +
  'anything or nothing in this one (its model card says what it edits)';
