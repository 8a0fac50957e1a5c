// The embedded model as a library call, in diffusers' terms: `edit({ prompt, image, seed })` and
// `generate({ prompt })`. Images of any size go in (letterboxed to the model's square, see fit.ts) and come back
// at the first input's size. The model folder defaults to the one shipped in the repo (models/kontext-mini).

import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { type Fitted, fitSquare, type Resize, unfit } from './fit.ts';
import { loadMini } from './load.ts';
import type { MiniPipeline, MiniRequest, MiniRunOptions } from './pipeline.ts';
import type { PromptCheck } from '../prompt/unknown-words.ts';
import { outsideWorldNotes, resolveIt, splitEdits, worldColors } from '../world/outside.ts';
import { worldPhrasing } from '../world/other-phrasings.ts';
import {
  asWorldNames,
  drawnKept,
  eachNote,
  eachShapeSeen,
  namedOtherwise,
  namesEveryShape,
  namesOtherwise,
  newScene,
  notThereNote,
  alreadyNote,
  besideNote,
  type SeenShape,
  shapesKept,
  whichNote,
} from '../world/shapes-seen.ts';
import { isWorldPicture, NOT_THE_WORLD_NOTE, shapesSeen } from './seen.ts';
import { type CaptionParts, captionParts, inPartsNote, sceneNote, sceneParts } from '../world/caption-parts.ts';
import { creatureSprite } from './moved.ts';
import { creatureSize } from './resized.ts';
import { type Snap, type Snapped, snapFor } from './readers.ts';
import { type GlyphEdit, glyphEdit, replacementNote } from './glyph.ts';
import {
  absentWordNote,
  movedGlyph,
  removedGlyph,
  wordMovedAsked,
  wordRemovedAsked,
  withWordNamed,
  wordWrittenAsked,
  worldWordIn,
  writtenGlyph,
  writtenNote,
  writtenPrompt,
} from './word-edits.ts';
import {
  greyNote,
  groundDrawn,
  isGray,
  isWorldGrayOf,
  snapGray,
  snapLight,
  toneShown,
  worldGray,
  worldLight,
} from './world-light.ts';
import { keptDrawnMask, withRim } from './kept-drawn.ts';
import { type ToneEdit, toneEdit } from '../world/tone-edits.ts';
import { applyColorMap, globalColorMap, grayMap, lightingMap, regionColorMaps } from './colormap.ts';
import { composite, editMask, keptShapesMask, maskImage, settled, type Taken } from './preserve.ts';
import { candidatesProblem, retriesProblem } from './config.ts';
import {
  editsAfterStyle,
  namedStylePrompt,
  readStyle,
  styleShown,
  STYLE_REFERENCE_NOTE,
  STYLE_TIMES,
  styleThenNote,
} from './style-reference.ts';
import {
  itNote,
  namedNote,
  otherWordsNote,
  phrasingsNote,
  typosNote,
  unknownWordsNote,
  wordNamedNote,
} from '../prompt/unknown-words.ts';
import type { Style } from '../world/shapes.ts';

/** The shapes seen that an edit leaves alone (kept as the input has them) and those it names (the model's). */
export interface KeptAndEdited {
  kept: readonly SeenShape[];
  edited: readonly SeenShape[];
  /** whether the creature and the word the picture shows are left alone, and kept (kept-drawn.ts); absent: neither */
  drawn?: { creature: boolean; word: boolean };
}

function keptAndEdited(asked: string, seen: readonly SeenShape[]): KeptAndEdited {
  const kept = shapesKept(asked, seen);
  return { kept, edited: seen.filter((s) => !kept.includes(s)), drawn: drawnKept(asked) };
}

/** The most images one edit takes: the image to edit and a style reference. */
export const MAX_IMAGES = 2;

export interface MiniEditOptions {
  prompt: string;
  /** context images: none = text-to-image, one = edit, two = style reference (content, then exemplar) */
  image?: RGBImage | RGBImage[];
  /** default: random (returned) */
  seed?: number;
  numInferenceSteps?: number;
  guidanceScale?: number;
  /**
   * samples drawn (seeds seed … seed + n − 1), the one the model finds most likely kept (rerank.ts); 1–16, default
   * the model's setting (`sampling.candidates` in its config.json, else 1). n times the sampling time and more.
   */
  candidates?: number;
  /**
   * samples drawn again (each at a further seed) while the output step reads the edit asked — a shape recoloured,
   * moved, resized, restyled, taken away or added, a word replaced, the picture greyed or relit, the background
   * changed — and the model's answer shows less of it than all (a restyle on some of the shapes); the first answer
   * that shows the most is kept. Default: the model's setting (`sampling.retries` in its config.json, else 0). Each
   * costs one sample's time.
   */
  retries?: number;
  /**
   * keep the first image's own pixels wherever the model did not change it (preserve.ts); default: the model's
   * setting (`sampling.preserve` in its config.json). false: the transformer's pixels everywhere.
   */
  preserve?: boolean;
  /**
   * an edit of one image whose prompt asks for several ("make the circle blue and the background red") is made as
   * that many edits, one after the other, each on the last answer, with seeds seed, seed + 1, … (default true):
   * the model learnt one edit per instruction (src/world/outside.ts, splitEdits). false: the prompt as one.
   */
  oneByOne?: boolean;
  /**
   * a picture drawn from words (no image) whose prompt names shapes on a ground ("a large red circle at the top on a
   * peach background") is drawn as that ground by day, then one add per shape, then the night where it asks it, one
   * after the other (default true, where the output step is on): world/caption-parts.ts. false: the prompt drawn in
   * one pass.
   */
  inParts?: boolean;
  /**
   * with two images (content, then style exemplar), read the exemplar's style by the model's own loss and edit the
   * content with that style named in words (style-reference.ts), default true: the model draws a named style far
   * better than it copies one; edits the prompt asks for after the style ("… and make the star blue",
   * editsAfterStyle) are then made one after the other on the restyled image. false: both images to the
   * transformer as context, the prompt as given.
   */
  readStyle?: boolean;
  /**
   * the instruction of the turn before (a chat's, a session's): a prompt that starts "<verb> it" of the shape it
   * edited ("make the red circle blue", then "move it up") is read with the shape named ("move the blue circle up",
   * src/world/outside.ts resolveIt); the model learnt "it" only as the picture or the creature. A word it named
   * ("add the word 'SUN' at the top") is the picture's word for an edit that says "the word" without its label.
   */
  previous?: string;
  /**
   * the first image in colour, where the first image is its world grey (a session's picture after a turn greyed it:
   * that turn's result's `color`): the edit is then made on this picture and its answer greyed as the world greys a
   * picture (world-light.ts worldGray). The model was trained to edit pictures in colour (a grey one it edits far less
   * well: GREY_PICTURE_NOTE), and in the world the grey of an edit is the edit of the grey — a shape added to a greyed
   * scene is drawn in its colour's grey. Ignored where the first image is not this picture's world grey.
   */
  color?: RGBImage;
  /** output size for text-to-image (default the model's square); edits answer at the first image's size */
  width?: number;
  height?: number;
  onStep?: (step: number, total: number) => void;
}

export interface MiniEditResult {
  image: RGBImage;
  seed: number;
  /** words of the prompt the model does not know (MiniTokenizer.unknownWords): read without meaning */
  unknownWords: string[];
  /**
   * the edits made one after the other when the prompt asked for several (see oneByOne), or the one edit as read
   * when its "it" named the shape the turn before edited (`previous`); absent for one edit as given
   */
  edits?: string[];
  /** the style read from a style reference's exemplar (readStyle); absent otherwise */
  style?: Style;
  /**
   * the edits (as made) whose answer shows less of the edit than all, as the output step reads it, after every try
   * (`retries`): the answer that showed the most is given; absent where each edit read shows all of it
   */
  unshown?: string[];
  /**
   * with `unshown`: the samples each of those edits was given (1 + retries where the input's pixels are kept; 1 where
   * they are not, as with `preserve: false`, which reads a tone edit but asks nothing again)
   */
  tries?: number;
  /**
   * the answer in colour, where `image` is its world grey: the picture an edit greyed (the world's grey laid), or the
   * answer an edit of a grey picture made on its `color` before it was greyed. The next edit of `image` takes it as
   * its `color`; absent where the answer is not the world's grey of a picture in colour.
   */
  color?: RGBImage;
}

export interface MiniEditorOptions {
  /** how images are scaled in and out of the model's square (default sharp's Lanczos; a browser page, which has
   *  no sharp, passes resampleLanczos from src/image/resample.ts) */
  resize?: Resize;
}

export class MiniEditor {
  private readonly resize: Resize | undefined;
  /** the picture each shapesIn answer was read from, at the model's size (for checkPrompt's notes: words, grey) */
  private readonly pictures = new WeakMap<readonly SeenShape[], RGBImage>();

  constructor(
    readonly pipe: MiniPipeline,
    o: MiniEditorOptions = {},
  ) {
    this.resize = o.resize;
  }

  /** A kontext-mini folder on disk; default the shipped one (models/kontext-mini). */
  static async load(dir?: string): Promise<MiniEditor> {
    return new MiniEditor(await loadMini(dir ?? (await import('./embedded.ts')).EMBEDDED_MODEL));
  }

  get resolution(): number {
    return this.pipe.resolution;
  }

  /**
   * Words of a prompt this model does not know (spelled letter by letter, read without meaning), and a note on
   * them, on several edits asked at once (made one after the other) and on colours asked of things the world never
   * draws in them ("make the background red"; one with a colour of the world's near it is asked as that colour):
   * src/world/outside.ts. `images`: how many the edit gets (default 1); with two (and the style read, as `edit` does
   * by default) only the words of edits asked after the style are read (editsAfterStyle) — so only theirs can be
   * unknown or typos — and the note says what is made. `color`: the picture's colour is known (edit's `color`), so a
   * grey picture is edited in colour and not noted. `inParts`: as edit's (with no image, how a picture from words is
   * drawn, and said).
   */
  checkPrompt(
    prompt: string,
    o: {
      images?: number;
      readStyle?: boolean;
      previous?: string;
      seen?: readonly SeenShape[];
      color?: boolean;
      inParts?: boolean;
    } = {},
  ): PromptCheck {
    const tok = this.pipe.tokenizer;
    const typed = tok.asRead(prompt);
    const resolved = (o.images ?? 1) === 1 ? this.resolveIt(typed, o.previous) : typed;
    const styled = o.images === 2 && o.readStyle !== false;
    const seen = styled ? undefined : o.seen;
    const picture = seen && this.pictures.get(seen);
    // the picture's text spoken of without its label named by it, as edit names it
    const read = picture ? this.wordNamed(resolved, picture, o.previous) : resolved;
    // the clauses the model reads: the prompt, or with two images the edits asked after the style
    const clauses = styled ? editsAfterStyle(read) : [read];
    if (!clauses.length)
      return { unknownWords: [], typos: [], otherWords: [], phrasings: [], note: STYLE_REFERENCE_NOTE };
    const check = tok.check(prompt);
    const words = new Set(
      clauses
        .join(' ')
        .toLowerCase()
        .split(/[^\p{L}]+/u),
    );
    const typos = (check.typos ?? []).filter((t) => words.has(t.read));
    const otherWords = (check.otherWords ?? []).filter((t) => words.has(t.read));
    // the edits as the model is asked them: phrasings in the world's words ("make it dark" → "make it night",
    // "shrink the circle" → "make the circle smaller"), a colour as the world's nearest ("crimson" is its red);
    // their words alone can be unknown
    const edits = clauses.flatMap(splitEdits).map((c) => ({ typed: c.trim(), phrased: worldPhrasing(c) }));
    const asked = edits.map((e) => worldColors(e.phrased ?? e.typed));
    // a word written or moved (glyph.ts): the model is asked it as the word replaced by itself — a word the picture
    // shows is recoloured, not written; one it does not show (or shows there already), not moved
    const writes = (a: string) => {
      if (!this.pipe.model.config.glyph || (o.images ?? 1) !== 1) return null;
      const labels = tok.labels(a);
      const written = wordWrittenAsked(labels, a);
      if (written && (!picture || writtenGlyph(written, picture))) return { ...written, moved: false };
      const moved = wordMovedAsked(labels, a);
      return moved && (!picture || movedGlyph(moved, picture)) ? { ...moved, moved: true } : null;
    };
    // (a shape named as the picture shows it is asked so: its words are the model's, "the green thing" → "the green
    // square")
    const unknownWords = tok.unknownWords(
      asked
        .map((a) => {
          const written = writes(a);
          return written ? writtenPrompt(written.word) : seen ? asWorldNames(a, seen) : a;
        })
        .join(' and '),
    );
    const phrased = edits.flatMap((e) => (e.phrased ? [{ typed: e.typed, read: e.phrased }] : []));
    const notes = [
      resolved === typed ? null : itNote(typed, resolved),
      read === resolved ? null : wordNamedNote(resolved, read),
      styled ? styleThenNote(clauses) : null,
      typosNote(typos),
      otherWordsNote(otherWords),
      phrasingsNote(phrased),
      unknownWordsNote(unknownWords, (w) => tok.closestWord(w)),
      // each clause after a style is one edit: its colour notes only
      ...(styled ? clauses.flatMap(outsideWorldNotes) : outsideWorldNotes(read)),
      // a picture drawn from words in parts (drawnInParts): how
      (o.images ?? 1) === 0 && o.inParts !== false && this.pipe.model.config.sampling.preserve
        ? inPartsNote(captionParts(read))
        : null,
      // the picture's creature put in a new scene as edits of the picture (sceneEdits): which
      picture && seen && o.inParts !== false && this.pipe.model.config.sampling.preserve && newScene(read)
        ? sceneNote(sceneParts(read, seen, creatureSizeIn(picture, seen), worldWordIn(picture)))
        : null,
      // a picture that is not the world's (a photo): the model knows nothing else
      picture && seen && !isWorldPicture(picture, seen) ? NOT_THE_WORLD_NOTE : null,
      // a shape named that the picture does not show, or by its shape or colour alone: named as it shows it, or
      // which of several that fit (the shapes seen in it, when the caller read them: shapesIn)
      seen ? notThereNote(asked, seen) : null,
      // a shape recoloured in the colour it has
      seen ? alreadyNote(asked, seen) : null,
      seen ? namedNote(namedOtherwise(asked, seen)) : null,
      seen ? besideNote(asked, seen) : null,
      seen ? whichNote(asked, seen) : null,
      seen ? eachNote(asked, seen) : null,
      // a word replaced that the picture does not show (or shows with the new one): no glyph image will go with it
      picture && this.pipe.model.config.glyph ? replacementNote(asked, (t) => tok.labels(t), picture) : null,
      // a word moved or taken away that the picture does not show: nothing to move or take, the answer unread
      picture && this.pipe.model.config.glyph ? absentWordNote(asked, (t) => tok.labels(t), picture) : null,
      // a word written or moved: how the model is asked it
      ...asked.flatMap((a) => {
        const written = writes(a);
        return written ? [writtenNote(written, written.moved)] : [];
      }),
      // a grey picture edited otherwise than greyed: its colour not known, the model edits pictures in colour; known,
      // the edit is made in colour and greyed, and a colour asked shows as its grey
      picture && isGray(picture) && !asked.some((a) => toneEdit(a) === 'gray') ? greyNote(asked, !!o.color) : null,
    ].filter((n) => n !== null);
    const phrasings = [...(read === typed ? [] : [{ typed, read }]), ...phrased];
    return { unknownWords, typos, otherWords, phrasings, note: notes.length ? notes.join('; ') : null };
  }

  /**
   * The shapes a picture shows, for checkPrompt's `seen` (read as the editor reads "all the shapes": seen.ts). The
   * picture, as the model sees it, is kept with them (while they are), so that checkPrompt can look for the words a
   * replacement names too, and say whether the picture is grey.
   */
  async shapesIn(image: RGBImage): Promise<SeenShape[]> {
    // the shapes read at the world's own size (seen.ts); the picture kept at the model's, for glyph.ts and isGray
    const seen = await shapesSeen(image, this.resize);
    this.pictures.set(seen, (await fitSquare(image, this.resolution, this.resize)).image);
    return seen;
  }

  async edit(o: MiniEditOptions): Promise<MiniEditResult> {
    if (typeof o.prompt !== 'string') throw new UserError('prompt must be a string');
    const images = o.image === undefined ? [] : Array.isArray(o.image) ? o.image : [o.image];
    if (images.length > MAX_IMAGES)
      throw new UserError(
        `kontext-mini takes at most ${MAX_IMAGES} images (content and style reference), got ${images.length}`,
      );
    const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`seed ${o.seed} must be a non-negative integer`);
    const steps = o.numInferenceSteps;
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1 && steps <= 1000))
      throw new UserError(`numInferenceSteps must be an integer from 1 to 1000, got ${steps}`);
    const n = o.candidates;
    const bad = n === undefined ? null : candidatesProblem(n);
    if (bad) throw new UserError(`candidates ${bad}`);
    const badAgain = o.retries === undefined ? null : retriesProblem(o.retries);
    if (badAgain) throw new UserError(`retries ${badAgain}`);
    // a grey picture whose colour is known is edited in colour, and the answer greyed as the world greys a picture
    const color = o.color && images[0] && isWorldGrayOf(images[0], o.color) ? o.color : undefined;
    if (color) {
      const r = await this.edit({ ...o, seed, image: [color, ...images.slice(1)], color: undefined });
      // (an edit that greyed it again gives the colour it greyed: the same picture)
      return { ...r, image: worldGray(r.image), color: r.color ?? r.image };
    }
    if (images.length === 2 && o.readStyle !== false) return this.styleByName(images[0], images[1], { ...o, seed });
    // the split reads the words as the tokenizer does: "… and the backgrund red" names the background
    const one = images.length !== 1 || o.oneByOne === false;
    const typed = this.pipe.tokenizer.asRead(o.prompt);
    const read = images.length === 1 ? this.resolveIt(typed, o.previous) : typed;
    const S = this.resolution;
    const edits = one ? [o.prompt] : splitEdits(read);
    // "all the shapes" as the shapes the input shows, one edit each (shapes-seen.ts)
    // the picture's creature put in a new scene: the picture's shapes removed, its background changed, the creature
    // moved, the shapes named added, one after the other (world/caption-parts.ts sceneParts)
    if (images.length === 1 && o.inParts !== false && this.keeps(o) && newScene(read)) {
      const scene = await this.sceneEdits(read, images[0]!);
      if (scene) return this.oneByOne(scene, images[0]!, { ...o, seed });
    }
    if (!one && edits.some(namesEveryShape)) {
      const seen = await shapesSeen(images[0]!, this.resize);
      const each = edits.flatMap((c) => eachShapeSeen(c, seen) ?? [c]);
      if (each.join('\n') !== edits.join('\n')) return this.oneByOne(each, images[0]!, { ...o, seed });
    }
    if (edits.length > 1) return this.oneByOne(edits, images[0]!, { ...o, seed });
    // a picture drawn from words that names shapes or a word on a ground: the ground drawn by day, then each shape
    // added, the word written, the night, one after the other (world/caption-parts.ts) — the model draws a scene from
    // words alone badly, a ground, an add, a word from its glyphs and the night well
    const parts = images.length === 0 && o.inParts !== false && this.keeps(o) ? captionParts(read) : null;
    if (parts) return this.drawnInParts(parts, { ...o, seed });
    const fitted = await Promise.all(images.map((img) => fitSquare(img, S, this.resize)));
    // (the creature put in a new scene keeps nothing of the picture: the answer is the model's as it drew it)
    const preserve = o.preserve !== false && !newScene(read);
    // the picture's text spoken of without its label named by it ("remove the text" → "remove the text 'FLUX'")
    const named = fitted.length === 1 ? this.wordNamed(read, fitted[0]!.image, o.previous) : read;
    // a phrasing of the world's edits in the world's words ("make it dark" → "make it night", other-phrasings.ts),
    // and a colour the world never draws as the nearest it does ("blue" background → "sky blue", outside.ts)
    const phrased = worldColors(worldPhrasing(named) ?? named);
    // a shape named by its shape or colour alone, named by both as the input shows it ("the circle" → "the blue
    // circle": shapes-seen.ts asWorldNames)
    // (read for every edit of one picture the output step keeps: the shapes the edit leaves alone are kept whole)
    const keeps = preserve && this.keeps(o);
    const seen =
      images.length === 1 && (keeps || namesOtherwise(phrased)) ? await shapesSeen(images[0]!, this.resize) : null;
    const asked = seen ? asWorldNames(phrased, seen) : phrased;
    const made = seen ? asWorldNames(named, seen) : named;
    const prompt = asked === typed ? o.prompt : asked;
    // a word replaced ("replace 'ZEBRA' with 'KEY'"): the new word's glyphs drawn where the picture shows the old
    // one, given after it, when the model was trained so (glyph.ts); a word written, its glyphs drawn in the cell
    // asked, the model asked to replace the word with itself
    const glyph = fitted.length === 1 ? this.glyphFor(asked, fitted[0]!.image) : null;
    const given = [...fitted.map((f) => f.image), ...(glyph ? [glyph.image] : [])];
    const reqs = [{ prompt: glyph?.prompt ?? prompt, images: given, seed }];
    const unknownWords = this.pipe.tokenizer.unknownWords(reqs[0]!.prompt);
    const run = { numInferenceSteps: steps, guidanceScale: o.guidanceScale, candidates: n, onStep: o.onStep };
    if (fitted[0]) {
      const shapes = seen ? keptAndEdited(asked, seen) : undefined;
      const tone = toneEdit(asked);
      // what the model copied from a context image is taken from it (readers.ts): a replaced word from its glyph image
      // (glyph.ts), a moved shape or creature from the picture at its new place (moved.ts), a resized one scaled
      // (resized.ts); a shape recoloured, restyled, taken away or added, redrawn as the world draws it (redrawn.ts)
      const snap = keeps ? snapFor(asked, fitted[0].image, glyph, seen, this.readerModel(asked)) : null;
      const picture = fitted[0].image;
      // how much of the edit an answer shows, as the output step reads it (its reader, or the world's grey or light)
      const look = (out: RGBImage): Snapped => {
        if (snap) return snap(out);
        return { taken: null, shown: !tone || toneShown(tone, out, picture) ? 1 : 0 };
      };
      // asked again, where the answer shows less of the edit than all (retries)
      const reads = snap || tone;
      const again = keeps && reads ? this.retries(o) : 0;
      // a word taken away is asked with its blank glyph image and without it in turn: the model erases some words
      // only one way (word-edits.ts removedGlyph)
      const otherwise = glyph && !glyph.to ? { ...reqs[0]!, images: [picture] } : undefined;
      const best = await this.sampleShowing(reqs[0]!, run, keeps, look, again, otherwise);
      // an edit the output step reads that no try's answer shows all of is said (front ends note it)
      const unshown = reads && best.shown < 1 ? { unshown: [made], tries: 1 + again } : {};
      const image = await this.answer(
        best.out,
        images[0],
        fitted[0],
        preserve,
        best.roundTrip,
        tone,
        shapes,
        best.taken,
      );
      // a picture in colour greyed as the world greys it: its colour, for the next edit's `color`
      const greyed = !isGray(images[0]!) && isWorldGrayOf(image, images[0]!) ? { color: images[0] } : {};
      // "it" read as the turn before's shape, a shape named as the input shows it: the edit as made, so that a next
      // "it" reads on from it
      return { image, seed, unknownWords, ...(made !== typed ? { edits: [made] } : {}), ...unshown, ...greyed };
    }
    const [out] = await this.pipe.run(reqs, run);
    return {
      image: await unfit(
        out,
        { box: { x: 0, y: 0, width: S, height: S }, width: o.width ?? S, height: o.height ?? S },
        this.resize,
      ),
      seed,
      unknownWords,
    };
  }

  /**
   * The model's answer to `req` (with its first image's round trip when `keeps`), and what `look` reads in it: the
   * pixels the output step takes and how much of the edit the answer shows. Where it shows less than all of it, the
   * model is asked again, each time at a further seed (seed + k × candidates), up to `again` times: the first answer
   * that shows the most of the edit is kept. Progress counts each try's steps, its total growing with each.
   * `otherwise`: a request asked in turn with `req` (every second try), as it is at that try's seed.
   */
  private async sampleShowing(
    req: MiniRequest,
    run: MiniRunOptions,
    keeps: boolean,
    look: Snap,
    again: number,
    otherwise?: MiniRequest,
  ): Promise<{ out: RGBImage; roundTrip?: RGBImage; taken: Taken | null; shown: number }> {
    const per = this.pipe.progressTotal(run);
    const n = run.candidates ?? this.pipe.model.config.sampling.candidates ?? 1;
    let best: { out: RGBImage; roundTrip?: RGBImage; taken: Taken | null; shown: number } | undefined;
    for (let k = 0; k <= again && !(best && best.shown >= 1); k++) {
      const report = run.onStep;
      const onStep = report && ((step: number) => report(k * per + step, (k + 1) * per));
      const reqs = [{ ...(otherwise && k % 2 ? otherwise : req), seed: req.seed + k * n }];
      // the round trip preserve.ts compares with comes from the tokens the transformer saw: one encode, not two
      const { images, roundTrips } = keeps
        ? await this.pipe.runWithRoundTrips(reqs, { ...run, onStep })
        : { images: await this.pipe.run(reqs, { ...run, onStep }), roundTrips: [] };
      const made = { out: images[0]!, roundTrip: roundTrips[0], ...look(images[0]!) };
      if (!best || made.shown > best.shown) best = made;
    }
    return best!;
  }

  /**
   * A prompt (as read) that speaks of the picture's text without its label with the label of the world's word the
   * picture (`fitted`, at the model's size) shows — or of a word the turn before (`previous`) named, a user's —, when
   * the model was trained on word edits (word-edits.ts withWordNamed); else as it was.
   */
  private wordNamed(read: string, fitted: RGBImage, previous?: string): string {
    const tok = this.pipe.tokenizer;
    const also = previous === undefined ? [] : tok.labels(previous);
    return this.pipe.model.config.glyph ? withWordNamed(read, tok.labels(read), fitted, also) : read;
  }

  /** A prompt read (asRead) with its "it" named after the turn before's shape (resolveIt), the previous read too. */
  private resolveIt(read: string, previous: string | undefined): string {
    return previous === undefined ? read : resolveIt(read, this.pipe.tokenizer.asRead(previous));
  }

  /**
   * The answer `edit` makes of a model output `out` (at the model's size) for `prompt` on `input`, the output step
   * reading the prompt and the picture as edit reads them (the shapes left alone, a copied word or move, a tone
   * edit): for callers that make the output themselves, as the autoencoder ceiling does.
   */
  async answerAs(prompt: string, out: RGBImage, input: RGBImage): Promise<RGBImage> {
    const read = this.pipe.tokenizer.asRead(prompt);
    if (newScene(read)) return this.answer(out, input, await fitSquare(input, this.resolution, this.resize), false);
    const seen = await shapesSeen(input, this.resize);
    const asked = asWorldNames(worldColors(worldPhrasing(read) ?? read), seen);
    const fitted = await fitSquare(input, this.resolution, this.resize);
    const glyph = this.glyphFor(asked, fitted.image);
    const taken = this.copied(asked, out, fitted.image, glyph, seen);
    const shapes = keptAndEdited(asked, seen);
    return this.answer(out, input, fitted, true, undefined, toneEdit(asked), shapes, taken);
  }

  /**
   * The glyph image a word replacement, a word written, moved or taken away `prompt` (as read) goes with for the
   * picture `fitted` (at the model's size), when the model was trained so (glyph.ts glyphEdit; word-edits.ts
   * writtenGlyph, movedGlyph, removedGlyph); or null.
   */
  glyphFor(prompt: string, fitted: RGBImage): GlyphEdit | null {
    if (!this.pipe.model.config.glyph) return null;
    const labels = this.pipe.tokenizer.labels(prompt);
    return (
      glyphEdit(labels, fitted) ??
      writtenGlyph(wordWrittenAsked(labels, prompt), fitted) ??
      movedGlyph(wordMovedAsked(labels, prompt), fitted) ??
      removedGlyph(wordRemovedAsked(labels, prompt), fitted)
    );
  }

  /**
   * The pixels an answer `out` copied from a context image, taken from it (preserve.ts Taken), or null: the new word
   * of a replacement given its glyph image (snapToGlyph), a recoloured word's ink in the colour asked
   * (snapRecoloredWord), the one shape a move names among those `seen` in the picture (`fitted`, at the model's size;
   * snapMoved on the shape's ink), the one shape a resize names, scaled to the size asked (resized.ts snapResized), or
   * the creature moved at its size (snapMoved) or moved and resized (snapCreatureResized).
   */
  copied(
    prompt: string,
    out: RGBImage,
    fitted: RGBImage,
    glyph: GlyphEdit | null,
    seen: readonly SeenShape[] | null,
  ): Taken | null {
    return snapFor(prompt, fitted, glyph, seen, this.readerModel(prompt))?.(out).taken ?? null;
  }

  /** What the output step's readers (readers.ts) need of the model: the labels its tokenizer reads, the mask's grow. */
  private readerModel(prompt: string): { labels: readonly string[]; grow: number } {
    return { labels: this.pipe.tokenizer.labels(prompt), grow: this.pipe.model.config.sampling.preserve?.grow ?? 1 };
  }

  /** The tone edit a prompt asks for, read as the tokenizer reads it (typos too), or null (src/world/tone-edits.ts). */
  toneOf(prompt: string): ToneEdit | null {
    const read = this.pipe.tokenizer.asRead(prompt);
    return toneEdit(worldPhrasing(read) ?? read);
  }

  /**
   * An S×S output for `input` (fitted as `fitted`) at the input's size; with `preserve` and the model's setting,
   * the edit mask is computed at the model's size, scaled like the output, and the output composited over the
   * caller's own image (preserve.ts). `roundTrip`: the fitted input through the autoencoder, if already made.
   * `tone`: the instruction asks only for the whole image's colour taken away or its lighting changed
   * (src/world/tone-edits.ts); where the model's answer is one colour map of the input, the answer is then the input
   * through that map everywhere — made grey for 'gray', a gain and an offset per channel for 'light'.
   * `shapes`: the shapes seen that the edit leaves alone, kept as the input has them on their silhouettes, and those
   * it names, never kept (src/world/shapes-seen.ts shapesKept, preserve.ts keptShapesMask).
   * `taken`: pixels at the model's size taken as they are from a context image the model copied (`copied`: a replaced
   * word's glyph image, a moved or resized thing of the picture), laid over everything else.
   */
  async answer(
    out: RGBImage,
    input: RGBImage,
    fitted: Fitted,
    preserve = true,
    roundTrip?: RGBImage,
    tone: ToneEdit | null = null,
    shapes: KeptAndEdited = { kept: [], edited: [] },
    taken: Taken | null = null,
  ): Promise<RGBImage> {
    const answer = await unfit(out, fitted, this.resize);
    const keep = this.pipe.model.config.sampling.preserve;
    if (!preserve || !keep) return answer;
    roundTrip ??= (await this.pipe.roundTrip([fitted.image]))[0];
    // a global tone edit keeps the input through the colour map the model applied, and so does an edited region
    // whose change is one colour map (a recolour, a removal onto flat ground): colormap.ts
    const share = keep.colorMap;
    const map = share === undefined ? null : globalColorMap(out, roundTrip, share);
    // greyed as the world greys a picture, where the model's answer sides with it (world-light.ts)
    if (tone === 'gray' && snapGray(out, fitted.image).gray) return worldGray(input);
    // a tone edit changes every pixel the same way: what the map does not explain (a smudged object) is a mistake
    if (map && tone) {
      // relit as the world lights a picture, where the model's answer sides with it (world-light.ts)
      const light = tone === 'light' ? snapLight(out, fitted.image).to : null;
      if (light) return worldLight(input, light);
      return applyColorMap(input, tone === 'gray' ? grayMap(map) : lightingMap(out, roundTrip, map));
    }
    const S = this.resolution;
    // the shapes the edit leaves alone are the input's own, not the model's nor through its colour map
    let kept = keptShapesMask(shapes.kept, fitted.image, keep.grow, shapes.edited);
    // and the creature and the word it leaves alone, and the ground that goes with them all (kept-drawn.ts)
    if (shapes.drawn) {
      const things = keptDrawnMask(fitted.image, [...shapes.kept, ...shapes.edited], shapes.drawn);
      for (let p = 0; p < things.length; p++) if (things[p]) kept[p] = 1;
    }
    if (kept.some((k) => k > 0)) kept = withRim(kept, fitted.image, shapes, out);
    // (an edit taken alone changes no other pixel of the picture: preserve.ts Taken)
    const edited = editMask(out, map ? applyColorMap(roundTrip, map) : roundTrip, keep, kept).map((m, p) =>
      kept[p] || taken?.alone ? 0 : m,
    );
    const drawn =
      share === undefined || map
        ? answer
        : await unfit(regionColorMaps(out, roundTrip, fitted.image, edited, share), fitted, this.resize);
    const mask = await unfit(maskImage(edited, S, S), fitted, this.resize);
    const mapped = map ? applyColorMap(input, map) : input;
    const base =
      map && kept.some((k) => k > 0)
        ? composite(input, mapped, await unfit(maskImage(kept, S, S), fitted, this.resize))
        : mapped;
    // (what the composite moved by a level or two is the input's: preserve.ts settled)
    const result = settled(composite(drawn, base, mask), base);
    if (!taken) return result;
    const [pixels, where] = [taken.image, maskImage(taken.mask, S, S)];
    return composite(await unfit(pixels, fitted, this.resize), result, await unfit(where, fitted, this.resize));
  }

  /** How many times an edit with options `o` is sampled again where its answer does not show it (`retries`). */
  private retries(o: MiniEditOptions): number {
    return o.retries ?? this.pipe.model.config.sampling.retries ?? 0;
  }

  /** Does an edit with options `o` keep the input and lay what the model made (the output step)? */
  private keeps(o: MiniEditOptions): boolean {
    return o.preserve !== false && !!this.pipe.model.config.sampling.preserve;
  }

  /**
   * The edits that put the creature of `image` in the new scene `prompt` asks (sceneParts), from the shapes and the word
   * the picture shows and the creature's size there; null where the words do not give them.
   */
  private async sceneEdits(prompt: string, image: RGBImage): Promise<string[] | null> {
    const seen = await shapesSeen(image, this.resize);
    const picture = (await fitSquare(image, this.resolution, this.resize)).image;
    return sceneParts(prompt, seen, creatureSizeIn(picture, seen), worldWordIn(picture));
  }

  /**
   * A picture drawn from words in parts (edit's `inParts`): its ground by day (with what no edit draws: the creature)
   * from words at `seed`, then its edits — each shape added, the word written, the night — on the last answer at
   * seed + 1, seed + 2, … (oneByOne), at the size asked.
   */
  private async drawnInParts(parts: CaptionParts, o: MiniEditOptions & { seed: number }): Promise<MiniEditResult> {
    const S = this.resolution;
    const per = this.pipe.progressTotal(o);
    const report = o.onStep;
    // the ground laid as the world draws it where the answer shows the background asked, else asked again (retries)
    const look = (out: RGBImage): Snapped => {
      const taken = parts.background && groundDrawn(out, parts.background, 'day');
      return { taken, shown: taken || !parts.background ? 1 : 0 };
    };
    const again = this.retries(o);
    let total = per;
    const run = {
      numInferenceSteps: o.numInferenceSteps,
      guidanceScale: o.guidanceScale,
      candidates: o.candidates,
      onStep:
        report &&
        ((step: number, n: number) => {
          total = n;
          report(step, n + parts.edits.length * per);
        }),
    };
    const best = await this.sampleShowing({ prompt: parts.ground, images: [], seed: o.seed }, run, false, look, again);
    const ground = best.taken ? composite(best.taken.image, best.out, maskImage(best.taken.mask, S, S)) : best.out;
    const made = await this.oneByOne(parts.edits, ground, { ...o, seed: o.seed + 1 }, total);
    const unknownWords = this.pipe.tokenizer.unknownWords(parts.ground);
    const fit = { box: { x: 0, y: 0, width: S, height: S }, width: o.width ?? S, height: o.height ?? S };
    return {
      ...made,
      image: await unfit(made.image, fit, this.resize),
      seed: o.seed,
      unknownWords: [...new Set([...unknownWords, ...made.unknownWords])],
      edits: [parts.ground, ...(made.edits ?? [])],
      ...(best.shown < 1
        ? { unshown: [parts.ground, ...(made.unshown ?? [])], tries: Math.max(1 + again, made.tries ?? 0) }
        : {}),
    };
  }

  /**
   * Several edits one after the other, each on the last answer, with seeds seed, seed + 1, … (edit's oneByOne, and a
   * style reference's named style then the edits after it); progress counts them all, after `before` steps already
   * reported (each edit's total growing where it is sampled again). `readFrom`: the first edit whose words are the
   * user's (its unknown words are reported).
   */
  private async oneByOne(
    edits: string[],
    image: RGBImage,
    o: MiniEditOptions & { seed: number },
    before = 0,
    readFrom = 0,
  ): Promise<MiniEditResult> {
    let answer = image;
    // the answer in colour, where an edit greyed it (MiniEditResult.color); none at the start: `edit` made a grey
    // picture whose colour it was given on that colour before it came here
    let color: RGBImage | undefined;
    const unknownWords = new Set<string>();
    const made: string[] = []; // each edit as made (a shape named as the picture shows it)
    const unshown: string[] = []; // those whose answer did not show all of it (MiniEditResult.unshown)
    let tries = 0; // the samples each of them was given (MiniEditResult.tries)
    // the steps of the edits made, each edit's total as it ended (it grows where the edit is sampled again)
    const per = this.pipe.progressTotal(o);
    let done = before;
    for (const [i, prompt] of edits.entries()) {
      const report = o.onStep;
      let total = per;
      const onStep =
        report &&
        ((step: number, n: number) => {
          total = n;
          report(done + step, done + n + (edits.length - 1 - i) * per);
        });
      const r = await this.edit({
        ...o,
        prompt,
        image: answer,
        color,
        seed: o.seed + i,
        oneByOne: false,
        onStep,
        previous: undefined,
      });
      [answer, color] = [r.image, r.color];
      done += total;
      made.push(r.edits?.[0] ?? prompt);
      unshown.push(...(r.unshown ?? []));
      tries = Math.max(tries, r.tries ?? 0);
      if (i >= readFrom) for (const w of r.unknownWords) unknownWords.add(w);
    }
    return {
      image: answer,
      seed: o.seed,
      unknownWords: [...unknownWords],
      edits: made,
      ...(unshown.length ? { unshown, tries } : {}),
      ...(color ? { color } : {}),
    };
  }

  /**
   * A style reference made as the named style its exemplar's shapes are drawn in (styleShown), or else the one the
   * model reads in it (readStyle), then the edits the prompt asks for after the style (editsAfterStyle), each on the
   * last answer, with seeds seed + 1, ….
   */
  private async styleByName(
    content: RGBImage,
    exemplar: RGBImage,
    o: MiniEditOptions & { seed: number },
  ): Promise<MiniEditResult> {
    const after = editsAfterStyle(this.pipe.tokenizer.asRead(o.prompt));
    const fitted = (await fitSquare(exemplar, this.resolution, this.resize)).image;
    // the style the exemplar's shapes are drawn in, or else the one the model reads in it
    const shown = styleShown(fitted, await shapesSeen(exemplar, this.resize));
    // the reading's transformer calls count as steps before the edits', so the progress runs once to its end
    const reading = shown ? 0 : STYLE_TIMES.length;
    const total = reading + (1 + after.length) * this.pipe.progressTotal(o);
    const report = o.onStep;
    const style =
      shown ?? (await readStyle(this.pipe, fitted, o.seed, report && ((done) => report(done, total)))).style;
    // the named style, then the edits after it; only theirs are the user's words (their unknown words alone)
    const made = await this.oneByOne([namedStylePrompt(style), ...after], content, o, reading, 1);
    return { ...made, style };
  }

  generate(o: Omit<MiniEditOptions, 'image'>): Promise<MiniEditResult> {
    return this.edit({ ...o, image: [] });
  }
}

/** The size of the creature a picture of the world shows off its shapes `seen` (moved.ts creatureSprite), or null. */
function creatureSizeIn(picture: RGBImage, seen: readonly SeenShape[]) {
  const sprite = creatureSprite(picture, seen);
  return sprite && creatureSize(sprite, picture.width, picture.height);
}
