// The notes on requests the world never makes (src/world/outside.ts): two edits in one instruction, and colours the
// world never draws. They name what users ask outside the world, and never fire on an instruction or caption the
// world itself writes (every family, split and chain turn); two of its chain turns joined by "and" always get one.
import { describe, expect, it } from 'vitest';
import { streamSamples } from '../../src/world/dataset.ts';
import { outsideWorldNotes, resolveIt, splitEdits, worldColors } from '../../src/world/outside.ts';
import { worldPhrasing } from '../../src/world/other-phrasings.ts';
import type { Split } from '../../src/world/split.ts';

describe('outsideWorldNotes', () => {
  it('names a background, shape or word colour the world never draws, with the ones it has', () => {
    const [bg] = outsideWorldNotes('make the background red');
    expect(bg).toBe(
      'the model has drawn backgrounds only in white, cream, sky blue, mint green, lavender, peach, light gray and sand ' +
        '(plain, or a gradient between two), so a "red" background is outside what it learnt',
    );
    expect(outsideWorldNotes('change the background to a plain light blue one')[0]).toMatch(
      /a "light blue" background is drawn as the nearest of them, "sky blue"$/,
    );
    expect(outsideWorldNotes('use a navy background')[0]).toContain('a "navy" background is drawn as');
    // the colour a few words on: "colour to …", "of the image …"
    for (const p of ['change the background colour to red', 'make the background of the image red'])
      expect(outsideWorldNotes(p)[0], p).toContain('a "red" background');
    expect(outsideWorldNotes('make the circle black')).toEqual([
      'the model draws shapes only in red, orange, yellow, green, cyan, blue, purple and pink, so a "black" circle is ' +
        'outside what it learnt',
    ]);
    expect(outsideWorldNotes('turn the stars sky blue please')[0]).toContain('a "sky blue" star');
    // a shape whatever it is, in any of the words the editor reads so (shapes.ts ANY_SHAPE_NOUNS)
    for (const p of ['make the red thing black', 'make the red item black', 'make the objects black'])
      expect(outsideWorldNotes(p)[0], p).toContain('a "black" shape is outside what it learnt');
    expect(outsideWorldNotes("make the word 'FLUX' yellow")).toEqual([
      'the model writes words only in black, red, orange, green, blue and purple, so "yellow" letters are outside what it learnt',
    ]);
  });

  it('writes a colour the world never draws as the nearest it does, said in the note', () => {
    const cases: [string, string][] = [
      ['make the circle navy', 'make the circle blue'],
      ['Turn the red cross light blue, please', 'Turn the red cross blue, please'],
      ['make the lime star teal and the square crimson', 'make the lime star cyan and the square red'],
      ["make the word 'FLUX' navy", "make the word 'FLUX' blue"],
      ['make the background blue', 'make the background sky blue'],
      ['Use a Light-Green background, please', 'Use a mint green background, please'],
      ['change the blue circle’s background to purple', 'change the blue circle’s background to lavender'],
      ['make the blue background yellow and the circle red', 'make the blue background sand and the circle red'],
      ['make the circle red and the background orange', 'make the circle red and the background peach'],
      ['make the background gray', 'make the background light gray'],
    ];
    for (const [typed, read] of cases) {
      expect(worldColors(typed), typed).toBe(read);
      expect(outsideWorldNotes(typed).join(';'), typed).toMatch(/(?:is|are) drawn as the nearest of them/);
      expect(outsideWorldNotes(read).join(';'), read).not.toMatch(/(?:is|are) (?:drawn|outside)/);
    }
    expect(outsideWorldNotes('make the circle navy')).toEqual([
      'the model draws shapes only in red, orange, yellow, green, cyan, blue, purple and pink, so a "navy" circle is ' +
        'drawn as the nearest of them, "blue"',
    ]);
    // none near: left as asked, and noted as before (a word's cyan is no colour the world writes words in); the
    // world's own colours, and colours of things that are not asked, untouched
    for (const p of [
      'make the background red',
      'make the background black',
      'make the circle black',
      "make the word 'FLUX' turquoise",
      'make the background sky blue',
      'make the circle blue',
      'make the navy circle blue',
      'change the background to a gradient from blue at the top to cream at the bottom',
    ])
      expect(worldColors(p), p).toBe(p);
  });

  it("names a colour asked of the creature, whose colours are its identity's", () => {
    expect(outsideWorldNotes('make the creature red')).toEqual([
      'the model has never recoloured the creature (its colours are its identity\'s), so a "red" creature is ' +
        'outside what it learnt',
    ]);
    expect(worldColors('make the character navy')).toBe('make the character navy'); // no nearest to ask instead
    expect(outsideWorldNotes('move the creature to the left and make it small')).toEqual([]);
  });

  it('names an edit the world never makes of its word or its creature', () => {
    expect(outsideWorldNotes('Please move the word to the top.')).toEqual([
      'the model has only recoloured words or written new ones in their place — never removed, moved or resized ' +
        'one — so "move the word to the top" is outside what it learnt',
    ]);
    // a word named by its label and moved: the editor says how it is asked (mini/word-edits.ts movedGlyph)
    expect(outsideWorldNotes("move the word 'FLUX' to the top")).toEqual([]);
    // a word named by its label taken away: the model mostly erases it, and the editor reads that
    for (const p of ["Please remove the word 'FLUX'.", 'delete the text FLUX'])
      expect(outsideWorldNotes(p), p).toEqual([
        'the model was never trained to remove a word (only to recolour words or write new ones in their place); ' +
          "asked so, with the word's place drawn blank beside the picture as a replacement's new word is drawn (and " +
          'without it in turn), it erases most words, and where its answer shows the word erased, its box is laid ' +
          'as the ground',
      ]);
    for (const p of ['move the text to the top', 'make the letters bigger', 'shrink the word', 'take the word away'])
      expect(outsideWorldNotes(p), p).toEqual([expect.stringMatching(/^the model has only recoloured words/)]);
    expect(outsideWorldNotes('remove the creature')).toEqual([
      'the model has only moved, resized or redrawn the creature — never removed it — so "remove the creature" is ' +
        'outside what it learnt',
    ]);
    // the creature's look, which is who it is: what it wears, its eyes, its markings, in the plural or another form
    for (const p of [
      'add a hat to the creature',
      "take off the character's bow",
      'give the creature big eyes',
      'put a crown on the character',
      'make the creature striped',
      'give the creature spots',
      "remove the creature's antennae",
    ])
      expect(outsideWorldNotes(p), p).toEqual([
        "the model has never changed the creature's look (its eyes, what it wears and its markings are who it is), " +
          `so "${p}" is outside what it learnt`,
      ]);
    // the creature resized where it stands: the world resizes it only as it moves it to another cell
    for (const p of [
      'make the creature large',
      'make the character big',
      'shrink the creature',
      'make the creature small in the center',
    ])
      expect(outsideWorldNotes(p), p).toEqual([
        'the model has resized the creature only while moving it to another cell ("move the creature to the left and ' +
          `make it large"), so "${p}" is outside what it learnt`,
      ]);
    // each edit of several on its own
    expect(outsideWorldNotes('remove the star and remove the text').at(-1)).toMatch(/so "remove the text" is/);
    // the world's own edits of them: nothing
    for (const p of [
      "replace the word 'FLUX' with 'HELLO'",
      'make the text red',
      'move the creature to the left and make it small',
      'make the character small and move it to the right',
      'place this character on the left and draw it large',
      'remove the red star',
      // shapes by the word, in the plural too: the edit is theirs
      'remove the circles next to the word',
      'erase the crosses above the text',
      "a small red circle and the word 'TREE' written in blue",
      // the look said, not changed: a caption, a thing added beside the creature, a hat of no creature
      'a salmon creature with sleepy eyes, a top hat and a pale belly, drawn large, on a mint green background',
      'add a red star above the creature',
      'remove the hat',
    ])
      expect(outsideWorldNotes(p), p).toEqual([]);
  });

  it('says nothing of colours the world has, or of prompts that ask no colour of a thing', () => {
    for (const p of [
      'make the background sky blue',
      'make the background light gray',
      'make the background light grey',
      'use a peach background',
      'make the circle blue',
      "make the word 'FLUX' black",
      'make the picture gray',
      'remove the red circle',
      'make it night',
      '',
    ])
      expect(outsideWorldNotes(p), p).toEqual([]);
  });

  it('names two edits joined by "and", ", then" or ";", each clause checked for colours on its own', () => {
    expect(outsideWorldNotes('make the circle blue and the background red')).toEqual([
      'the model learnt one edit per instruction, and this asks for 2 ("make the circle blue", "make the ' +
        'background red"): kontext-mini makes them one after the other, each on the last answer',
      expect.stringContaining('a "red" background'),
    ]);
    expect(outsideWorldNotes("remove the star; make the word 'CAT' red, then make it night")[0]).toContain(
      'asks for 3 ("remove the star", "make the word \'CAT\' red", "make it night")',
    );
    // several things in one edit: one edit per thing
    expect(outsideWorldNotes('remove the circle and the square')[0]).toContain(
      'asks for 2 ("remove the circle", "remove the square")',
    );
    // one edit of one thing, as the world writes it: no note
    expect(outsideWorldNotes('move the creature to the left and make it small')).toEqual([]);
  });

  it("splitEdits: the clauses as instructions, an elliptical one with the first clause's verb", () => {
    expect(splitEdits('change the circle to blue and the background to red')).toEqual([
      'change the circle to blue',
      'change the background to red',
    ]);
    expect(splitEdits('Remove the star, then make it night')).toEqual(['Remove the star', 'make it night']);
    // "it" that only the whole image can be: an edit of its own after "and" or ";" too
    expect(splitEdits('make the circle blue; make it night')).toEqual(['make the circle blue', 'make it night']);
    expect(splitEdits('remove the star and turn it grayscale')).toEqual(['remove the star', 'turn it grayscale']);
    expect(splitEdits('remove the star and make it black and white')).toEqual([
      'remove the star',
      'make it black and white',
    ]);
    // "it" after a shape's edit: that shape, as the edit left it (named by colour: the new one), an edit of its own
    expect(splitEdits('make the red circle blue, then move it up')).toEqual([
      'make the red circle blue',
      'move the blue circle up',
    ]);
    expect(splitEdits('make the circle blue and move it to the left')).toEqual([
      'make the circle blue',
      'move the circle to the left',
    ]);
    expect(splitEdits('move the red shape to the top and make it small')).toEqual([
      'move the red shape to the top',
      'make the red shape small',
    ]);
    // …but not the picture ("make it night", "make it darker"), nor a shape taken away, nor the creature's "it"
    expect(splitEdits('make the circle blue and make it darker')).toEqual(['make the circle blue', 'make it darker']);
    expect(splitEdits('remove the star, then move it left')).toEqual(['remove the star', 'move it left']);
    // an elliptical clause that says what of its thing, after one that says what of its own: its own edit
    expect(splitEdits('move the pink star to the left and the red cross to the top right')).toEqual([
      'move the pink star to the left',
      'move the red cross to the top right',
    ]);
    expect(splitEdits('make the circle bigger and the square smaller')).toEqual([
      'make the circle bigger',
      'make the square smaller',
    ]);
    // after an add, "and a <thing> <where>" is another add
    expect(splitEdits('add a small red star on the left and a blue circle at the top')).toEqual([
      'add a small red star on the left',
      'add a blue circle at the top',
    ]);
    // several things in one edit: one edit per thing, with the clause's verb and its words after the last thing
    expect(splitEdits('add a red circle and square at the top')).toEqual([
      'add a red circle at the top',
      'add a square at the top',
    ]);
    expect(splitEdits('make the circle and the square blue')).toEqual(['make the circle blue', 'make the square blue']);
    expect(splitEdits('Remove the pink star, the red cross and blue circle')).toEqual([
      'Remove the pink star',
      'Remove the red cross',
      'Remove the blue circle',
    ]);
    expect(splitEdits('change the color of both the star and the cross to blue, then make it night')).toEqual([
      'change the color of the star to blue',
      'change the color of the cross to blue',
      'make it night',
    ]);
    expect(splitEdits('remove the star and the cross and make the background red')).toEqual([
      'remove the star',
      'remove the cross',
      'make the background red',
    ]);
    // a list with commas; "… and the star too": the edit before, of the star
    expect(splitEdits('make the circle red, the square blue and the star green')).toEqual([
      'make the circle red',
      'make the square blue',
      'make the star green',
    ]);
    expect(splitEdits('change the color of the circle to blue, and the square as well')).toEqual([
      'change the color of the circle to blue',
      'change the color of the square to blue',
    ]);
    expect(splitEdits('make the circle and the square blue and the star too')).toEqual([
      'make the circle blue',
      'make the square blue',
      'make the star blue',
    ]);
    expect(splitEdits('remove the circle and the star too')).toEqual(['remove the circle', 'remove the star']);
    // a wish where the verb would be: each thing wished for (or away), each read as the world's edit after
    expect(splitEdits('I want a red star and a blue circle at the top')).toEqual([
      'I want a red star at the top',
      'I want a blue circle at the top',
    ]);
    expect(splitEdits("I don't want the circle and the square")).toEqual([
      "I don't want the circle",
      "I don't want the square",
    ]);
    expect(splitEdits('there should be a red star and a green cross').map((e) => worldPhrasing(e))).toEqual([
      'add a red star',
      'add a green cross',
    ]);
    // not a wish: one thing, or a wish of how one is
    expect(splitEdits('I want the circle and the square to be red')).toEqual([
      'I want the circle to be red',
      'I want the square to be red',
    ]);
    expect(splitEdits('I want a red star at the top')).toEqual(['I want a red star at the top']);
    // courtesy words around the command: the command is read
    expect(splitEdits('Please make the circle blue and the background red')).toEqual([
      'Please make the circle blue',
      'Please make the background red',
    ]);
    expect(splitEdits('please remove the circle and the square')).toEqual([
      'please remove the circle',
      'please remove the square',
    ]);
    // a comma before an edit's verb, after an edit; the verb of the last clause that had one
    expect(splitEdits('remove the star, make the circle red and the square blue')).toEqual([
      'remove the star',
      'make the circle red',
      'make the square blue',
    ]);
    // "them" after several things: each, as its edit left it
    expect(splitEdits('make the circle and the red square blue, then move them up')).toEqual([
      'make the circle blue',
      'make the red square blue',
      'move the circle up',
      'move the blue square up',
    ]);
    expect(splitEdits('make the circle red and the square blue and make them bigger')).toEqual([
      'make the circle red',
      'make the square blue',
      'make the circle bigger',
      'make the square bigger',
    ]);
    // …not things taken away, nor the picture's "them"
    expect(splitEdits('remove the circle and the square, then move them up')).toEqual([
      'remove the circle',
      'remove the square',
      'move them up',
    ]);
    // one edit: as it was typed
    for (const p of [
      'move the creature to the left and make it small',
      "make the word 'FLUX' red and move it left", // a word is no shape: as typed
      'make the circle blue',
      '',
      ' and make the square red', // nothing before the break: one edit, as typed
      'make the circle blue and',
      'make it black and white',
      'make the star black and white', // a colour the world never draws, but one edit
      'draw this character again, small and at the top, in a scene with a peach background and a red star',
      // things edited together, a thing before the list, a clause with nothing of its own before "the square"
      'swap the circle and the square',
      'make the circle and the square the same color',
      'move the star to the left of the circle and the square',
      'make the circle blue and the square',
      'make the star, the one at the top, blue',
      // a caption, not an edit: its "and the word …" is no elliptical edit
      "a red circle at the top and the word 'TREE' written in blue in the center",
      // the world's new scene for its creature: the things it lists are no adds of their own
      'Put the same creature at the top right of a new picture: a cream background, a small cyan dotted circle on ' +
        'the left and a medium yellow dotted cross at the top left; draw it large',
    ])
      expect(splitEdits(p), p).toEqual([p]);
  });

  it('resolveIt: "it" after the turn before is the shape that turn edited, as it left it', () => {
    expect(resolveIt('move it up', 'make the red circle blue')).toBe('move the blue circle up');
    // "it" as the world names a thing's colour or size
    expect(resolveIt('change the size of it to large', 'make the red circle blue')).toBe(
      'change the size of the blue circle to large',
    );
    expect(splitEdits('move the red star to the top and change the color of it to blue')).toEqual([
      'move the red star to the top',
      'change the color of the red star to blue',
    ]);
    // courtesy words around either: the commands are read
    expect(resolveIt('Now move it up, please', 'Please make the red circle blue.')).toBe(
      'Now move the blue circle up, please',
    );
    expect(resolveIt('make it bigger', 'Move the circle to the left.')).toBe('make the circle bigger');
    // "take" and "get" take a thing away only with "away", "out", "off", "rid of"
    expect(resolveIt('make it blue', 'take the circle to the top')).toBe('make the circle blue');
    // the turn before's last edit counts ("…, then make the square green")
    expect(resolveIt('move it to the top', 'remove the star, then make the red square green')).toBe(
      'move the green square to the top',
    );
    // "them" after several things: each
    expect(resolveIt('Now move them up, please', 'make the circle and the red square blue')).toBe(
      'move the circle up and move the blue square up',
    );
    expect(resolveIt('make them bigger', 'remove the star, make the circle red and the square blue')).toBe(
      'make the circle bigger and make the square bigger',
    );
    // as typed: no turn before, the picture's "it", a shape taken away, the creature, a word, "it" not first
    for (const [p, before] of [
      ['move it up', undefined],
      ['make it night', 'make the circle blue'],
      ['make it darker', 'make the circle blue'],
      ['move it left', 'remove the star'],
      ['move it left', 'take the star away'],
      ['move it left', 'get rid of the red star'],
      ['make it small', 'move the creature to the left'],
      ['move it left', "make the word 'FLUX' red"],
      ['make the square red', 'make the circle blue'],
      ['move them up', 'make the circle blue'], // one thing before: no "them"
      ['move them up', 'remove the circle and the star'],
    ] as const)
      expect(resolveIt(p, before), `${before} / ${p}`).toBe(p);
  });

  it('names every pair of the world\'s own chain turns joined by "and" (400 pairs)', () => {
    const lower = (t: string) => t.replace(/^./, (c) => c.toLowerCase());
    let n = 0;
    for (const s of streamSamples({ split: 'val', seed: 5, size: 32, families: ['multiturn'], count: 100 }))
      for (const [i, t] of s.turns!.slice(1).entries()) {
        const joined = `${s.turns![i]!.instruction} and ${lower(t.instruction)}`;
        expect(splitEdits(joined), joined).toEqual([s.turns![i]!.instruction, lower(t.instruction)]);
        expect(outsideWorldNotes(joined)[0], joined).toMatch(
          /^the model learnt one edit per instruction, and this asks for 2 \(/,
        );
        n++;
      }
    expect(n).toBe(400);
  });

  it('never fires on what the world writes: 2,100 samples of each split, chain turns included', () => {
    let n = 0;
    for (const split of ['train', 'val', 'test'] as Split[])
      for (const s of streamSamples({ split, seed: 3, size: 32, count: 2100 })) {
        for (const text of [s.instruction, ...(s.turns ?? []).map((t) => t.instruction)]) {
          expect(outsideWorldNotes(text), text).toEqual([]);
          expect(splitEdits(text), text).toEqual([text]);
          expect(worldColors(text), text).toBe(text);
          n++;
        }
      }
    expect(n).toBeGreaterThan(3 * 2100);
  });
});
