// A resized shape the model drew, taken as the picture's own shape scaled: moved.ts carried to a change of size. The
// model resizes a shape by drawing it again at its new size, through the small autoencoder: at 64 px a small cross,
// star or diamond comes back as a blob of its colour, at the right place and about the right size but no longer its
// shape (1 of 14 test resizes read as the shape asked). Where the model's answer shows the shape resized as asked —
// the ground where the shape was and no longer is, its colour where it now is —, the shape is laid at that size as the
// picture has it, scaled.
//
//   f        = the size asked over the size seen (the world's sizes: 0.16, 0.24, 0.32 of the side)
//   A        = the pixels around the shape (its silhouette grown past the model's rim), B its silhouette, S its ink
//   ground(y)= the colour of row y's ground (its median: a background is one colour or a gradient from top to bottom)
//   for each offset d of the shape's centre c (within 2 pixels: a resize keeps it):
//     src(q) = c + (q − c − d) / f                      the picture's point a pixel q of the scaled shape shows
//     C(q)   = picture(src(q)) where most of q falls on S, ground(y) elsewhere in A or A scaled     (the candidate)
//     told   = { q : C(q) and picture(q) differ, q not inside both B and B scaled }
//              the pixels where the shape's extent changes (inside both, a pattern's dots and stripes, spaced by the
//              world and not by the shape, tell nothing of its size)
//     agree  = { q ∈ told : |out(q) − C(q)| < |out(q) − picture(q)| }
//     inked  = { q : C(q) is ink and out(q) is within half the way from the shape's colour to the ground }
//   d*       = the largest (2·agree − told) + (2·inked − |ink of C|): agreements net of disagreements
//   taken when agree / told ≥ 3/4, and the answer shows the shape's colour on at least half as many pixels of A ∪ A
//   scaled as C has ink (a shape wiped agrees with a shrink wherever the shape no longer is; a shape drawn in a far
//   colour shows none of it)
//
// An answer that left the shape as it was disagrees everywhere and takes nothing. What is laid comes from the
// picture's pixels: an outline's band and a pattern's period scale with the shape (the world draws them at one width
// at every size), and the analyzer reads a shape by its silhouette.

import type { RGBImage } from '../image/rgb.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { dist2, MOVED_RIM, rowGrounds, SAME } from './moved.ts';
import { keptShapesMask, silhouettes, type Taken } from './preserve.ts';

/** The share of the pixels a resize tells that must side with it at the best offset for the shape to be taken. */
export const RESIZE_AGREEMENT = 0.75;
/**
 * The answer must show at least this many pixels of the shape's colour where the resized shape lies, per pixel of its
 * ink there: a shape wiped agrees with a shrink wherever the shape was and no longer is, and shows none (on val
 * resizes, the model's answers 0.62–2.4, the shape wiped 0).
 */
export const INK_SHOWN = 0.5;
/**
 * The points per side at which a pixel of the resized shape reads the picture, and how many of them must fall on ink
 * (most: a thin outline scaled down keeps its pixels, where a pixel's centre alone would miss some; on val resizes,
 * measured as this step was being settled: the centre alone 31 of 41 and chain turns 35 of 111, 5 of 9 points 30 and
 * 39).
 */
const SUB = 3;
const INKED = 5;
/** How far from the shape's centre the scaled shape's centre is searched, in pixels at 64 px (resizes keep it). */
const CENTRE_SHIFT = 2;

/**
 * The shape `shape` (seen in `picture`) scaled by `scale` (the size asked over the size seen), taken from the picture
 * where the model's answer `out` (the picture's size) drew it, when the answer agrees on at least `agreement` of the
 * pixels the resize tells and shows the shape's colour there (above); `grow`: the output step's growing of
 * silhouettes (preserve.ts), the shape's surroundings laid `MOVED_RIM` pixels past it. `agreement` and `kept` (the
 * pixels of the shape's colour per pixel of its ink) are given back at the best offset, taken or not.
 */
export function snapResized(
  out: RGBImage,
  picture: RGBImage,
  shape: SeenShape,
  scale: number,
  grow = 1,
  agreement = RESIZE_AGREEMENT,
): { agreement: number; kept: number; offset: readonly [number, number] | null; taken: Taken | null } {
  const { width: W, height: H } = picture;
  const none = { agreement: 0, kept: 0, offset: null, taken: null };
  if (shape.x === undefined || shape.y === undefined) return none;
  const ink = keptShapesMask([shape], picture, grow);
  const around = silhouettes([shape], W, H, grow + MOVED_RIM);
  const body = silhouettes([shape], W, H, 0);
  const ground = rowGrounds(picture);
  const [o, pic] = [out.data, picture.data];
  const [cx, cy] = [shape.x * W, shape.y * H];
  // the box of A
  let [x0, y0, x1, y1] = [W, H, -1, -1];
  for (let p = 0; p < W * H; p++)
    if (around[p]) {
      const [x, y] = [p % W, Math.floor(p / W)];
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  if (x1 < 0) return none;
  const candidate = new Uint8Array(3);
  // the shape's colour: its ink's mean
  const colour = new Uint8Array(3);
  const [sum, n] = [[0, 0, 0], ink.reduce((a, b) => a + b, 0)];
  for (let p = 0; p < W * H; p++) if (ink[p]) for (let c = 0; c < 3; c++) sum[c]! += pic[p * 3 + c]!;
  colour.set(sum.map((v) => Math.round(v / Math.max(1, n))));
  /**
   * C(q) into `candidate` for the offset; 0 where q lies outside A and A scaled, 2 where C shows the shape's ink. The
   * picture is read at SUB×SUB points across q: ink where at least INKED of them fall on ink, in the colour of the
   * first. `within`: whether q lies inside B both as it is and scaled.
   */
  let within = false;
  const at = (q: number, dx: number, dy: number): 0 | 1 | 2 => {
    const [x, y] = [q % W, Math.floor(q / W)];
    let [hits, first, inside, inBody] = [0, -1, around[q]!, 0];
    for (let i = 0; i < SUB; i++)
      for (let j = 0; j < SUB; j++) {
        const sx = Math.floor(cx + (x + (j + 0.5) / SUB - cx - dx) / scale);
        const sy = Math.floor(cy + (y + (i + 0.5) / SUB - cy - dy) / scale);
        if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
        const s = sy * W + sx;
        if (ink[s]) [hits, first] = [hits + 1, first < 0 ? s : first];
        inside ||= around[s]!;
        inBody += body[s]!;
      }
    within = !!body[q] && inBody >= INKED;
    if (hits >= INKED) {
      candidate.set(pic.subarray(first * 3, first * 3 + 3));
      return 2;
    }
    if (!inside) return 0;
    candidate.set(ground.subarray(y * 3, y * 3 + 3));
    return 1;
  };
  const shift = Math.round((CENTRE_SHIFT * W) / 64);
  let best = { score: 0, share: 0, kept: 0, dx: 0, dy: 0 };
  for (let dy = -shift; dy <= shift; dy++)
    for (let dx = -shift; dx <= shift; dx++) {
      const [bx0, bx1] = [Math.min(x0, cx + dx + (x0 - cx) * scale), Math.max(x1, cx + dx + (x1 + 1 - cx) * scale)];
      const [by0, by1] = [Math.min(y0, cy + dy + (y0 - cy) * scale), Math.max(y1, cy + dy + (y1 + 1 - cy) * scale)];
      let [agree, told, kept, stays, inked] = [0, 0, 0, 0, 0];
      for (let y = Math.max(0, Math.floor(by0)); y <= Math.min(H - 1, Math.ceil(by1)); y++)
        for (let x = Math.max(0, Math.floor(bx0)); x <= Math.min(W - 1, Math.ceil(bx1)); x++) {
          const q = y * W + x;
          const c = at(q, dx, dy);
          if (c === 0) continue;
          if (!within && dist2(candidate, 0, pic, q * 3) >= SAME) {
            told++;
            if (dist2(o, q * 3, candidate, 0) < dist2(o, q * 3, pic, q * 3)) agree++;
          }
          // the ink the answer shows where the resized shape lies (a wiped shape shrinks nothing)
          const shows = 4 * dist2(o, q * 3, colour, 0) < dist2(colour, 0, ground, y * 3);
          if (shows) kept++;
          if (c === 2) [stays, inked] = [stays + 1, inked + (shows ? 1 : 0)];
        }
      // agreements net of disagreements, where the resize tells and on the resized shape's ink (which places an
      // outline shrunk inside its old silhouette)
      const score = 2 * agree - told + 2 * inked - stays;
      if (score > best.score) best = { score, share: told ? agree / told : 0, kept: stays ? kept / stays : 0, dx, dy };
    }
  if (best.score <= 0 || best.share < agreement || best.kept < INK_SHOWN)
    return { ...none, agreement: best.share, kept: best.kept };
  const image = { width: W, height: H, data: Uint8Array.from(o) };
  const mask = new Float32Array(W * H);
  for (let q = 0; q < W * H; q++)
    if (at(q, best.dx, best.dy)) {
      image.data.set(candidate, q * 3);
      mask[q] = 1;
    }
  return { agreement: best.share, kept: best.kept, offset: [best.dx, best.dy], taken: { image, mask } };
}
