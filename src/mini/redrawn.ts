// Shapes the model redrew in place — recoloured, or restyled — laid as the world draws them in the colour or style
// asked: resized.ts carried to a change of colour or drawing style. The model restyles every shape at once ("redraw
// all the shapes in striped style"), but through the small autoencoder at 64 px its stripes and dots come back as
// smudges inside the outline (7 of 21 test restyles read as the style asked; through the autoencoder alone, 18);
// it recolours a shape in about the colour asked, the shape at night frayed (9 of 14). Where the model's answer shows
// a shape redrawn — its pixels nearer the shape drawn as asked than to the picture, where the two differ —, the shape
// is laid so: its silhouette and place as the picture has them, its ink where the world's style puts ink
// (world/shapes.ts inkAt: an outline's band, diagonal stripes, a grid of dots; the pattern tied to the shape's
// centre), in the picture's colour of it or the world's colour asked, lit as the picture lights it. A shape added is
// drawn so too, where the answer drew a thing of its colour (snapAdded, below: the model chooses the place and the
// colour, 4 of 10 test adds read as the shape asked).
//
//   B        = the shape's silhouette (filled), at its centre as the picture shows it (the centre, on the world's
//              half-pixel grid, where one of the world's styles overlaps the shape's ink best: also the style it has)
//   C(q)     = the ink colour (the shape's ink's median in the picture, or the colour asked) where the style (asked,
//              or its own) puts ink, the ground elsewhere in B — the world's background the rows' medians read as
//              (world-light.ts worldGrounds), or the row's median in a picture not of the world   (the candidate)
//   told     = { q ∈ B : C(q) and picture(q) differ }        the pixels where the redraw shows
//   agree    = { q ∈ told : |out(q) − C(q)| < |out(q) − picture(q)|, and at ink, ≤ |out(q) − c| for the ink in
//                every other of the world's colours c }   (for a recolour: the answer drew the colour asked, not a
//                                                          neighbour of it — red-orange for orange is red's)
//   inked    = { q : C(q) is ink and out(q) is within half the way from C(q) to the ground }
//   taken when agree / told ≥ REDRAW_AGREEMENT and inked is at least INK_SHOWN of C's ink (a shape wiped agrees with
//   every restyle that takes ink away, and shows none of its band); and every shape that shows INK_SHOWN of its ink
//   when more than half of the shapes redrawn together (a restyle of every shape: one edit) are taken so, or, when
//   half are, every such shape that sides with the redraw on RESTYLE_STARTED of its pixels told (a start of it), or
//   whose redraw tells fewer than START_SHOWS pixels (a small star's stripes: no start can show)
//
// An answer that left a shape as it was sides with the picture everywhere and takes nothing; each shape is judged
// on its own, then a restyle as a whole. The agreement asked is most of the pixels told, not three in four as for a
// moved or resized copy: the model does not draw a pattern's stripes or dots where the world does (at 64 px, through
// the autoencoder), so an answer that restyled a shape sides with the style asked on about half to all of them, one
// that left it on none (val restyles: 11 of 39 read as asked without the step, 15 with three in four, 23 with most,
// 38 with the step laying every shape whatever the answer — the step alone would restyle; the gate keeps it the
// model's). The model
// often restyles all but one shape of a scene so (a smudge left filled): a restyle is one edit of the whole picture,
// made where most of the shapes show it (val restyles 24 → 29 of 39, val style references 130 → 144 of 180), and
// on the others that show a start of it where half do (one of two, in most such scenes: val restyles 31 → 34, style
// references 161 → 170; a shape left as it was, which sides with the picture everywhere, stays as it is). A
// recolour's answers side with it on all or none of its pixels (test and val: the same at a half and three in four).
// What is laid is the shape in the world's drawing of the style and colour the words ask — as a replaced word is
// laid in the world's glyphs (glyph.ts) — and around it, `MOVED_RIM` pixels past the silhouette, the picture as it
// is (a redraw changes nothing outside the shape; the model's smudge there is a mistake).
//
// A shape taken away is redrawn as nothing: C is the ground over its whole silhouette, and there is no ink to show.
// The model's erasing leaves a ghost of the shape through the autoencoder, which the bench reads as the shape still
// half there (test removals 5 → 6 of 7; val 24 of 27 either way, the other three not erased at all). A pixel sides
// with a removal only on the way from the shape's colour to the ground (ERASED_OFF_WAY): a ghost lies on it, a shape
// the model redrew in another colour off it.

import { lit } from '../bench/read.ts';
import type { RGBImage } from '../image/rgb.ts';
import { colorDistance, OBJECT_COLOR_NAMES, OBJECT_COLORS, type ObjectColor, type RGB } from '../world/palette.ts';
import type { Region } from '../world/scene.ts';
import type { NewShape, SeenShape } from '../world/shapes-seen.ts';
import { inkAt, type PixelBox, type Shape, SHAPES, type Size, SIZES, STYLES, type Style } from '../world/shapes.ts';
import { dist2, intoCell, MOVED_RIM, SAME } from './moved.ts';
import { grown, keptShapesMask, medianColour, silhouettes, type Taken } from './preserve.ts';
import { INK_SHOWN } from './resized.ts';
import { groundTime, worldGrounds } from './world-light.ts';

/** The share of the pixels a redraw tells that must side with it for the shape to be laid redrawn (above). */
export const REDRAW_AGREEMENT = 0.5;
/**
 * The share of its pixels told a shape left behind must side with a restyle to be laid with the others where the
 * answer made the restyle on half of the shapes (not most): a start of it. A shape left as it was sides on none; the
 * shapes the model smudged toward the style, on val, 0.04–0.45 (0.10: val restyles 34 of 39 and style references 170
 * of 180; none asked: 35 and 170; 0.25: 34 and 166; the rule off: 31 and 161).
 */
export const RESTYLE_STARTED = 0.1;
/**
 * The fewest pixels a restyle must tell (change) of a shape for a start of it to show: a small star's stripes, dots
 * or band change 1–12 of its pixels (striped 1–4, dotted 2–6), which the autoencoder does not give back — the AE
 * ceiling leaves them filled —, so such a shape is laid with the others where the answer made the restyle on half of
 * the shapes, a start of it or not.
 */
export const START_SHOWS = 8;
/**
 * How far off the way from the shape's colour to the ground (a share of that way's length) an answer's pixel may lie
 * and still side with a removal: the model's erasing leaves a ghost on the way; a shape it redrew in another colour
 * about as far from both (a green diamond drawn yellow on a pastel ground) lies off it.
 */
export const ERASED_OFF_WAY = 0.5;

/** How many of the best places a search of every other one looks around (as resized.ts's wide search). */
const COARSE = 4;

/**
 * The steps of the world's half-pixel grid (at 64 px) the shape's centre is refined over, from the grid's point
 * nearest the one read (that point first: on a tie it stays, so a centre read a little off refines the same).
 */
const REFINE = [0, -1, 1];

/**
 * A shape of the picture to redraw in place: in another drawing style, in another of the world's colours, or both
 * (absent: as the picture has it).
 */
export interface Redraw {
  shape: SeenShape;
  style?: Style;
  color?: ObjectColor;
  /** taken away: the ground drawn over its whole silhouette (a removal) */
  removed?: true;
}

/** How a redraw of one shape went: the share of the pixels it tells that the answer sides with, and of C's ink shown. */
export interface Redrawn {
  redraw: Redraw;
  /** the pixels of the shape the redraw changes (told, above) */
  told: number;
  agreement: number;
  kept: number;
  taken: boolean;
}

/** A pixel of a shape drawn as the world draws it: inside its silhouette, ink or the ground inside it. */
interface Px {
  x: number;
  y: number;
  isInk: boolean;
}

/** A shape drawn as the world draws it: its pixels, its ink's colour and that ink's rivals (other colours). */
interface Drawing {
  pixels: readonly Px[];
  ink: Uint8Array;
  rivals: readonly Uint8Array[];
  /** a shape taken away: the answer sides with it only on the way from the shape to the ground (ERASED_OFF_WAY) */
  removed?: boolean;
}

/** The pixels of a shape in `style` in `box` (world/shapes.ts inkAt), in a W×H picture. */
function drawnPixels(shape: Shape, style: Style, box: PixelBox, W: number, H: number): Px[] {
  const pixels: Px[] = [];
  forBox(box, W, H, (x, y) => {
    if (inkAt(shape, 'filled', box, x, y)) pixels.push({ x, y, isInk: inkAt(shape, style, box, x, y) });
  });
  return pixels;
}

/**
 * Each shape of `redraws` laid redrawn where the model's answer `out` (the picture's size) redrew it so (above);
 * `grow`: the output step's growing of silhouettes (preserve.ts), the picture laid `MOVED_RIM` pixels past each
 * silhouette. `taken` is null when no shape is.
 */
export function snapRedrawn(
  out: RGBImage,
  picture: RGBImage,
  redraws: readonly Redraw[],
  grow = 1,
  agreement = REDRAW_AGREEMENT,
): { shapes: Redrawn[]; taken: Taken | null } {
  const ground = worldGrounds(picture);
  const laid: Drawing[] = [];
  const shapes: Redrawn[] = [];
  const behind: [number, Drawing][] = []; // shapes that show their ink but not the redraw
  for (const r of redraws) {
    const s = r.shape;
    const read = shapeAsDrawn(s, picture, grow);
    if (!read) continue;
    const colors = inkColor(picture, read.ink, s.color, r.color);
    const { width: W, height: H } = picture;
    const pixels = drawnPixels(s.shape as Shape, r.style ?? read.style, read.box, W, H);
    const drawing = r.removed
      ? { pixels: pixels.map((p) => ({ ...p, isInk: false })), ...colors, removed: true }
      : { pixels, ...colors };
    const { agree, told, inks, inked } = sides(out, picture, ground, drawing);
    // a redraw that changes no pixel of the shape (a small star all band, restyled) tells nothing against it
    const share = told ? agree / told : 1;
    // a shape taken away has no ink to show
    const kept = inks ? inked / inks : r.removed ? 1 : 0;
    const taken = share >= agreement && kept >= INK_SHOWN;
    shapes.push({ redraw: r, told, agreement: share, kept, taken });
    if (taken) laid.push(drawing);
    else if (kept >= INK_SHOWN) behind.push([shapes.length - 1, drawing]);
  }
  // a restyle of every shape is one edit: where the answer made it on most of them, it made it; where on half of
  // them, it made it on those that show a start of it (or could not: too few of their pixels change)
  const made = laid.length;
  if (2 * made >= redraws.length)
    for (const [i, drawing] of behind) {
      const unstarted = shapes[i]!.agreement < RESTYLE_STARTED && shapes[i]!.told >= START_SHOWS;
      if (2 * made === redraws.length && unstarted) continue;
      shapes[i]!.taken = true;
      laid.push(drawing);
    }
  return { shapes, taken: laid.length ? lay(out, picture, ground, laid, grow) : null };
}

/**
 * The shape an add asks (world/shapes-seen.ts addedShape), laid where the model's answer `out` (the picture's size)
 * drew it: the shape as the world draws it in the colour asked (lit as the picture's ground is, by day or by night) at
 * every place in the picture, the place with the most agreements net of disagreements (2·agree − told + 2·inked − inks, as resized.ts
 * scores a scaled copy) taken when the answer agrees on REDRAW_AGREEMENT of the pixels it tells and shows INK_SHOWN of
 * its ink. A place where the picture already shows most of the shape is no place for a new one. The world's centres
 * fall on half pixels at 64 px: the shape is drawn once at each of the four half-pixel phases and moved by whole
 * pixels. Where the words name a `cell` and the model drew the shape just across its border, it is laid inside it
 * (moved.ts intoCell).
 */
export function snapAdded(
  out: RGBImage,
  picture: RGBImage,
  thing: NewShape,
  grow = 1,
  cell: Region | null = null,
  agreement = REDRAW_AGREEMENT,
): { agreement: number; kept: number; at: readonly [number, number] | null; taken: Taken | null } {
  const { width: W, height: H } = picture;
  const ground = worldGrounds(picture);
  const none = { agreement: 0, kept: 0, at: null, taken: null };
  const color = OBJECT_COLORS[thing.color];
  if (!color || !SHAPES.includes(thing.shape)) return none;
  const [half, unit] = [(SIZES[thing.size] * W) / 2, W / 64];
  let best = { score: 0, share: 0, kept: 0, d: null as Drawing | null, dx: 0, dy: 0, cx: 0, cy: 0 };

  // the colour asked lit as the picture's ground is (a night's dimmed red is no day's colour, and a day's red is
  // nearer a night's dimmed orange than its ground)
  const time = groundTime(ground) ?? 'day';
  const inLook = (c: RGB) => Uint8Array.from(lit(c, { time, grayscale: false }));
  const [ink, rivals] = [
    inLook(color),
    OBJECT_COLOR_NAMES.filter((c) => c !== thing.color).map((c) => inLook(OBJECT_COLORS[c])),
  ];
  // the shape at each half-pixel phase, at the picture's centre
  const phases = [0, 0.5].flatMap((fy) =>
    [0, 0.5].map((fx) => {
      const [cx, cy] = [Math.floor(W / 2) + fx * unit, Math.floor(H / 2) + fy * unit];
      return {
        cx,
        cy,
        d: { pixels: drawnPixels(thing.shape, thing.style, { cx, cy, half, unit }, W, H), ink, rivals },
      };
    }),
  );
  const score = (phase: number, dx: number, dy: number) => {
    const { cx, cy, d } = phases[phase]!;
    // only places that keep the shape's box inside the picture
    if (cx + dx - half < 0 || cy + dy - half < 0 || cx + dx + half > W || cy + dy + half > H) return null;
    const { agree, told, inks, inked } = sides(out, picture, ground, d, dx, dy);
    if (2 * told < inks) return null;
    const share = agree / told;
    return { score: 2 * agree - told + 2 * inked - inks, share, kept: inks ? inked / inks : 0, phase, dx, dy };
  };
  // every other place at the first phase, then every phase around the COARSE best of them
  type Scored = NonNullable<ReturnType<typeof score>>;
  const coarse: Scored[] = [];
  for (let dy = -H; dy <= H; dy += 2)
    for (let dx = -W; dx <= W; dx += 2) {
      const r = score(0, dx, dy);
      if (r) coarse.push(r);
    }
  for (const c of coarse.sort((a, b) => b.score - a.score).slice(0, COARSE))
    for (let phase = 0; phase < phases.length; phase++)
      for (let dy = c.dy - 1; dy <= c.dy + 1; dy++)
        for (let dx = c.dx - 1; dx <= c.dx + 1; dx++) {
          const r = score(phase, dx, dy);
          if (r && r.score > best.score) {
            const { cx, cy, d } = phases[phase]!;
            best = { ...r, d, cx: cx + dx, cy: cy + dy };
          }
        }
  if (!best.d || best.share < agreement || best.kept < INK_SHOWN)
    return { ...none, agreement: best.share, kept: best.kept };
  // (inside the cell named, where the model drew it just across the border)
  const [dx, dy] = intoCell([best.dx, best.dy], best.cx - best.dx, best.cy - best.dy, cell, W, H);
  const placed = { ...best.d, pixels: best.d.pixels.map((p) => ({ ...p, x: p.x + dx, y: p.y + dy })) };
  return {
    agreement: best.share,
    kept: best.kept,
    at: [(best.cx - best.dx + dx) / W, (best.cy - best.dy + dy) / H],
    taken: lay(out, picture, ground, [placed], grow),
  };
}

/**
 * A shape of the picture the model moved by `offset` whole pixels (moved.ts snapMoved, on its ink), redrawn there as
 * the world draws it — its style and its colour as the picture has them — at the centre within half a pixel of the
 * offset, each way, whose drawing the answer `out` sides with most (2·agree − told + 2·inked − inks, against the
 * picture with the shape taken away; on a tie, the whole-pixel offset); or, with `offset` 'in place', resized to
 * `size` about its own centre, which the world keeps (the model's copy may sit a pixel off; resized.ts found it). The
 * world places a shape on half pixels at 64 px and draws its band, stripes and dots at one width from its centre at
 * every size: a copy moved by whole pixels or scaled shows other pixels. Laid as snapRedrawn lays a shape, over the
 * picture with the shape taken away (its old silhouette the world's ground); null where the shape is not read.
 */
export function snapRedrawnAt(
  out: RGBImage,
  picture: RGBImage,
  shape: SeenShape,
  offset: readonly [number, number] | 'in place',
  grow = 1,
  size: Size = shape.size as Size,
): Taken | null {
  const read = shapeAsDrawn(shape, picture, grow);
  if (!read) return null;
  const { width: W, height: H } = picture;
  const ground = worldGrounds(picture);
  const { ink } = inkColor(picture, read.ink, shape.color);
  const old = silhouettes([shape], W, H, grow);
  const bare = { ...picture, data: Uint8Array.from(picture.data) };
  for (let q = 0; q < W * H; q++)
    if (old[q]) bare.data.set(ground.subarray(Math.floor(q / W) * 3, Math.floor(q / W) * 3 + 3), q * 3);
  const { unit } = read.box;
  const half = (SIZES[size] * W) / 2;
  const drawing = (cx: number, cy: number) => ({
    pixels: drawnPixels(shape.shape as Shape, read.style, { cx, cy, half, unit }, W, H),
    ink,
    rivals: [],
  });
  if (offset === 'in place') return lay(out, bare, ground, [drawing(read.box.cx, read.box.cy)], grow);
  let best: { score: number; d: Drawing } | null = null;
  for (const fy of [0, -0.5, 0.5])
    for (const fx of [0, -0.5, 0.5]) {
      const d = drawing(read.box.cx + offset[0] + fx * unit, read.box.cy + offset[1] + fy * unit);
      const { agree, told, inks, inked } = sides(out, bare, ground, d);
      const score = 2 * agree - told + 2 * inked - inks;
      if (!best || score > best.score) best = { score, d };
    }
  return lay(out, bare, ground, [best!.d], grow);
}

/**
 * How the answer `out` sides with a shape drawn so over `picture` (its candidate C, above), moved by (dx, dy): the
 * pixels it tells (`told`) and those of them where the answer is nearer C (`agree`), C's ink and the ink the answer
 * shows. `visit` is given each pixel of C with its colour's bytes (`src`, `at`).
 */
function sides(
  out: RGBImage,
  picture: RGBImage,
  ground: Uint8Array,
  d: Drawing,
  dx = 0,
  dy = 0,
  visit?: (q: number, src: Uint8Array, at: number) => void,
): { agree: number; told: number; inks: number; inked: number } {
  const { width: W, height: H } = picture;
  const [o, pic] = [out.data, picture.data];
  let [agree, told, inks, inked] = [0, 0, 0, 0];
  for (const p of d.pixels) {
    const [x, y] = [p.x + dx, p.y + dy];
    if (x < 0 || y < 0 || x >= W || y >= H) continue;
    const q = y * W + x;
    const [src, at] = p.isInk ? [d.ink, 0] : [ground, y * 3];
    visit?.(q, src, at);
    if (dist2(src, at, pic, q * 3) >= SAME) {
      told++;
      const near = dist2(o, q * 3, src, at);
      if (
        near < dist2(o, q * 3, pic, q * 3) &&
        (!p.isInk || d.rivals.every((c) => near <= dist2(o, q * 3, c, 0))) &&
        (!d.removed || offWay2(o, q * 3, src, at, pic, q * 3) <= ERASED_OFF_WAY ** 2 * dist2(src, at, pic, q * 3))
      )
        agree++;
    }
    if (!p.isInk) continue;
    inks++;
    if (4 * dist2(o, q * 3, src, at) < dist2(src, at, ground, y * 3)) inked++;
  }
  return { agree, told, inks, inked };
}

/**
 * How far (squared) pixel `o` of the answer lies off the way from colour `g` to colour `p` (the line through them):
 * an erasing's ghost lies on it, a shape redrawn in another colour off it.
 */
export function offWay2(o: Uint8Array, oi: number, g: Uint8Array, gi: number, p: Uint8Array, pi: number): number {
  let [dd, vd, vv] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const [d, v] = [p[pi + c]! - g[gi + c]!, o[oi + c]! - g[gi + c]!];
    dd += d * d;
    vd += v * d;
    vv += v * v;
  }
  return dd ? Math.max(0, vv - (vd * vd) / dd) : vv;
}

/**
 * The answer `out` with the shapes `drawn` laid over it: the picture around each (its silhouette grown by `grow` and
 * `MOVED_RIM`), then the shapes (a rim may meet another shape); the mask marks what is laid.
 */
function lay(out: RGBImage, picture: RGBImage, ground: Uint8Array, drawn: readonly Drawing[], grow: number): Taken {
  const { width: W, height: H } = picture;
  const pic = picture.data;
  const image = { width: W, height: H, data: Uint8Array.from(out.data) };
  const mask = new Float32Array(W * H);
  for (const d of drawn) {
    const body = new Uint8Array(W * H);
    sides(out, picture, ground, d, 0, 0, (q) => {
      body[q] = 1;
    });
    const around = grown(body, W, H, grow + MOVED_RIM);
    for (let q = 0; q < W * H; q++)
      if (around[q]) {
        image.data.set(pic.subarray(q * 3, q * 3 + 3), q * 3);
        mask[q] = 1;
      }
  }
  for (const d of drawn)
    sides(out, picture, ground, d, 0, 0, (q, src, at) => {
      image.data.set(src.subarray(at, at + 3), q * 3);
    });
  return { image, mask };
}

/**
 * The pixel box of a shape seen in `picture` and the style it has: its centre refined, on the world's half-pixel grid,
 * to where one of the world's styles overlaps the shape's ink (keptShapesMask, its silhouette grown by `grow`) best,
 * with that style (the reader places a shape by its silhouette to a quarter of a pixel, and a pattern is tied to its
 * centre), and that ink mask. Null for a shape read without a place or size.
 */
function shapeAsDrawn(
  s: SeenShape,
  picture: RGBImage,
  grow: number,
): { box: PixelBox; style: Style; ink: Float32Array } | null {
  const { width: W, height: H } = picture;
  if (s.x === undefined || s.y === undefined || !(s.size && s.size in SIZES) || !SHAPES.includes(s.shape as Shape))
    return null;
  const ink = keptShapesMask([s], picture, grow);
  const unit = W / 64;
  const grid = (v: number) => Math.round(v / (unit / 2)) * (unit / 2);
  const read = { cx: grid(s.x * W), cy: grid(s.y * H), half: (SIZES[s.size as Size] * W) / 2, unit };
  let best = { box: read, style: 'filled' as Style, iou: -1 };
  for (const dy of REFINE)
    for (const dx of REFINE) {
      const box = { ...read, cx: read.cx + (dx * unit) / 2, cy: read.cy + (dy * unit) / 2 };
      for (const style of STYLES) {
        let [inter, union] = [0, 0];
        forBox(box, W, H, (x, y) => {
          const [a, e] = [!!ink[y * W + x], inkAt(s.shape as Shape, style, box, x, y)];
          inter += a && e ? 1 : 0;
          union += a || e ? 1 : 0;
        });
        const iou = union ? inter / union : 0;
        if (iou > best.iou) best = { box, style, iou };
      }
    }
  return { box: best.box, style: best.style, ink };
}

/**
 * The drawing style a shape seen in `picture` is drawn in (filled, outline, striped or dotted): the one of the world's
 * styles that overlaps its ink best (shapeAsDrawn), or null for a shape read without a place or size.
 */
export function styleDrawn(s: SeenShape, picture: RGBImage, grow = 1): Style | null {
  return shapeAsDrawn(s, picture, grow)?.style ?? null;
}

/** Each pixel of a box's bounds, a pixel more each way, inside the picture. */
function forBox(box: PixelBox, W: number, H: number, fn: (x: number, y: number) => void): void {
  for (let y = Math.max(0, Math.floor(box.cy - box.half) - 1); y < Math.min(H, Math.ceil(box.cy + box.half) + 1); y++)
    for (let x = Math.max(0, Math.floor(box.cx - box.half) - 1); x < Math.min(W, Math.ceil(box.cx + box.half) + 1); x++)
      fn(x, y);
}

/**
 * The colour a shape of colour `own` is laid in: the median of the picture's pixels its ink mask `m` marks (r, g, b;
 * black for an empty mask) or, for a recolour `to`, that colour lit as the picture lights `own` (by day or by night:
 * whichever look of it the median is nearer) — and then the world's other colours so lit, its rivals.
 */
function inkColor(
  picture: RGBImage,
  m: ArrayLike<number>,
  own: string,
  to?: ObjectColor,
): { ink: Uint8Array; rivals: Uint8Array[] } {
  const median = medianColour(picture, m);
  const from = OBJECT_COLORS[own as ObjectColor];
  if (!to || !from) return { ink: median, rivals: [] };
  const far = (c: RGB) => colorDistance(c, [median[0]!, median[1]!, median[2]!]);
  const [day, night] = (['day', 'night'] as const).map((time) => ({ time, grayscale: false }));
  const look = far(lit(from, day)) <= far(lit(from, night)) ? day : night;
  const inLook = (c: ObjectColor) => Uint8Array.from(lit(OBJECT_COLORS[c], look));
  return { ink: inLook(to), rivals: OBJECT_COLOR_NAMES.filter((c) => c !== to).map(inLook) };
}
