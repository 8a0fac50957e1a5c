// The world's own light for a day/night edit the model made. Night in the world is one transform of the day picture
// (world/palette.ts lightPixel: every channel at 40 % plus a dark blue floor), and day is its inverse. The model
// relights a picture through the small autoencoder, and the output step keeps the input through the colour map the
// model applied (colormap.ts lightingMap: a gain and an offset per channel, fitted to its answer); that fit comes out
// a little off — pastel grounds at night read as their neighbours (peach for sand), colours by day wash out (a pale
// pink for pink) — and 6 of 16 test day/night edits failed, 4 of them where the model had relit the picture. So where
// the model's answer sides with the world's light, the picture is relit as the world lights it:
//
//   time     = the picture's time of day, read from its ground (each row's median) as the world's backgrounds (a
//              picture whose ground is none of them is not relit so: the model's own map stays)
//   C        = the picture in the other light (night: lightPixel; day: its inverse)
//   told     = { p : C(p) and picture(p) differ }
//   taken when most of told is nearer C than the picture in the model's answer
//
// An answer that left the picture's light (the model did nothing) sides with the picture and takes nothing; the
// edit's words are not read for the time asked (the world asks only the other light; an answer that relit a picture
// to the light it has, or the wrong way, sides with the picture rather than the world's flip).
//
// Grayscale likewise: the world's grey is every pixel's BT.601 luma (world/render.ts applyGlobal), and where most of the
// pixels it changes side with it in the answer, the input is given so (snapGray, worldGray) — any picture's, as grey
// is every picture's. The model greys a picture about as the world does, but its map can leave a tinge (val
// grayscale 49 → 53 of 53; test 10 of 12 either way, the two others not greyed at all).

import { lit, readBackground } from '../bench/read.ts';
import type { RGBImage } from '../image/rgb.ts';
import { lightPixel, luma, NIGHT_FLOOR, NIGHT_GAIN, type TimeOfDay } from '../world/palette.ts';
import { applyGlobal, backgroundRow } from '../world/render.ts';
import { colorAsked } from '../world/shapes-seen.ts';
import type { ToneEdit } from '../world/tone-edits.ts';
import { sameBackground } from '../world/compose.ts';
import type { Background } from '../world/scene.ts';
import { DRAWN, dist2, rowGrounds, SAME } from './moved.ts';
import type { Taken } from './preserve.ts';

/** The share of the pixels the world's light changes that must side with it in the answer. */
export const LIGHT_AGREEMENT = 0.5;

/**
 * The time of day a picture of the world shows, read from its ground (its rows' median colours, `ground`) as one of
 * the world's backgrounds by day or by night — greyed as the world greys a picture with `grayscale` (a grey
 * picture's ground is the grey of one of them, which its colours need not match); null for a ground that is none (no
 * picture of the world).
 */
export function groundTime(ground: Uint8Array, grayscale = false): TimeOfDay | null {
  return backgroundOf(ground, grayscale)?.time ?? null;
}

/** The world's background (and time of day) rows' ground colours read as (bench/read.ts readBackground), or null. */
function backgroundOf(ground: Uint8Array, grayscale = false) {
  const H = ground.length / 3;
  return readBackground({ width: 1, height: H, data: ground }, [...Array(H).keys()], grayscale);
}

/**
 * Each row's ground as the world draws it (r, g, b per row): the world's background the rows' medians read as (one
 * of its solids or gradients, by day or by night: readBackground), drawn; the medians themselves (rowGrounds) for a
 * picture whose ground is none of them. A row mostly covered by things — a wide shape beside the creature — has a
 * median that is not its ground; the background read from every row's is.
 */
export function worldGrounds(picture: RGBImage): Uint8Array {
  return readGround(picture).ground;
}

/** worldGrounds with the background (and time of day) the rows read as, null for none. */
function readGround(picture: RGBImage): { read: ReturnType<typeof backgroundOf>; ground: Uint8Array } {
  const rows = rowGrounds(picture);
  const H = rows.length / 3;
  const read = backgroundOf(rows);
  if (!read) return { read, ground: rows };
  const look = { time: read.time, grayscale: false };
  const ground = new Uint8Array(H * 3);
  for (let y = 0; y < H; y++) ground.set(lit(backgroundRow(read.background, y, H), look), y * 3);
  return { read, ground };
}

/** `img` in the world's light `to`, from the other: night is lightPixel of the day, day its inverse (clamped). */
export function worldLight(img: RGBImage, to: TimeOfDay): RGBImage {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i += 3) {
    const c = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!] as const;
    data.set(
      to === 'night'
        ? lightPixel(c, 'night')
        : c.map((v, k) => Math.max(0, Math.min(255, Math.round((v - NIGHT_FLOOR[k]!) / NIGHT_GAIN)))),
      i,
    );
  }
  return { width: img.width, height: img.height, data };
}

/**
 * The light the model's answer `out` relit `picture` (the same size) to, when most of the pixels the world's light
 * changes side with it (above); null otherwise, and for a picture whose ground is none of the world's (its light is
 * not the world's to give). With `share`, the share the answer sides with.
 */
export function snapLight(out: RGBImage, picture: RGBImage): { to: TimeOfDay | null; share: number } {
  const time = groundTime(rowGrounds(picture));
  if (!time) return { to: null, share: 0 };
  const to = time === 'day' ? 'night' : 'day';
  const share = sidesWith(out, picture, worldLight(picture, to));
  return { to: share >= LIGHT_AGREEMENT ? to : null, share };
}

/** `img` in the world's grey: every pixel its BT.601 luma (world/render.ts applyGlobal, as the world renders it). */
export function worldGray(img: RGBImage): RGBImage {
  const gray = { width: img.width, height: img.height, data: Uint8Array.from(img.data) };
  applyGlobal(gray, { time: 'day', grayscale: true });
  return gray;
}

/**
 * Whether `gray` is `color` in the world's grey (worldGray), byte for byte: a picture an edit greyed, whose colour is
 * then known (the editor makes a later edit of it in colour and greys the answer: editor.ts, `color`).
 */
export function isWorldGrayOf(gray: RGBImage, color: RGBImage): boolean {
  // (isGray: a quick no for an answer in colour, as most are, before the world's grey is made)
  if (gray.width !== color.width || gray.height !== color.height || !isGray(gray)) return false;
  const made = worldGray(color).data;
  return made.every((v, i) => v === gray.data[i]);
}

/**
 * Whether the model's answer `out` greyed `picture`: most of the pixels grey changes side with grey (as snapLight)
 * and keep their brightness (a grey keeps each pixel's luma; a relit answer, dimmer and nearer grey than the colours
 * were, does not).
 */
export function snapGray(out: RGBImage, picture: RGBImage): { gray: boolean; share: number } {
  const gray = worldGray(picture);
  const o = out.data;
  const bright = (i: number) => (luma(o[i]!, o[i + 1]!, o[i + 2]!) - gray.data[i]!) ** 2 < SAME;
  const share = sidesWith(out, picture, gray, bright);
  return { gray: share >= LIGHT_AGREEMENT, share };
}

/**
 * Whether the model's answer `out` shows the tone edit asked of `picture` as the world makes it (snapGray,
 * snapLight); true for a relighting of a picture whose light is not the world's (there is none to read).
 */
export function toneShown(tone: ToneEdit, out: RGBImage, picture: RGBImage): boolean {
  if (tone === 'gray') return snapGray(out, picture).gray;
  return !groundTime(rowGrounds(picture)) || snapLight(out, picture).to !== null;
}

/**
 * Whether the model's answer `out` to a background change of `picture` shows the background `asked` (the world's): its
 * rows' grounds read as that background (readBackground, as `worldGrounds` reads a picture's), in the picture's light.
 * True for a picture whose ground is none of the world's backgrounds (as snapLight, there is no world's ground to
 * read the change against). Nothing is laid from it: the editor asks the model again where it is false (editor.ts
 * retries).
 */
export function backgroundShown(out: RGBImage, picture: RGBImage, asked: Background): boolean {
  const time = groundTime(rowGrounds(picture));
  if (!time) return true;
  const read = backgroundOf(rowGrounds(out));
  return !!read && sameBackground(read.background, asked) && read.time === time;
}

/**
 * A pixel within this much (0–255, every channel) of its row's ground as the world draws it is the picture's ground.
 * Tight: the creature's eye whites are 6 levels off a white ground at night, and a picture of the world (or the output
 * step's answer to one) has its ground exactly.
 */
const GROUND = 4;

/**
 * The background `asked` as the world draws it, on the ground of `picture` (the world's, by day or by night): the
 * pixels within GROUND of their row's ground (worldGrounds), each given its row's colour in the background asked, lit
 * as the picture is — what is drawn on the ground (the shapes' ink, the creature, the word) is not taken, and an
 * outline's inside or a letter's gap is ground, as the world draws it. The output step lays it over an answer that
 * shows the change (backgroundShown): the model's ground comes out of the autoencoder a few levels off, and where the
 * old ground was near the new (a gradient's end) the edit mask keeps the picture's own, a band of the old background
 * that makes the picture's ground no background of the world's for every later turn. Null for a picture whose ground
 * is none of the world's, or grey (the world's grey of a background is not the background).
 */
export function groundLaid(picture: RGBImage, asked: Background): Taken | null {
  if (isGray(picture)) return null;
  // the background read once: its time lights the new one, its drawing tells the ground
  const { read, ground } = readGround(picture);
  return read ? onGround(picture, ground, GROUND, asked, read.time) : null;
}

/**
 * The background `asked` in the light `time`, as the world draws it, on the pixels of `img` within `within` (0–255,
 * every channel) of their row's ground `ground` (r, g, b per row): each given its row's colour in it.
 */
function onGround(img: RGBImage, ground: Uint8Array, within: number, asked: Background, time: TimeOfDay): Taken {
  const { width: W, height: H, data } = img;
  const image = { width: W, height: H, data: new Uint8Array(W * H * 3) };
  const mask = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const to = lit(backgroundRow(asked, y, H), { time, grayscale: false });
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if ([0, 1, 2].some((c) => Math.abs(data[p * 3 + c]! - ground[y * 3 + c]!) > within)) continue;
      image.data.set(to, p * 3);
      mask[p] = 1;
    }
  }
  return { image, mask };
}

/**
 * The ground of a picture drawn from words (editor.ts drawnInParts) as the world draws it, where the model's answer
 * `out` shows the background `asked` by the light `time`: its rows' grounds (rowGrounds) read as that background in
 * that light (readBackground, as backgroundShown reads an answer). Every pixel within DRAWN of its row's ground is
 * given its row's colour in the world's background; what is drawn on the ground (a word, the creature) is left as the
 * model drew it. The model's ground comes out of the autoencoder a few levels off (1–5 on average over the 60 test
 * captions), too little to misread alone but enough, with a shape added a little elsewhere in its cell, to make the
 * picture's ground none of the world's. Null where the answer shows another ground (a gradient drawn upside down, a
 * solid night ground drawn as a gradient): the editor asks the model again.
 */
export function groundDrawn(out: RGBImage, asked: Background, time: TimeOfDay): Taken | null {
  const rows = rowGrounds(out);
  const read = backgroundOf(rows);
  if (!read || !sameBackground(read.background, asked) || read.time !== time) return null;
  return onGround(out, rows, DRAWN, asked, time);
}

/**
 * The old place of a thing moved off it, as the world draws it after: the ground (worldGrounds, the picture's world
 * background in its light) on the thing's own pixels `sprite` and on the pixels `around` it (1 = laid; it holds the
 * sprite) where the picture shows ground too, within DRAWN of it — never on another thing drawn there. The model
 * leaves a faint ghost where the thing was; a shape's move lays its old place so (redrawn.ts, a removal's), a resize's
 * scaling does (resized.ts snapScaled), and the creature moved at its size by this. `ground`: worldGrounds of the
 * picture, where the caller has it.
 */
export function groundWhere(
  picture: RGBImage,
  sprite: ArrayLike<number>,
  around: ArrayLike<number>,
  ground: Uint8Array = worldGrounds(picture),
): Taken {
  const { width: W, height: H, data } = picture;
  const image = { width: W, height: H, data: Uint8Array.from(data) };
  const mask = new Float32Array(W * H);
  for (let p = 0; p < W * H; p++) {
    const g = Math.floor(p / W) * 3;
    if (!around[p] || (!sprite[p] && [0, 1, 2].some((c) => Math.abs(data[p * 3 + c]! - ground[g + c]!) > DRAWN)))
      continue;
    image.data.set(ground.subarray(g, g + 3), p * 3);
    mask[p] = 1;
  }
  return { image, mask };
}

/** Whether every pixel of `img` is a grey (r = g = b). */
export function isGray(img: RGBImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/**
 * What a user is told before an edit of a grey picture (one an earlier turn greyed) other than greying it: the
 * model was trained to edit pictures in colour — grey ones it saw only as a grayscale edit's answer — and edits a grey
 * one far less well (model card, "Known limits": 27 of 80 test edits of greyed pictures made, 79 of 80 in colour).
 */
export const GREY_PICTURE_NOTE =
  'the picture is grey, and kontext-mini was trained to edit pictures in colour: it edits a grey one far less well ' +
  '(27 of 80 test edits made, against 79 of 80 in colour) — make the other edits first and grey the picture last';

/**
 * What a user is told before an edit that names a colour, of a grey picture whose colour is known (an earlier turn
 * greyed it: the edit is made on the picture in colour and greyed, editor.ts `color`): the world keeps a greyed
 * picture grey, so the colour asked shows as its grey.
 */
export const GREY_KEPT_NOTE =
  'the picture is grey: the edit is made on it in colour and greyed again, so the colour asked shows as its grey ' +
  '(edit a turn before the grey to have it in colour)';

/**
 * The note on edits `asked` (in the world's words) of a grey picture, not greyed again: its colour not known
 * (`colorKnown` false), that the model edits a grey picture far less well; known, that a colour asked shows as its
 * grey, where one is; else null.
 */
export function greyNote(asked: readonly string[], colorKnown: boolean): string | null {
  if (!colorKnown) return GREY_PICTURE_NOTE;
  return asked.some(colorAsked) ? GREY_KEPT_NOTE : null;
}

/**
 * Of the pixels where `c` (a picture's other look) and `picture` differ, the share at which the answer `out` is
 * nearer `c` than the picture (and `also(i)` holds, i the pixel's byte offset); 0 where none differ.
 */
function sidesWith(out: RGBImage, picture: RGBImage, c: RGBImage, also = (_i: number) => true): number {
  const [o, pic] = [out.data, picture.data];
  let [agree, told] = [0, 0];
  for (let i = 0; i < pic.length; i += 3) {
    if (dist2(c.data, i, pic, i) < SAME) continue;
    told++;
    if (dist2(o, i, c.data, i) < dist2(o, i, pic, i) && also(i)) agree++;
  }
  return told ? agree / told : 0;
}
