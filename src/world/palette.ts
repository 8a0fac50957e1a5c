// Colours of the synthetic world, each with the name an instruction uses ("make the red circle blue").
//
// The palettes are chosen so that a reader can name a colour back from pixels: every two object colours are at
// least ~80 apart (Euclidean RGB), every object colour is far from every background colour, and the analyzer
// accepts a pixel as colour C only within COLOR_TOLERANCE of C. Lighting (night) and grayscale are applied as a
// final per-pixel transform, so the analyzer can transform the palette the same way and keep reading colours.

export type RGB = readonly [number, number, number];

/** Object colours: 8 hues, saturated, mid-bright. */
export const OBJECT_COLORS = {
  red: [220, 40, 40],
  orange: [245, 140, 20],
  yellow: [240, 220, 40],
  green: [40, 170, 60],
  cyan: [40, 200, 210],
  blue: [40, 80, 220],
  purple: [140, 60, 200],
  pink: [240, 120, 190],
} as const satisfies Record<string, RGB>;
export type ObjectColor = keyof typeof OBJECT_COLORS;
export const OBJECT_COLOR_NAMES = Object.keys(OBJECT_COLORS) as ObjectColor[];

/** Background colours: light pastels, all far from the object colours. Gradients run between two of them. */
export const BACKGROUND_COLORS = {
  white: [245, 245, 240],
  cream: [252, 242, 200],
  sky: [185, 215, 240],
  mint: [200, 235, 205],
  lavender: [220, 205, 240],
  peach: [250, 205, 185],
  gray: [200, 200, 200],
  sand: [225, 210, 160],
} as const satisfies Record<string, RGB>;
export type BackgroundColor = keyof typeof BACKGROUND_COLORS;
export const BACKGROUND_COLOR_NAMES = Object.keys(BACKGROUND_COLORS) as BackgroundColor[];

/** How a background colour is said in an instruction ("sky" reads better as "sky blue"). */
export const BACKGROUND_WORDS: Record<BackgroundColor, string> = {
  white: 'white',
  cream: 'cream',
  sky: 'sky blue',
  mint: 'mint green',
  lavender: 'lavender',
  peach: 'peach',
  gray: 'light gray',
  sand: 'sand',
};

/** Text colours: black plus the object hues that stay readable on every background. */
export const TEXT_COLORS = {
  black: [20, 20, 20],
  red: OBJECT_COLORS.red,
  orange: OBJECT_COLORS.orange,
  green: OBJECT_COLORS.green,
  blue: OBJECT_COLORS.blue,
  purple: OBJECT_COLORS.purple,
} as const satisfies Record<string, RGB>;
export type TextColor = keyof typeof TEXT_COLORS;
export const TEXT_COLOR_NAMES = Object.keys(TEXT_COLORS) as TextColor[];

/** Accept a pixel as colour C when it is within this distance of C (scaled down with the lighting contrast). */
export const COLOR_TOLERANCE = 40;

export function colorDistance(a: RGB, b: RGB): number {
  const dr = a[0] - b[0];
  const dg = a[1] - b[1];
  const db = a[2] - b[2];
  return Math.sqrt(dr * dr + dg * dg + db * db);
}

// ---- lighting: the day/night variant --------------------------------------------------------------------------
// Night is a global transform of the day image: contrast down to 40%, plus a dark blue floor. It is applied after
// everything is drawn, so a night scene is exactly the day scene seen at night.

export type TimeOfDay = 'day' | 'night';
export const NIGHT_GAIN = 0.4;
export const NIGHT_FLOOR: RGB = [8, 12, 40];

export function lightPixel(c: RGB, time: TimeOfDay): RGB {
  if (time === 'day') return c;
  return [
    Math.round(c[0] * NIGHT_GAIN) + NIGHT_FLOOR[0],
    Math.round(c[1] * NIGHT_GAIN) + NIGHT_FLOOR[1],
    Math.round(c[2] * NIGHT_GAIN) + NIGHT_FLOOR[2],
  ];
}

/** ITU-R BT.601 luma, the grayscale of the world (as PIL's convert("L")). */
export function luma(r: number, g: number, b: number): number {
  return Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/** Contrast factor of a lighting: colour distances shrink by this much, so tolerances must too. */
export function lightingGain(time: TimeOfDay): number {
  return time === 'day' ? 1 : NIGHT_GAIN;
}
