// Drift over a chain (src/bench/drift.ts): the strict reading counts what the world's own placements changed, the
// licensed one also frees the places an add or a move could put its shape. An editor that obeys every turn but puts
// added and moved shapes elsewhere in the cells named drifts 0 dB by the licensed reading and not by the strict one;
// the world's own answers drift by neither; an answer that disturbs the picture drifts by both.
import { describe, expect, it } from 'vitest';
import { ChainDrift } from '../../src/bench/drift.ts';
import { MAX_PSNR } from '../../src/bench/metrics.ts';
import { editMask, placeMask } from '../../src/world/masks.ts';
import { render } from '../../src/world/render.ts';
import { objectRect, pixelRect, type Scene } from '../../src/world/scene.ts';
import { elsewhere, testChains } from './own-places.ts';

const chains = testChains;
const S = chains[0]!.size;
const capped = (v: number | null) => v ?? MAX_PSNR;

describe('placeMask', () => {
  it('holds every shape an add or a move of the world puts in the cell it names, and little else', () => {
    let n = 0;
    for (const c of chains)
      for (const t of c.turns!) {
        const e = t.edit;
        if (e.op !== 'add' && e.op !== 'move') continue;
        const m = placeMask(e.id, e.region, t.after, S);
        const o = t.after.objects.find((p) => p.id === e.id)!;
        const [x0, y0, x1, y1] = pixelRect(objectRect(o), S, 0);
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) expect(m[y * S + x], t.instruction).toBe(1);
        expect(
          m.reduce((a, v) => a + v, 0),
          t.instruction,
        ).toBeLessThan(0.45 * S * S);
        n++;
      }
    expect(n).toBeGreaterThan(20);
    expect(placeMask(999, 'top', chains[0]!.turns![0]!.after, S).every((v) => v === 0)).toBe(true);
  });
});

describe('ChainDrift', () => {
  it("reads an obedient editor's own placements as no drift when licensed, as drift when strict", () => {
    let strictFell = 0;
    for (const c of chains) {
      const drift = new ChainDrift(S);
      const { outs } = elsewhere(c);
      for (const [k, t] of c.turns!.entries()) {
        drift.turn(t.mask, t.edit, t.after);
        const d = drift.psnr(outs[k]!, t.target);
        expect(capped(d.licensedDriftPsnr), `${c.key} turn ${k + 1}: ${t.instruction}`).toBe(MAX_PSNR);
        if (capped(d.driftPsnr) < MAX_PSNR) strictFell++;
      }
    }
    expect(strictFell).toBeGreaterThan(10);
  });

  it('licenses a placed shape grown by a later resize about its own centre', () => {
    const base: Scene = { ...structuredClone(chains[0]!.turns![0]!.before), objects: [], text: null, character: null };
    const square = { id: 7, shape: 'square', color: 'red', size: 'small', style: 'filled' } as const;
    // the world puts the small square near the cell's top left, the editor near its bottom right; then both grow it
    const [world, own] = [
      { x: 0.12, y: 0.12 },
      { x: 0.32, y: 0.32 },
    ];
    const steps = [
      { edit: { op: 'add', id: 7, region: 'top left' }, size: 'small' },
      { edit: { op: 'resize', id: 7, from: 'small', to: 'large' }, size: 'large' },
    ] as const;
    const drift = new ChainDrift(S);
    let before = base;
    for (const { edit, size } of steps) {
      const after: Scene = { ...base, objects: [{ ...square, size, ...world }] };
      drift.turn(editMask(edit, before, after, S), edit, after);
      const out = render({ ...base, objects: [{ ...square, size, ...own }] }, S);
      const d = drift.psnr(out, render(after, S));
      expect(capped(d.licensedDriftPsnr), edit.op).toBe(MAX_PSNR);
      expect(capped(d.driftPsnr), edit.op).toBeLessThan(MAX_PSNR);
      before = after;
    }
  });

  it("reads the world's own answers as no drift either way, and a disturbed picture as drift either way", () => {
    for (const c of chains.slice(0, 10)) {
      const [world, smudged] = [new ChainDrift(S), new ChainDrift(S)];
      for (const t of c.turns!) {
        world.turn(t.mask, t.edit, t.after);
        smudged.turn(t.mask, t.edit, t.after);
        const exact = world.psnr(t.target, t.target);
        expect([capped(exact.driftPsnr), capped(exact.licensedDriftPsnr)]).toEqual([MAX_PSNR, MAX_PSNR]);
        const off = { ...t.target, data: t.target.data.map((v) => Math.min(255, v + 8)) };
        const d = smudged.psnr(off, t.target);
        if (d.licensedDriftPsnr !== null) expect(d.licensedDriftPsnr, c.key).toBeLessThan(40);
        if (d.driftPsnr !== null) expect(d.driftPsnr, c.key).toBeLessThan(40);
      }
    }
  });
});
