// A style reference read by the model itself. The embedded model draws a named style ("redraw all the shapes in
// striped style") far better than it copies one from a second image: at its size it does not carry the exemplar's
// look over (models/kontext-mini/NOTES.md, "Three times the style references", "Guidance towards the style
// reference"). But it can tell which named style an image already shows, by the loss it was trained to lower — a
// diffusion classifier (Li et al., "Your Diffusion Model is Secretly a Zero-Shot Classifier", 2023):
//
//   style(e) = argmin over s of  Σ over noise draws  L(x = e | context = e, "redraw all the shapes in {s} style")
//
// with L the flow loss of rerank.ts at high noise levels (STYLE_TIMES). The exemplar e is scored as the answer of an
// edit of itself into style s: an answer identical to its input is what the model predicts best for the style the
// image already has. The content is then edited with that style named in words: the one-image edit the model learnt.
// The bench data's 80 style references (test and val): 68 read right, 0.8 s a reading on the 2-core machine.
//
// An exemplar that shows the world's shapes says its style in its pixels too: each shape is drawn in one of the
// world's four styles, and the output step already reads which one (redrawn.ts styleDrawn: the style whose drawing
// overlaps the shape's ink best, as it reads a shape it redraws). Where most of the shapes seen in the exemplar
// (mini/seen.ts) read as one style, that style is the one named (styleShown; every one of the bench data's 80
// exemplars); the model's loss reads any other exemplar — a photo, a drawing not of the world's shapes.

import { hashSeed } from '../engine/random.ts';
import type { RGBImage } from '../image/rgb.ts';
import { splitEdits } from '../world/outside.ts';
import { STYLE_NAME } from '../world/phrases.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import { STYLES, type Style } from '../world/shapes.ts';
import { textLengthFor } from './config.ts';
import { encodeImages } from './latents.ts';
import type { MiniPipeline } from './pipeline.ts';
import { styleDrawn } from './redrawn.ts';
import { type Candidate, scoreCandidates } from './rerank.ts';

/** The instruction the exemplar is scored under, and the content then edited with (the world's restyle phrasing). */
export const STYLE_PROMPT = 'redraw all the shapes in {name} style';

/**
 * The noise levels the loss is averaged over: the high ones. There the noisy target says little and the model's
 * prediction comes from the context and the words — an edit into the style the context already shows predicts the
 * context itself — while at low noise the target gives itself away whatever the words (0.1–0.3 alone read the
 * bench's 80 style references worse than chance). Offline, 1 noise draw per level: all nine levels 59 of 80, 0.6–0.9
 * 62, 0.1–0.3 21; 0.6–0.9 with 3 draws 67, 6 draws 68. In the editor, 3 draws: 68 (6: 66, at twice the time).
 */
export const STYLE_TIMES = [0.6, 0.7, 0.8, 0.9];

/** Independent noise draws per style at each of STYLE_TIMES (a new ε per draw and level). */
export const STYLE_DRAWS = 3;

const STYLE_READ =
  "with two images kontext-mini reads the second one's style (filled, outline, striped or dotted) and " +
  'redraws the first in it';

/** What a user is told before a two-image edit runs: their words are not what the model acts on (checkPrompt). */
export const STYLE_REFERENCE_NOTE =
  `${STYLE_READ}; the instruction's words are not read (an edit joined after the style by "and" or "then", as in ` +
  '"… and make the star blue", is: it is made on the restyled image)';

/** The note when the prompt asks for edits after the style (editsAfterStyle): they are made, one after the other. */
export function styleThenNote(after: readonly string[]): string {
  const quoted = after.map((e) => JSON.stringify(e)).join(', ');
  return `${STYLE_READ}, then makes ${quoted} on that, one after the other; the style's own words are not read`;
}

/** Words by which a clause speaks of the reference image: such a clause asks for the style, read from the exemplar. */
const REFERENCE = /\b(?:styles?|restyle|reference|exemplar|second|(?:image|picture) *(?:2|two))\b/i;

/**
 * The edits a two-image prompt asks for after the style ("apply the style of image 2 and make the star blue" →
 * ["make the star blue"]): its clauses (splitEdits, src/world/outside.ts) that do not speak of the reference, in
 * order. None ([]) when every clause speaks of it, or none does — the whole prompt is then the style request, whose
 * words are not read (the world writes a style reference as one clause).
 */
export function editsAfterStyle(prompt: string): string[] {
  const clauses = splitEdits(prompt);
  const after = clauses.filter((c) => !REFERENCE.test(c));
  return after.length === clauses.length ? [] : after;
}

/** The instruction the content is edited with once the exemplar's style is read. */
export function namedStylePrompt(style: Style): string {
  return STYLE_PROMPT.replace('{name}', STYLE_NAME[style]);
}

export interface StyleReading {
  style: Style;
  /** the summed flow loss of each of STYLES, in STYLES' order (lower: the model finds it more likely) */
  losses: number[];
}

/**
 * The style an exemplar (at the model's resolution) shows, by the model's own flow loss; `seed` fixes its noise.
 * `onCall(j)` after the j-th of the STYLE_TIMES.length transformer calls (progress).
 */
export async function readStyle(
  pipe: MiniPipeline,
  exemplar: RGBImage,
  seed: number,
  onCall?: (done: number) => void,
): Promise<StyleReading> {
  const [tokens] = await encodeImages(pipe.ae, [exemplar]);
  const T = textLengthFor(pipe.model.config, 1);
  const cands: (Candidate & { style: number })[] = [];
  for (const [style, s] of STYLES.entries()) {
    const request = { ids: pipe.tokenizer.encode(namedStylePrompt(s), T).ids, context: [tokens], noise: tokens };
    for (let d = 0; d < STYLE_DRAWS; d++) cands.push({ request, tokens, scoreSeed: hashSeed('style', seed, d), style });
  }
  const L = await scoreCandidates(pipe.model, cands, pipe.values?.model(), onCall, STYLE_TIMES);
  const losses = STYLES.map(() => 0);
  for (const [i, c] of cands.entries()) losses[c.style] += L[i];
  return { style: STYLES[losses.indexOf(Math.min(...losses))], losses };
}

/**
 * The style most of the shapes `seen` in an exemplar (at the model's resolution) are drawn in (redrawn.ts
 * styleDrawn), or null when none is read or no style is more than half of them.
 */
export function styleShown(exemplar: RGBImage, seen: readonly SeenShape[]): Style | null {
  const drawn = seen.map((s) => styleDrawn(s, exemplar)).filter((s) => s !== null);
  const most = STYLES.map((style) => drawn.filter((d) => d === style).length);
  const best = Math.max(...most);
  return 2 * best > drawn.length ? STYLES[most.indexOf(best)]! : null;
}
