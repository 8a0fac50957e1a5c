// The world's edits asked in other phrasings (src/world/other-phrasings.ts): read in the world's words, and nothing
// else is — not the world's own instructions (they need no other words), not its held-out phrasings (they measure
// what the model makes of words it never saw), not an edit that names more than the phrasing does.
import { describe, expect, it } from 'vitest';
import { streamSamples } from '../../src/world/dataset.ts';
import { worldPhrasing } from '../../src/world/other-phrasings.ts';
import { toneEdit } from '../../src/world/tone-edits.ts';

describe('worldPhrasing', () => {
  it('leaves every instruction of the world as it is, held-out phrasings too', () => {
    let n = 0;
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 5, count: 700 }))
        for (const t of [s, ...(s.turns ?? [])]) {
          expect(worldPhrasing(t.instruction), `${t.task}: ${t.instruction}`).toBeNull();
          n++;
        }
    expect(n).toBeGreaterThan(3000);
  });

  it("reads a restyle of every shape in other words as the world's, and nothing that names some shapes or a colour", () => {
    const cases: [string, string][] = [
      ['make all the shapes striped', 'make all objects striped'],
      ['Make every shape dotted.', 'make all objects dotted'],
      ['make the shapes outlined', 'make all objects outlined'],
      ['turn everything polka dots', 'make all objects dotted'],
      ['redraw all the objects in solid filled style', 'make all objects solid filled'],
      ['render each of the shapes in stripes', 'make all objects striped'],
    ];
    for (const [t, want] of cases) expect(worldPhrasing(t), t).toBe(want);
    for (const t of ['make all the shapes red', 'make the star striped', 'make all the red shapes dotted'])
      expect(worldPhrasing(t), t).toBeNull();
  });

  it('reads the whole picture darker or brighter as night or day, and nothing else', () => {
    for (const t of [
      'make it dark',
      'Make the picture darker.',
      'darken the image, please',
      'turn the scene dark',
      'make it a bit darker',
      'Make it look like night',
      'make everything dark',
      'Turn the lights off, please.',
      'switch off the lights',
    ])
      expect(worldPhrasing(t), t).toBe('make it night');
    for (const t of [
      'make it brighter',
      'Brighten the photo!',
      'make it day',
      'make the scene lighter please',
      'turn the lights on',
    ])
      expect(worldPhrasing(t), t).toBe('make it daytime');
    for (const t of [
      'make it slightly brighter',
      'turn it into day',
      'Change the scene to daylight',
      'make it morning',
    ])
      expect(worldPhrasing(t), t).toBe('make it daytime');
    // a thing named, a colour asked, or more than the lighting: not the whole picture's lighting
    for (const t of [
      'make the circle dark',
      'make it dark blue',
      'make it dark and remove the star',
      'make it light blue',
    ])
      expect(worldPhrasing(t), t).toBeNull();
    // and the world's night and day read as tone edits (the editor keeps the input through the model's colour map)
    expect(toneEdit(worldPhrasing('make it dark')!)).toBe('light');
    expect(toneEdit(worldPhrasing('make it brighter')!)).toBe('light');
  });

  it('reads sizes in other verbs and degrees as bigger or smaller, the thing as typed', () => {
    const cases: [string, string][] = [
      ['shrink the red circle', 'make the red circle smaller'],
      ['Scale the star down.', 'make the star smaller'],
      ['downsize the cyan shape', 'make the cyan shape smaller'],
      ['make the square half the size', 'make the square smaller'],
      ['enlarge the blue square', 'make the blue square bigger'],
      ['scale up the creature', 'make the creature bigger'],
      ['grow it', 'make it bigger'],
      ['make the circle twice as big', 'make the circle bigger'],
      ['make the circle a bit bigger', 'make the circle bigger'],
      ['make the green diamond much smaller please', 'make the green diamond smaller'],
    ];
    for (const [typed, world] of cases) expect(worldPhrasing(typed), typed).toBe(world);
  });

  it("reads a move in a direction as the world's place that way, and leaves the world's places", () => {
    const cases: [string, string][] = [
      ['move the star up', 'move the star to the top'],
      ['Move the red circle down.', 'move the red circle to the bottom'],
      ['shift the cyan shape leftwards', 'shift the cyan shape to the left'],
      ['move it right', 'move it to the right'],
      ['move the star a little to the left', 'move the star to the left'],
      ['make the star a bit more to the left', 'move the star to the left'],
      ['shift it down a bit', 'shift it to the bottom'],
      ['move the circle a little up', 'move the circle to the top'],
      ['drag the star up', 'move the star to the top'],
      ['drag the red circle to the top left', 'move the red circle to the top left'],
      ['Move the star over to the right.', 'move the star to the right'],
      ['move it over left', 'move it to the left'],
    ];
    for (const [typed, world] of cases) expect(worldPhrasing(typed), typed).toBe(world);
    for (const t of ['move the circle to the left', 'shift the circle to the top right', 'move the circle up and left'])
      expect(worldPhrasing(t), t).toBeNull();
    // a label is never read: its words are what is written
    expect(worldPhrasing("change the word 'FLUX' to 'A BIT UP'")).toBeNull();
  });
  it('reads colours, removals and wishes in other words as the world asks them', () => {
    const cases: [string, string][] = [
      ['change the pink diamond to yellow', 'make the pink diamond yellow'],
      ['Change the red circle into a blue one.', 'make the red circle blue'],
      ['fill the square with light blue', 'make the square light blue'],
      ['the circle should be blue', 'make the circle blue'],
      ['The circle should be navy.', 'make the circle navy'],
      ['I want the circle to be a bit bigger', 'make the circle bigger'],
      ['it should be night', 'make it night'],
      ['the star should be gone', 'remove the star'],
      ['the star should be in the top left', 'move the star to the top left'],
      ["I'd like the red circle to be blue", 'make the red circle blue'],
      ['I’d like the star to be gone', 'remove the star'],
      ['Could the star be on the left?', 'move the star to the left'],
      ['can the background be sky blue', 'make the background sky blue'],
      ['remove the circle from the image', 'remove the circle'],
      ["I don't want the red circle", 'remove the red circle'],
      ['i do not want the star anymore', 'remove the star'],
      ['The star should go.', 'remove the star'],
      ['the cross has to disappear', 'remove the cross'],
      ['I want the star gone', 'remove the star'],
      ['I want a red star at the top', 'add a red star at the top'],
      ['there should be a large blue circle on the left', 'add a large blue circle on the left'],
      ['Could you have a dotted shape in the center?', 'add a dotted shape in the center'],
      ['can we have a green cross on the right', 'add a green cross on the right'],
      ['recolor the circle to blue', 'make the circle blue'],
      ['Colour the pink star to green.', 'make the pink star green'],
      ['recolor the word to red', 'make the text red'],
      ['remove the colors', 'make the image grayscale'],
      ['make it grey', 'make the image grayscale'],
      ['make everything gray', 'make the image grayscale'],
      ['make the whole picture black and white', 'make the image grayscale'],
      // the scene's text with no label: the world's "the text", and "make"
      ['make the word red', 'make the text red'],
      ['color the word blue', 'make the text blue'],
      ['change the text to green', 'make the text green'],
      ['the word should be red', 'make the text red'],
      ['make the word sky blue', 'make the text sky blue'],
      ['remove the word', 'remove the text'],
    ];
    for (const [typed, world] of cases) expect(worldPhrasing(typed), typed).toBe(world);
    // not a colour, or the world's own phrasings of background, colour and labels: as typed
    for (const t of [
      'change the circle to a square',
      'change the background to sky blue',
      'change the color of the circle to blue',
      'Remove all color from the image',
      'turn the red circle blue',
      "make the word 'FLUX' red",
      "color the letters of 'FLUX' red",
      // a word after "the word" may be the label: as typed
      'make the word star red',
      'make the word STAR red',
      'make the word sky red',
      // a wish for what is no shape, or for a thing's look: as typed
      "I'd like a blue background",
      'I want a circle background',
      'I want the circle to stay',
      'recolor the circle to a square',
    ])
      expect(worldPhrasing(t), t).toBeNull();
  });
});
