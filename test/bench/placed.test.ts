// Chain turns judged with the model's own placements (src/bench/placed.ts): an editor that obeys every turn but
// puts added and moved shapes elsewhere in the cells named passes every turn, where the world's places fail it;
// a shape the editor never drew is still looked for at the world's place; a shape the editor put elsewhere must be
// gone from where it put it when a later turn removes it.
import { describe, expect, it } from 'vitest';
import { INTACT_OPS, judge } from '../../src/bench/analyze.ts';
import { OwnPlacements, type JudgedTurn } from '../../src/bench/placed.ts';
import type { RGBImage } from '../../src/image/rgb.ts';
import type { Edit } from '../../src/world/ops.ts';
import { render } from '../../src/world/render.ts';
import type { Scene } from '../../src/world/scene.ts';
import { elsewhere, testChains } from './own-places.ts';

const S = testChains[0]!.size;
const asJudged = (t: { edit: Edit; before: Scene; after: Scene }): JudgedTurn => ({
  edit: t.edit,
  scene_before: t.before,
  scene_after: t.after,
});

/** Each turn's verdict on `outs`, judged with the editor's own placements carried from turn to turn. */
function ownVerdicts(turns: JudgedTurn[], outs: RGBImage[]) {
  const placed = new OwnPlacements();
  return turns.map((t, k) => {
    const judged = placed.scenes(t);
    const v = judge(judged.edit, judged.scene_before, judged.scene_after, outs[k]!);
    placed.record(judged, outs[k]!);
    return v;
  });
}

describe('OwnPlacements', () => {
  it("passes every turn of an obedient editor with its own placements, which the world's places fail", () => {
    let worldFailed = 0;
    let placedTurns = 0;
    let chains = 0;
    for (const c of testChains) {
      const turns = c.turns!.map(asJudged);
      const { outs, valid } = elsewhere(c);
      if (!valid) continue;
      chains++;
      ownVerdicts(turns, outs).forEach((v, k) => {
        expect(v.failures, `${c.key} turn ${k + 1}: ${c.turns![k]!.instruction}`).toEqual([]);
      });
      for (const [k, t] of turns.entries()) {
        if (!judge(t.edit, t.scene_before, t.scene_after, outs[k]!).success) worldFailed++;
        if (t.edit.op === 'add' || t.edit.op === 'move') placedTurns++;
      }
    }
    expect(chains).toBeGreaterThan(40);
    expect(placedTurns).toBeGreaterThan(20);
    expect(worldFailed).toBeGreaterThan(10);
  });

  it("looks for a shape the editor never drew at the world's place, in every later turn", () => {
    let checked = 0;
    for (const c of testChains) {
      const k = c.turns!.findIndex((t) => t.edit.op === 'add');
      if (k < 0 || k === c.turns!.length - 1) continue;
      const id = (c.turns![k]!.edit as { id: number }).id;
      // the world's answers, but the added shape never drawn (it stays absent: no later turn removes the add's id)
      if (c.turns!.some((t) => t.edit.op === 'remove' && t.edit.id === id)) continue;
      const outs = c.turns!.map((t, j) =>
        j < k ? t.target : render({ ...t.after, objects: t.after.objects.filter((o) => o.id !== id) }, S),
      );
      const verdicts = ownVerdicts(c.turns!.map(asJudged), outs);
      expect(verdicts[k]!.success, c.key).toBe(false);
      const o = c.turns![k]!.after.objects.find((p) => p.id === id)!;
      const named = new RegExp(` ${o.shape}`);
      // every later turn whose check reads the shapes (local edits, backgrounds, day and night, restyles)
      const reads = (op: Edit['op']) => INTACT_OPS.has(op) || op === 'time' || op === 'style';
      for (const [j, v] of verdicts.entries())
        if (j > k && reads(c.turns![j]!.edit.op)) expect(v.failures.join('; '), c.key).toMatch(named);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('asks a later remove to clear the place the editor put the shape, not the world place', () => {
    const base: Scene = {
      ...structuredClone(testChains[0]!.turns![0]!.before),
      objects: [],
      text: null,
      character: null,
    };
    const square = { id: 7, shape: 'square', color: 'red', size: 'small', style: 'filled' } as const;
    const [world, own] = [
      { x: 0.12, y: 0.12 },
      { x: 0.3, y: 0.3 },
    ];
    const added: Scene = { ...base, objects: [{ ...square, ...world }] };
    const turns: JudgedTurn[] = [
      { edit: { op: 'add', id: 7, region: 'top left' }, scene_before: base, scene_after: added },
      { edit: { op: 'remove', id: 7 }, scene_before: added, scene_after: base },
    ];
    const ownSquare = render({ ...base, objects: [{ ...square, ...own }] }, S);
    // the editor left its square where it put it: the world's place is empty, its own is not
    expect(judge(turns[1]!.edit, added, base, ownSquare).success).toBe(true);
    const kept = ownVerdicts(turns, [ownSquare, ownSquare]);
    expect(kept[0]!.success).toBe(true);
    expect(kept[1]!.failures.join('; ')).toMatch(/old box of the small red square is \d+% background/);
    // and removing it passes
    expect(ownVerdicts(turns, [ownSquare, render(base, S)]).every((v) => v.success)).toBe(true);
  });
});
