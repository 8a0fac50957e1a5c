// Characters: small creatures with an identity, for the character-reference family (the paper's "character
// consistency": keep a subject's identity while putting it in a new scene).
//
// An identity is four traits: body colour x eyes x accessory x pattern = 6 x 3 x 5 x 4 = 360 identities, numbered
// id = ((body * 3 + eyes) * 5 + accessory) * 4 + pattern. A sprite is a function of (u, v) in the unit square, so a
// character is drawn at any place and size; the analyzer names the identity back by rendering all 360 candidates
// into the same box and keeping the nearest.

import type { RGBImage } from '../image/rgb.ts';
import type { RGB } from './palette.ts';

// Body colours are their own hues (not the object colours), at least ~60 away from every object colour, so a
// character never reads as "the green object".
export const BODY_COLORS = {
  lime: [165, 215, 75],
  brown: [150, 95, 55],
  teal: [30, 125, 125],
  salmon: [250, 160, 140],
  violet: [195, 160, 235],
  slate: [100, 110, 140],
} as const satisfies Record<string, RGB>;
export type BodyColor = keyof typeof BODY_COLORS;
export const BODY_COLOR_NAMES = Object.keys(BODY_COLORS) as BodyColor[];

export const EYES = ['round', 'sleepy', 'big'] as const;
export type Eyes = (typeof EYES)[number];
export const ACCESSORIES = ['none', 'hat', 'bow', 'antenna', 'crown'] as const;
export type Accessory = (typeof ACCESSORIES)[number];
export const PATTERNS = ['plain', 'spots', 'belly', 'stripes'] as const;
export type Pattern = (typeof PATTERNS)[number];

export const IDENTITY_COUNT = BODY_COLOR_NAMES.length * EYES.length * ACCESSORIES.length * PATTERNS.length;

/** Character sizes: side of the sprite's square box as a fraction of the image side. */
export const CHARACTER_SIZES = { small: 0.3, large: 0.42 } as const;
export type CharacterSize = keyof typeof CHARACTER_SIZES;

export interface Identity {
  body: BodyColor;
  eyes: Eyes;
  accessory: Accessory;
  pattern: Pattern;
}

export function identityTraits(id: number): Identity {
  if (!Number.isInteger(id) || id < 0 || id >= IDENTITY_COUNT) throw new Error(`character identity ${id} out of range`);
  const pattern = PATTERNS[id % PATTERNS.length]!;
  let rest = Math.floor(id / PATTERNS.length);
  const accessory = ACCESSORIES[rest % ACCESSORIES.length]!;
  rest = Math.floor(rest / ACCESSORIES.length);
  const eyes = EYES[rest % EYES.length]!;
  const body = BODY_COLOR_NAMES[Math.floor(rest / EYES.length)]!;
  return { body, eyes, accessory, pattern };
}

export function identityId(t: Identity): number {
  const b = BODY_COLOR_NAMES.indexOf(t.body);
  return (
    ((b * EYES.length + EYES.indexOf(t.eyes)) * ACCESSORIES.length + ACCESSORIES.indexOf(t.accessory)) *
      PATTERNS.length +
    PATTERNS.indexOf(t.pattern)
  );
}

const ACCESSORY_WORDS: Record<Accessory, string> = {
  none: '',
  hat: 'a top hat',
  bow: 'a red bow',
  antenna: 'an antenna',
  crown: 'a golden crown',
};
const PATTERN_WORDS: Record<Pattern, string> = {
  plain: '',
  spots: 'dark spots',
  belly: 'a pale belly',
  stripes: 'stripes',
};

/** "a lime creature with big eyes, a top hat and dark spots": enough words to pin the identity down. */
export function describeIdentity(id: number): string {
  const t = identityTraits(id);
  const parts = [`${t.eyes} eyes`, ACCESSORY_WORDS[t.accessory], PATTERN_WORDS[t.pattern]].filter((p) => p);
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  const bare = t.accessory === 'none' && t.pattern === 'plain' ? ', plain and bare-headed' : '';
  return `a ${t.body} creature with ${list}${bare}`;
}

const INK: RGB = [30, 30, 35];
const WHITE: RGB = [255, 255, 255];
const BOW: RGB = [220, 40, 40];
const GOLD: RGB = [250, 200, 30];

function shade(c: RGB, f: number): RGB {
  return [
    Math.min(255, Math.round(c[0] * f)),
    Math.min(255, Math.round(c[1] * f)),
    Math.min(255, Math.round(c[2] * f)),
  ];
}

/**
 * The body's ellipse in the sprite's unit square: centred at (0.5, v), half-axes ru and rv. Nothing is drawn wider or
 * lower (accessories sit on the head), so a sprite's box tells where its square box lies: its sides and bottom.
 */
export const BODY = { v: 0.62, ru: 0.42, rv: 0.36 } as const;

const within = (u: number, v: number, cu: number, cv: number, r: number): boolean =>
  (u - cu) * (u - cu) + (v - cv) * (v - cv) <= r * r;

/** Colour of the sprite at (u, v) in the unit square, or null where it is transparent. */
export function spriteAt(t: Identity, u: number, v: number): RGB | null {
  const body = BODY_COLORS[t.body];
  // accessory first: it sits on top of the head and wins where it overlaps
  switch (t.accessory) {
    case 'hat':
      if ((u >= 0.32 && u <= 0.68 && v >= 0.04 && v <= 0.3) || (u >= 0.2 && u <= 0.8 && v >= 0.24 && v <= 0.31))
        return INK;
      break;
    case 'bow': {
      const du = Math.abs(u - 0.5);
      if (du <= 0.2 && Math.abs(v - 0.22) <= du * 0.55 + 0.025) return BOW;
      break;
    }
    case 'antenna':
      if (within(u, v, 0.5, 0.09, 0.07)) return GOLD;
      if (Math.abs(u - 0.5) <= 0.025 && v >= 0.09 && v <= 0.3) return INK;
      break;
    case 'crown': {
      if (u >= 0.3 && u <= 0.7 && v >= 0.2 && v <= 0.3) return GOLD;
      const tooth = Math.min(Math.abs(u - 0.32), Math.abs(u - 0.5), Math.abs(u - 0.68));
      if (u >= 0.3 && u <= 0.7 && v >= 0.06 && v < 0.2 && tooth <= (v - 0.06) * 0.7) return GOLD;
      break;
    }
    case 'none':
      break;
  }
  // body: an ellipse
  const bu = (u - 0.5) / BODY.ru;
  const bv = (v - BODY.v) / BODY.rv;
  const r2 = bu * bu + bv * bv;
  if (r2 > 1) return null;
  if (r2 > 0.8) return shade(body, 0.6); // rim, so the silhouette reads on any background
  // eyes
  for (const eu of [0.36, 0.64]) {
    if (t.eyes === 'sleepy') {
      if (Math.abs(u - eu) <= 0.09 && Math.abs(v - 0.52) <= 0.03) return INK;
    } else {
      const big = t.eyes === 'big';
      if (within(u, v, eu, 0.52, big ? 0.06 : 0.045)) return INK;
      if (within(u, v, eu, 0.52, big ? 0.13 : 0.09)) return WHITE;
    }
  }
  // mouth
  if (Math.abs(u - 0.5) <= 0.07 && Math.abs(v - 0.71) <= 0.02) return INK;
  // pattern on the lower body
  switch (t.pattern) {
    case 'spots':
      if (within(u, v, 0.28, 0.8, 0.07) || within(u, v, 0.52, 0.88, 0.06) || within(u, v, 0.74, 0.76, 0.07)) {
        return shade(body, 0.55);
      }
      break;
    case 'belly':
      if (((u - 0.5) / 0.22) ** 2 + ((v - 0.85) / 0.12) ** 2 <= 1) return shade(body, 1.35);
      break;
    case 'stripes':
      if (v >= 0.76 && Math.floor((v - 0.76) / 0.06) % 2 === 0) return shade(body, 0.7);
      break;
    case 'plain':
      break;
  }
  return body;
}

/** Draw character `id` into the square box with top-left (x0, y0) and side `side` pixels (floats allowed). */
export function drawCharacter(img: RGBImage, id: number, x0: number, y0: number, side: number): void {
  const t = identityTraits(id);
  const xa = Math.max(0, Math.floor(x0));
  const ya = Math.max(0, Math.floor(y0));
  const xb = Math.min(img.width, Math.ceil(x0 + side));
  const yb = Math.min(img.height, Math.ceil(y0 + side));
  for (let y = ya; y < yb; y++) {
    const v = (y + 0.5 - y0) / side;
    if (v < 0 || v >= 1) continue;
    for (let x = xa; x < xb; x++) {
      const u = (x + 0.5 - x0) / side;
      if (u < 0 || u >= 1) continue;
      const c = spriteAt(t, u, v);
      if (!c) continue;
      const o = (y * img.width + x) * 3;
      img.data[o] = c[0];
      img.data[o + 1] = c[1];
      img.data[o + 2] = c[2];
    }
  }
}
