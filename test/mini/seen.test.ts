// The shapes a picture of the world shows, read from its pixels (src/mini/seen.ts): exactly the scene's objects on
// test inputs, by day and by night, and none in a picture that is not of the world.
import { describe, expect, it } from 'vitest';
import { createImage } from '../../src/image/rgb.ts';
import { shapesSeen } from '../../src/mini/seen.ts';
import { Rng } from '../../src/engine/random.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { asWorldNames, namesOtherwise, notThereNote, whichNote } from '../../src/world/shapes-seen.ts';

const names = (list: { color: string; shape: string }[]) => list.map((o) => `${o.color} ${o.shape}`).sort();

describe('shapesSeen', () => {
  it('reads every object of a test input, its shape and colour, and nothing else, by day and by night', async () => {
    const times = new Set<string>();
    let n = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['local', 'global', 'text'], count: 150 })) {
      const img = s.inputs[0];
      if (!img || !s.before || s.before.grayscale) continue;
      const seen = await shapesSeen(img);
      expect(names(seen), s.instruction).toEqual(names(s.before.objects));
      // and where each is: its centre within 2 pixels of 64
      for (const o of s.before.objects) {
        const at = seen.find((p) => p.color === o.color && p.shape === o.shape)!;
        expect(Math.hypot(at.x! - o.x, at.y! - o.y), `${o.color} ${o.shape}`).toBeLessThan(2 / 64);
      }
      times.add(s.before.time);
      n++;
    }
    expect(n).toBeGreaterThan(100);
    expect([...times].sort()).toEqual(['day', 'night']);
  });

  it("finds every shape the world's instructions name in their pictures, named by both as it is", async () => {
    let n = 0;
    let half = 0;
    for (const s of streamSamples({ split: 'test', seed: 7, families: ['local', 'text', 'multiturn'], count: 150 })) {
      // a chain's turn edits the turn before's target
      const turns = s.turns?.map((t, i) => ({ ...t, input: i ? s.turns![i - 1]!.target : s.inputs[0] })) ?? [
        { ...s, input: s.inputs[0] },
      ];
      for (const t of turns) {
        if (!t.input || !t.before || t.before.grayscale) continue;
        const seen = await shapesSeen(t.input);
        expect(notThereNote([t.instruction], seen), t.instruction).toBeNull();
        expect(whichNote([t.instruction], seen), t.instruction).toBeNull();
        // a shape named by its shape or colour alone ("the circle", 30 % of the world's names): the one it edits
        const o = t.before.objects.find((p) => p.id === (t.edit as { id?: number }).id);
        if (o && namesOtherwise(t.instruction)) {
          expect(asWorldNames(t.instruction, seen), t.instruction).toContain(`the ${o.color} ${o.shape}`);
          half++;
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(300);
    expect(half).toBeGreaterThan(30);
  });

  it('sees no shape in a picture not of the world, and a world picture at twice its size as at its own', async () => {
    const rng = new Rng(3);
    const noise = createImage(64, 64);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = Math.floor(rng.next() * 256);
    expect(await shapesSeen(noise)).toEqual([]);
    expect(await shapesSeen(createImage(64, 64, [200, 180, 160]))).toEqual([]);
    // a world picture at another size is read as the editor fits it
    const s = streamSamples({ split: 'test', seed: 7, families: ['local'], count: 1 }).next().value!;
    const small = s.inputs[0]!;
    const big = createImage(128, 128); // every pixel drawn 2 × 2, as a picture saved at twice the size
    for (let y = 0; y < 128; y++)
      for (let x = 0; x < 128; x++) {
        const from = ((y >> 1) * 64 + (x >> 1)) * 3;
        big.data.set(small.data.subarray(from, from + 3), (y * 128 + x) * 3);
      }
    expect(names(await shapesSeen(big))).toEqual(names(s.before!.objects));
  });
});
