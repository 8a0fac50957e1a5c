// A model that copied its target faintly, for the tests of the output step's taking of copies (moved.ts, resized.ts,
// glyph.ts): the answer 60 % of the way from the input to the target, as the small autoencoder gives back a copy.
import type { RGBImage } from '../../src/image/rgb.ts';
import type { MiniEditor } from '../../src/mini/editor.ts';

/** a·x + (1 − a)·y per channel: a faint copy of x over y for a < 1. */
export function mix(x: RGBImage, y: RGBImage, a: number): RGBImage {
  return { ...x, data: x.data.map((v, i) => Math.round(a * v + (1 - a) * y.data[i]!)) };
}

/** The faint copy of `target` over `picture` the tests take as a model's answer. */
export const faintly = (target: RGBImage, picture: RGBImage) => mix(target, picture, 0.6);

/**
 * Makes the editor's model answer with a faint copy of `target` over the input's round trip (`faint()` true), or
 * with the round trip itself (the input left as it was); `share`: how far the copy is from the round trip to the
 * target (faintly's 0.6 unless given).
 */
export function answerFaintly(ed: MiniEditor, target: RGBImage, faint: () => boolean = () => true, share = 0.6): void {
  const run = ed.pipe.runWithRoundTrips.bind(ed.pipe);
  ed.pipe.runWithRoundTrips = async (reqs, o) => {
    const r = await run(reqs, o);
    return { ...r, images: [faint() ? mix(target, r.roundTrips[0]!, share) : r.roundTrips[0]!] };
  };
}

/** The bytes of `img` where `mask` is set (a pixel per mask entry). */
export const under = (mask: ArrayLike<number>, img: RGBImage) =>
  [...img.data].filter((_, i) => mask[Math.floor(i / 3)]);

/**
 * `target` with a 3×3 stray fragment of red on the ground `picture` and `target` share, 5 pixels or more from
 * anything either draws (a model's noise away from the edit), and the fragment's pixels.
 */
export function withStray(target: RGBImage, picture: RGBImage) {
  const W = target.width;
  const ground = (p: number) =>
    [0, 1, 2].every((c) => picture.data[p * 3 + c] === picture.data[Math.floor(p / W) * W * 3 + c]) &&
    [0, 1, 2].every((c) => target.data[p * 3 + c] === picture.data[p * 3 + c]);
  const square = (x: number, y: number, r: number) =>
    Array.from(
      { length: (2 * r + 1) ** 2 },
      (_, k) => (y + Math.floor(k / (2 * r + 1)) - r) * W + x + (k % (2 * r + 1)) - r,
    );
  for (let y = 7; y < W - 7; y++)
    for (let x = 7; x < W - 7; x++) {
      if (!square(x, y, 6).every(ground)) continue;
      const spot = square(x, y, 1);
      const image = { ...target, data: Uint8Array.from(target.data) };
      for (const p of spot) image.data.set([230, 40, 40], p * 3);
      return { image, spot };
    }
  throw new Error('no ground far enough from the things for a stray fragment');
}
