// Shapes and drawing styles of the world's objects.
//
// A shape is a predicate on local coordinates (u, v) in [-1, 1]^2 (v points down), so it can be drawn at any size.
// A style decides which pixels inside the shape get ink: all of them (filled), a band along the edge (outline),
// the band plus diagonal stripes (striped), the band plus a grid of dots (dotted). Striped and dotted keep the
// outline so the silhouette stays readable; pattern phases are tied to the object's centre, so an object looks the
// same wherever it is moved.
//
// Pixel (x, y) is sampled at its centre (x + 0.5, y + 0.5). Lengths that are not relative to the object (outline
// width, stripe period, dot spacing) are given in "world units" of 1/64 of the image side, so a 64 px render is the
// reference and larger renders are scaled copies.

export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];
/** A shape's noun as people type it, for patterns: one of SHAPES or "shape" (a regular expression's source). */
export const SHAPE_NOUN = `(?:${SHAPES.join('|')}|shape)\\b`;
/** Nouns for any of the world's shapes, whichever it is: "the shape", "the object", "the thing", "the item". */
export const ANY_SHAPE_NOUNS = ['shape', 'object', 'thing', 'item'] as const;

/**
 * The shape a lower-case word names, one or several ("circle", "circles", "crosses"), 'shape' for a noun of any
 * shape ("objects"), or null.
 */
export function shapeNamed(word: string): Shape | 'shape' | null {
  const one = (w: string) =>
    SHAPES.find((s) => s === w) ?? ((ANY_SHAPE_NOUNS as readonly string[]).includes(w) ? 'shape' : null);
  return (
    one(word) ??
    (word.endsWith('s') ? (one(word.slice(0, -1)) ?? (word.endsWith('es') ? one(word.slice(0, -2)) : null)) : null)
  );
}

export const STYLES = ['filled', 'outline', 'striped', 'dotted'] as const;
export type Style = (typeof STYLES)[number];

/** Object sizes as a fraction of the image side (the side of the object's square box). */
export const SIZES = { small: 0.16, medium: 0.24, large: 0.32 } as const;
export type Size = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as Size[];

// Star: 5 outer points (radius 1) and 5 inner (radius 0.45), first point straight up.
const STAR: [number, number][] = Array.from({ length: 10 }, (_, i) => {
  const r = i % 2 === 0 ? 1 : 0.45;
  const a = -Math.PI / 2 + (i * Math.PI) / 5;
  return [r * Math.cos(a), r * Math.sin(a) + 0.1]; // +0.1 centres the star's box vertically
});

function insidePolygon(poly: [number, number][], u: number, v: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function insideShape(shape: Shape, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= 0.9 && Math.abs(v) <= 0.9;
    case 'triangle':
      return v >= -1 && v <= 0.9 && Math.abs(u) <= (v + 1) / 1.9;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
    case 'star':
      return insidePolygon(STAR, u, v);
    case 'cross':
      return (Math.abs(u) <= 0.32 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.32 && Math.abs(u) <= 1);
  }
}

/** Where and how big an object is drawn, in pixels. */
export interface PixelBox {
  cx: number; // centre, float pixels
  cy: number;
  half: number; // half the box side, float pixels
  unit: number; // pixels per world unit (image side / 64)
}

/** Outline band width (a fifth of the half-side, clamped to 1..2 world units), stripe period and dot spacing, in
 * world units (pixels at 64 px). */
const OUTLINE_MIN = 1;
const OUTLINE_MAX = 2;
const STRIPE_PERIOD = 6; // 3 ink + 3 gap along the diagonal
const DOT_SPACING = 5;
const DOT_RADIUS = 1.3;

// The diagonal step of the outline test: 1/√2 to four digits. It stays that literal (not Math.SQRT1_2) because the
// renderer defines the data: another value can move outline pixels, and images already made would no longer match.
// biome-ignore lint/suspicious/noApproximativeNumericConstant: frozen as part of the pixel definition (see above)
const DIAGONAL = 0.7071;
const NEIGHBOURS: [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [DIAGONAL, DIAGONAL],
  [-DIAGONAL, DIAGONAL],
  [DIAGONAL, -DIAGONAL],
  [-DIAGONAL, -DIAGONAL],
];

/** Does pixel (x, y) get ink for this shape, style and box? */
export function inkAt(shape: Shape, style: Style, box: PixelBox, x: number, y: number): boolean {
  const px = x + 0.5;
  const py = y + 0.5;
  const u = (px - box.cx) / box.half;
  const v = (py - box.cy) / box.half;
  if (!insideShape(shape, u, v)) return false;
  if (style === 'filled') return true;
  // outline band: some point within the band width (in 8 directions) lies outside the shape
  const w = Math.max(1, Math.min(OUTLINE_MAX * box.unit, Math.max(OUTLINE_MIN * box.unit, box.half / 5)));
  for (const [dx, dy] of NEIGHBOURS) {
    if (!insideShape(shape, (px + dx * w - box.cx) / box.half, (py + dy * w - box.cy) / box.half)) return true;
  }
  if (style === 'outline') return false;
  const lx = (px - box.cx) / box.unit;
  const ly = (py - box.cy) / box.unit;
  if (style === 'striped') {
    const t = (((lx + ly) % STRIPE_PERIOD) + STRIPE_PERIOD) % STRIPE_PERIOD;
    return t < STRIPE_PERIOD / 2;
  }
  // dotted: dots on a square grid centred on the object
  const gx = lx - DOT_SPACING * Math.round(lx / DOT_SPACING);
  const gy = ly - DOT_SPACING * Math.round(ly / DOT_SPACING);
  return gx * gx + gy * gy <= DOT_RADIUS * DOT_RADIUS;
}

/** Integer pixel bounds [x0, x1) x [y0, y1) that contain every pixel a box can ink, clipped to the image. */
export function boxBounds(box: PixelBox, width: number, height: number): [number, number, number, number] {
  return [
    Math.max(0, Math.floor(box.cx - box.half)),
    Math.max(0, Math.floor(box.cy - box.half)),
    Math.min(width, Math.ceil(box.cx + box.half)),
    Math.min(height, Math.ceil(box.cy + box.half)),
  ];
}

/** Call fn for every inked pixel of the object. */
export function forEachInk(
  shape: Shape,
  style: Style,
  box: PixelBox,
  width: number,
  height: number,
  fn: (x: number, y: number) => void,
): void {
  const [x0, y0, x1, y1] = boxBounds(box, width, height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (inkAt(shape, style, box, x, y)) fn(x, y);
}

/** Do two styles give this object different pixels in this box? (A small thin star can be all outline.) */
export function stylesDiffer(shape: Shape, a: Style, b: Style, box: PixelBox): boolean {
  const [x0, y0, x1, y1] = boxBounds(box, Infinity, Infinity);
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) if (inkAt(shape, a, box, x, y) !== inkAt(shape, b, box, x, y)) return true;
  return false;
}
