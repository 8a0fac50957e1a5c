// Which of the output step's readers reads an instruction (src/mini/readers.ts): the rules of precedence between
// them, on a picture of the world.
import { describe, expect, it } from 'vitest';
import { toneEdit } from '../../src/world/tone-edits.ts';
import { backgroundAsked } from '../../src/world/phrases.ts';
import { snapFor } from '../../src/mini/readers.ts';
import { streamSamples } from '../../src/world/dataset.ts';

const model = { labels: [], grow: 1 };

describe('snapFor', () => {
  it("reads a background change for its ground, and a tone edit whose quoted label names a background as the tone's", () => {
    const s = [...streamSamples({ split: 'test', seed: 5, families: ['global'], count: 100 })].find(
      (x) => x.task === 'global.background' && x.after.background.kind === 'solid',
    )!;
    const picture = s.inputs[0]!;
    expect(snapFor(s.instruction, picture, null, [], model)?.(s.target).taken, s.instruction).not.toBeNull();
    // a quoted label's words are not the instruction's: "make it night", then a label that reads "SKY BLUE BACKGROUND"
    const tone = "make it night 'sky blue background'";
    expect([toneEdit(tone), backgroundAsked(tone)]).toEqual(['light', { kind: 'solid', color: 'sky' }]);
    expect(snapFor(tone, picture, null, [], model)).toBeNull();
  });
});
