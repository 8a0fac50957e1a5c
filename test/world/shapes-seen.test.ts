// "All the shapes" as the shapes the picture shows (src/world/shapes-seen.ts): one edit per shape seen, named by its
// colour; the world's own instructions and its restyles of every shape are never read so.
import { describe, expect, it } from 'vitest';
import {
  addedShape,
  asWorldNames,
  cellAsked,
  drawnKept,
  newScene,
  eachNote,
  eachShapeSeen,
  namesEveryShape,
  namedOtherwise,
  creatureResized,
  movedShape,
  movesCreature,
  namesOtherwise,
  notThereNote,
  alreadyNote,
  besideAsked,
  besideNote,
  recoloredShape,
  removedShape,
  resizedShape,
  restyleAsked,
  type SeenShape,
  styleNamed,
  shapesKept,
  whichNote,
} from '../../src/world/shapes-seen.ts';
import { type Sample, streamSamples } from '../../src/world/dataset.ts';
import { STYLES } from '../../src/world/shapes.ts';
import { namedStylePrompt } from '../../src/mini/style-reference.ts';

/** The test split's local, global and text edits each reader below is checked on (made once for them all). */
const worldEdits = [...streamSamples({ split: 'test', seed: 5, families: ['local', 'global', 'text'], count: 600 })];
/** A sample's input shapes as the editor reads them (mini/seen.ts reads them so: test/mini/seen.test.ts). */
const seenOf = (s: Sample) => s.before!.objects.map((o) => ({ ...o, color: o.color as string }));

const seen: SeenShape[] = [
  { color: 'blue', shape: 'circle' },
  { color: 'red', shape: 'square' },
  { color: 'green', shape: 'triangle' },
  { color: 'red', shape: 'circle' },
];

describe('eachShapeSeen', () => {
  it('writes a clause that edits every shape as one edit per shape seen, with its verb and its words after', () => {
    const cases: [string, string[]][] = [
      [
        'remove all the shapes',
        ['remove the blue circle', 'remove the red square', 'remove the green triangle', 'remove the red circle'],
      ],
      ['Please make every shape red.', ['make the blue circle red', 'make the green triangle red']],
      ['remove all the red shapes', ['remove the red square', 'remove the red circle']],
      ['make all the circles green', ['make the blue circle green', 'make the red circle green']],
      ['move each of the objects to the left', seen.map((s) => `move the ${s.color} ${s.shape} to the left`)],
      ['delete all shapes', seen.map((s) => `delete the ${s.color} ${s.shape}`)],
      ['make every triangle bigger', ['make the green triangle bigger']],
      // a plural kind: every shape of it
      ['make the circles bigger', ['make the blue circle bigger', 'make the red circle bigger']],
      ['remove both circles', ['remove the blue circle', 'remove the red circle']],
      ['remove the two circles', ['remove the blue circle', 'remove the red circle']],
      ['Please make the red shapes blue.', ['make the red square blue', 'make the red circle blue']],
      ['remove the shapes', seen.map((s) => `remove the ${s.color} ${s.shape}`)],
    ];
    for (const [clause, edits] of cases) {
      expect(namesEveryShape(clause), clause).toBe(true);
      expect(eachShapeSeen(clause, seen), clause).toEqual(edits);
    }
  });

  it('leaves a restyle of every shape, other words and shapes not there as typed', () => {
    for (const clause of [
      'make all objects striped',
      'redraw all the shapes in dotted style',
      'change the style of every shape to outline',
      'make all the shapes solid filled',
      'remove all the other shapes',
      'all the shapes are red',
      'remove the circle',
      'redraw the shapes in dotted style',
      'remove the other circles',
    ]) {
      expect(namesEveryShape(clause), clause).toBe(false);
      expect(eachShapeSeen(clause, seen), clause).toBeNull();
    }
    // said before the edit runs: each edit named
    expect(eachNote(['remove the circles', 'make it night'], seen)).toBe(
      'read "remove the circles" as 2 edits of the shapes the picture shows, one after the other: "remove the blue ' +
        'circle", "remove the red circle"',
    );
    expect(eachNote(['make the circles blue'], seen)).toBe(
      'read "make the circles blue" as one edit of the shape the picture shows, "make the red circle blue"',
    );
    expect(eachNote(['remove the circle', 'make all objects striped'], seen)).toBeNull();
    // nothing to edit: no such shape, no shape at all, or every one of them already so
    expect(eachShapeSeen('remove all the stars', seen)).toBeNull();
    expect(eachShapeSeen('remove all the shapes', [])).toBeNull();
    expect(eachShapeSeen('make all the red shapes red', seen)).toBeNull();
  });

  it("never reads an instruction of the world's so", () => {
    let n = 0;
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 5, count: 700 }))
        for (const t of [s, ...(s.turns ?? [])]) {
          expect(namesEveryShape(t.instruction), `${t.task}: ${t.instruction}`).toBe(false);
          n++;
        }
    expect(n).toBeGreaterThan(3000);
  });

  it('names the shapes an edit names that the picture does not show, and what it shows', () => {
    expect(notThereNote(['make the star red'], seen)).toBe(
      'the picture shows no star (it shows a blue circle, a red square, a green triangle and a red circle), so the model will change something else or nothing',
    );
    expect(notThereNote(['remove the yellow object'], seen)).toMatch(/^the picture shows no yellow object \(it shows /);
    expect(notThereNote(['make the blue square red', 'remove the star', 'move the star up'], seen)).toMatch(
      /^the picture shows no blue square and no star \(it shows /,
    );
    // there: by shape, by colour and shape, any shape; brought by an edit; given its colour by an edit before
    for (const edits of [
      ['make the circle green'],
      ['make the large blue circle red', 'move the red square to the left'],
      ['make the shapes yellow', 'make the green shape blue'],
      ['add a red star at the top', 'make the star blue'],
      ['make the green triangle purple', 'move the purple triangle up'],
      ['remove the word', 'make the background sky blue', 'make the creature big'],
    ])
      expect(notThereNote(edits, seen), edits.join('; ')).toBeNull();
    // no shape seen: no picture of the world's, nothing to tell
    expect(notThereNote(['make the star red'], [])).toBeNull();
  });

  it('reads a move beside another shape as a move to the cell beside it, and says so', () => {
    const placed: SeenShape[] = [
      { color: 'blue', shape: 'circle', x: 0.15, y: 0.85 },
      { color: 'cyan', shape: 'square', x: 0.5, y: 0.85 },
      { color: 'green', shape: 'triangle', x: 0.8, y: 0.4 },
    ];
    const cases: [string, string][] = [
      ['move the circle to the right of the square', 'move the circle to the bottom right'],
      ['Please put the square above the circle.', 'move the square to the left'],
      ['shift the square on the left side of the triangle', 'move the square to the center'],
      ['move the blue circle under the triangle', 'move the blue circle to the bottom right'],
      // a new thing put beside one: the world's add in that cell
      ['add a small red star above the circle', 'add a small red star on the left'],
      ['put a large yellow diamond to the left of the triangle', 'add a large yellow diamond in the center'],
    ];
    for (const [typed, read] of cases) {
      expect(besideAsked(typed, placed), typed).toBe(read);
      expect(besideNote([typed], placed), typed).toMatch(
        new RegExp(`^read "${typed.replace('.', '\\.')}" as "${read}": the cell `),
      );
    }
    // and named as the picture shows it, as every edit asked is
    expect(asWorldNames('move the circle to the right of the square', placed)).toBe(
      'move the blue circle to the bottom right',
    );
    expect(besideNote(['move the circle to the right of the square'], placed)).toContain(
      'the cell to the right of the cyan square, as the world words a move or an add',
    );
    // no cell there (the square at the bottom edge): asked as typed, said
    expect(besideAsked('move the triangle below the square', placed)).toBeNull();
    expect(besideNote(['move the triangle below the square'], placed)).toBe(
      'the picture has no cell below the cyan square (it is at the edge), so "move the triangle below the square" is ' +
        'asked as typed: the model puts a thing in a cell of the picture, never beside another',
    );
    // a shape not shown, the moved shape there already, a cell named, nothing beside: not read
    for (const edit of [
      'move the circle to the right of the star',
      'move the circle to the left of the square',
      'move the circle to the right',
      'remove the circle to the right of the square',
    ]) {
      expect(besideAsked(edit, placed), edit).toBeNull();
      expect(besideNote([edit], placed), edit).toBeNull();
    }
    // the world never asks it
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 5, families: ['local', 'multiturn'], count: 300 }))
        for (const t of [s, ...(s.turns ?? [])])
          expect(besideNote([t.instruction], seenOf(s as Sample)), t.instruction).toBeNull();
  });

  it('names a shape recoloured in the colour it has already, and only that', () => {
    expect(alreadyNote(['make the blue circle blue'], seen)).toBe(
      'the blue circle is blue already: there is nothing to recolour, so the model will change something else or nothing',
    );
    expect(alreadyNote(['make the blue circle blue', 'turn the green triangle green'], seen)).toBe(
      'the blue circle is blue already, and the green triangle is green already: there is nothing to recolour, so ' +
        'the model will change something else or nothing',
    );
    // a colour the shape has not; a shape named that two fit (which one is whichNote's); no recolour
    for (const edits of [
      ['make the blue circle red'],
      ['make the circle red'],
      ['make the blue circle green'],
      ['move the blue circle to the left'],
      ['make all the shapes red'],
    ])
      expect(alreadyNote(edits, seen), edits.join('; ')).toBeNull();
    // the world never asks it
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 5, families: ['local', 'multiturn'], count: 300 }))
        for (const t of [s, ...(s.turns ?? [])])
          expect(alreadyNote([t.instruction], seenOf(s as Sample)), t.instruction).toBeNull();
  });

  it('names a shape named by its shape or colour alone by both, where exactly one shape seen fits', () => {
    const cases: [string, string][] = [
      ['remove the triangle', 'remove the green triangle'],
      ['make the square blue', 'make the red square blue'],
      ['make the green shape red', 'make the green triangle red'],
      ['move the blue shape to the left of the square', 'move the blue circle to the left of the red square'],
      ['Move the Triangle up', 'Move the green triangle up'],
      // "the object" as "the shape"
      ['make the green object red', 'make the green triangle red'],
      ['remove the blue object', 'remove the blue circle'],
      ['remove the green thing', 'remove the green triangle'],
    ];
    for (const [edit, named] of cases) {
      expect(namesOtherwise(edit), edit).toBe(true);
      expect(asWorldNames(edit, seen), edit).toBe(named);
    }
    // two circles, two red shapes, no star: as it was; and named by both, or not at all, already
    for (const edit of ['remove the circle', 'make the red shape blue', 'remove the star'])
      expect(asWorldNames(edit, seen), edit).toBe(edit);
    for (const edit of ['remove the red circle', 'remove the circles', 'add a circle at the top', 'make it night']) {
      expect(namesOtherwise(edit), edit).toBe(false);
      expect(asWorldNames(edit, seen), edit).toBe(edit);
    }
  });

  it('names a shape named with its size or style as the world does: its colour and shape, its size telling two apart', () => {
    const sized: SeenShape[] = [
      { color: 'blue', shape: 'circle', size: 'small' },
      { color: 'red', shape: 'circle', size: 'large' },
      { color: 'green', shape: 'triangle', size: 'medium' },
    ];
    const cases: [string, string][] = [
      ['remove the large circle', 'remove the red circle'],
      ['make the big circle green', 'make the red circle green'],
      ['move the small circle up', 'move the blue circle up'],
      ['remove the dotted triangle', 'remove the green triangle'],
      ['make the large red circle blue', 'make the red circle blue'],
      // the world never names a size or a style: with colour and shape named, they go whatever the picture shows
      ['remove the big striped yellow star', 'remove the yellow star'],
    ];
    for (const [edit, named] of cases) {
      expect(namesOtherwise(edit), edit).toBe(true);
      expect(asWorldNames(edit, sized), edit).toBe(named);
      expect(asWorldNames(edit, []), edit).toBe(edit.includes('yellow') || edit.includes(' red ') ? named : edit);
    }
    // other words before the noun are no name of its: as typed ("the circle" of two circles too)
    expect(asWorldNames('remove the other circle', sized)).toBe('remove the other circle');
    expect(asWorldNames('move the circle to the left of the triangle', sized)).toBe(
      'move the circle to the left of the green triangle',
    );
  });

  it("tells two shapes of one kind apart by where they are, before the noun or after it; a move's place is where it goes", () => {
    const placed: SeenShape[] = [
      { color: 'red', shape: 'circle', x: 0.2, y: 0.5 },
      { color: 'blue', shape: 'circle', x: 0.8, y: 0.3 },
      { color: 'green', shape: 'square', x: 0.5, y: 0.8 },
    ];
    const cases: [string, string][] = [
      ['remove the circle on the left', 'remove the red circle'],
      ['remove the left circle', 'remove the red circle'],
      ['remove the leftmost shape', 'remove the red circle'],
      ['make the circle on the right green', 'make the blue circle green'],
      ['make the top circle green', 'make the blue circle green'],
      ['make the lower circle bigger', 'make the red circle bigger'],
      ['remove the circle at the top left', 'remove the red circle'],
      ['remove the circle on the left side', 'remove the red circle'],
      ['remove the shape at the bottom', 'remove the green square'],
      // a move: a place after the noun is a name only before its destination
      ['move the circle on the left to the top', 'move the red circle to the top'],
      ['move the left circle up', 'move the red circle up'],
    ];
    for (const [edit, named] of cases) {
      expect(namesOtherwise(edit), edit).toBe(true);
      expect(asWorldNames(edit, placed), edit).toBe(named);
    }
    expect(namedOtherwise(['remove the circle on the left'], placed)).toEqual([
      { typed: 'the circle on the left', read: 'the red circle' },
    ]);
    // the world's moves ("put the red circle on the left instead"), a place that tells none apart (the bottom left:
    // the red circle and the green square as far): as typed; "to the left of" names no shape's place — a move
    // there is a move to the cell beside the square (besideAsked)
    for (const edit of [
      'put the circle on the left instead',
      'move the circle on the left',
      'put the red circle on the left instead',
      'remove the shape in the bottom-left corner',
    ])
      expect(asWorldNames(edit, placed), edit).toBe(edit);
    expect(asWorldNames('move the blue shape to the left of the square', placed)).toBe(
      'move the blue circle to the bottom left',
    );
    // several that fit and nothing said to tell them apart: said which there are, and how to name one
    expect(whichNote(['remove the circle'], placed)).toBe(
      'the picture shows 2 shapes "the circle" may name (a red circle and a blue circle), so the model may change ' +
        'one, several or none: say which by its colour and shape ("the red circle") or its place ("the circle on ' +
        'the left")',
    );
    expect(whichNote(['make the red shape green'], seen)).toMatch(
      /^the picture shows 2 shapes "the red shape" may name \(a red square and a red circle\)/,
    );
    // two alike (the same colour and shape): no name the model knows tells them apart, however they are told
    const twins: SeenShape[] = [
      { color: 'red', shape: 'circle', x: 0.2, y: 0.5 },
      { color: 'red', shape: 'circle', x: 0.8, y: 0.3 },
      { color: 'blue', shape: 'circle', x: 0.5, y: 0.1 },
    ];
    for (const text of [
      'the red circle',
      'the red circle on the left',
      'the large red circle',
      'the circle on the left',
    ])
      expect(whichNote([`remove ${text}`], twins), text).toBe(
        `the picture shows 2 red circles, and the model knows a shape only by its colour and shape, so for "${text}" ` +
          'it may change one, several or none',
      );
    // several that fit, one of them with a name of its own: that one suggested
    expect(whichNote(['remove the circle'], twins)).toMatch(
      /^the picture shows 3 shapes "the circle" may name \(a red circle, a red circle and a blue circle\), .* \("the blue circle"\) or its place \("the circle at the top"\)$/,
    );
    expect(whichNote(['remove the blue circle', 'remove the circle at the top'], twins)).toBeNull();
    // none with a name of its own: which there are, and that no name tells them
    const pairs = [...twins, { color: 'blue', shape: 'circle', x: 0.5, y: 0.9 }];
    expect(whichNote(['remove the circle'], pairs)).toBe(
      'the picture shows 4 shapes "the circle" may name (a red circle, a red circle, a blue circle and a blue ' +
        'circle), and the model knows a shape only by its colour and shape, so it may change one, several or none',
    );
    // one above the other: told by "at the top"
    const stacked = [
      { color: 'red', shape: 'star', x: 0.5, y: 0.8 },
      { color: 'blue', shape: 'star', x: 0.52, y: 0.2 },
    ];
    expect(whichNote(['remove the star'], stacked)).toMatch(/or its place \("the star at the bottom"\)$/);
    for (const edits of [['remove the circle on the left'], ['remove the red circle'], ['remove the square'], []])
      expect(whichNote(edits, placed), edits.join()).toBeNull();
    // no places read (a picture's shapes given without them): as typed
    const unplaced = placed.map(({ color, shape }) => ({ color, shape }));
    expect(asWorldNames('remove the circle on the left', unplaced)).toBe('remove the circle on the left');
  });
});

describe('shapesKept', () => {
  const name = (k: SeenShape[]) => k.map((s) => `${s.color} ${s.shape}`);
  it('keeps the shapes seen that no name fits; every one for an add, a word, the background, the creature moved', () => {
    const cases: [string, string[]][] = [
      ['make the red circle blue', ['blue circle', 'red square', 'green triangle']],
      ['Move the square to the bottom right', ['blue circle', 'green triangle', 'red circle']],
      ['make the red shapes blue', ['blue circle', 'green triangle']],
      ['remove the circles', ['red square', 'green triangle']],
      ['Add a small purple dotted circle at the top right', name(seen)],
      ['Make the background a gradient from light gray at the top to cream at the bottom', name(seen)],
      ["Write 'GHOST' in green instead", name(seen)],
      ["Replace 'ZEBRA' with 'KEY'", name(seen)],
      ['Move the creature to the left and make it small', name(seen)],
    ];
    for (const [edit, kept] of cases) expect(name(shapesKept(edit, seen)), edit).toEqual(kept);
  });

  it('keeps none where the edit may change any shape: a name that fits none seen, restyles, tone edits, new scenes', () => {
    for (const edit of [
      'make the yellow star blue', // not seen: a misreading, or the picture is not the world's
      'Make all objects striped',
      'Render the scene in striped style',
      'Redraw all the shapes in dotted style',
      'Turn the scene into a night scene',
      'Make the image grayscale',
      'Show this character, small, on the right on a sand background with a large purple striped circle on the left',
    ])
      expect(shapesKept(edit, seen), edit).toEqual([]);
  });

  it("never keeps a shape the world's own edit changes, and keeps every other one on most of them", () => {
    let n = 0;
    let exact = 0;
    for (const s of streamSamples({ split: 'test', seed: 5, count: 1500 })) {
      if (!s.before || s.inputs.length !== 1 || s.family === 'multiturn') continue;
      const seenHere = seenOf(s);
      const kept = shapesKept(s.instruction, seenHere);
      const after = new Map(s.after.objects.map((o) => [o.id, o]));
      const changed = s.before.objects.filter((o) => JSON.stringify(after.get(o.id)) !== JSON.stringify(o));
      for (const k of kept)
        expect(
          changed.map((o) => o.id),
          `${s.task}: ${s.instruction}`,
        ).not.toContain((k as never as { id: number }).id);
      const unchanged = s.before.objects.length - changed.length;
      if (kept.length === unchanged) exact++;
      n++;
    }
    expect(n).toBeGreaterThan(500);
    expect(exact / n).toBeGreaterThan(0.6);
  });
});

describe('movedShape', () => {
  it('is the one shape seen a move names, and nothing for another edit, a size asked too, or a name fitting two', () => {
    const cases: [string, string | null][] = [
      ['Move the red circle to the top', 'red circle'],
      ['Put the square at the bottom instead', 'red square'],
      ['Shift the green shape to the left', 'green triangle'],
      ['move the blue circle up', 'blue circle'],
      ['Move the circle to the top', null], // two circles
      ['Move the red circle to the top and make it large', null],
      ['Move the large red circle to the top', 'red circle'], // a size in the name is no size asked
      ['Move the small square to the top and make it bigger', null],
      ['make the red circle blue', null],
      ['Put a red star at the top', null],
      ['Move the creature to the left', null],
      ['Move the yellow star to the left', null], // not seen
    ];
    for (const [edit, shape] of cases) {
      const m = movedShape(edit, seen);
      expect(m && `${m.color} ${m.shape}`, edit).toBe(shape);
    }
  });

  it("is the shape each of the world's moves of a shape names, and no shape for its other edits", () => {
    let moves = 0;
    for (const s of worldEdits) {
      const seenHere = seenOf(s);
      const m = movedShape(s.instruction, seenHere) as (SeenShape & { id?: number }) | null;
      if (s.task !== 'local.move') {
        expect(m, s.instruction).toBeNull();
        continue;
      }
      expect(m?.id, s.instruction).toBe((s.edit as { id: number }).id);
      moves++;
    }
    expect(moves).toBeGreaterThan(30);
  });
});

describe('cellAsked', () => {
  it('is the last cell a move or an add names, and nothing where none is', () => {
    expect(cellAsked('move the star to the top left')).toBe('top left');
    expect(cellAsked('put the cross at the bottom instead')).toBe('bottom');
    expect(cellAsked('add a red circle in the center')).toBe('center');
    expect(cellAsked('move the circle on the left to the bottom right')).toBe('bottom right');
    expect(cellAsked('Shift the red cross to the LEFT')).toBe('left');
    expect(cellAsked('make the star blue')).toBeNull();
  });

  it("is the cell each of the world's moves and adds names", () => {
    let n = 0;
    for (const s of worldEdits.filter((x) => x.task === 'local.move' || x.task === 'local.add')) {
      expect(cellAsked(s.instruction), s.instruction).toBe((s.edit as { region: string }).region);
      n++;
    }
    expect(n).toBeGreaterThan(50);
  });
});

describe('resizedShape', () => {
  const sized: SeenShape[] = seen.map((s, i) => ({ ...s, size: (['small', 'medium', 'large', 'medium'] as const)[i] }));
  it('is the one shape seen a resize names and the size asked; nothing for another edit or a name fitting two', () => {
    const cases: [string, string | null][] = [
      ['Make the blue circle large', 'blue circle -> large'],
      ['Resize the red square so it is small', 'red square -> small'],
      ['Change the size of the green triangle to medium', 'green triangle -> medium'],
      ['make the red square bigger', 'red square -> large'], // one step from the size seen
      ['make the red circle smaller', 'red circle -> small'],
      ['make the green shape small', 'green triangle -> small'],
      ['make the green triangle bigger', null], // large already: no bigger size
      ['make the blue circle small', null], // the size it has
      ['Make the circle large', null], // two circles
      ['Make the blue circle red', null],
      ['Make the blue circle large and red', null],
      ['Move the blue circle to the top', null],
      ['Make the yellow star large', null], // not seen
      ['Add a large blue circle', null],
    ];
    for (const [edit, want] of cases) {
      const r = resizedShape(edit, sized);
      expect(r && `${r.shape.color} ${r.shape.shape} -> ${r.to}`, edit).toBe(want);
    }
  });

  it("is the shape and size each of the world's resizes asks, and nothing for its other edits", () => {
    let resizes = 0;
    for (const s of worldEdits) {
      const seenHere = seenOf(s);
      const r = resizedShape(s.instruction, seenHere);
      if (s.edit.op !== 'resize') {
        expect(r, s.instruction).toBeNull();
        continue;
      }
      expect([(r?.shape as { id?: number } | undefined)?.id, r?.to], s.instruction).toEqual([s.edit.id, s.edit.to]);
      resizes++;
    }
    expect(resizes).toBeGreaterThan(30);
  });
});

describe('removedShape', () => {
  it('is the one shape seen a removal names; nothing for another edit or a name fitting two', () => {
    const cases: [string, string | null][] = [
      ['Remove the blue circle', 'blue circle'],
      ['Get rid of the triangle', 'green triangle'],
      ['take the green shape away', 'green triangle'],
      ['Erase the red square from the picture', 'red square'],
      ['Remove the circle', null], // two circles
      ['Remove the yellow star', null], // not seen
      ['Remove the word', null],
      ['Make the blue circle red', null],
      ['Move the blue circle to the left', null],
    ];
    for (const [edit, want] of cases) {
      const r = removedShape(edit, seen);
      expect(r && `${r.color} ${r.shape}`, edit).toBe(want);
    }
  });

  it("is the shape each of the world's removals names, and nothing for its other edits", () => {
    let removals = 0;
    for (const s of worldEdits) {
      const seenHere = seenOf(s);
      const r = removedShape(s.instruction, seenHere);
      if (s.edit.op !== 'remove') {
        expect(r, s.instruction).toBeNull();
        continue;
      }
      expect((r as { id?: number } | null)?.id, s.instruction).toBe(s.edit.id);
      removals++;
    }
    expect(removals).toBeGreaterThan(20);
  });
});

describe('recoloredShape', () => {
  it('is the one shape seen a recolour names and the colour asked; nothing for another edit or a name fitting two', () => {
    const cases: [string, string | null][] = [
      ['Make the blue circle red', 'blue circle -> red'],
      ['Change the color of the green triangle to pink', 'green triangle -> pink'],
      ['recolor the square cyan', 'red square -> cyan'],
      ['Turn the green shape pink', 'green triangle -> pink'],
      ['Paint the triangle yellow', 'green triangle -> yellow'],
      ['Make the circle red', null], // two circles
      ['Make the blue circle blue', null], // the colour it has
      ['Make the blue circle small', null],
      ['Make the blue circle red and large', null],
      ['Make the yellow star red', null], // not seen
      ['Make the word red', null],
      ['Add a red circle', null],
    ];
    for (const [edit, want] of cases) {
      const r = recoloredShape(edit, seen);
      expect(r && `${r.shape.color} ${r.shape.shape} -> ${r.to}`, edit).toBe(want);
    }
  });

  it("is the shape and colour each of the world's recolours asks, and nothing for its other edits", () => {
    let recolors = 0;
    for (const s of worldEdits) {
      const seenHere = seenOf(s);
      const r = recoloredShape(s.instruction, seenHere);
      if (s.edit.op !== 'recolor') {
        expect(r, s.instruction).toBeNull();
        continue;
      }
      expect([(r?.shape as { id?: number } | undefined)?.id, r?.to], s.instruction).toEqual([s.edit.id, s.edit.to]);
      recolors++;
    }
    expect(recolors).toBeGreaterThan(30);
  });
});

describe('addedShape', () => {
  it('is the shape an add asks, its size, colour and style in any order; nothing for words it cannot read', () => {
    const cases: [string, string | null][] = [
      ['Add a large cyan dotted triangle at the bottom', 'large cyan dotted triangle'],
      ['Draw a small purple outlined cross on the left', 'small purple outline cross'],
      ['put a medium orange striped square at the top right', 'medium orange striped square'],
      ['Place a medium red cross in the center', 'medium red filled cross'], // no style named: filled
      ['add a red small circle', 'small red filled circle'],
      ['add a small red circle and a blue star', null], // two things
      ['add a small red happy circle', null], // a word it cannot read
      ['add a circle', null], // no size or colour
      ['add a small red striped dotted circle', null], // two styles
      ['move the small red circle to the top', null],
      ['make the red circle small', null],
    ];
    for (const [edit, want] of cases) {
      const r = addedShape(edit);
      expect(r && `${r.size} ${r.color} ${r.style} ${r.shape}`, edit).toBe(want);
    }
  });

  it("is the shape each of the world's adds asks, and nothing for its other edits", () => {
    let adds = 0;
    for (const s of worldEdits) {
      const r = addedShape(s.instruction);
      if (s.edit.op !== 'add') {
        expect(r, s.instruction).toBeNull();
        continue;
      }
      const o = s.after.objects.find((x) => x.id === (s.edit as { id: number }).id)!;
      expect(r, s.instruction).toEqual({ shape: o.shape, color: o.color, size: o.size, style: o.style });
      adds++;
    }
    expect(adds).toBeGreaterThan(20);
  });
});

describe('drawnKept', () => {
  it('keeps the creature unless the edit speaks of it, the word unless it speaks of text, quotes a label or writes', () => {
    const cases: [string, string][] = [
      ['make the red circle blue', 'creature word'],
      ['change the background to sky blue', 'creature word'],
      ['move the character to the top left', 'word'],
      ['make the text red', 'creature'],
      ["replace 'ZEBRA' with 'KEY'", 'creature'],
      ["write 'OWL' in red instead", 'creature'],
      ['make the creature small and the word blue', ''],
      ['make it night', ''], // the whole picture's light: theirs too
      ['show this character, small, on the right on a sand background with a large purple circle', ''], // a new scene
      ['turn the whole image into shades of gray', ''],
    ];
    for (const [edit, want] of cases) {
      const k = drawnKept(edit);
      expect([k.creature && 'creature', k.word && 'word'].filter(Boolean).join(' '), edit).toBe(want);
    }
  });

  it("keeps the creature on every world edit but the character's, the word on every one but a text edit and the creature's new scene; neither on a tone edit", () => {
    let n = 0;
    for (const s of streamSamples({ split: 'test', seed: 5, count: 700 }))
      for (const t of s.turns ?? [s]) {
        if (t.task === 't2i.caption') continue;
        const k = drawnKept(t.instruction);
        const tone = t.task === 'global.daynight' || t.task === 'global.grayscale';
        expect(k.creature, t.instruction).toBe(!t.task.startsWith('character.') && !tone);
        expect(k.word, t.instruction).toBe(!t.task.startsWith('text.') && !tone && t.task !== 'character.scene');
        n++;
      }
    expect(n).toBeGreaterThan(500);
  });
});

describe('newScene', () => {
  it('is the creature put in a new scene — the creature, a background and a shape named —, not a background change that names the creature', () => {
    const cases: [string, boolean][] = [
      ['Show this character, small, on the right on a sand background with a large purple striped circle', true],
      [
        'Put the same creature at the bottom left of a new picture: a mint green background, a large yellow diamond',
        true,
      ],
      ['make the background behind the creature peach', false],
      ['make the background peach', false],
      ['move the character to the top left', false],
      ['put a star on a sky blue background', false],
    ];
    for (const [edit, want] of cases) expect(newScene(edit), edit).toBe(want);
    let scenes = 0;
    for (const s of streamSamples({ split: 'test', seed: 5, count: 700 }))
      for (const t of s.turns ?? [s]) {
        if (t.task === 't2i.caption') continue; // a scene described with a creature in it: new too, and no picture
        expect(newScene(t.instruction), t.instruction).toBe(t.task === 'character.scene');
        scenes += t.task === 'character.scene' ? 1 : 0;
      }
    expect(scenes).toBeGreaterThan(20);
  });
});

describe('restyleAsked', () => {
  it('is the style a restyle of every shape asks; nothing for an edit of some shapes or of no style', () => {
    const cases: [string, string | null][] = [
      ['Redraw all the shapes in striped style', 'striped'],
      ['change the style of every shape to dotted', 'dotted'],
      ['Make all objects solid filled', 'filled'],
      ['make all objects outlined', 'outline'],
      ['Render the scene in outline style', 'outline'],
      ['please give every shape polka dots', 'dotted'],
      ['make each object stripy', 'striped'],
      ['make all the red shapes dotted', null], // some shapes: the world never asks it
      ['make all the crosses dotted', null],
      ['make all the large shapes outlined', null],
      ['make all objects striped or dotted', null], // two styles
      ['make all shapes red', null],
      ['Add a large cyan dotted triangle at the bottom', null],
      ['Make the star outlined', null],
    ];
    for (const [edit, want] of cases) expect(restyleAsked(edit), edit).toBe(want);
    // a few words that are a style's alone, one style
    const named: [string, string | null][] = [
      ['striped', 'striped'],
      ['polka dots', 'dotted'],
      ['solid filled style', 'filled'],
      ['outlines', 'outline'],
      ['red', null],
      ['striped red', null],
      ['striped dots', null],
    ];
    for (const [words, want] of named) expect(styleNamed(words), words).toBe(want);
    // the instruction a style reference is made with once the exemplar's style is read (mini/style-reference.ts)
    for (const style of STYLES) expect(restyleAsked(namedStylePrompt(style))).toBe(style);
  });

  it("is the style each of the world's restyles asks, and nothing for its other edits", () => {
    let restyles = 0;
    for (const s of worldEdits) {
      const r = restyleAsked(s.instruction);
      expect(r, s.instruction).toBe(s.edit.op === 'style' ? s.edit.to : null);
      if (s.edit.op === 'style') restyles++;
    }
    expect(restyles).toBeGreaterThan(30);
  });
});

describe('creatureResized', () => {
  it('reads the size a move of the creature asks, and none for a move at its size or another edit', () => {
    const cases: [string, string | null][] = [
      ['Move the creature to the top and make it large', 'large'],
      ['Place this character at the top left and draw it small', 'small'],
      ['Make the character small and move it to the right', 'small'],
      ['Move the creature to the top', null],
      ['Make the character large', null], // no move
      ['Move the red circle to the top and make it large', null],
      ['Move the creature to the top and make it large and then small', null],
      ['Show this character, small, on the right on a sand background', null],
      ['Put the same creature on the right of a new picture: a sand background, a red cross; draw it small', null],
    ];
    for (const [edit, want] of cases) expect(creatureResized(edit), edit).toBe(want);
  });

  it("is the size each of the world's placements of its creature asks, and nothing for its other edits", () => {
    let resized = 0;
    for (const s of streamSamples({ split: 'test', seed: 5, families: ['character', 'local'], count: 400 })) {
      const [a, b] = [s.before?.character, s.after.character];
      const asks = s.task === 'character.place' && a!.size !== b!.size ? b!.size : null;
      expect(creatureResized(s.instruction), s.instruction).toBe(asks);
      if (asks) resized++;
    }
    expect(resized).toBeGreaterThan(30);
  });
});

describe('movesCreature', () => {
  it('reads a move of the creature that asks no size', () => {
    for (const edit of [
      'Move the creature to the top',
      'Place this character at the top left instead',
      'shift the character left',
    ])
      expect(movesCreature(edit), edit).toBe(true);
    for (const edit of [
      'Move the creature to the top and make it large',
      'Make the character small and move it to the right',
      'Move the red circle to the top',
      'Show this character, small, on the right on a sand background',
    ])
      expect(movesCreature(edit), edit).toBe(false);
  });
});
