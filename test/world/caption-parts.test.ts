// A caption read as the edits that draw it (src/world/caption-parts.ts): every caption of the world's gives its ground
// and one add per shape, each the shape the scene holds in its region, then its word written; the creature stays in
// the ground's words; a user's caption without sizes or places gets the world's medium and free places; no ground, or
// no shape and no word: none.
import { describe, expect, it } from 'vitest';
import { captionParts, inPartsNote, sceneNote, sceneParts } from '../../src/world/caption-parts.ts';
import { backgroundPhrase, describeObject } from '../../src/world/phrases.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { regionOf, regionPhrase } from '../../src/world/scene.ts';
import { addedShape } from '../../src/world/shapes-seen.ts';

describe('captionParts', () => {
  it("reads every caption of the world as its ground and one add per shape, each the scene's, in its region", () => {
    let n = 0;
    const kinds = new Set<string>();
    for (const s of streamSamples({ split: 'test', seed: 3, families: ['t2i'], count: 120 })) {
      const parts = captionParts(s.instruction)!;
      expect(parts, s.instruction).not.toBeNull();
      const { objects, background, time, text, character } = s.after;
      // one add per shape, then the word written, then the night where the scene is at night; the ground by day
      expect(parts.edits.length, s.instruction).toBe(objects.length + (text ? 1 : 0) + (time === 'night' ? 1 : 0));
      expect(parts.edits.at(-1) === 'make it night').toBe(time === 'night');
      for (const [i, o] of objects.entries()) {
        expect(addedShape(parts.edits[i]!), parts.edits[i]).toEqual({
          shape: o.shape,
          color: o.color,
          size: o.size,
          style: o.style,
        });
        expect(parts.edits[i]!.endsWith(` ${regionPhrase(regionOf(o.x, o.y))}`), parts.edits[i]).toBe(true);
      }
      expect(parts.background).toEqual(background);
      expect(parts.ground).not.toMatch(/night/);
      // the word written after the shapes, in its colour and region; the creature stays for the model to draw with the
      // ground; no shape nor word does
      if (text) {
        expect(parts.edits[objects.length]).toBe(
          `add the word '${text.word}' in ${text.color} ${regionPhrase(regionOf(text.x, text.y))}`,
        );
        expect(parts.ground).not.toMatch(/\bword\b|'/);
      }
      if (character) expect(parts.ground).toMatch(/ creature with .*, drawn (small|large), /);
      for (const o of objects) expect(parts.ground).not.toMatch(new RegExp(`\\b${o.shape}\\b`));
      if (!text && !character)
        expect(parts.ground).toMatch(/^(An? .* background|A background with a gradient from .* at the bottom)$/);
      kinds.add([text ? 'word' : '', character ? 'creature' : '', `${objects.length}`].join(' '));
      n++;
    }
    expect(n).toBe(120);
    expect(kinds.size).toBeGreaterThan(6);
  });

  it("gives shapes said without a size or place the world's medium and free places", () => {
    expect(captionParts('a red circle and a blue square on a white background')).toEqual({
      ground: 'A white background',
      background: { kind: 'solid', color: 'white' },
      edits: ['add a medium red circle on the left', 'add a medium blue square on the right'],
    });
    expect(captionParts('A small green star on a mint green background.')?.edits).toEqual([
      'add a small green star in the center',
    ]);
    expect(captionParts('a large red star on the white background')?.edits).toEqual([
      'add a large red star in the center',
    ]);
    // places as people say them
    expect(
      captionParts('a red circle in the middle and a blue square at the top-left on a white background')?.edits,
    ).toEqual(['add a medium red circle in the center', 'add a medium blue square at the top left']);
    // a place said is kept, and no other shape is put there
    expect(captionParts('a red circle on the left and a blue square on a sky blue background, at night')).toEqual({
      ground: 'A sky blue background',
      background: { kind: 'solid', color: 'sky' },
      edits: ['add a medium red circle on the left', 'add a medium blue square in the center', 'make it night'],
    });
  });

  it('writes a word a caption names, its colour and place where said, after the shapes', () => {
    expect(captionParts("the word 'CAT' written in red on a peach background")).toEqual({
      ground: 'A peach background',
      background: { kind: 'solid', color: 'peach' },
      edits: ["add the word 'CAT' in red"],
    });
    expect(
      captionParts('A blue star and the text "HELLO" in the centre on a sand background, at night')?.edits,
    ).toEqual(['add a medium blue star in the center', "add the word 'HELLO' in the center", 'make it night']);
  });

  it('reads no caption without a shape of the world with its colour or a word, or with a ground in other words (drawn as one)', () => {
    for (const c of [
      'a peach background',
      'a circle on a peach background',
      'a red hexagon on a peach background',
      'a red hexagon',
      'a teal creature with big eyes',
      // a background spoken of otherwise than "on (or with) a … background": not drawn on another
      'a red circle, the background peach',
    ])
      expect(captionParts(c), c).toBeNull();
  });

  it('draws a caption that names no background on a white one, its verb and opening words left out', () => {
    const white = { kind: 'solid', color: 'white' };
    expect(captionParts('a red circle')).toEqual({
      ground: 'A white background',
      background: white,
      edits: ['add a medium red circle in the center'],
      unnamed: true,
    });
    expect(captionParts("Draw the word 'CAT' written in red at the top, at night")).toEqual({
      ground: 'A white background',
      background: white,
      edits: ["add the word 'CAT' in red at the top", 'make it night'],
      unnamed: true,
    });
    const added = captionParts('add a small blue square at the top left and a green star');
    expect(added?.ground).toBe('A white background'); // not "Add on a white background"
    expect(added?.edits).toEqual(['add a small blue square at the top left', 'add a medium green star in the center']);
    // one that names its ground, "on" it or "with" it: not so
    expect(captionParts('a red circle on a peach background')?.unnamed).toBeUndefined();
    expect(captionParts('a red circle with a peach background')).toEqual({
      ground: 'A peach background',
      background: { kind: 'solid', color: 'peach' },
      edits: ['add a medium red circle in the center'],
    });
  });

  it('is told before the picture is drawn so, every part quoted, a ground it does not name said; nothing for a caption drawn in one pass', () => {
    expect(inPartsNote(captionParts('a red circle on the left on a white background'))).toBe(
      'kontext-mini draws a scene from words alone poorly and a ground, an added shape and a word from its glyphs well, ' +
        'so this is drawn as its ground, then each shape added and its word written, one after the other: ' +
        '"A white background", "add a medium red circle on the left"',
    );
    expect(inPartsNote(captionParts('a red circle'))).toBe(
      'kontext-mini draws a scene from words alone poorly and a ground, an added shape and a word from its glyphs well, ' +
        'so this is drawn as its ground (it names none: white), then each shape added and its word written, one ' +
        'after the other: "A white background", "add a medium red circle in the center"',
    );
    expect(inPartsNote(captionParts('a red hexagon'))).toBeNull();
  });
});

describe('sceneParts', () => {
  it("reads every new scene of the world's as the picture's shapes removed, the ground, the creature moved, the adds", () => {
    let n = 0;
    let resized = 0;
    let worded = 0;
    for (const s of streamSamples({ split: 'test', seed: 3, families: ['character'], count: 200 })) {
      if (s.task !== 'character.scene') continue;
      const before = s.before!;
      const after = s.after;
      const c = after.character!;
      const edits = sceneParts(s.instruction, before.objects, before.character!.size, before.text?.word ?? null)!;
      expect(edits, s.instruction).not.toBeNull();
      const to = regionOf(c.x, c.y);
      // (the world's new scene keeps no word: the picture's is taken away)
      expect(after.text).toBeNull();
      expect(edits).toEqual([
        ...before.objects.map((o) => `remove the ${o.color} ${o.shape}`),
        ...(before.text ? [`remove the word '${before.text.word}'`] : []),
        `make the background ${backgroundPhrase(after.background)}`,
        `move the creature to the ${to}${c.size === before.character!.size ? '' : ` and make it ${c.size}`}`,
        ...after.objects.map((o) => `add ${describeObject(o)} ${regionPhrase(regionOf(o.x, o.y))}`),
      ]);
      resized += +(c.size !== before.character!.size);
      worded += +!!before.text;
      n++;
    }
    expect(n).toBeGreaterThan(20);
    expect(resized).toBeGreaterThan(3);
    expect(worded).toBeGreaterThan(0);
  });

  it('reads no new scene from an edit that is none, or one without a place for the creature', () => {
    const seen = [{ color: 'red', shape: 'circle' }];
    expect(sceneParts('move the creature to the left', seen, 'small')).toBeNull();
    expect(sceneParts('make the background peach', seen, 'small')).toBeNull();
    expect(
      sceneParts('show this character on a sand background with a large purple circle on the left', seen, null),
    ).toBeNull();
    expect(sceneNote(null)).toBeNull();
    // a size the creature has already is not asked again
    expect(
      sceneParts(
        'show this character, small, in the center on a sand background with a red star at the top',
        [],
        'small',
      ),
    ).toEqual(['make the background sand', 'move the creature to the center', 'add a medium red star at the top']);
  });
});
