// Test chains, and the answers an obedient editor with its own placements gives them: what the bench's drift
// (src/bench/drift.ts) and chain verdicts (src/bench/placed.ts) must read as no fault of the editor's.
import type { RGBImage } from '../../src/image/rgb.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { render } from '../../src/world/render.ts';
import { regionRect, sceneIsValid, type Scene } from '../../src/world/scene.ts';

export const testChains = [...streamSamples({ split: 'test', seed: 5, families: ['multiturn'], count: 60 })];

/**
 * The chain's turns as an obedient editor with its own placements draws them: an added or moved shape's centre
 * mirrored within the cell named (or along one axis, where that keeps the scene valid: else the world's place), on
 * the world's 1/128 lattice; every other edit as the world's.
 * `valid`: no turn's scene so drawn has a shape off the picture's border or overlapping another thing (where it
 * does, a reader cannot be asked to find every shape).
 */
const withAt = (s: Scene, id: number, x: number, y: number): Scene => ({
  ...s,
  objects: s.objects.map((o) => (o.id === id ? { ...o, x, y } : o)),
});

export function elsewhere(c: (typeof testChains)[number]): { outs: RGBImage[]; valid: boolean } {
  const own = new Map<number, [number, number]>();
  let valid = true;
  const outs = c.turns!.map((t) => {
    const after = structuredClone(t.after);
    const e = t.edit;
    for (const o of after.objects)
      if (own.has(o.id) && !(e.op === 'move' && e.id === o.id)) [o.x, o.y] = own.get(o.id)!;
    if (e.op === 'add' || e.op === 'move') {
      const o = after.objects.find((p) => p.id === e.id)!;
      const [x0, y0, x1, y1] = regionRect(e.region);
      const [mx, my] = [x0 + x1 - o.x, y0 + y1 - o.y].map((v) => Math.round(v * 128) / 128) as [number, number];
      // the mirror, or the mirror along one axis, that keeps the scene valid and is not the world's place
      const place = [
        [mx, my],
        [mx, o.y],
        [o.x, my],
      ].find(([x, y]) => Math.hypot(x! - o.x, y! - o.y) > 0.08 && sceneIsValid(withAt(after, o.id, x!, y!)));
      own.set(o.id, (place as [number, number] | undefined) ?? [o.x, o.y]);
      [o.x, o.y] = own.get(o.id)!;
    }
    valid &&= sceneIsValid(after);
    return render(after, c.size);
  });
  return { outs, valid };
}
