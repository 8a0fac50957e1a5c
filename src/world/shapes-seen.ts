// Edits read against the shapes the picture shows (src/mini/seen.ts reads them from its pixels). The words alone
// cannot say what "all the shapes" are, nor whether "the star" is there at all.
//
// "All the shapes": the world names one thing per instruction ("remove the red circle"), so the model never saw
// "remove all the shapes": asked that way it removed every shape of a test scene in 0 of 20
// (models/kontext-mini/NOTES.md, "Shapes named as the picture shows them"). eachShapeSeen writes such a clause as
// one edit per shape seen, each named by its colour, with the clause's verb and its words after the shapes:
//
//   "remove all the shapes"      → "remove the green triangle", "remove the blue circle", …
//   "make every shape red"       → "make the green triangle red", … (not a shape that is red already)
//   "remove all the red shapes"  → the red ones;  "make all the circles blue" → the circles
//   "make the circles bigger", "remove both circles", "remove the two circles": a plural kind is every one of it
//
// Not the world's restyles ("make all objects striped", "redraw all the shapes in dotted style": one edit of the
// whole picture), nor a clause whose shapes the picture does not show (it stays as typed).
//
// A shape named by its shape or its colour alone ("remove the circle", "make the red shape blue"), or with a size or
// style ("the large circle", "the dotted red star"): the world names a shape by colour and shape nearly always ("the
// blue circle"; never a size or style), and the model acts on other names far less often — on 30 test scenes whose
// named shape was the only one of its kind, "remove the circle" was done 8 times, "remove the large circle" 9,
// "remove the blue circle" 27 (moves 5 and 14, recolours 17 and 25, "make the large circle blue" 2; NOTES.md, the
// same section). asWorldNames names it as the world does when the picture shows exactly one such shape (its size
// telling two apart), and leaves out a size or style in a name that says colour and shape whatever the picture
// shows. A place tells two of a kind apart too ("the circle on the left", "the left circle"); where nothing said
// does ("remove the circle" of two circles), the edit goes as typed and whichNote says which shapes it may name.
//
// A shape named that is not there ("make the star red" of a picture with no star): the model changes something
// else, or nothing; notThereNote says so before the edit runs.

import { bareCommand } from '../prompt/typed-text.ts';
import { CREATURE_WORDS, REMOVE, TEXT_WORDS } from './never-edits.ts';
import { isEditVerb, listed } from './outside.ts';
import { BACKGROUND_WORDS, OBJECT_COLOR_NAMES, type ObjectColor, TEXT_COLOR_NAMES } from './palette.ts';
import { type Region, REGIONS, regionOf, regionPhrase } from './scene.ts';
import { toneEdit } from './tone-edits.ts';
import { ANY_SHAPE_NOUNS, type Shape, SHAPES, SIZE_NAMES, type Size, type Style, shapeNamed } from './shapes.ts';

/** The shapes' names, for patterns ("circle|square|…"), and the world's colours. */
const SHAPE = SHAPES.join('|');
const isColor = (word: string | undefined) => (OBJECT_COLOR_NAMES as readonly (string | undefined)[]).includes(word);

/** A shape the picture shows, by its colour (one of OBJECT_COLOR_NAMES) and shape (one of SHAPES). */
export interface SeenShape {
  color: string;
  shape: string;
  /** small, medium or large, where read */
  size?: string;
  /** its centre, in fractions of the picture's width and height from the top left, where read */
  x?: number;
  y?: number;
}

/** "<verb> all (of) the [red] shapes …", "every circle", "each of the objects": the verb, the kind, the rest. */
const EVERY = new RegExp(
  String.raw`^(\p{L}+)\s+(?:all(?:\s+of)?|every|each(?:\s+of)?)\s+(?:the\s+)?(?:(\p{L}+)\s+)?(shapes?|objects?|${SHAPE})(?:e?s)?\b(.*)$`,
  'iu',
);
/** A drawing style: the world's restyle of every shape at once. */
const STYLE_WORDS = /\b(?:style|styles|outlined?|striped|dotted|filled|solid)\b/i;

/** "<verb> the [two] [red] shapes …", "both triangles", "both of the circles": every shape of a plural kind. */
const PLURAL = new RegExp(
  String.raw`^(\p{L}+)\s+(?:both\s+(?:of\s+)?(?:the\s+)?|the\s+(?:two\s+|both\s+)?)(?:(\p{L}+)\s+)?(shapes|objects|(?:${SHAPE})e?s)\b(.*)$`,
  'iu',
);

/** A clause that edits every shape of a kind: its verb, a word before the kind (a colour), the kind, the rest. */
function everyParts(clause: string): [verb: string, color: string | undefined, kind: string, rest: string] | null {
  const bare = bareCommand(clause);
  const m = EVERY.exec(bare) ?? PLURAL.exec(bare);
  if (!m || STYLE_WORDS.test(clause) || !isEditVerb(m[1]!.toLowerCase())) return null;
  // "all the red shapes": a colour or nothing before the kind ("all the other shapes" is no reading)
  const before = m[2]?.toLowerCase();
  return before === undefined || isColor(before) ? [m[1]!, m[2], m[3]!, m[4]!] : null;
}

/** Does a clause edit every shape ("remove all the shapes", "make every circle red", "make the triangles blue")? */
export const namesEveryShape = (clause: string) => everyParts(clause) !== null;

/**
 * One edit per shape of `seen` that a clause editing every shape names (above), or null when it names no such
 * shapes, or the picture shows none of them.
 */
export function eachShapeSeen(clause: string, seen: readonly SeenShape[]): string[] | null {
  const parts = everyParts(clause);
  if (!parts) return null;
  const [verb, color, kind, rest] = parts;
  const shape = (SHAPES as readonly string[]).find((s) => kind.toLowerCase().startsWith(s));
  // a colour asked that a shape already has is no edit of it ("make every shape red": not the red one)
  const asked = rest.trim().toLowerCase();
  const named = seen.filter(
    (s) =>
      (color === undefined || s.color === color.toLowerCase()) &&
      (shape === undefined || s.shape === shape) &&
      s.color !== asked,
  );
  if (named.length === 0) return null;
  return named.map((s) => `${verb} the ${s.color} ${s.shape}${rest}`);
}

/**
 * What to tell a user whose edits edit every shape of a kind ("remove all the shapes", "make the circles blue"): each
 * is made as one edit per shape the picture shows (eachShapeSeen), named; null when none is.
 */
export function eachNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  const notes = edits.flatMap((e) => {
    const each = eachShapeSeen(e, seen);
    if (!each) return [];
    const one = each.length === 1;
    return [
      `read "${e}" as ${one ? 'one edit' : `${each.length} edits`} of the shape${one ? '' : 's'} the picture shows, ` +
        `${one ? '' : 'one after the other: '}${each.map((c) => `"${c}"`).join(', ')}`,
    ];
  });
  return notes.length ? notes.join('; ') : null;
}

/** "on the left", "at the top right", "in the bottom-left corner": where a shape is, after its noun (not "… of"). */
const PLACE_AFTER = String.raw`\s+(?:on|at|in)\s+the\s+((?:top|bottom)(?:[\s-]+(?:left|right))?|left|right)(?:\s+(?:side|corner))?\b(?!\s+of\b)`;
/** "the shape", "the object", "the thing", "the item": a noun for any of the world's shapes. */
const ANY_SHAPE = ANY_SHAPE_NOUNS.join('|');
const ANY_SHAPE_NOUN = new RegExp(`^(?:${ANY_SHAPE})$`, 'i');
const anyShape = (noun: string) => ANY_SHAPE_NOUN.test(noun);
/**
 * "the red circle", "the large dotted star", "the shape", "the object", "the circles", "the left circle", "the
 * circle on the left": a thing of the picture's, named (its words before the noun, the noun, a plural's ending, a
 * place after).
 */
const NAMED = new RegExp(
  String.raw`\bthe\s+((?:(?!the\b)[\p{L}-]+\s+){0,3}?)(${SHAPE}|${ANY_SHAPE})(e?s)?\b(?:${PLACE_AFTER})?`,
  'giu',
);
/** A name's text that ends with a place after its noun: that place. */
const PLACE_AT_END = new RegExp(`(?:${PLACE_AFTER})$`, 'iu');
/**
 * Verbs after which a place is where the thing goes ("put the red circle on the left instead", the world's move;
 * "place …" adds too), not which thing it is — unlike never-edits.ts's moves, which never add.
 */
const TO_A_PLACE = /^(?:move|put|shift|place|drag|relocate|slide|push)\b/i;
/** "a red star", "an outlined circle": a thing an edit brings. */
const NEW_THING = new RegExp(String.raw`\ban?\s+(?:\p{L}+\s+){0,3}?(${SHAPE})\b`, 'giu');

/** NEW_THING without its global flag: does an edit bring a thing at all (test() keeps no state)? */
const BRINGS = new RegExp(NEW_THING.source, 'iu');

/** A NAMED match read: its noun, the colour among its words, and which shapes seen it fits ("the shape": any). */
function nameRead(m: RegExpMatchArray) {
  const shape = m[2]!.toLowerCase();
  const color = m[1]!.toLowerCase().split(/\s+/).find(isColor);
  return {
    shape,
    color,
    fits: (s: SeenShape) => (anyShape(shape) || s.shape === shape) && (!color || s.color === color),
  };
}

/** The one shape seen that a NAMED match fits, or null (none, or several). */
function oneSeen(m: RegExpMatchArray, seen: readonly SeenShape[]): SeenShape | null {
  const fits = seen.filter(nameRead(m).fits);
  return fits.length === 1 ? fits[0]! : null;
}

/**
 * A size asked with a move ("move the star up and make it large"; outside the shape's name, which may hold its size:
 * "move the large star up"): the moved shape is then not the one seen.
 */
const SIZE_ASKED = /\b(?:small|medium|large|big|bigger|smaller|tiny|huge|larger|size|grow|shrink|enlarge)\b/i;

/**
 * The one shape seen that a move names ("move the red circle to the top", "put the star on the left instead"): the
 * edit's command moves (`TO_A_PLACE`), names one shape that fits exactly one seen, and asks no size. Null otherwise.
 */
export function movedShape(edit: string, seen: readonly SeenShape[]): SeenShape | null {
  const names = [...edit.matchAll(NAMED)];
  if (!TO_A_PLACE.test(bareCommand(edit)) || names.length !== 1) return null;
  if (SIZE_ASKED.test(edit.replace(names[0]![0], ''))) return null;
  return oneSeen(names[0]!, seen);
}

/**
 * A cell of the picture as a move or an add names it: "to the top left", "at the bottom", "on the left", "in the
 * center" (the world's REGIONS, the longer names first: "top left" before "top").
 */
const CELL_NAMED = new RegExp(
  String.raw`\b(?:to|at|on|in)\s+the\s+(${[...REGIONS].sort((x, y) => y.length - x.length).join('|')})\b`,
  'gi',
);

/**
 * The cell a move or an add puts its thing in, as the world words it ("move the star to the top left", "put the
 * cross at the bottom left instead", "add a red circle in the center"): the last cell named (a name may hold a place
 * before it: "move the circle on the left to the top"), or null where none is.
 */
export function cellAsked(edit: string): Region | null {
  const named = [...edit.matchAll(CELL_NAMED)];
  return named.length ? (named.at(-1)![1]!.toLowerCase() as Region) : null;
}

/**
 * A move or an add to a place beside another thing ("move the circle to the right of the square", "put the star
 * above the cross", "add a red star below the circle"): the command up to the moved thing's name (or the new thing's
 * words), the side, and the other thing's name.
 */
const BESIDE =
  /^(\s*(?:move|shift|relocate|put|place|add|draw|insert)\s+.+?)\s+(?:(?:to|on)\s+the\s+(left|right)(?:\s+side)?\s+of|(above|over|below|under|beneath|underneath))\s+(the\s+.+?)[.!]?\s*$/i;
/** A new thing's words after its verb ("add a red star", "put a small blue circle"): an add, not a move. */
const A_NEW_THING = /^\s*\S+\s+an?\s+/i;
/** A side's step in the picture's cells (column, row): the way its place word points (PLACE_WORDS). */
const sideStep = (side: string): readonly [number, number] =>
  PLACE_WORDS[
    /^(?:above|over)$/.test(side) ? 'top' : /^(?:below|under|beneath|underneath)$/.test(side) ? 'bottom' : side
  ]!;

/**
 * A move or an add to a place beside another shape seen (BESIDE), read: the cell beside that shape's on that side
 * (null where the picture has none: the shape at its edge), the side's words and that shape; null where the words ask
 * no such edit, a name fits no one shape seen, or the moved shape is in that cell already.
 */
function besideRead(
  edit: string,
  seen: readonly SeenShape[],
): { command: string; cell: Region | null; side: string; other: SeenShape; adds: boolean } | null {
  const m = BESIDE.exec(bareCommand(edit));
  if (!m) return null;
  const adds = A_NEW_THING.test(m[1]!);
  const [moved, other] = [m[1]!, m[4]!].map((text) => {
    const names = [...text.matchAll(NAMED)];
    return names.length === 1 ? oneSeen(names[0]!, seen) : null;
  });
  if ((!adds && !moved) || !other || moved === other || other.x === undefined || other.y === undefined) return null;
  const side = (m[2] ? `to the ${m[2]} of` : m[3]!).toLowerCase();
  const [dc, dr] = sideStep((m[2] ?? m[3]!).toLowerCase());
  const at = REGIONS.indexOf(regionOf(other.x, other.y));
  const [col, row] = [(at % 3) + dc, Math.floor(at / 3) + dr];
  const cell = col < 0 || col > 2 || row < 0 || row > 2 ? null : REGIONS[row * 3 + col]!;
  if (cell && moved?.x !== undefined && moved.y !== undefined && regionOf(moved.x, moved.y) === cell) return null;
  // the world's move, "move <the thing> to the <cell>", and add, "add <a new thing> <in the cell>"
  return { command: m[1]!.trim().replace(/^\S+/, adds ? 'add' : 'move'), cell, side, other, adds };
}

/**
 * A move or an add to a place beside another shape seen, as the world asks one: to the cell beside that shape's
 * ("move the circle to the right of the square" of a square at the bottom → "move the circle to the bottom right";
 * "add a small red star above the circle" → "add a small red star on the left"). The world puts a thing in a cell of
 * the picture, never beside another, and the model, asked so, smudged both. Null where besideRead reads none, or the
 * picture has no cell there.
 */
export function besideAsked(edit: string, seen: readonly SeenShape[]): string | null {
  const read = besideRead(edit, seen);
  return read?.cell ? inCell(read, read.cell) : null;
}

/** The world's move "to the <cell>" or add "<in the cell>" for a besideRead with a cell. */
function inCell(read: { command: string; adds: boolean }, cell: Region): string {
  const to = read.adds ? regionPhrase(cell) : cell === 'center' ? 'to the center' : `to the ${cell}`;
  return `${read.command} ${to}`;
}

/**
 * What to tell a user whose moves or adds to a place beside a shape are asked in a cell (besideAsked), or cannot be
 * (the shape at the picture's edge), or null.
 */
export function besideNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  const notes = edits.flatMap((e) => {
    const read = besideRead(e, seen);
    if (!read) return [];
    const name = `the ${read.other.color} ${read.other.shape}`;
    return [
      read.cell
        ? `read "${e.trim()}" as "${inCell(read, read.cell)}": the cell ${read.side} ${name}, as the world words a move or an add (the model puts a thing in a cell of the picture, never beside another)`
        : `the picture has no cell ${read.side} ${name} (it is at the edge), so "${e.trim()}" is asked as typed: the model puts a thing in a cell of the picture, never beside another`,
    ];
  });
  return notes.length ? notes.join('; ') : null;
}

/** The one shape seen that a removal names ("remove the red circle", "get rid of the star"), or null. */
export function removedShape(edit: string, seen: readonly SeenShape[]): SeenShape | null {
  if (!REMOVE.test(bareCommand(edit).toLowerCase())) return null;
  const names = [...edit.matchAll(NAMED)];
  return names.length === 1 ? oneSeen(names[0]!, seen) : null;
}

/**
 * A resize as the world asks it: "make the red circle small", "resize the star so it is large", "change the size of
 * the cross to medium", "make the square bigger" — the words after the name say only the size.
 */
const RESIZE =
  /^(?:make|resize|change the size of)\s+(.+?)\s+(?:so it is\s+|to\s+)?(small|medium|large|bigger|smaller)$/i;

/**
 * The one shape seen that a resize names (RESIZE, in the world's words: the editor asks other phrasings so, as
 * other-phrasings.ts writes them) when its name is one shape that fits exactly one seen, and the size it asks
 * ("bigger" and "smaller": one step from the size seen). Null otherwise, or when the size asked is the one seen.
 */
export function resizedShape(edit: string, seen: readonly SeenShape[]): { shape: SeenShape; to: Size } | null {
  const m = RESIZE.exec(bareCommand(edit));
  const names = m ? [...m[1]!.matchAll(NAMED)] : [];
  if (names.length !== 1 || names[0]![0] !== m![1]) return null;
  const shape = oneSeen(names[0]!, seen);
  // the sizes in order (SIZE_NAMES): "bigger" and "smaller" one step from the size seen
  const step = SIZE_NAMES.indexOf(shape?.size as Size);
  if (!shape || step < 0) return null;
  const word = m![2]!.toLowerCase();
  const to = word === 'bigger' ? SIZE_NAMES[step + 1] : word === 'smaller' ? SIZE_NAMES[step - 1] : (word as Size);
  return to && to !== shape.size ? { shape, to } : null;
}

/**
 * A recolour as the world asks it: "make the red circle blue", "change the color of the star to pink", "recolor the
 * diamond cyan", "turn the green cross pink", "paint the star pink" — the words after the name say only the colour.
 */
const RECOLOR = /^(?:make|turn|paint|recolou?r|change the colou?r of)\s+(.+?)\s+(?:to\s+)?(\p{L}+)$/iu;

/**
 * The one shape seen that a recolour names (RECOLOR, in the world's words: the editor asks other phrasings so, as
 * other-phrasings.ts writes them) when its name is one shape that fits exactly one seen, and the world's colour it
 * asks. Null otherwise, or when the colour asked is the one seen.
 */
export function recoloredShape(edit: string, seen: readonly SeenShape[]): { shape: SeenShape; to: ObjectColor } | null {
  const read = recolorRead(edit, seen);
  return read && read.shape.color !== read.to ? read : null;
}

/** The one shape seen a recolour names and the colour it asks (recoloredShape), the shape's own colour too. */
function recolorRead(edit: string, seen: readonly SeenShape[]): { shape: SeenShape; to: ObjectColor } | null {
  const m = RECOLOR.exec(bareCommand(edit));
  const to = m?.[2]?.toLowerCase();
  const names = m && isColor(to) ? [...m[1]!.matchAll(NAMED)] : [];
  if (names.length !== 1 || names[0]![0] !== m![1]) return null;
  const shape = oneSeen(names[0]!, seen);
  return shape && { shape, to: to as ObjectColor };
}

/**
 * What to tell a user whose edit recolours a shape in the colour the picture shows it in already ("make the circle
 * blue" of a blue circle): the world never asks that, and the model answers with a guess (null when no edit does).
 */
export function alreadyNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  const same = edits.flatMap((e) => {
    const read = recolorRead(e, seen);
    return read && read.shape.color === read.to ? [`the ${read.to} ${read.shape.shape} is ${read.to} already`] : [];
  });
  return same.length
    ? `${same.join(', and ')}: there is nothing to recolour, so the model will change something else or nothing`
    : null;
}

/** The words that name a drawing style, by style ("solid filled", "outlined", "stripes", "polka dots"). */
const STYLE_OF: [Style, RegExp][] = [
  ['filled', /^(?:filled|solid)$/],
  ['outline', /^(?:outlines?|outlined)$/],
  ['striped', /^(?:striped|stripes|stripy)$/],
  ['dotted', /^(?:dotted|dots|dotty|polka)$/],
];

/** Whether a word names a drawing style (STYLE_OF). */
const isStyleWord = (w: string) => STYLE_OF.some(([, re]) => re.test(w));

/** The styles words name (STYLE_OF), each once, in STYLE_OF's order. */
const stylesIn = (words: readonly string[]) =>
  STYLE_OF.filter(([, re]) => words.some((w) => re.test(w))).map(([style]) => style);

/**
 * The one style a few words name, every word a style's ("striped", "solid filled", "polka dots"; "style" after them
 * too), or null.
 */
export function styleNamed(text: string): Style | null {
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w && w !== 'style');
  const styles = stylesIn(words);
  return styles.length === 1 && words.every(isStyleWord) ? styles[0]! : null;
}

/** A shape an edit adds: its kind, colour, size and style, in the world's words. */
export interface NewShape {
  shape: Shape;
  color: ObjectColor;
  size: Size;
  style: Style;
}
/**
 * An add as the world asks it: "add a small red circle at the top", "draw a large cyan dotted triangle at the
 * bottom", "put a medium orange outlined square on the left" — a verb that brings, "a" or "an", then the new shape's
 * size, colour and (but for filled) style, in any order, and its noun.
 */
const ADD_VERB = String.raw`^(?:add|put|draw|place)\s+an?\s+`;
const ADD = new RegExp(String.raw`${ADD_VERB}((?:\p{L}+\s+){2,3}?)(${SHAPE})\b`, 'iu');

/**
 * The shape an add asks (ADD, in the world's words): its kind, colour, size and style (filled where no style is
 * named); null for another edit, or words before the noun that are not one size, one colour and at most one style.
 */
export function addedShape(edit: string): NewShape | null {
  const m = ADD.exec(bareCommand(edit));
  if (!m || [...edit.matchAll(NEW_THING)].length !== 1) return null;
  const words = m[1]!.trim().toLowerCase().split(/\s+/);
  const sizes = words.filter((w) => SIZE_NAMES.includes(w as Size));
  const colors = words.filter(isColor);
  const styles = stylesIn(words);
  if (sizes.length !== 1 || colors.length !== 1 || styles.length > 1) return null;
  if (sizes.length + colors.length + words.filter(isStyleWord).length !== words.length) return null;
  return {
    shape: m[2]!.toLowerCase() as Shape,
    color: colors[0] as ObjectColor,
    size: sizes[0] as Size,
    style: styles[0] ?? 'filled',
  };
}

/** An edit's words but its labels (the picture's text: quoted, or in capitals), which may be colour words ('SKY'). */
export const withoutLabels = (edit: string): string => edit.replace(/'[^']*'|"[^"]*"|\b[A-Z]{2,}\b/g, ' ');

/** The world's colour words: its shapes', its words' and its backgrounds' ("sky blue" as "sky" and "blue"). */
const COLOR_WORDS = new Set(
  [...OBJECT_COLOR_NAMES, ...TEXT_COLOR_NAMES, ...Object.values(BACKGROUND_WORDS)].flatMap((c) => c.split(' ')),
);

/**
 * Whether an edit (in the world's words) asks for a colour: one of the world's colour words that does not name a thing
 * the picture has — "add a red star", "make the circle blue", "change the background to sky blue", "make the word
 * 'CAT' pink" ask one; "remove the cyan square" names a thing by its colour and asks none. An add's colours (ADD's
 * verb and "a") are asked; otherwise a colour followed by a shape's noun (a size or style between) names the shape.
 */
export function colorAsked(edit: string): boolean {
  const words = withoutLabels(edit)
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
  if (new RegExp(ADD_VERB, 'i').test(edit.trim()) && words.some((w) => COLOR_WORDS.has(w))) return true;
  return words.some((w, i) => {
    if (!COLOR_WORDS.has(w)) return false;
    let j = i + 1;
    while (j < words.length && (SIZE_NAMES.includes(words[j] as Size) || isStyleWord(words[j]!))) j++;
    return shapeNamed(words[j] ?? '') === null;
  });
}

/** Words by which an edit speaks of every shape at once. */
const EVERYTHING = /^(?:all|every|each|everything|scene)$/;

/**
 * The style a restyle of every shape asks, as the world asks it ("redraw all the shapes in striped style", "change the
 * style of every shape to dotted", "make all objects solid filled", "render the scene in outline style"): the edit
 * speaks of every shape (all, every, each, the scene) and names one style, and no colour, shape or size of its own
 * (not "make all the red shapes dotted", which the world never asks). Null otherwise.
 */
export function restyleAsked(edit: string): Style | null {
  const words = bareCommand(edit)
    .toLowerCase()
    .split(/[^\p{L}]+/u);
  if (!words.some((w) => EVERYTHING.test(w))) return null;
  if (words.some((w) => isColor(w) || SIZE_NAMES.includes(w as Size) || (shapeNamed(w) ?? 'shape') !== 'shape'))
    return null;
  const styles = stylesIn(words);
  return styles.length === 1 ? styles[0]! : null;
}

/** Whether an edit moves the creature and asks no size ("move the creature to the top", "shift the character left"). */
export function movesCreature(edit: string): boolean {
  const words = edit.toLowerCase().split(/[^\p{L}]+/u);
  return TO_A_PLACE.test(bareCommand(edit)) && words.some((w) => CREATURE_WORDS.has(w)) && !SIZE_ASKED.test(edit);
}

/**
 * The size a move of the creature asks ("move the creature to the top and make it large", "place this character on
 * the left and draw it small", "make the character small and move it to the right"): one of the creature's sizes,
 * small or large (CHARACTER_SIZES), or null for a move that asks none, no move of the creature, or the creature put
 * in a new picture.
 */
export function creatureResized(edit: string): 'small' | 'large' | null {
  const words = edit.toLowerCase().split(/[^\p{L}]+/u);
  const bare = bareCommand(edit);
  if (!words.some((w) => CREATURE_WORDS.has(w)) || !(TO_A_PLACE.test(bare) || /\band move it\b/i.test(bare)))
    return null;
  // not the creature put in a new picture ("put the same creature on the right of a new picture: …, a small red
  // cross …; draw it small"): that draws every pixel anew
  if (words.includes('new') || BRINGS.test(edit)) return null;
  const sizes = [...new Set(words.filter((w) => w === 'small' || w === 'large'))] as ('small' | 'large')[];
  const rest = words.filter((w) => w !== sizes[0]).join(' ');
  return sizes.length === 1 && !SIZE_ASKED.test(rest) ? sizes[0]! : null;
}

/**
 * What to tell a user whose edits name a shape the picture does not show (null when every one is there, or the
 * picture shows no shape at all: then it is no picture of the world's, and nothing can be told). A shape an edit
 * brings ("add a red star … and make the star blue") and a colour an edit before gives ("make the circle red, then
 * move the red circle up") count as there.
 */
export function notThereNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  if (seen.length === 0) return null;
  const brought = new Set(edits.flatMap((e) => [...e.matchAll(NEW_THING)].map((m) => m[1]!.toLowerCase())));
  const missing: string[] = [];
  for (const [i, edit] of edits.entries()) {
    for (const m of edit.matchAll(NAMED)) {
      const { shape, color, fits } = nameRead(m);
      const given = color !== undefined && edits.slice(0, i).some((e) => e.includes(shape) && e.endsWith(` ${color}`));
      const name = color ? `${color} ${shape}` : shape;
      if (!seen.some(fits) && !brought.has(shape) && !given && !missing.includes(name)) missing.push(name);
    }
  }
  if (missing.length === 0) return null;
  const shows = listed(seen.map((s) => `a ${s.color} ${s.shape}`));
  return `the picture shows no ${missing.join(' and no ')} (it shows ${shows}), so the model will change something else or nothing`;
}

/** Sizes as people say them, as the world's. */
const SIZE_WORDS: Readonly<Record<string, string>> = {
  small: 'small',
  little: 'small',
  medium: 'medium',
  large: 'large',
  big: 'large',
};
const STYLE_WORD = /^(?:solid|filled|outlined?|striped|dotted)$/;
/** Places as people say them, each the way it points: [x, y], the picture's left and top being small. */
const PLACE_WORDS: Readonly<Record<string, readonly [number, number]>> = {
  left: [-1, 0],
  leftmost: [-1, 0],
  right: [1, 0],
  rightmost: [1, 0],
  top: [0, -1],
  topmost: [0, -1],
  upper: [0, -1],
  uppermost: [0, -1],
  bottom: [0, 1],
  bottommost: [0, 1],
  lower: [0, 1],
  lowermost: [0, 1],
};
/** How much further the shape named by a place must lie that way than the next (in picture widths). */
const PLACE_MARGIN = 0.1;

/** A name's words, read: [the words before the noun, the noun, a plural's ending, the words of a place after]. */
type Naming = [before: string, noun: string, plural: string | undefined, place: string | undefined];

/**
 * The names of shapes in an edit, with the text each spans: a place after the noun of a move's ("put the circle on
 * the left instead") is where it goes, not part of its name, unless a destination follows ("move the circle on the
 * left to the top").
 */
function namings(edit: string): { text: string; at: number; naming: Naming }[] {
  const move = TO_A_PLACE.test(bareCommand(edit));
  return [...edit.matchAll(NAMED)].map((m) => {
    const [all, before, noun, plural, place] = m as unknown as [string, string, string, string?, string?];
    const at = m.index;
    const asPlace = place !== undefined && (!move || /^\s+to\s+the\b/i.test(edit.slice(at + all.length)));
    const text = asPlace || place === undefined ? all : all.slice(0, all.length - placeLength(all));
    return { text, at, naming: [before, noun, plural, asPlace ? place : undefined] };
  });
}
/** The length of the place after the noun that a name's text ends with. */
const placeLength = (text: string) => PLACE_AT_END.exec(text)?.[0].length ?? 0;

/**
 * Words before a shape's noun ("the large red", "the left") and a place after it, read when they name it otherwise
 * than the world does — by its shape or colour alone, or with a size, style or place —: its colour, size, shape
 * (undefined: "the shape") and the way its place points; null when they name it as the world does ("the red
 * circle"), name a plural, or hold other words ("the other circle").
 */
function otherName([before, noun, plural, place]: Naming) {
  const words = [...before.toLowerCase().split(/[\s-]+/), ...(place?.toLowerCase().split(/[\s-]+/) ?? [])].filter(
    Boolean,
  );
  const known = (w: string) => isColor(w) || w in SIZE_WORDS || STYLE_WORD.test(w) || w in PLACE_WORDS;
  if (plural || !words.every(known)) return null;
  const color = words.find(isColor);
  const shape = anyShape(noun) ? undefined : noun.toLowerCase();
  if (color && shape && words.length === 1) return null; // the world's own name
  const toward = words.filter((w) => w in PLACE_WORDS).map((w) => PLACE_WORDS[w]!);
  return { color, shape, size: SIZE_WORDS[words.find((w) => w in SIZE_WORDS) ?? ''], toward };
}

/**
 * The shape of `fits` furthest the way `toward` points, by a margin over the next; null when none is (or a shape
 * has no place read).
 */
function furthest(fits: readonly SeenShape[], toward: readonly (readonly [number, number])[]): SeenShape | null {
  if (fits.some((s) => s.x === undefined || s.y === undefined)) return null;
  const along = (s: SeenShape) => toward.reduce((sum, [dx, dy]) => sum + dx * s.x! + dy * s.y!, 0);
  const [first, second] = [...fits].sort((a, b) => along(b) - along(a));
  return first && (!second || along(first) - along(second) >= PLACE_MARGIN) ? first : null;
}

/**
 * The world's name ("the blue circle") for a shape named otherwise (otherName), where the picture shows exactly one
 * shape that fits (its size, then its place telling several apart), or, named with its colour and shape, whatever
 * the picture shows (the world never gives a size, style or place in a name); null when it cannot be told.
 */
function worldName(naming: Naming, seen: readonly SeenShape[]) {
  const named = fitting(naming, seen);
  if (!named) return null;
  const { color, shape, fits } = named;
  if (fits.length === 1) return `the ${fits[0]!.color} ${fits[0]!.shape}`;
  return color && shape ? `the ${color} ${shape}` : null;
}

/** A shape named otherwise (otherName) and the shapes seen that fit its name (its size, then its place, telling). */
function fitting(naming: Naming, seen: readonly SeenShape[]) {
  const named = otherName(naming);
  if (!named) return null;
  const { color, shape, size, toward } = named;
  let fits = seen.filter((s) => (!shape || s.shape === shape) && (!color || s.color === color));
  if (fits.length > 1 && size) fits = fits.filter((s) => s.size === size);
  if (fits.length > 1 && toward.length) fits = [furthest(fits, toward)].filter((s) => s !== null);
  return { color, shape, fits };
}

/**
 * What to tell a user whose edits name a shape the model cannot tell from others the picture shows: by its shape or
 * colour alone where several fit and nothing said tells them apart ("remove the triangle" of a blue and a pink one:
 * which there are, and a name that would tell one), or by a name that fits two shapes alike ("the red circle" of two
 * red circles, however it is told: the model knows a shape only by its colour and shape); null when none does.
 */
export function whichNote(edits: readonly string[], seen: readonly SeenShape[]): string | null {
  const notes = new Set<string>();
  for (const edit of edits)
    for (const { text, naming } of namings(edit)) {
      const note = alikeNote(text, naming, seen) ?? severalNote(text, naming, seen);
      if (note) notes.add(note);
    }
  return notes.size ? [...notes].join('; ') : null;
}

const ALIKE_TAIL = 'and the model knows a shape only by its colour and shape, so it may change one, several or none';
/** "the picture shows 2 red circles, and …": what the model does with a name that fits shapes alike. */
const alike = (n: number, name: string, text: string) =>
  `the picture shows ${n} ${name}s, and the model knows a shape only by its colour and shape, so for "${text}" it ` +
  'may change one, several or none';
const nameOf = (s: SeenShape) => `${s.color} ${s.shape}`;

/** A name the model is asked ("the red circle", as typed or as worldName gives it) that fits two shapes alike. */
function alikeNote(text: string, naming: Naming, seen: readonly SeenShape[]): string | null {
  const [before, noun, plural] = naming;
  const own = !plural && isColor(before.trim().toLowerCase()) ? `the ${before.trim()} ${noun}` : null;
  const asked = (worldName(naming, seen) ?? own)?.toLowerCase().split(/\s+/);
  if (!asked) return null;
  const n = seen.filter((s) => `the ${nameOf(s)}` === asked.join(' ')).length;
  return n < 2 ? null : alike(n, asked.slice(1).join(' '), text);
}

/** A shape named by its shape or colour alone that several shapes seen fit, none told apart by what was said. */
function severalNote(text: string, naming: Naming, seen: readonly SeenShape[]): string | null {
  const named = fitting(naming, seen);
  if (!named || named.fits.length < 2 || (named.color && named.shape)) return null;
  const { fits } = named;
  if (fits.every((s) => nameOf(s) === nameOf(fits[0]!))) return alike(fits.length, nameOf(fits[0]!), text);
  const shows = `the picture shows ${fits.length} shapes "${text}" may name (${listed(fits.map((s) => `a ${nameOf(s)}`))})`;
  // a fit the model can be asked for by name (the picture's only one of its colour and shape), and its place
  const one = fits.find((s) => seen.filter((t) => nameOf(t) === nameOf(s)).length === 1);
  if (!one) return `${shows}, ${ALIKE_TAIL}`;
  const where = PLACES.find(([, way]) => furthest(fits, [way]) === one)?.[0];
  const place = where ? ` or its place ("the ${named.shape ?? 'shape'} ${where}")` : '';
  return `${shows}, so the model may change one, several or none: say which by its colour and shape ("the ${nameOf(one)}")${place}`;
}

/** The places a note suggests, each the way it points. */
const PLACES: readonly [string, readonly [number, number]][] = [
  ['on the left', PLACE_WORDS.left!],
  ['on the right', PLACE_WORDS.right!],
  ['at the top', PLACE_WORDS.top!],
  ['at the bottom', PLACE_WORDS.bottom!],
];

/** Does an edit name a shape otherwise than the world does ("remove the circle", "make the large red star blue")? */
export const namesOtherwise = (edit: string) => namings(edit).some((n) => otherName(n.naming) !== null);

/**
 * An edit with each shape it names otherwise than the world does named as the world does, as the picture shows it
 * ("the circle" → "the blue circle", "the large red star" → "the red star", "the circle on the left" → "the red
 * circle": worldName), and a move or an add beside another shape one in the cell beside it (besideAsked); else as it
 * was.
 */
export function asWorldNames(typed: string, seen: readonly SeenShape[]): string {
  // a move or an add beside another shape, as one in the cell beside it
  const edit = besideAsked(typed, seen) ?? typed;
  let out = '';
  let from = 0;
  for (const { text, at, naming } of namings(edit)) {
    out += edit.slice(from, at) + (worldName(naming, seen) ?? text);
    from = at + text.length;
  }
  return out + edit.slice(from);
}

/** The shapes the edits name otherwise than the world does, each with the name asWorldNames gives it. */
export function namedOtherwise(
  edits: readonly string[],
  seen: readonly SeenShape[],
): { typed: string; read: string }[] {
  const named = edits.flatMap((e) =>
    namings(e).map(({ text, naming }) => ({ typed: text, read: worldName(naming, seen) ?? text })),
  );
  return named.filter((n, i) => n.read !== n.typed && named.findIndex((m) => m.typed === n.typed) === i);
}

/**
 * Verbs that write a word: an edit with one changes the picture's text whatever it names ("replace" is not one: it
 * replaces a background too, and a word it replaces is quoted).
 */
const WRITES = /^(?:write|rewrite|spell|rename|retitle)\b/i;

/**
 * Whether an instruction puts the picture's creature in a new scene ("show this character … on a sand background
 * with a large purple circle …", the world's character.scene): it speaks of the creature, of a background and of a
 * shape, and every pixel is drawn anew — nothing of the picture is kept but who the creature is. ("Make the background
 * behind the creature peach" names no shape: a background change.)
 */
export function newScene(edit: string): boolean {
  const words = edit.toLowerCase().split(/[^\p{L}]+/u);
  return words.some((w) => CREATURE_WORDS.has(w)) && words.includes('background') && namesAShape(edit);
}

const A_SHAPE_NAMED = new RegExp(`\\b(?:${SHAPE}|${ANY_SHAPE})(?:e?s)?\\b`, 'i');

/** Whether an instruction names a shape, of the world's or any ("a circle", "the stars", "the shape", "an object"). */
export function namesAShape(edit: string): boolean {
  return A_SHAPE_NAMED.test(edit);
}

/**
 * Whether an edit leaves the picture's creature and its word alone, for the editor to keep them as the picture has
 * them (mini/kept-drawn.ts): the creature unless the edit speaks of it (the world's placements and new scenes), the
 * word unless the edit speaks of text, quotes a label or writes; neither for a tone edit (tone-edits.ts: day and
 * night, grayscale) nor for the creature put in a new scene (a new background: the picture's word is not in it).
 */
export function drawnKept(edit: string): { creature: boolean; word: boolean } {
  // a tone edit changes the whole picture's light or colour, theirs too
  if (toneEdit(edit)) return { creature: false, word: false };
  const words = edit.toLowerCase().split(/[^\p{L}]+/u);
  const has = (set: ReadonlySet<string>) => words.some((w) => set.has(w));
  if (newScene(edit)) return { creature: false, word: false };
  return {
    creature: !has(CREATURE_WORDS),
    word: !has(TEXT_WORDS) && !/['"‘’“”]/.test(edit) && !WRITES.test(bareCommand(edit)),
  };
}

/**
 * The shapes seen that an edit leaves alone, for the editor to keep as the picture has them (preserve.ts keptShapesMask):
 * with shapes named ("make the yellow shape orange", "move the cross to the top"), the shapes seen that no name
 * fits; with none named, every shape seen where the edit adds a thing ("add a small blue star"), edits a word or the
 * background, or moves or resizes the creature. None — the edit may change any — where a name fits no shape seen
 * (a misreading), and for restyles ("make all objects striped"), tone edits ("make it night") and a creature's new
 * scene ("show this character … on a sand background with …").
 */
export function shapesKept(edit: string, seen: readonly SeenShape[]): SeenShape[] {
  const named = new Set<SeenShape>();
  for (const m of edit.matchAll(NAMED)) {
    const fits = seen.filter(nameRead(m).fits);
    if (fits.length === 0) return [];
    for (const s of fits) named.add(s);
  }
  if (named.size) return seen.filter((s) => !named.has(s));
  const words = edit.toLowerCase().split(/[^\p{L}]+/u);
  const has = (set: ReadonlySet<string>) => words.some((w) => set.has(w));
  const adds = BRINGS.test(edit);
  const background = words.includes('background');
  if (STYLE_WORDS.test(edit) && !adds) return [];
  if (has(CREATURE_WORDS)) return adds || background ? [] : [...seen];
  return adds || background || has(TEXT_WORDS) || /'[^']+'/.test(edit) ? [...seen] : [];
}
