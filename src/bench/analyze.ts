// Edit success: does an output image show the requested edit? Each check reads the edited attribute back from
// the pixels (src/bench/read.ts) and compares it with the target scene. Checks need positive evidence: "remove the
// red circle" succeeds only if its place now shows background, not merely if no red circle is found (a noise
// image has no red circle either).
//
//   recolor     an object of the new colour, same shape and size, at the object's place
//   remove      the object's old box shows the background
//   add         an object of the described colour, shape and size with its centre in the named region
//   move        that, in the named region, and the old box shows the background
//   resize      the object at its place reads as the new size
//   background  the background pixels read as the new background (all 64 backgrounds are candidates)
//   time        the background reads as the new lighting, and every object is still there under it
//   grayscale   (almost) no coloured pixel left, and the luma still follows the scene (correlation > 0.9)
//   style       every object reads as the new drawing style
//   word        the word read by template matching is the new word
//   textcolor   most glyph pixels read as the new colour
//   character   the character's identity, at its size, with its centre anywhere in the named region (the words name a
//               region, not a place); moved within its scene: its old box shows the background and the rest of the
//               scene is intact; new scene: the new background and every described object in its region
//   generate    every described object and the character in its region, the background and the word

import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { OBJECT_COLORS, TEXT_COLORS } from '../world/palette.ts';
import { inkMask } from '../world/masks.ts';
import type { Edit } from '../world/ops.ts';
import { render } from '../world/render.ts';
import { CHARACTER_SIZES } from '../world/characters.ts';
import {
  characterRect,
  itemRects,
  objectRect,
  pixelRect,
  placesIn,
  regionOf,
  regionRect,
  textRect,
  type Rect,
  type Scene,
  type SceneObject,
} from '../world/scene.ts';
import {
  dominantColor,
  findObjects,
  identityAmong,
  lit,
  pixelDistance,
  readBackground,
  readIdentity,
  readStyle,
  readWord,
  tolerance,
  type Look,
  type ObjectReading,
} from './read.ts';
import { backgroundRow } from '../world/render.ts';

export interface Verdict {
  success: boolean;
  /** what failed, for the report ("no blue circle near (0.31, 0.62)") */
  failures: string[];
}

/** An object counts as "at its place" when its centre is within this distance (fraction of the side). */
export const POSITION_TOLERANCE = 0.06;
/** A box counts as background when this share of its pixels shows the background colour. */
export const BACKGROUND_SHARE = 0.9;

/** Grayscale: a pixel counts as coloured when max - min over its channels exceeds this; at most this share may be. */
export const GRAY_SATURATION = 24;
export const GRAY_COLORED_SHARE = 0.001;

export function lookOf(scene: Scene): Look {
  return { time: scene.time, grayscale: scene.grayscale };
}

const name = (o: SceneObject): string => `${o.size} ${o.color} ${o.shape}`;
const at = (o: { x: number; y: number }): string => `(${o.x.toFixed(2)}, ${o.y.toFixed(2)})`;

/** Every reading of object o in the image, at its exact place ('place') or anywhere in its 3x3 region ('region'). */
export function objectFound(img: RGBImage, o: SceneObject, look: Look, where: 'place' | 'region'): ObjectReading[] {
  return findObjects(img, OBJECT_COLORS[o.color], look).filter(
    (f) =>
      f.shape === o.shape &&
      f.size === o.size &&
      (where === 'place' ? atPlace(f, o) : regionOf(f.x, f.y) === regionOf(o.x, o.y)),
  );
}

/** Is object o in the image, at its exact place ('place') or anywhere in its 3x3 region ('region')? */
export function objectPresent(img: RGBImage, o: SceneObject, look: Look, where: 'place' | 'region'): boolean {
  return objectFound(img, o, look, where).length > 0;
}

/** Is a reading's centre within POSITION_TOLERANCE of a place? */
export function atPlace(f: { x: number; y: number }, o: { x: number; y: number }): boolean {
  return Math.abs(f.x - o.x) <= POSITION_TOLERANCE && Math.abs(f.y - o.y) <= POSITION_TOLERANCE;
}

/** Share of the pixels in a box (an object's, a character's) that show the scene's background. */
export function backgroundShare(img: RGBImage, box: Rect, scene: Scene): number {
  const S = img.width;
  const look = lookOf(scene);
  const tol = tolerance(look);
  const [x0, y0, x1, y1] = pixelRect(box, S, 0);
  let hit = 0;
  for (let y = y0; y < y1; y++) {
    const c = lit(backgroundRow(scene.background, y, S), look);
    for (let x = x0; x < x1; x++) {
      const p = (y * S + x) * 3;
      if (pixelDistance(img, p, c) <= tol) hit++;
    }
  }
  return hit / Math.max(1, (x1 - x0) * (y1 - y0));
}

/** Background pixels of a scene (not ink of any item), every second one, as flat indices. */
export function backgroundPixels(scene: Scene, size: number): number[] {
  const ink = inkMask(scene, size);
  const out: number[] = [];
  for (let i = 0; i < ink.length; i += 2) if (!ink[i]) out.push(i);
  return out;
}

function checkBackground(img: RGBImage, scene: Scene, failures: string[]): void {
  const read = readBackground(img, backgroundPixels(scene, img.width), scene.grayscale);
  const want = JSON.stringify(scene.background);
  if (!read) failures.push('background unreadable');
  else if (JSON.stringify(read.background) !== want || read.time !== scene.time) {
    failures.push(`background reads ${JSON.stringify(read.background)} at ${read.time}, want ${want} at ${scene.time}`);
  }
}

function checkObjects(img: RGBImage, scene: Scene, where: 'place' | 'region', failures: string[]): void {
  const look = lookOf(scene);
  for (const o of scene.objects)
    if (!objectPresent(img, o, look, where))
      failures.push(`no ${name(o)} ${where === 'place' ? `near ${at(o)}` : `in the ${regionOf(o.x, o.y)}`}`);
}

/** The identity read in the scene's character box, or null. */
export function identityIn(img: RGBImage, scene: Scene): number | null {
  if (!scene.character) return null;
  return readIdentity(img, scene.character, scene.background, lookOf(scene))?.identity ?? null;
}

/**
 * Is the scene's character drawn with its identity and size anywhere its centre may lie in its 3x3 region (by the
 * world's placement rule: placesIn)?
 */
export function characterInRegion(img: RGBImage, scene: Scene): boolean {
  const c = scene.character!;
  const half = CHARACTER_SIZES[c.size] / 2;
  return identityAmong(
    img,
    c.identity,
    c.size,
    placesIn(regionRect(regionOf(c.x, c.y)), half, half),
    scene.background,
    lookOf(scene),
  );
}

function checkCharacter(img: RGBImage, scene: Scene, where: 'place' | 'region', failures: string[]): void {
  const c = scene.character!;
  if (where === 'region') {
    if (!characterInRegion(img, scene))
      failures.push(`no ${c.size} character of identity ${c.identity} in the ${regionOf(c.x, c.y)}`);
    return;
  }
  const got = identityIn(img, scene);
  if (got !== c.identity)
    failures.push(`character in ${at(c)} reads as ${got ?? 'nothing'}, want identity ${c.identity}`);
}

/**
 * Does the scene's word read, in its colour, at its place ('place': its box grown by 3 pixels) or with its centre
 * anywhere in its 3x3 region ('region': a caption says "at the bottom", as it does of its shapes and creature)?
 */
function checkWord(img: RGBImage, scene: Scene, failures: string[], where: 'place' | 'region' = 'place'): void {
  const t = scene.text!;
  const r = textRect(t);
  const [hw, hh] = [(r[2] - r[0]) / 2, (r[3] - r[1]) / 2];
  const look = lookOf(scene);
  const ink = TEXT_COLORS[t.color];
  if (where === 'place') {
    const pad = 3 / img.width;
    // the other items' boxes are not read (a shape's ink in the word's colour beside it)
    const area: Rect = [r[0] - pad, r[1] - pad, r[2] + pad, r[3] + pad];
    const got = readWord(img, area, ink, look, itemRects({ ...scene, text: null }));
    if (got !== t.word) failures.push(`text reads '${got ?? ''}', want '${t.word}'`);
    return;
  }
  // every place of the region, each box grown by 2 pixels whose outermost columns show none of the word's ink: the
  // reader reads on past its box, and a word cut by it — its centre across the region's line — is not in the region
  const pad = 2 / img.width;
  const want = lit(ink, look);
  const tol = tolerance(look);
  const S = img.width;
  const inkOn = (x: number, y0: number, y1: number): boolean => {
    for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++)
      if (x >= 0 && x < S && pixelDistance(img, (y * S + x) * 3, want) <= tol) return true;
    return false;
  };
  let got: string | null = null;
  for (const c of placesIn(regionRect(regionOf(t.x, t.y)), hw, hh)) {
    const area: Rect = [c.x - hw - pad, c.y - hh - pad, c.x + hw + pad, c.y + hh + pad];
    const read = readWord(img, area, ink, look);
    const [x0, y0, x1, y1] = [
      Math.floor(area[0] * S),
      Math.floor(area[1] * S),
      Math.ceil(area[2] * S),
      Math.ceil(area[3] * S),
    ];
    if (read === t.word && !inkOn(x0, y0, y1) && !inkOn(x1 - 1, y0, y1)) return;
    got = read ?? got;
  }
  failures.push(`text reads '${got ?? ''}', want '${t.word}' in the ${regionOf(t.x, t.y)}`);
}

function checkTextColor(img: RGBImage, scene: Scene, failures: string[]): void {
  const t = scene.text!;
  const ink = inkMask({ ...scene, objects: [], character: null }, img.width);
  const pixels: number[] = [];
  for (let i = 0; i < ink.length; i++) if (ink[i]) pixels.push(i);
  const got = dominantColor(img, pixels, TEXT_COLORS, lookOf(scene));
  if (!got || got.color !== t.color || got.share < 0.6) {
    failures.push(
      `text color reads ${got ? `${got.color} (${(got.share * 100).toFixed(0)}%)` : 'nothing'}, want ${t.color}`,
    );
  }
}

function checkStyle(img: RGBImage, scene: Scene, failures: string[]): void {
  const look = lookOf(scene);
  for (const o of scene.objects) {
    const got = readStyle(img, o, OBJECT_COLORS[o.color], look);
    // styles that draw the same pixels for this object (possible for thin shapes) cannot be told apart: accept a tie
    const wanted = got.scores[o.style];
    if (wanted < got.iou || wanted < 0.6)
      failures.push(`${name(o)} reads as ${got.style} (IoU ${got.iou.toFixed(2)}), want ${o.style}`);
  }
}

function checkGray(img: RGBImage, after: Scene, failures: string[]): void {
  const target = render(after, img.width);
  let colored = 0;
  const n = img.width * img.height;
  let sa = 0,
    sb = 0,
    saa = 0,
    sbb = 0,
    sab = 0;
  for (let i = 0; i < n; i++) {
    const p = i * 3;
    const r = img.data[p]!,
      g = img.data[p + 1]!,
      b = img.data[p + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > GRAY_SATURATION) colored++;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    const t = target.data[p]!;
    sa += y;
    sb += t;
    saa += y * y;
    sbb += t * t;
    sab += y * t;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  const corr = cov / Math.sqrt(Math.max(1e-9, (saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2)));
  if (colored > GRAY_COLORED_SHARE * n)
    failures.push(
      `${((100 * colored) / n).toFixed(1)}% of pixels still colored (want <= ${GRAY_COLORED_SHARE * 100}%)`,
    );
  if (!(corr > 0.9)) failures.push(`luma correlation with the scene ${corr.toFixed(2)} (want > 0.9)`);
}

/**
 * Does the image show the whole scene as it is: every object (but those in `except`) with its shape, colour and
 * size at its place, the word, and (unless told otherwise) the character's identity and the background?
 */
export function sceneReads(
  img: RGBImage,
  scene: Scene,
  o: { except?: number[]; background?: boolean; character?: boolean } = {},
): Verdict {
  const failures: string[] = [];
  const kept = { ...scene, objects: scene.objects.filter((p) => !o.except?.includes(p.id)) };
  checkObjects(img, kept, 'place', failures);
  if (scene.text) checkWord(img, scene, failures);
  if (scene.character && (o.character ?? true)) checkCharacter(img, scene, 'place', failures);
  if (o.background ?? true) checkBackground(img, scene, failures);
  return { success: failures.length === 0, failures };
}

/** Edits whose success also needs the rest of the scene intact. */
export const INTACT_OPS: ReadonlySet<Edit['op']> = new Set([
  'recolor',
  'remove',
  'add',
  'move',
  'resize',
  'background',
]);

/** Every op judge() has a check for; a Record so that a new op in ops.ts does not compile until it is listed. */
const JUDGED: Record<Edit['op'], true> = {
  recolor: true,
  remove: true,
  add: true,
  move: true,
  resize: true,
  background: true,
  time: true,
  grayscale: true,
  style: true,
  word: true,
  textcolor: true,
  styleref: true,
  character: true,
  generate: true,
};

/** Does judge() know this edit op? (Rows read from files are checked with this before a model runs.) */
export function isJudgedOp(op: unknown): op is Edit['op'] {
  return typeof op === 'string' && Object.hasOwn(JUDGED, op);
}

/** Judge an output against one edit (before -> after). The output must have the target's size. */
export function judge(edit: Edit, before: Scene | null, after: Scene, output: RGBImage): Verdict {
  const failures: string[] = [];
  const find = (s: Scene | null, id: number): SceneObject => {
    const o = s?.objects.find((p) => p.id === id);
    if (!o) throw new Error(`edit refers to object ${id}, which the scene lacks`);
    return o;
  };
  const gone = (box: Rect, what: string): void => {
    const share = backgroundShare(output, box, after);
    if (share < BACKGROUND_SHARE)
      failures.push(
        `old box of the ${what} is ${(share * 100).toFixed(0)}% background (want ${BACKGROUND_SHARE * 100}%)`,
      );
  };
  const goneObject = (o: SceneObject): void => gone(objectRect(o), name(o));
  const present = (o: SceneObject, where: 'place' | 'region'): void => {
    if (!objectPresent(output, o, lookOf(after), where))
      failures.push(`no ${name(o)} ${where === 'place' ? `near ${at(o)}` : `in the ${regionOf(o.x, o.y)}`}`);
  };
  switch (edit.op) {
    case 'recolor':
    case 'resize':
      present(find(after, edit.id), 'place');
      break;
    case 'remove':
      goneObject(find(before, edit.id));
      break;
    case 'add':
      present(find(after, edit.id), 'region');
      break;
    case 'move':
      present(find(after, edit.id), 'region');
      goneObject(find(before, edit.id));
      break;
    case 'background':
      checkBackground(output, after, failures);
      break;
    case 'time':
      checkBackground(output, after, failures);
      checkObjects(output, after, 'place', failures);
      break;
    case 'grayscale':
      checkGray(output, after, failures);
      break;
    case 'style':
    case 'styleref':
      checkStyle(output, after, failures);
      break;
    case 'word':
      checkWord(output, after, failures);
      break;
    case 'textcolor':
      checkTextColor(output, after, failures);
      break;
    case 'character': {
      if (!after.character) throw new Error('a character edit needs a character in the target scene');
      checkCharacter(output, after, 'region', failures);
      if (edit.newScene) {
        // a new scene described in words: its background and every described object in its region, as text-to-image
        checkBackground(output, after, failures);
        checkObjects(output, after, 'region', failures);
      } else if (before?.character) gone(characterRect(before.character), 'character');
      break;
    }
    case 'generate':
      checkBackground(output, after, failures);
      checkObjects(output, after, 'region', failures);
      if (after.text) checkWord(output, after, failures, 'region');
      if (after.character) checkCharacter(output, after, 'region', failures);
      break;
    default: {
      // no check for this op would mean no failure, and a success: refuse instead
      const op: unknown = (edit as { op?: unknown }).op;
      throw new UserError(
        `unknown edit op ${JSON.stringify(op ?? null)}: no check can judge it; ` +
          `regenerate the dataset with 'kontext bench data'`,
      );
    }
  }
  // local edits, background changes and a character moved within its scene must leave the rest of the scene as it
  // was: every object the instruction does not name at its place with its shape and colour, the word, the character
  // (unless it was the edit) and the background (unless it was the edit). A model that wipes the image cannot pass
  // a remove.
  if (INTACT_OPS.has(edit.op) || (edit.op === 'character' && !edit.newScene)) {
    const named = 'id' in edit ? [edit.id] : [];
    const rest = sceneReads(output, after, {
      except: named,
      background: edit.op !== 'background',
      character: edit.op !== 'character',
    });
    failures.push(...rest.failures.map((f) => `rest of the scene: ${f}`));
  }
  return { success: failures.length === 0, failures };
}
