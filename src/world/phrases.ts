// How instructions and captions are worded. Every task has several phrasings; names are chosen so that the
// object an instruction refers to is unique in the scene (scenes never hold two objects of the same colour and
// shape, and the shorter names "the red shape" / "the circle" are only used when colour or shape alone is unique).

import type { Rng } from '../engine/random.ts';
import type { SplitPolicy } from './split.ts';
import { BACKGROUND_WORDS, type BackgroundColor } from './palette.ts';
import type { Style } from './shapes.ts';
import type { Background, Scene, SceneObject } from './scene.ts';

/**
 * Fill a template: "make {obj} {color}" with vars {obj: 'the red circle', color: 'blue'}; first letter upper case.
 * With a split policy, the split's phrasings only (train and val never see the held-out templates).
 */
export function phrase(
  rng: Rng,
  templates: readonly string[],
  vars: Record<string, string>,
  policy?: SplitPolicy,
): string {
  const t = rng.pick(policy ? policy.templates(templates) : templates);
  const out = t.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`template '${t}' needs {${k}}`);
    return v;
  });
  return out
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^./, (c) => c.toUpperCase());
}

/** Adjective for an object's style ("" for filled, the default look). */
export const STYLE_ADJECTIVE: Record<Style, string> = {
  filled: '',
  outline: 'outlined',
  striped: 'striped',
  dotted: 'dotted',
};

/** The adjective a restyle of every shape says ("make all objects {…}"): the style's, "solid filled" for filled. */
export function restyleAdjective(style: Style): string {
  return STYLE_ADJECTIVE[style] || 'solid filled';
}

/** Noun phrase for a whole-scene style ("in {…} style"). */
export const STYLE_NAME: Record<Style, string> = {
  filled: 'solid filled',
  outline: 'outline',
  striped: 'striped',
  dotted: 'dotted',
};

/** "the red circle", or the shorter "the red shape" / "the circle" when that is still unique. */
export function objectName(rng: Rng, scene: Scene, o: SceneObject): string {
  const others = scene.objects.filter((p) => p.id !== o.id);
  const colorUnique = !others.some((p) => p.color === o.color);
  const shapeUnique = !others.some((p) => p.shape === o.shape);
  const r = rng.next();
  if (colorUnique && r < 0.15) return `the ${o.color} shape`;
  if (shapeUnique && r > 0.85) return `the ${o.shape}`;
  return `the ${o.color} ${o.shape}`;
}

/** "a small red striped circle" */
export function describeObject(o: Pick<SceneObject, 'size' | 'color' | 'style' | 'shape'>): string {
  return `a ${o.size} ${o.color} ${STYLE_ADJECTIVE[o.style]} ${o.shape}`.replace(/\s+/g, ' ');
}

/** "sky blue" or "a gradient from sky blue at the top to peach at the bottom" */
export function backgroundPhrase(bg: Background): string {
  if (bg.kind === 'solid') return BACKGROUND_WORDS[bg.color];
  return `a gradient from ${BACKGROUND_WORDS[bg.from]} at the top to ${BACKGROUND_WORDS[bg.to]} at the bottom`;
}

/**
 * The world's background an instruction asks for, read back from its words as backgroundPhrase writes them ("make the
 * background sky blue", "… a gradient from sky blue at the top to peach at the bottom"): one of its background colours
 * named, or two with "gradient" (the one at the top first, whichever is named first); null where the instruction does
 * not name the background, or names none of its colours or more than a gradient's.
 */
export function backgroundAsked(instruction: string): Background | null {
  const text = instruction.toLowerCase().replace(/light grey/g, 'light gray');
  if (!/\bbackground\b/.test(text)) return null;
  const named = (Object.entries(BACKGROUND_WORDS) as [BackgroundColor, string][])
    .map(([color, words]) => ({ color, at: text.search(new RegExp(`\\b${words}\\b`)), words }))
    .filter((n) => n.at >= 0)
    .sort((a, b) => a.at - b.at);
  const gradient = /\bgradient\b/.test(text);
  if (!gradient) return named.length === 1 ? { kind: 'solid', color: named[0]!.color } : null;
  if (named.length !== 2) return null;
  const [a, b] = named as [(typeof named)[0], (typeof named)[0]];
  // "… from A at the bottom to B at the top"
  const atBottom = /^\s*(at\s+)?(the\s+)?bottom/.test(text.slice(a.at + a.words.length));
  return atBottom ? { kind: 'gradient', from: b.color, to: a.color } : { kind: 'gradient', from: a.color, to: b.color };
}

/** "a sky blue background" / "a background with a gradient from ..." */
export function backgroundNoun(bg: Background): string {
  return bg.kind === 'solid' ? `a ${backgroundPhrase(bg)} background` : `a background with ${backgroundPhrase(bg)}`;
}

/** "A, B and C" */
export function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
