// The shapes a picture of the world shows, read from its pixels with the benchmark's readers (src/bench/read.ts):
// every object of each of the world's colours that reads as one of its shapes, by day or by night (whichever look
// finds more). Pixels, not ground truth: on the inputs of 300 test edits it reads every shape and colour there is
// and nothing else (test/mini/seen.test.ts). A picture not of the world shows none. The editor asks it which shape
// "the circle" is, what "all the shapes" are, and whether a shape named is there at all (src/world/shapes-seen.ts).

import { findObjects } from '../bench/read.ts';
import type { RGBImage } from '../image/rgb.ts';
import { fitSquare, type Resize } from './fit.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { OBJECT_COLOR_NAMES, OBJECT_COLORS } from '../world/palette.ts';

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
