// A resized shape the model drew, taken as the picture's own shape scaled: moved.ts carried to a change of size. The
// model resizes a shape by drawing it again at its new size, through the small autoencoder: at 64 px a small cross,
// star or diamond comes back as a blob of its colour, at the right place and about the right size but no longer its
// shape (1 of 14 test resizes read as the shape asked). Where the model's answer shows the shape resized as asked —
// the ground where the shape was and no longer is, its colour where it now is —, the shape is laid at that size as the
// picture has it, scaled.
//
//   f        = the size asked over the size seen (the world's sizes: 0.16, 0.24, 0.32 of the side)
//   A        = the pixels around the shape (its silhouette grown past the model's rim), B its silhouette, S its ink
//   ground(y)= the colour of row y's ground (world-light.ts worldGrounds: the world's background the rows' medians
//              read as, drawn — a row crowded with things has a median that is not its ground —; else the median)
//   for each offset d of the shape's centre c (within 2 pixels: a resize keeps it; a move of the creature that asks
//   a size, anywhere — snapCreatureResized):
//     src(q) = c + (q − c − d) / f                      the picture's point a pixel q of the scaled shape shows
//     C(q)   = picture(src(q)) where most of q falls on S (or a third of q, where most of it falls on B), ground(y)
//              elsewhere in A or A scaled — but picture(q) where the picture draws something else there, outside B
//              and S (the creature beside a shape grown: the rim laid with a thing is not to wipe its neighbours)
//                                                                                                  (the candidate)
//     told   = { q : C(q) and picture(q) differ, q not inside both B and B scaled }
//              the pixels where the shape's extent changes (inside both, a pattern's dots and stripes, spaced by the
//              world and not by the shape, tell nothing of its size)
//     agree  = { q ∈ told : |out(q) − C(q)| < |out(q) − picture(q)| }
//     inked  = { q : C(q) is ink and out(q) is within half the way from C(q) to the ground }
//   d*       = the largest (2·agree − told) + (2·inked − |ink of C|): agreements net of disagreements
//   taken when agree / told ≥ 3/4 and inked is at least a quarter of C's ink (a shape wiped agrees with a shrink
//   wherever the shape no longer is, and shows none of its ink; a shape drawn in a far colour shows none either)
//
// A shape the model drew at the size asked but as a blob of its colour — a large outlined triangle as a rounded ring
// that misses its corners — agrees on too few pixels. Its size is read instead from how far its colour spreads
// (a shape's, not a creature's, which has many): around the centre, within A and A scaled,
//   ink(img)   = { q : img(q) within half the way from the shape's colour to ground(y) }   (the rule of inked)
//   r(img)     = the distance from the centre within which 9 in 10 of ink(img) lie         (filled or outlined,
//                blob or crisp, about the same: a disc's 9 in 10 lie within 0.95 of its radius, a ring's within 1)
//   taken also when r(out) / r(picture) is within SPREAD_BAND of the scale asked — nearer it than any other size the
//   world draws (they are a third or more apart; 1 among them: a shape left as it was spreads as it did) —, ink(out)
//   reaches, in 6 of the 8 directions around the centre, past B where the thing grows and past r(out) / 2 where it
//   shrinks (a sliver at the size asked spreads as far, to one side), and inked is at least a quarter of C's ink at
//   that offset
//
// An answer that left the shape as it was disagrees everywhere and takes nothing. What is laid comes from the
// picture's pixels: an outline's band and a pattern's period scale with the shape (the world draws them at one width
// at every size), and the analyzer reads a shape by its silhouette.

import type { RGBImage } from '../image/rgb.ts';
import { BODY, CHARACTER_SIZES } from '../world/characters.ts';
import { BORDER } from '../world/scene.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { dist2, MOVED_RIM, SAME } from './moved.ts';
import { grown, keptShapesMask, maskBox, medianColour, silhouettes, type Taken } from './preserve.ts';
import { worldGrounds } from './world-light.ts';

/** The share of the pixels a resize tells that must side with it at the best offset for the shape to be taken. */
export const RESIZE_AGREEMENT = 0.75;
/**
 * The share of the scaled thing's ink the answer must show (within half the way from its colour to the ground): a
 * shape wiped agrees with a shrink wherever the shape no longer is, and shows none of it; one drawn in a far colour
 * shows none either (on val resizes, the model's answers 0.34–0.95, the shape wiped 0).
 */
export const INK_SHOWN = 0.25;
/**
 * The points per side at which a pixel of the resized thing reads the picture; how many of them must fall on ink for
 * the pixel to be ink, and how many where most of them fall inside the thing's silhouette (a band a pixel wide, an
 * outline's or a pattern's, scaled down falls on fewer than most of a pixel's points: at 5 of 9 everywhere a shrunk
 * cross's outline broke in two). On val resizes (41 single-turn, 111 turns of chains): the centre alone 31 and 35,
 * 5 of 9 points 30 and 39 (as this step was being settled), 5 of 9 with 3 of 9 inside the silhouette 34 and 45 (against
 * 32 and 43 with 5 of 9 alone, the step as settled).
 */
const SUB = 3;
const INKED = 5;
const INKED_INSIDE = 3;
/**
 * The share of a shape's ink within the radius its spread is read by (above): 9 in 10, so that a few stray pixels
 * of its colour in the answer do not widen it.
 */
const SPREAD = 0.9;
/**
 * How far, as a factor, the spread read may be from the size asked: 1.12 either way, inside half the gap between the
 * world's nearest two sizes' scales (4/3: 1.155) — a blob's shape is not the shape's (a star's points, a diamond's
 * corners spread farther than a rounded blob of their size: a circle drawn at the size between reads 1.75 for a
 * diamond's 2).
 */
const SPREAD_BAND = Math.log(1.12);
/** The directions around its centre a blob's spread is read in (eighths), and in how many it must reach. */
const SIDES = 8;
const SIDES_SHOWN = 6;
/** How many of the best offsets a wide search, having looked at every other one, looks around. */
const COARSE = 4;
/** How far from the shape's centre the scaled shape's centre is searched, in pixels at 64 px (resizes keep it). */
const CENTRE_SHIFT = 2;

/**
 * A thing of the picture to take scaled: its ink (1 = its pixels), its body (its silhouette, filled: inside it both as
 * it is and scaled, a pixel tells nothing of its size), the pixels around it laid with it (holding the ink), and the
 * centre it scales about, in pixels.
 */
export interface Scalable {
  ink: ArrayLike<number>;
  body: ArrayLike<number>;
  around: ArrayLike<number>;
  cx: number;
  cy: number;
}

/**
 * The shape `shape` (seen in `picture`) scaled by `scale` (the size asked over the size seen), taken from the picture
 * where the model's answer `out` (the picture's size) drew it near its place (snapScaled); `grow`: the output step's
 * growing of silhouettes (preserve.ts), the shape's surroundings laid `MOVED_RIM` pixels past it. `bySpread` false:
 * the pixels' reading alone, not a blob's size read by its spread.
 */
export function snapResized(
  out: RGBImage,
  picture: RGBImage,
  shape: SeenShape,
  scale: number,
  grow = 1,
  bySpread = true,
) {
  const { width: W, height: H } = picture;
  if (shape.x === undefined || shape.y === undefined) return { agreement: 0, kept: 0, offset: null, taken: null };
  const thing = {
    ink: keptShapesMask([shape], picture, grow),
    body: silhouettes([shape], W, H, 0),
    around: silhouettes([shape], W, H, grow + MOVED_RIM),
    cx: shape.x * W,
    cy: shape.y * H,
  };
  return snapScaled(out, picture, thing, scale, Math.round((CENTRE_SHIFT * W) / 64), RESIZE_AGREEMENT, bySpread);
}

/**
 * The creature whose pixels `sprite` marks in `picture` (moved.ts creatureSprite) at the size `to`, taken from the
 * picture wherever the model's answer `out` drew it (a move of the creature that asks a size: snapScaled at any
 * offset). Its size is read from its sprite's box: the world draws a small creature in a box 0.3 of the side wide and
 * a large one 0.42, its sprite 16–19 and 22–26 pixels wide at 64 px (test placements).
 */
export function snapCreatureResized(
  out: RGBImage,
  picture: RGBImage,
  sprite: Uint8Array,
  to: keyof typeof CHARACTER_SIZES,
  grow = 1,
) {
  const { width: W, height: H } = picture;
  const [x0, y0, x1, y1] = maskBox(sprite, W, H) ?? [0, 0, 0, 0];
  const from = creatureSize(sprite, W, H);
  const thing = {
    ink: sprite,
    body: sprite,
    around: grown(sprite, W, H, grow + MOVED_RIM),
    cx: (x0 + x1 + 1) / 2,
    cy: (y0 + y1 + 1) / 2,
  };
  return snapScaled(out, picture, thing, CHARACTER_SIZES[to] / CHARACTER_SIZES[from]);
}
/** How far (pixels at 64 px) a creature's box may lie past where the world could draw it (creatureBoxAt). */
const PLACE_SLACK = 2.5;

/**
 * The centre (fractions of the side) of the square box the world would draw the creature in, whose pixels `sprite`
 * marks in a W × H picture, once scaled by `scale` about its sprite box's centre and moved by `offset` (pixels); null
 * where the world could not draw it there. Its box is found from its sprite's: the body spans 2·ru of its side and
 * reaches its bottom but for 1 − (v + rv) of it (characters.ts BODY). The world draws no pixel of it on the picture's
 * outermost ring, and its box inside the border (BORDER) — here with PLACE_SLACK pixels either way, as the bench reads
 * a creature at the world's nearest place (a hat against the top edge reads; a bow three pixels past it does not).
 */
export function creatureBoxAt(
  sprite: Uint8Array,
  offset: readonly [number, number],
  scale: number,
  W: number,
  H: number,
): { x: number; y: number } | null {
  const [x0, y0, x1, y1] = maskBox(sprite, W, H) ?? [0, 0, 0, 0];
  // its sprite's box as laid
  const [hw, hh] = [((x1 - x0 + 1) / 2) * scale, ((y1 - y0 + 1) / 2) * scale];
  const [sx, sy] = [(x0 + x1 + 1) / 2 + offset[0], (y0 + y1 + 1) / 2 + offset[1]];
  if (sx - hw < 0.5 || sy - hh < 0.5 || sx + hw > W - 0.5 || sy + hh > H - 0.5) return null;
  // the square box it lies in, and where the world may centre it
  const side = hw / BODY.ru;
  const [cx, cy] = [sx, sy + hh + (1 - BODY.v - BODY.rv) * side - side / 2];
  const slack = (PLACE_SLACK * W) / 64;
  const [mx, my] = [BORDER * W + side / 2 - slack, BORDER * H + side / 2 - slack];
  return cx >= mx && cy >= my && cx <= W - mx && cy <= H - my ? { x: cx / W, y: cy / H } : null;
}

/** About how much of its box's width a creature's sprite spans (16–19 of 19.2 pixels, 22–26 of 26.9). */
const CREATURE_FILLS = 0.9;

/**
 * The size of the creature whose pixels `sprite` marks (W × H), read from its box: the world draws a small one in a
 * box 0.3 of the side wide and a large one 0.42 (CHARACTER_SIZES), its sprite about CREATURE_FILLS of that.
 */
export function creatureSize(sprite: Uint8Array, W: number, H: number): keyof typeof CHARACTER_SIZES {
  const [x0, y0, x1, y1] = maskBox(sprite, W, H) ?? [0, 0, 0, 0];
  const side = Math.max(x1 - x0, y1 - y0) + 1;
  return side < ((CHARACTER_SIZES.small + CHARACTER_SIZES.large) / 2) * W * CREATURE_FILLS ? 'small' : 'large';
}

/**
 * A thing of the picture scaled by `scale` about its centre, taken from the picture at the offset of its centre (at
 * most `shift` pixels each way) where the model's answer `out` (the picture's size) drew it, when the answer agrees on
 * at least `agreement` of the pixels the change tells and shows at least INK_SHOWN of the scaled ink (above) — or,
 * `bySpread` (a thing of one colour: a shape), where its colour spreads as far as the scale asked (above).
 * `agreement` and `kept` (the share of the scaled ink the answer shows) are given back at the best offset, taken or
 * not.
 */
export function snapScaled(
  out: RGBImage,
  picture: RGBImage,
  thing: Scalable,
  scale: number,
  shift = Number.POSITIVE_INFINITY,
  agreement = RESIZE_AGREEMENT,
  bySpread = false,
): { agreement: number; kept: number; offset: readonly [number, number] | null; taken: Taken | null } {
  const { width: W, height: H } = picture;
  const { ink, body, around, cx, cy } = thing;
  const ground = worldGrounds(picture);
  const [o, pic] = [out.data, picture.data];
  const none = { agreement: 0, kept: 0, offset: null, taken: null };
  // A's pixels and their box
  const box = maskBox(around, W, H);
  if (!box) return none;
  const [x0, y0, x1, y1] = box;
  const old: number[] = [];
  for (let p = 0; p < W * H; p++) if (around[p]) old.push(p);
  // the thing scaled with its centre in place: each pixel (x, y) of A scaled, its ink's source pixel (or −1: the
  // ground) and whether it lies inside the body scaled. The picture is read at SUB×SUB points across a pixel: ink
  // where at least INKED of them fall on ink, or INKED_INSIDE where INKED fall inside the body, in the colour of the
  // first.
  const scaled: { x: number; y: number; from: number; inBody: boolean }[] = [];
  for (let y = Math.floor(cy + (y0 - cy) * scale) - 1; y <= Math.ceil(cy + (y1 + 1 - cy) * scale); y++)
    for (let x = Math.floor(cx + (x0 - cx) * scale) - 1; x <= Math.ceil(cx + (x1 + 1 - cx) * scale); x++) {
      let [hits, first, inside, inBody] = [0, -1, false, 0];
      for (let i = 0; i < SUB; i++)
        for (let j = 0; j < SUB; j++) {
          const sx = Math.floor(cx + (x + (j + 0.5) / SUB - cx) / scale);
          const sy = Math.floor(cy + (y + (i + 0.5) / SUB - cy) / scale);
          if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
          const s = sy * W + sx;
          if (ink[s]) [hits, first] = [hits + 1, first < 0 ? s : first];
          inside ||= !!around[s];
          inBody += body[s] ? 1 : 0;
        }
      const isInk = hits >= INKED || (inBody >= INKED && hits >= INKED_INSIDE);
      if (inside || isInk) scaled.push({ x, y, from: isInk ? first : -1, inBody: inBody >= INKED });
    }
  /**
   * Each pixel of the candidate C at offset (dx, dy), given to `visit` with its colour's bytes (`src`, `at`), whether
   * it is ink, and whether it lies inside the body both as it is and scaled: the thing scaled, then the ground where
   * A is and the thing scaled is not.
   */
  const covered = new Int32Array(W * H).fill(-1);
  let pass = 0;
  const candidate = (
    dx: number,
    dy: number,
    visit: (q: number, src: Uint8Array, at: number, isInk: boolean, within: boolean) => void,
  ) => {
    pass++;
    for (const s of scaled) {
      const [x, y] = [s.x + dx, s.y + dy];
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      const q = y * W + x;
      covered[q] = pass;
      if (s.from >= 0) visit(q, pic, s.from * 3, true, s.inBody && !!body[q]);
      else if (other(q)) visit(q, pic, q * 3, false, false);
      else visit(q, ground, y * 3, false, s.inBody && !!body[q]);
    }
    for (const q of old)
      if (covered[q] === pass) continue;
      else if (other(q)) visit(q, pic, q * 3, false, false);
      else visit(q, ground, Math.floor(q / W) * 3, false, false);
  };
  /** Whether the picture draws something else at q (not the thing, not the ground): kept there, not laid as ground. */
  const other = (q: number) => !body[q] && !ink[q] && dist2(pic, q * 3, ground, Math.floor(q / W) * 3) >= SAME;
  /** Whether pixel q of `img` is within half the way from a colour (`src` at `at`) to the ground: shows it as ink. */
  const halfWay = (img: Uint8Array, q: number, src: Uint8Array, at: number) =>
    4 * dist2(img, q * 3, src, at) < dist2(src, at, ground, Math.floor(q / W) * 3);
  /** The score of an offset (below), with the agreement and the share of the ink shown there. */
  const scored = (dx: number, dy: number) => {
    let [agree, told, inks, inked] = [0, 0, 0, 0];
    candidate(dx, dy, (q, src, at, isInk, within) => {
      if (!within && dist2(src, at, pic, q * 3) >= SAME) {
        told++;
        if (dist2(o, q * 3, src, at) < dist2(o, q * 3, pic, q * 3)) agree++;
      }
      // the ink the answer shows where the scaled thing lies: within half the way from its colour to the ground
      // (a thing wiped shrinks nothing; one drawn in a far colour is another)
      if (!isInk) return;
      inks++;
      if (halfWay(o, q, src, at)) inked++;
    });
    // agreements net of disagreements, where the change tells and on the scaled ink (which places an outline shrunk
    // inside its old silhouette)
    const score = 2 * agree - told + 2 * inked - inks;
    return { score, share: told ? agree / told : 0, kept: inks ? inked / inks : 0, dx, dy };
  };
  /**
   * Whether, at offset (dx, dy), the thing's colour spreads in the answer as far as the scale asked (r(out) /
   * r(picture) within SPREAD_BAND of it) all round its centre, showing at least INK_SHOWN of the scaled ink: a blob
   * of its colour drawn at the size asked (above).
   */
  const spreadsAsAsked = (dx: number, dy: number): boolean => {
    if (scored(dx, dy).kept < INK_SHOWN) return false;
    const colour = medianColour(picture, ink);
    const [was, now]: number[][] = [[], []];
    candidate(dx, dy, (q) => {
      if (halfWay(pic, q, colour, 0)) was.push(q);
      if (halfWay(o, q, colour, 0)) now.push(q);
    });
    const [r0, r1] = [spread(was, W, cx, cy), spread(now, W, cx + dx, cy + dy)];
    if (!r0 || !r1 || Math.abs(Math.log(r1 / r0 / scale)) > SPREAD_BAND) return false;
    // and all round the centre (a sliver of the shape's colour at its new size spreads as far, to one side): a grown
    // thing's ink beyond its old silhouette, a shrunk one's beyond half its radius, in most of the directions
    const sides = new Set<number>();
    const [ox, oy] = [cx + dx, cy + dy];
    for (const q of now) {
      const [x, y] = [(q % W) + 0.5 - ox, Math.floor(q / W) + 0.5 - oy];
      if (scale > 1 ? body[q] : Math.hypot(x, y) < r1 / 2) continue;
      sides.add(Math.floor(((Math.atan2(y, x) + Math.PI) / (2 * Math.PI)) * SIDES) % SIDES);
    }
    return sides.size >= SIDES_SHOWN;
  };
  // the offsets searched: those that keep the scaled thing's centre inside the picture, at most `shift` each way; a
  // wide search looks at every other offset first, then around the COARSE best of them
  const [cxi, cyi] = [Math.floor(cx), Math.floor(cy)];
  const [ya, yb] = [Math.max(-shift, -cyi), Math.min(shift, H - 1 - cyi)];
  const [xa, xb] = [Math.max(-shift, -cxi), Math.min(shift, W - 1 - cxi)];
  const step = shift > 2 ? 2 : 1;
  const tried: ReturnType<typeof scored>[] = [];
  for (let dy = ya; dy <= yb; dy += step) for (let dx = xa; dx <= xb; dx += step) tried.push(scored(dx, dy));
  if (step > 1) {
    const seen = new Set(tried.map((t) => `${t.dx},${t.dy}`));
    for (const t of [...tried].sort((a, b) => b.score - a.score).slice(0, COARSE))
      for (let dy = t.dy - 1; dy <= t.dy + 1; dy++)
        for (let dx = t.dx - 1; dx <= t.dx + 1; dx++)
          if (dy >= ya && dy <= yb && dx >= xa && dx <= xb && !seen.has(`${dx},${dy}`)) {
            seen.add(`${dx},${dy}`);
            tried.push(scored(dx, dy));
          }
  }
  const best = tried.reduce((a, b) => (b.score > a.score ? b : a), { score: 0, share: 0, kept: 0, dx: 0, dy: 0 });
  const agreed = best.score > 0 && best.share >= agreement && best.kept >= INK_SHOWN;
  if (!agreed && !(bySpread && spreadsAsAsked(best.dx, best.dy)))
    return { ...none, agreement: best.share, kept: best.kept };
  const image = { width: W, height: H, data: Uint8Array.from(o) };
  const mask = new Float32Array(W * H);
  candidate(best.dx, best.dy, (q, src, at) => {
    image.data.set(src.subarray(at, at + 3), q * 3);
    mask[q] = 1;
  });
  return { agreement: best.share, kept: best.kept, offset: [best.dx, best.dy], taken: { image, mask } };
}

/** The distance from (cx, cy) within which SPREAD of the pixels `at` (indices, rows of `W`) lie, or 0 for none. */
function spread(at: readonly number[], W: number, cx: number, cy: number): number {
  const d = at.map((p) => Math.hypot((p % W) + 0.5 - cx, Math.floor(p / W) + 0.5 - cy)).sort((a, b) => a - b);
  return d[Math.floor(SPREAD * (d.length - 1))] ?? 0;
}
