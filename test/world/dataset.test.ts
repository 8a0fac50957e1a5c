import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSample, streamSamples, writeDataset, type MetadataRow, type Sample } from '../../src/world/dataset.ts';
import { objectRect, regionOf, sceneIsValid, type Scene } from '../../src/world/scene.ts';
import { heldOutIn, HELD_OUT_PAIRS, HELD_OUT_WORDS, isHeldOutIdentity } from '../../src/world/split.ts';
import { CATEGORY, FAMILIES, TASKS, TURNS } from '../../src/world/tasks.ts';
import { render } from '../../src/world/render.ts';
import type { RGBImage } from '../../src/image/rgb.ts';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** every scene a sample contains: inputs, before, after, every turn */
function scenesOf(s: Sample): Scene[] {
  return [
    ...s.inputScenes,
    ...(s.before ? [s.before] : []),
    s.after,
    ...(s.turns ?? []).flatMap((t) => [t.before, t.after]),
  ];
}

const N = 700; // 100 per family
const train = Array.from({ length: N }, (_, i) => makeSample({ split: 'train', seed: 11, size: 64 }, i));
const test = Array.from({ length: N }, (_, i) => makeSample({ split: 'test', seed: 11, size: 64 }, i));

describe('samples', () => {
  it('are deterministic by (seed, split, index), and differ across seeds', () => {
    const again = makeSample({ split: 'train', seed: 11, size: 64 }, 5);
    expect(again.instruction).toBe(train[5]!.instruction);
    expect(same(again.target.data, train[5]!.target.data)).toBe(true);
    expect(JSON.stringify(again.after)).toBe(JSON.stringify(train[5]!.after));
    const other = Array.from({ length: 10 }, (_, i) => makeSample({ split: 'train', seed: 12, size: 64 }, i));
    expect(other.filter((s, i) => s.instruction === train[i]!.instruction).length).toBeLessThan(5);
  });

  it('greyInputs greys that share of the local and text edits, input and target as the world greys them; the rest as before', () => {
    const base = { split: 'train', seed: 3, size: 64 } as const;
    let greyed = 0;
    let eligible = 0;
    for (let i = 0; i < 210; i++) {
      const plain = makeSample(base, i);
      const s = makeSample({ ...base, greyInputs: 0.3 }, i);
      expect(s.instruction).toBe(plain.instruction); // the same draw
      const one = (plain.family === 'local' || plain.family === 'text') && !plain.turns;
      if (one) eligible++;
      if (!s.before?.grayscale) {
        expect(s.target.data, s.key).toEqual(plain.target.data);
        continue;
      }
      expect(one, s.key).toBe(true);
      greyed++;
      expect(s.inputs[0]!.data).toEqual(render({ ...plain.before!, grayscale: true }, 64).data);
      expect(s.target.data).toEqual(render({ ...plain.after, grayscale: true }, 64).data);
      expect(s.after.grayscale).toBe(true);
      expect(s.mask).toEqual(plain.mask);
    }
    expect(eligible).toBeGreaterThan(50);
    expect(greyed / eligible).toBeGreaterThan(0.15);
    expect(greyed / eligible).toBeLessThan(0.45);
  });

  it('streamSamples yields the same samples as makeSample, without files', () => {
    const it = streamSamples({ split: 'train', seed: 11, size: 64, start: 3 });
    for (let i = 3; i < 8; i++) {
      const s = it.next().value as Sample;
      expect(s.key).toBe(train[i]!.key);
      expect(same(s.target.data, train[i]!.target.data)).toBe(true);
    }
    expect([...streamSamples({ split: 'val', seed: 1, count: 4 })].length).toBe(4);
  });

  it('cover every family and task, interleaved, with categories in KontextBench spelling', () => {
    expect(new Set(train.map((s) => s.task))).toEqual(new Set(TASKS.map((t) => t.name)));
    for (const [i, s] of train.entries()) expect(s.family).toBe(FAMILIES[i % FAMILIES.length]);
    expect(CATEGORY.local).toBe('Instruction Editing - Local');
    expect(CATEGORY.global).toBe('Instruction Editing - Global');
    expect(CATEGORY.text).toBe('Text Editing');
    expect(CATEGORY.style).toBe('Style Reference');
    expect(CATEGORY.character).toBe('Character Reference');
  });

  it('have several phrasings per task', () => {
    for (const t of TASKS.filter((t) => !['t2i.caption', 'multiturn.chain'].includes(t.name))) {
      const starts = new Set(
        train.filter((s) => s.task === t.name).map((s) => s.instruction.split(' ').slice(0, 2).join(' ')),
      );
      expect(starts.size, t.name).toBeGreaterThanOrEqual(2);
    }
  });

  it('never overlap items and keep (colour, shape) unique, so names are unambiguous', () => {
    const bad: string[] = [];
    for (const s of [...train, ...test]) {
      for (const sc of scenesOf(s)) {
        const pairs = sc.objects.map((o) => `${o.color} ${o.shape}`);
        if (!sceneIsValid(sc) || new Set(pairs).size !== pairs.length) bad.push(`${s.key} ${JSON.stringify(sc)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('name an object that exists exactly once in the scene', () => {
    const named = train.filter((s) => ['local.recolor', 'local.remove', 'local.move', 'local.resize'].includes(s.task));
    expect(named.length).toBeGreaterThan(30);
    for (const s of named) {
      const id = (s.edit as { id: number }).id;
      const o = s.before!.objects.find((p) => p.id === id)!;
      const others = s.before!.objects.filter((p) => p.id !== id);
      const text = s.instruction.toLowerCase();
      if (text.includes(`the ${o.color} ${o.shape}`))
        expect(others.some((p) => p.color === o.color && p.shape === o.shape)).toBe(false);
      else if (text.includes(`the ${o.color} shape`)) expect(others.some((p) => p.color === o.color)).toBe(false);
      else if (text.includes(`the ${o.shape}`)) expect(others.some((p) => p.shape === o.shape)).toBe(false);
      else expect.fail(`'${s.instruction}' does not name the ${o.color} ${o.shape}`);
    }
  });

  it('target equals the input outside the edit mask, and the edit changes something inside it', () => {
    for (const s of train) {
      const steps = s.turns ?? (s.inputs[0] ? [{ target: s.target, mask: s.mask }] : []);
      let input = s.inputs[0];
      for (const st of steps) {
        let changed = 0;
        let leaked = 0;
        for (let i = 0; i < st.mask.length; i++) {
          const differs =
            st.target.data[i * 3] !== input!.data[i * 3] ||
            st.target.data[i * 3 + 1] !== input!.data[i * 3 + 1] ||
            st.target.data[i * 3 + 2] !== input!.data[i * 3 + 2];
          if (!differs) continue;
          if (st.mask[i]) changed++;
          else leaked++;
        }
        expect(leaked, `${s.key}: pixels changed outside the mask`).toBe(0);
        expect(changed, s.key).toBeGreaterThan(0);
        input = st.target;
      }
    }
  });

  it('targets are the renders of the after scenes; regions named in instructions are where the object goes', () => {
    for (const s of train.slice(0, 100))
      expect(same(s.target.data, render(s.turns ? s.turns[0]!.after : s.after, 64).data)).toBe(true);
    for (const s of train.filter((s) => !s.turns && (s.edit.op === 'add' || s.edit.op === 'move'))) {
      const e = s.edit as { id: number; region: string };
      const o = s.after.objects.find((p) => p.id === e.id)!;
      expect(regionOf(o.x, o.y)).toBe(e.region);
      if (s.edit.op === 'move') {
        const old = s.before!.objects.find((p) => p.id === e.id)!;
        const [a, b] = [objectRect(old), objectRect(o)];
        // old and new boxes are disjoint
        expect(a[0] >= b[2] || b[0] >= a[2] || a[1] >= b[3] || b[1] >= a[3]).toBe(true);
      }
    }
  });

  it('multi-turn chains have 5 turns, chained scenes, and never touch the character', () => {
    const chains = train.filter((s) => s.family === 'multiturn');
    expect(chains.length).toBeGreaterThan(50);
    for (const s of chains) {
      expect(s.turns!.length).toBe(TURNS);
      s.turns!.forEach((t, k) => {
        expect(JSON.stringify(t.before)).toBe(JSON.stringify(k === 0 ? s.before : s.turns![k - 1]!.after));
        expect(t.after.character).toEqual(s.before!.character);
      });
      expect(JSON.stringify(s.turns![TURNS - 1]!.after)).toBe(JSON.stringify(s.after));
    }
  });
});

describe('held-out combinations', () => {
  it('never appear in train or val, and do appear in test', () => {
    const val = Array.from({ length: 300 }, (_, i) => makeSample({ split: 'val', seed: 11, size: 64 }, i));
    expect([...train, ...val].flatMap((s) => scenesOf(s).flatMap(heldOutIn))).toEqual([]);
    const found = new Set(test.flatMap((s) => scenesOf(s).flatMap(heldOutIn)));
    for (const [shape, color] of HELD_OUT_PAIRS) expect(found.has(`${shape}x${color}`), `${shape}x${color}`).toBe(true);
    expect([...found].filter((f) => f.startsWith('word')).length).toBeGreaterThanOrEqual(HELD_OUT_WORDS.length / 2);
    expect([...found].filter((f) => f.startsWith('identity')).length).toBeGreaterThan(10);
    expect(isHeldOutIdentity(3)).toBe(true);
  });
});

describe('writeDataset', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes PNGs and KontextBench-style metadata rows with our ground-truth fields', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-ds-'));
    dirs.push(dir);
    const info = await writeDataset(dir, { split: 'val', seed: 4, n: 14, size: 64 });
    expect(info.n).toBe(14);
    const rows = (await readFile(join(dir, 'metadata.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MetadataRow);
    expect(rows.length).toBe(14);
    for (const r of rows) {
      for (const f of ['key', 'category', 'instruction'])
        expect(typeof (r as unknown as Record<string, unknown>)[f]).toBe('string');
      expect(Object.values(CATEGORY)).toContain(r.category);
      for (const f of [
        ...r.input_files,
        r.target_file,
        r.mask_file,
        ...(r.turns ?? []).flatMap((t) => [t.target_file, t.mask_file]),
      ])
        expect(existsSync(join(dir, f)), f).toBe(true);
      expect(r.file_name).toBe(r.input_files[0] ?? r.target_file);
      if (r.family === 'style') expect(r.input_files.length).toBe(2);
      if (r.family === 't2i') expect([r.file_name, r.input_files.length]).toEqual([r.target_file, 0]);
      expect(r.scene_after).toBeTruthy();
    }
    expect(JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8')).heldOut.pairs.length).toBe(
      HELD_OUT_PAIRS.length,
    );
  });
});

describe('grid placement (training data)', () => {
  const G = 8 / 64; // kontext-mini's token side over the image side
  const onGrid = (v: number, v0: number) => Math.abs((v - v0) / G - Math.round((v - v0) / G)) < 1e-9;
  const gridded = Array.from({ length: 700 }, (_, i) =>
    makeSample({ split: 'train', seed: 11, size: 64, grid: G, gridCharacters: true }, i),
  );
  // the sixth model's data: objects on the grid, characters where they were
  const objectsOnly = Array.from({ length: 700 }, (_, i) =>
    makeSample({ split: 'train', seed: 11, size: 64, grid: G }, i),
  );
  const turnsOf = (s: Sample) =>
    (s.turns ?? [{ edit: s.edit, before: s.before!, after: s.after }]).filter((t) => t.before);

  it('adds at a cell centre and moves by whole cells (objects and characters); other tasks, and everything without a grid, unchanged', () => {
    let adds = 0;
    let moves = 0;
    for (const s of gridded)
      for (const t of turnsOf(s)) {
        if (t.edit.op === 'add') {
          const o = t.after.objects.find((p) => p.id === (t.edit as { id: number }).id)!;
          expect(onGrid(o.x, G / 2) && onGrid(o.y, G / 2)).toBe(true);
          expect(regionOf(o.x, o.y)).toBe((t.edit as { region: string }).region);
          adds++;
        }
        if (t.edit.op === 'move') {
          const id = (t.edit as { id: number }).id;
          const [a, b] = [t.before.objects.find((p) => p.id === id)!, t.after.objects.find((p) => p.id === id)!];
          expect(onGrid(b.x, a.x) && onGrid(b.y, a.y)).toBe(true);
          expect(a.x !== b.x || a.y !== b.y).toBe(true);
          expect(regionOf(b.x, b.y)).toBe((t.edit as { region: string }).region);
          moves++;
        }
      }
    expect(adds).toBeGreaterThan(20);
    expect(moves).toBeGreaterThan(20);
    // characters: kept at their size, moved (or put in a new scene) by whole cells; resized, at a cell's centre
    let kept = 0;
    let resized = 0;
    for (const s of gridded)
      if (s.family === 'character') {
        const [a, b] = [s.before!.character!, s.after.character!];
        if (a.size === b.size) {
          expect(onGrid(b.x, a.x) && onGrid(b.y, a.y)).toBe(true);
          kept++;
        } else {
          expect(onGrid(b.x, G / 2) && onGrid(b.y, G / 2)).toBe(true);
          resized++;
        }
      }
    expect(kept).toBeGreaterThan(10);
    expect(resized).toBeGreaterThan(10);
    for (const [i, s] of objectsOnly.entries())
      if (s.family === 'character') expect(s.after.character).toEqual(train[i].after.character);
    // the grid changes only where added and moved objects go: recolours draw the same samples as without it
    for (const [i, s] of gridded.entries())
      if (s.task === 'local.recolor' || s.task === 'global.style')
        expect(same(s.target.data, train[i].target.data)).toBe(true);
    // and without a grid, placements are off it (the benchmark's data is unchanged)
    const off = train.flatMap(turnsOf).filter((t) => t.edit.op === 'add');
    const offGrid = off.filter((t) => {
      const o = t.after.objects.find((p) => p.id === (t.edit as { id: number }).id)!;
      return !(onGrid(o.x, G / 2) && onGrid(o.y, G / 2));
    });
    expect(offGrid.length).toBeGreaterThan(off.length / 2);
  });

  it('gridScenes puts text-to-image scenes on cell centres (objects, and characters with gridCharacters); without it they are unchanged', () => {
    const withScenes = Array.from({ length: 350 }, (_, i) =>
      makeSample({ split: 'train', seed: 11, size: 64, grid: G, gridCharacters: true, gridScenes: true }, i),
    );
    const scenes = withScenes.filter((s) => s.family === 't2i');
    let objects = 0;
    let characters = 0;
    for (const s of scenes) {
      for (const o of s.after.objects) {
        expect(onGrid(o.x, G / 2) && onGrid(o.y, G / 2)).toBe(true);
        objects++;
      }
      const c = s.after.character;
      if (c) {
        expect(onGrid(c.x, G / 2) && onGrid(c.y, G / 2)).toBe(true);
        characters++;
      }
    }
    expect(objects).toBeGreaterThan(20);
    expect(characters).toBeGreaterThan(5);
    // without gridScenes a text-to-image sample is the same as without a grid; with it, every other sample is too
    for (const [i, s] of gridded.slice(0, 140).entries())
      if (s.family === 't2i') {
        expect(same(s.target.data, train[i].target.data)).toBe(true);
        expect(s.instruction).toBe(train[i].instruction);
      }
    for (const [i, s] of withScenes.slice(0, 140).entries())
      if (s.family !== 't2i') expect(same(s.target.data, gridded[i].target.data)).toBe(true);
  });

  it('gridResize puts the objects of single-turn resizes on cell centres, before and after; nothing else changes', () => {
    const withResize = Array.from({ length: 700 }, (_, i) =>
      makeSample({ split: 'train', seed: 11, size: 64, grid: G, gridResize: true }, i),
    );
    const resizes = withResize.filter((s) => s.task === 'local.resize');
    expect(resizes.length).toBeGreaterThan(5);
    for (const s of resizes) {
      for (const scene of [s.before!, s.after])
        for (const o of scene.objects) expect(onGrid(o.x, G / 2) && onGrid(o.y, G / 2), s.key).toBe(true);
      const id = (s.edit as { id: number }).id;
      const [a, b] = [s.before!, s.after].map((sc) => sc.objects.find((o) => o.id === id)!);
      expect([a.x, a.y]).toEqual([b.x, b.y]);
      expect(a.size).not.toBe(b.size);
    }
    // without it, resizes lie anywhere (as the benchmark's); every other sample is the same with or without it
    const plain = objectsOnly.filter((s) => s.task === 'local.resize');
    expect(plain.some((s) => s.before!.objects.some((o) => !(onGrid(o.x, G / 2) && onGrid(o.y, G / 2))))).toBe(true);
    for (const [i, s] of withResize.entries())
      if (s.task !== 'local.resize') expect(same(s.target.data, objectsOnly[i]!.target.data), s.key).toBe(true);
  });

  /** the item before and after, each drawn alone on its background: moved by whole cells, and the same pixels there */
  function expectCopiedByCells(ia: RGBImage, ib: RGBImage, from: { x: number; y: number }, to: typeof from) {
    const [dx, dy] = [Math.round((to.x - from.x) * 64), Math.round((to.y - from.y) * 64)];
    expect(dx % 8 === 0 && dy % 8 === 0).toBe(true);
    let differ = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const [u, v] = [x + dx, y + dy];
        if (u < 0 || v < 0 || u >= 64 || v >= 64) continue;
        for (let c = 0; c < 3; c++) if (ib.data[(v * 64 + u) * 3 + c] !== ia.data[(y * 64 + x) * 3 + c]) differ++;
      }
    expect(differ).toBe(0);
  }

  it('a moved shape is the same pixels a whole number of cells away', () => {
    let checked = 0;
    for (const s of gridded) {
      if (s.task !== 'local.move' || s.before!.background.kind !== 'solid') continue;
      const id = (s.edit as { id: number }).id;
      const [a, b] = [s.before!.objects.find((p) => p.id === id)!, s.after.objects.find((p) => p.id === id)!];
      const alone = (o: typeof a) => render({ ...s.before!, objects: [o], text: null, character: null }, 64);
      expectCopiedByCells(alone(a), alone(b), a, b);
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('a character kept at its size is the same pixels a whole number of cells away', () => {
    let checked = 0;
    for (const s of gridded) {
      if (s.task !== 'character.place' || s.before!.background.kind !== 'solid') continue;
      const [a, b] = [s.before!.character!, s.after.character!];
      if (a.size !== b.size) continue;
      const alone = (c: typeof a) => render({ ...s.before!, objects: [], text: null, character: c }, 64);
      expectCopiedByCells(alone(a), alone(b), a, b);
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });
});
