// A word replaced as the model was trained to replace it: the new word's glyph image (world/glyph.ts) drawn where
// the old word is, in its colours, given after the picture. The old word is found by its glyphs: the labels' font is
// the world's own, drawn one glyph cell per pixel at 64 px, so a word shows as one colour on the cells the font inks
// and another on those it leaves blank. Of the two labels a prompt names ("replace 'ZEBRA' with 'KEY'", in any of
// its phrasings), the one the picture shows is the old word and the other the new — whatever the verbs around them.
// The same glyph image and reader (snapToGlyph) make the word edits the model was not trained on: word-edits.ts.

import { withoutLabels } from '../world/shapes-seen.ts';
import { createImage, type RGBImage } from '../image/rgb.ts';
import { drawText, textCells } from '../world/font.ts';
import { drawWord } from '../world/render.ts';
import { glyphImage, type WordColors } from '../world/glyph.ts';
import { TEXT_UNIT } from '../world/scene.ts';
import { lit } from '../bench/read.ts';
import { TEXT_COLOR_NAMES, TEXT_COLORS, type TextColor } from '../world/palette.ts';
import { dist2, MOVED_RIM, rowGrounds } from './moved.ts';
import { ERASED_OFF_WAY, offWay2 } from './redrawn.ts';
import { maskBox, type Taken } from './preserve.ts';
import { groundTime, isGray } from './world-light.ts';

/** Pixels that may read as the other side (ink as ground or ground as ink) in a word found: a smudge's worth. */
const MISREAD = 2;
/** The least distance (RGB) between a word's ink and its ground. */
const CONTRAST = 20;

/** A word found in a picture: its centre (fractions of the side) and its colours there. */
export interface FoundWord extends WordColors {
  x: number;
  y: number;
}

/** Where `word` is drawn in `img` in the labels' font and size, and in which colours; or null. */
export function findWord(img: RGBImage, word: string): FoundWord | null {
  const S = img.width;
  const unit = TEXT_UNIT * S;
  const { w, h } = textCells(word);
  const bw = Math.ceil(w * unit);
  const bh = Math.ceil(h * unit);
  if (!w || bw > S || bh > img.height) return null;
  // the word's ink drawn at the origin: 1 where the font inks a pixel of its box
  const stamp = createImage(bw, bh);
  drawText(stamp, word, 0, 0, unit, [255, 255, 255]);
  const inked = Uint8Array.from({ length: bw * bh }, (_, i) => (stamp.data[i * 3] ? 1 : 0));
  const d = img.data;
  let best: { x: number; y: number; misread: number; contrast: number; ink: number[]; ground: number[] } | null = null;
  for (let oy = 0; oy + bh <= img.height; oy++)
    for (let ox = 0; ox + bw <= S; ox++) {
      // mean colour of the ink and of the ground inside the box
      const sum = [0, 0, 0, 0, 0, 0];
      let n = 0;
      for (let y = 0; y < bh; y++)
        for (let x = 0; x < bw; x++) {
          const p = ((oy + y) * S + ox + x) * 3;
          const k = inked[y * bw + x] ? 0 : 3;
          for (let c = 0; c < 3; c++) sum[k + c] += d[p + c];
          n += inked[y * bw + x];
        }
      const ink = [sum[0] / n, sum[1] / n, sum[2] / n];
      const m = bw * bh - n;
      const ground = [sum[3] / m, sum[4] / m, sum[5] / m];
      const contrast = Math.hypot(ink[0] - ground[0], ink[1] - ground[1], ink[2] - ground[2]);
      if (contrast < CONTRAST) continue;
      // pixels nearer the other side's mean than their own
      let misread = 0;
      for (let y = 0; y < bh && misread <= MISREAD; y++)
        for (let x = 0; x < bw; x++) {
          const p = ((oy + y) * S + ox + x) * 3;
          const di = Math.hypot(d[p] - ink[0], d[p + 1] - ink[1], d[p + 2] - ink[2]);
          const dg = Math.hypot(d[p] - ground[0], d[p + 1] - ground[1], d[p + 2] - ground[2]);
          if (inked[y * bw + x] ? di > dg : dg > di) misread++;
        }
      if (misread > MISREAD) continue;
      if (!best || misread < best.misread || (misread === best.misread && contrast > best.contrast))
        best = { x: ox, y: oy, misread, contrast, ink, ground };
    }
  // the box's origin is where the font's first cell starts: the word's centre is half its cells further
  if (!best) return null;
  const rgb = (c: number[]) => [Math.round(c[0]!), Math.round(c[1]!), Math.round(c[2]!)] as const;
  return {
    x: (best.x + (w * unit) / 2) / S,
    y: (best.y + (h * unit) / 2) / img.height,
    ink: rgb(best.ink),
    ground: rgb(best.ground),
  };
}

/** A replacement of the word the picture shows by another (or a word written), and the new word's glyph image. */
export interface GlyphEdit {
  /** the old word ('' for a word written where there was none) */
  from: string;
  /** the new word ('' for a word taken away) */
  to: string;
  image: RGBImage;
  /** where the picture shows the old word, and its colours (the glyph image's) */
  found: FoundWord;
  /** the words the model is given with the glyph image, where they are not the edit's (a word written or moved) */
  prompt?: string;
  /** where the new word goes, where it is not the old one's place (a word moved), and its colours there */
  at?: FoundWord;
}

/**
 * The glyph image for a prompt naming two labels (`labels`, as the tokenizer reads them) of which `img` shows
 * exactly one: the other drawn where it is. Null when the prompt names another number of labels, or the picture
 * shows neither or both (the edit then goes to the model without it).
 */
export function glyphEdit(labels: readonly string[], img: RGBImage): GlyphEdit | null {
  const words = [...new Set(labels)];
  if (words.length !== 2) return null;
  const found = words.map((w) => findWord(img, w));
  const i = found.findIndex((f) => f !== null);
  if (i < 0 || found[1 - i] !== null) return null;
  const to = words[1 - i]!;
  return { from: words[i]!, to, image: glyphImage(to, found[i]!, img.width, found[i]!), found: found[i]! };
}

/**
 * What to say before a word replacement that will go without its glyph image, for the edits `clauses` (each as the
 * tokenizer reads its labels: `labelsOf`) of the picture `img`: a clause naming two labels of which the picture
 * shows neither (a typo, a word an earlier turn smudged) or both. A word an earlier clause names is not looked for
 * (that edit may draw it first). Null when there is nothing to say.
 */
export function replacementNote(
  clauses: readonly string[],
  labelsOf: (text: string) => string[],
  img: RGBImage,
): string | null {
  const named = new Set<string>();
  const notes: string[] = [];
  for (const clause of clauses) {
    const words = [...new Set(labelsOf(clause))];
    const earlier = words.some((w) => named.has(w));
    for (const w of words) named.add(w);
    if (words.length !== 2 || earlier) continue;
    const shown = words.filter((w) => findWord(img, w) !== null).length;
    const [a, b] = words.map((w) => `'${w}'`);
    if (shown === 0)
      notes.push(
        `the picture shows neither ${a} nor ${b} as a word, so the replacement goes to the model without the new ` +
          "word's glyph image and seldom takes (check the old word's spelling)",
      );
    else if (shown === 2)
      notes.push(
        `the picture shows both ${a} and ${b}, so it is not clear which replaces which and the edit goes to the ` +
          "model without the new word's glyph image",
      );
  }
  return notes.length ? notes.join('; ') : null;
}

/**
 * The share of the pixels a replacement changes (one word inks them, the other not) that the model's answer must
 * change as the glyph image shows for the word to be taken from it. An answer that leaves the picture as it was
 * sides with the glyphs on none of them; on the val split the model's answers side on 0.76–1.
 */
export const GLYPH_AGREEMENT = 0.75;

/**
 * The replaced word taken from the glyph image where the model's answer `out` (at the picture's size) copied it:
 * of the pixels the replacement changes — in the box of the old and the new word, grown by a pixel —, at least
 * `agreement` side with the glyph image in `out` (nearer the word's ink where the new word inks, nearer its ground
 * where it does not). The box is then as the glyph image draws it: the new word's ink, the old word's strokes as
 * the ground, every other pixel the picture's own (`picture`, the fitted input). This is the output step's keeping
 * of the input (preserve.ts) carried to the second context image: what the model copied from a source is taken
 * from that source, so a copied word is crisp instead of redrawn through the autoencoder, and a stroke the model
 * drew faintly reads as the glyph draws it. An answer that does not side with the glyphs (the old word left,
 * another word drawn, a smudge) takes nothing: `taken` is null.
 */
export function snapToGlyph(
  out: RGBImage,
  picture: RGBImage,
  glyph: Pick<GlyphEdit, 'from' | 'to' | 'found' | 'at'>,
  agreement = GLYPH_AGREEMENT,
): { agreement: number; taken: Taken | null } {
  const { width: S, height: H } = out;
  // (a word moved goes elsewhere, in its ink on the ground there)
  const to = glyph.at ?? glyph.found;
  const [oldInk, newInk] = [stampOf(glyph.from, glyph.found, S, H), stampOf(glyph.to, to, S, H)];
  // the box of both words, grown by a pixel
  const [x0, y0, x1, y1] = inkBox(S, H, oldInk, newInk);
  const { ink, ground } = glyph.found;
  const d = out.data;
  const dist = (p: number, c: readonly number[]) => Math.hypot(d[p]! - c[0]!, d[p + 1]! - c[1]!, d[p + 2]! - c[2]!);
  // a word taken away or moved: its old strokes side with it only on the way from the ink to the ground, as a shape's
  // removal (redrawn.ts ERASED_OFF_WAY) — the word restroked in another colour lies off it
  const [inkC, groundC] = [Uint8Array.from(ink), Uint8Array.from(ground)];
  const way2 = ERASED_OFF_WAY ** 2 * dist2(inkC, 0, groundC, 0);
  const onWay = (p: number) => (!!glyph.to && !glyph.at) || offWay2(d, p, groundC, 0, inkC, 0) <= way2;
  // of the pixels the replacement changes, those the model changed so
  let [agree, changed] = [0, 0];
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      const p = (y * S + x) * 3;
      if (!oldInk[p] === !newInk[p]) continue;
      changed++;
      const isNew = !!newInk[p];
      const [k, g] = isNew ? [to.ink, to.ground] : [ink, ground];
      if (dist(p, k) < dist(p, g) === isNew && (isNew || onWay(p))) agree++;
    }
  const share = changed ? agree / changed : 0;
  if (share < agreement) return { agreement: share, taken: null };
  // the old strokes laid as the ground: the one colour read at the word for a replacement (its new word covers most of
  // them), each row's own for a word taken away or moved (a gradient runs under it: one colour leaves a ghost)
  const rows = glyph.to && !glyph.at ? null : rowGrounds(picture);
  const groundAt = (p: number) =>
    rows ? [...rows.subarray(Math.floor(p / 3 / S) * 3, Math.floor(p / 3 / S) * 3 + 3)] : ground;
  const taken = layBox(picture, [x0, y0, x1, y1], (p) => (newInk[p] ? to.ink : oldInk[p] ? groundAt(p) : null));
  return { agreement: share, taken };
}

/** What `word` drawn at `found` in the labels' font inks in an S×H picture: white on black, RGB. */
function stampOf(word: string, found: { x: number; y: number }, S: number, H: number): Uint8Array {
  const img = createImage(S, H);
  drawWord(img, word, found, [255, 255, 255]);
  return img.data;
}

/** The box of what the stamps ink (stampOf), grown by a pixel, inside the S×H picture ([x0, y0, x1, y1], corners in). */
function inkBox(S: number, H: number, ...stamps: Uint8Array[]): [number, number, number, number] {
  const inked = Uint8Array.from({ length: S * H }, (_, p) => (stamps.some((s) => s[p * 3]) ? 1 : 0));
  const [x0, y0, x1, y1] = maskBox(inked, S, H) ?? [S, H, -1, -1];
  return [Math.max(0, x0 - 1), Math.max(0, y0 - 1), Math.min(S - 1, x1 + 1), Math.min(H - 1, y1 + 1)];
}

/**
 * The picture `picture` over a word's box ([x0, y0, x1, y1], corners included) and MOVED_RIM pixels past it, with the
 * colour `color` gives a pixel (its byte offset) where it gives one: the rest of the box is the picture as it is (an
 * edit of the word changes nothing there; the model's smudge around its word is a mistake).
 */
function layBox(
  picture: RGBImage,
  [x0, y0, x1, y1]: readonly [number, number, number, number],
  color: (p: number) => readonly number[] | null,
): Taken {
  const { width: S, height: H } = picture;
  const image = { width: S, height: H, data: Uint8Array.from(picture.data) };
  const mask = new Float32Array(S * H);
  for (let y = Math.max(0, y0 - MOVED_RIM); y <= Math.min(H - 1, y1 + MOVED_RIM); y++)
    for (let x = Math.max(0, x0 - MOVED_RIM); x <= Math.min(S - 1, x1 + MOVED_RIM); x++) {
      const p = (y * S + x) * 3;
      const c = color(p);
      if (c) image.data.set(c, p);
      mask[p / 3] = 1;
    }
  return { image, mask };
}

/** A word of the picture the edit recolours, and the world's text colour asked. */
export interface WordRecolor {
  word: string;
  to: TextColor;
}

/**
 * The recolour of a word an edit asks ("make the text 'FLUX' red", "write 'MOON' in blue instead"): one label
 * (`labels`, as the tokenizer reads the edit's) and one of the world's text colours among the edit's other words
 * (`edit`, as read: the world's colour names); null otherwise — two labels are a replacement (glyphEdit).
 */
export function wordRecolorAsked(labels: readonly string[], edit: string): WordRecolor | null {
  const words = [...new Set(labels)];
  if (words.length !== 1) return null;
  const said = withoutLabels(edit)
    .toLowerCase()
    .split(/[^a-z]+/);
  const colors = [...new Set(said.filter((w): w is TextColor => (TEXT_COLOR_NAMES as string[]).includes(w)))];
  return colors.length === 1 ? { word: words[0]!, to: colors[0]! } : null;
}

/**
 * A word recoloured as the world draws it, taken where the model's answer `out` (at the picture's size) shows it so.
 * The labels' font inks whole pixels at 64 px, so a word the world recolours keeps every pixel but its ink, which
 * takes the new colour in the picture's light (by day or by night, greyed in a grey picture). The answer shows the
 * recolour where at least `agreement` of the word's ink is nearer the new colour than the old ink, the ground and
 * every other text colour of the world; the word's box is then laid: its ink in the new colour, every other pixel the
 * picture's own. Else (the word left, wiped, drawn in another colour; a picture not of the world) nothing is taken
 * and `taken` is null.
 */
export function snapRecoloredWord(
  out: RGBImage,
  picture: RGBImage,
  recolor: WordRecolor,
  agreement = GLYPH_AGREEMENT,
): { agreement: number; taken: Taken | null } {
  return recoloredWordReader(picture, recolor, agreement)(out);
}

/**
 * snapRecoloredWord for one picture, read once — the word found, its ink and the colours lit — for the answers of
 * every try (the editor's reader).
 */
export function recoloredWordReader(
  picture: RGBImage,
  recolor: WordRecolor,
  agreement = GLYPH_AGREEMENT,
): (out: RGBImage) => { agreement: number; taken: Taken | null } {
  const found = findWord(picture, recolor.word);
  const grayscale = isGray(picture);
  const time = groundTime(rowGrounds(picture), grayscale);
  if (!found || !time) return () => ({ agreement: 0, taken: null });
  const look = { time, grayscale };
  const to = lit(TEXT_COLORS[recolor.to], look);
  // the world's other text colours so lit: an ink nearer one of them is drawn in another colour
  const rivals = TEXT_COLOR_NAMES.filter((c) => c !== recolor.to).map((c) => lit(TEXT_COLORS[c], look));
  const { width: S, height: H } = picture;
  const stamp = stampOf(recolor.word, found, S, H);
  const ink = Uint8Array.from({ length: S * H }, (_, p) => (stamp[p * 3] ? 1 : 0));
  const box = maskBox(ink, S, H)!;
  return (out) => {
    const d = out.data;
    const dist = (p: number, c: readonly number[]) => Math.hypot(d[p]! - c[0]!, d[p + 1]! - c[1]!, d[p + 2]! - c[2]!);
    let [agree, inks] = [0, 0];
    for (let p = 0; p < S * H * 3; p += 3) {
      if (!stamp[p]) continue;
      inks++;
      const near = dist(p, to);
      if (near < Math.min(dist(p, found.ink), dist(p, found.ground)) && rivals.every((c) => near <= dist(p, c)))
        agree++;
    }
    const share = inks ? agree / inks : 0;
    if (share < agreement) return { agreement: share, taken: null };
    return { agreement: share, taken: layBox(picture, box, (p) => (stamp[p] ? to : null)) };
  };
}
