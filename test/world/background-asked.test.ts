// The background an instruction asks for, read back from its words (src/world/phrases.ts backgroundAsked): the
// editor asks the model again where its answer's ground is not that background (src/mini/editor.ts retries). Every
// background the world writes is read back exactly, as is a scene's it describes (a character drawn into a new one,
// a picture from text); no other
// instruction of the world names one.
import { describe, expect, it } from 'vitest';
import { streamSamples } from '../../src/world/dataset.ts';
import { allBackgrounds } from '../../src/bench/read.ts';
import { backgroundAsked, backgroundPhrase } from '../../src/world/phrases.ts';

describe('backgroundAsked', () => {
  it('reads the background of every background change and new scene the world writes, and none elsewhere', () => {
    const seen = { background: 0, scene: 0, other: 0 };
    for (const split of ['train', 'val', 'test'] as const)
      for (const s of streamSamples({ split, seed: 3, count: 700 }))
        for (const t of s.turns ?? [s]) {
          const change = (t.edit as { op?: string } | undefined)?.op === 'background'; // a chain's turns too
          const names = change || ['character.scene', 't2i.caption'].includes(t.task);
          expect(backgroundAsked(t.instruction), `${t.task}: ${t.instruction}`).toEqual(
            names ? t.after.background : null,
          );
          seen[change ? 'background' : names ? 'scene' : 'other']++; // a scene: new or from text
        }
    expect(seen.background).toBeGreaterThan(50);
    expect(seen.scene).toBeGreaterThan(20);
    expect(seen.other).toBeGreaterThan(2000);
  });

  it('reads each of the 64 backgrounds as the world phrases it, a gradient named bottom first, and nothing it cannot', () => {
    for (const bg of allBackgrounds())
      expect(backgroundAsked(`make the background ${backgroundPhrase(bg)}`)).toEqual(bg);
    expect(backgroundAsked('a gradient background from peach at the bottom to light grey at the top')).toEqual({
      kind: 'gradient',
      from: 'gray',
      to: 'peach',
    });
    expect(backgroundAsked('make the background red')).toBeNull();
    expect(backgroundAsked('make the background peach and sand')).toBeNull();
    expect(backgroundAsked('make the circle peach')).toBeNull();
  });
});
