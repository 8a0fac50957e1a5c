// Which instructions ask only for the whole image's colour taken away or its lighting changed (src/world/tone-edits.ts):
// the output step keeps the input through the model's colour map everywhere for them, so a wrong reading would
// throw away a real local edit. The world's own instructions are read exactly, and things named are never tone edits.
import { describe, expect, it } from 'vitest';
import { streamSamples } from '../../src/world/dataset.ts';
import { toneEdit } from '../../src/world/tone-edits.ts';

describe('toneEdit', () => {
  it('reads every day/night and grayscale instruction of the world as one, and none of its other instructions', () => {
    const seen = { gray: 0, light: 0, other: 0 };
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 3, count: 700 }))
        for (const t of [s, ...(s.turns ?? [])]) {
          const want = t.task === 'global.grayscale' ? 'gray' : t.task === 'global.daynight' ? 'light' : null;
          expect(toneEdit(t.instruction), `${t.task}: ${t.instruction}`).toBe(want);
          seen[want ?? 'other']++;
        }
    expect(seen.gray).toBeGreaterThan(50);
    expect(seen.light).toBeGreaterThan(50);
    expect(seen.other).toBeGreaterThan(3000);
  });

  it('reads phrasings people type, and not an edit of a thing', () => {
    for (const t of ['make it black and white', 'Make the picture monochrome.', 'make it nighttime', 'turn it to day'])
      expect(toneEdit(t), t).not.toBeNull();
    expect(toneEdit('convert the image to greyscale')).toBe('gray');
    expect(toneEdit('show this scene at night')).toBe('light');
    for (const t of [
      'make the circle black and white',
      'make all shapes grayscale',
      'turn the crosses and the objects to night colours',
      'make the background grayscale',
      'turn the stars gray',
      "change the word 'NIGHT' to 'DAY'",
      'make the sky blue',
      'move the circle to the left',
    ])
      expect(toneEdit(t), t).toBeNull();
  });
});
