// The analyzers must read known renders back correctly, and must fail on wrong ones.
import { describe, expect, it } from 'vitest';
import { judge } from '../../src/bench/analyze.ts';
import { findObjects, readBackground, readIdentity, readStyle, readWord } from '../../src/bench/read.ts';
import { backgroundPixels } from '../../src/bench/analyze.ts';
import { render } from '../../src/world/render.ts';
import { OBJECT_COLORS, TEXT_COLORS } from '../../src/world/palette.ts';
import { SHAPES, SIZE_NAMES, STYLES } from '../../src/world/shapes.ts';
import { CHARACTER_SIZES, IDENTITY_COUNT } from '../../src/world/characters.ts';
import { VOCABULARY } from '../../src/world/vocabulary.ts';
import {
  BORDER,
  characterRect,
  itemRects,
  pixelRect,
  rectsOverlap,
  regionOf,
  regionRect,
  textRect,
  type Scene,
} from '../../src/world/scene.ts';
import { makeSample } from '../../src/world/dataset.ts';

const empty: Scene = {
  background: { kind: 'solid', color: 'white' },
  time: 'day',
  grayscale: false,
  objects: [],
  text: null,
  character: null,
};
const day = { time: 'day' as const, grayscale: false };

describe('object reader', () => {
  it('reads every shape x size x style back (day and night), and not a wrong colour', () => {
    for (const shape of SHAPES) {
      for (const size of SIZE_NAMES) {
        for (const style of STYLES) {
          for (const time of ['day', 'night'] as const) {
            const o = { id: 0, shape, color: 'blue' as const, size, style, x: 0.5, y: 0.5 };
            const img = render({ ...empty, time, objects: [o] }, 64);
            const found = findObjects(img, OBJECT_COLORS.blue, { time, grayscale: false });
            expect(found.length, `${shape} ${size} ${style} ${time}`).toBe(1);
            expect(found[0]!.shape, `${size} ${style} ${time}`).toBe(shape);
            expect(found[0]!.size).toBe(size);
            expect(Math.abs(found[0]!.x - 0.5)).toBeLessThan(0.03);
            expect(findObjects(img, OBJECT_COLORS.red, { time, grayscale: false })).toEqual([]);
          }
        }
      }
    }
  });

  it('reads the drawing style of an object', () => {
    for (const style of STYLES) {
      const o = {
        id: 0,
        shape: 'circle' as const,
        color: 'green' as const,
        size: 'large' as const,
        style,
        x: 0.5,
        y: 0.5,
      };
      const got = readStyle(render({ ...empty, objects: [o] }, 64), o, OBJECT_COLORS.green, day);
      expect(got.style).toBe(style);
    }
  });
});

describe('text reader', () => {
  it('reads every vocabulary word in every text colour, at 64 and 128 px', () => {
    for (const size of [64, 128]) {
      VOCABULARY.forEach((word, i) => {
        const color = (Object.keys(TEXT_COLORS) as (keyof typeof TEXT_COLORS)[])[i % 6]!;
        const t = { word, color, x: 0.5, y: 0.5 };
        const img = render({ ...empty, text: t }, size);
        const r = textRect(t);
        expect(readWord(img, [r[0] - 0.05, r[1] - 0.05, r[2] + 0.05, r[3] + 0.05], TEXT_COLORS[color], day)).toBe(word);
      });
    }
  });

  it('reads a different word as different, and nothing where there is none', () => {
    const t = { word: 'MOON', color: 'black' as const, x: 0.5, y: 0.5 };
    const img = render({ ...empty, text: { ...t, word: 'MOAN' } }, 64);
    const r = textRect(t);
    expect(readWord(img, r, TEXT_COLORS.black, day)).toBe('MOAN');
    expect(readWord(render(empty, 64), r, TEXT_COLORS.black, day)).toBeNull();
  });
});

describe('identity reader', () => {
  it('names every identity back, and a different identity as different', () => {
    for (let id = 0; id < IDENTITY_COUNT; id += 7) {
      const c = { identity: id, size: 'small' as const, x: 0.4, y: 0.6 };
      const img = render({ ...empty, background: { kind: 'gradient', from: 'mint', to: 'peach' }, character: c }, 64);
      expect(readIdentity(img, c, { kind: 'gradient', from: 'mint', to: 'peach' }, day)?.identity).toBe(id);
      // the reader does not take the expected identity: it names what is drawn, against all 360 candidates
      const place = { size: c.size, x: c.x, y: c.y };
      expect(readIdentity(img, place, empty.background, day)?.identity).toBe(id);
    }
    // nothing there: no identity
    expect(readIdentity(render(empty, 64), { size: 'large', x: 0.5, y: 0.5 }, empty.background, day)).toBeNull();
  });
});

describe('background reader', () => {
  it('reads solid and gradient backgrounds and the lighting', () => {
    for (const background of [
      { kind: 'solid', color: 'sky' },
      { kind: 'gradient', from: 'cream', to: 'lavender' },
    ] as const) {
      for (const time of ['day', 'night'] as const) {
        const scene = { ...empty, background, time };
        const got = readBackground(render(scene, 64), backgroundPixels(scene, 64));
        expect(got?.background).toEqual(background);
        expect(got?.time).toBe(time);
      }
    }
  });
});

describe('judge', () => {
  it('accepts the target and rejects the input for every task, and rejects a wrong edit', () => {
    for (let i = 0; i < 60; i++) {
      const s = makeSample({ split: 'test', seed: 21, size: 64 }, i);
      const before = s.turns ? s.turns[0]!.before : s.before;
      const after = s.turns ? s.turns[0]!.after : s.after;
      expect(judge(s.edit, before, after, s.target).success, `${s.key} ${s.task}`).toBe(true);
      if (s.inputs[0]) expect(judge(s.edit, before, after, s.inputs[0]).success, `${s.key} ${s.task}`).toBe(false);
    }
    // a wrong recolour: the red circle turned green where blue was asked
    const before: Scene = {
      ...empty,
      objects: [{ id: 0, shape: 'circle', color: 'red', size: 'large', style: 'filled', x: 0.3, y: 0.3 }],
    };
    const after: Scene = { ...before, objects: [{ ...before.objects[0]!, color: 'blue' }] };
    const wrong: Scene = { ...before, objects: [{ ...before.objects[0]!, color: 'green' }] };
    const edit = { op: 'recolor' as const, id: 0, from: 'red' as const, to: 'blue' as const };
    expect(judge(edit, before, after, render(after, 64)).success).toBe(true);
    const v = judge(edit, before, after, render(wrong, 64));
    expect(v.success).toBe(false);
    expect(v.failures[0]).toMatch(/no large blue circle/);
    // right colour, wrong shape
    const square: Scene = { ...before, objects: [{ ...after.objects[0]!, shape: 'square' }] };
    expect(judge(edit, before, after, render(square, 64)).success).toBe(false);
    // right word in the wrong place fails too; wrong word fails
    const t: Scene = { ...empty, text: { word: 'CAT', color: 'black', x: 0.5, y: 0.5 } };
    const t2: Scene = { ...t, text: { ...t.text!, word: 'DOG' } };
    const wordEdit = { op: 'word' as const, from: 'CAT', to: 'DOG' };
    expect(judge(wordEdit, t, t2, render(t2, 64)).success).toBe(true);
    expect(judge(wordEdit, t, t2, render({ ...t, text: { ...t.text!, word: 'DOT' } }, 64)).failures[0]).toMatch(
      /reads 'DOT', want 'DOG'/,
    );
  });
});

describe('judge, each part of an edit', () => {
  // the first test sample of a task that has what a check needs
  const first = (task: string, has: (s: ReturnType<typeof makeSample>) => boolean = () => true) => {
    for (let i = 0; i < 2000; i++) {
      const s = makeSample({ split: 'test', seed: 21, size: 64 }, i);
      if (s.task === task && has(s)) return s;
    }
    throw new Error(`no ${task} sample`);
  };
  const fails = (s: ReturnType<typeof makeSample>, output: Scene, want: RegExp) => {
    expect(judge(s.edit, s.before, s.after, s.target).success, s.instruction).toBe(true);
    const v = judge(s.edit, s.before, s.after, render(output, 64));
    expect(v.success, s.instruction).toBe(false);
    expect(v.failures.join('; '), s.instruction).toMatch(want);
  };

  it('fails a move that left the shape where it was too, a relit scene with a shape changed, a grey picture of another layout, a background at night', () => {
    const move = first('local.move');
    const id = (move.edit as { id: number }).id;
    const was = move.before!.objects.find((o) => o.id === id)!;
    fails(
      move,
      { ...move.after, objects: [...move.after.objects, { ...was, id: 99 }] },
      /old box of the .* background/,
    );
    const relit = first('global.daynight', (s) => s.after.objects.length > 0);
    const [o, ...rest] = relit.after.objects;
    const other = o!.color === 'red' ? 'blue' : 'red';
    fails(relit, { ...relit.after, objects: [{ ...o!, color: other }, ...rest] }, /no .* near/);
    const gray = first('global.grayscale', (s) => s.after.objects.length > 1);
    const elsewhere = gray.after.objects.map((p) => ({ ...p, x: 1 - p.x, y: 1 - p.y }));
    fails(gray, { ...gray.after, objects: elsewhere, text: null, character: null }, /luma correlation/);
    const background = first('global.background', (s) => s.after.time === 'day');
    fails(background, { ...background.after, time: 'night' }, /background reads .* at night, want .* at day/);
  });

  it("reads a caption's word anywhere in the region its words name, and a replaced word at its place", () => {
    // a caption says where its word is as it says where its shapes are: "the word 'OWL' written in orange at the top"
    const captions = Array.from({ length: 1200 }, (_, i) =>
      makeSample({ split: 'test', seed: 21, size: 64 }, i),
    ).filter((s) => s.task === 't2i.caption' && !!s.after.text);
    /** the word moved by (dx, dy) pixels, its box inside the image and clear of the other things */
    const movedBy = (s: (typeof captions)[number], dx: number, dy: number): Scene | null => {
      const t = { ...s.after.text!, x: s.after.text!.x + dx / 64, y: s.after.text!.y + dy / 64 };
      const r = textRect(t);
      const clear = !itemRects({ ...s.after, text: null }).some((o) => rectsOverlap(r, o, 1 / 64));
      const inside = r[0] >= BORDER && r[1] >= BORDER && r[2] <= 1 - BORDER && r[3] <= 1 - BORDER;
      return clear && inside ? { ...s.after, text: t } : null;
    };
    let within = 0;
    let across = 0;
    for (const s of captions) {
      const t = s.after.text!;
      for (const [dx, dy] of [
        [5, 0],
        [-5, 0],
        [0, 4],
        [0, -4],
      ] as const) {
        const moved = movedBy(s, dx, dy);
        if (!moved) continue;
        const v = judge(s.edit, s.before, s.after, render(moved, 64));
        // (a centre within 2 pixels of the region's line is neither: the world places none there)
        const [rx0, ry0, rx1, ry1] = regionRect(regionOf(t.x, t.y));
        const [x, y] = [moved.text!.x, moved.text!.y];
        const off = Math.max(rx0 - x, x - rx1, ry0 - y, y - ry1) * 64;
        if (Math.abs(off) < 2) continue;
        if (off < 0) {
          // 5 pixels off its place (its place's reading allows 3), in its region: read
          expect(
            v.failures.filter((f) => f.startsWith('text')),
            s.key,
          ).toEqual([]);
          within++;
        } else {
          expect(v.failures.join('; '), s.key).toMatch(new RegExp(`text reads '[^']*', want '${t.word}' in the `));
          across++;
        }
      }
    }
    expect(within).toBeGreaterThan(10);
    expect(across).toBeGreaterThan(2);
    // a replaced word stays where the old one was: a few pixels off it fails
    const replace = first('text.replace');
    const t = replace.after.text!;
    fails(replace, { ...replace.after, text: { ...t, x: t.x + (t.x < 0.5 ? 5 : -5) / 64 } }, /text reads/);
  });

  it('fails a text-to-image picture without its word, and a resize or recolour that changed the rest of the scene', () => {
    const caption = first('t2i.caption', (s) => !!s.after.text);
    fails(caption, { ...caption.after, text: null }, /text reads '', want '\w+' in the /);
    const resize = first('local.resize', (s) => s.after.objects.length > 1);
    const id = (resize.edit as { id: number }).id;
    fails(
      resize,
      { ...resize.after, objects: resize.after.objects.filter((p) => p.id === id) },
      /rest of the scene: no/,
    );
    const recolor = first('local.recolor', (s) => !!s.after.character);
    const c = recolor.after.character!;
    const stranger = { ...c, identity: (c.identity + 1) % IDENTITY_COUNT };
    fails(recolor, { ...recolor.after, character: stranger }, /rest of the scene: character .* want identity/);
  });
});

describe('character edits', () => {
  // The words name a region ("move the creature to the left"), not a place: the character counts anywhere its centre
  // may lie in that region; moved within its scene, its old box must show the background, like a moved object's.
  const samples = Array.from({ length: 200 }, (_, i) => makeSample({ split: 'test', seed: 5, size: 64 }, i));
  const place = samples.find((s) => s.task === 'character.place')!;
  const scene = samples.find((s) => s.task === 'character.scene')!;

  /** The target with its character moved by dx pixels (kept inside its region and the image). */
  const shifted = (s: typeof place, dx: number): Scene => {
    const c = s.after.character!;
    return { ...s.after, character: { ...c, x: c.x + dx / 64 } };
  };
  /** A shift of a few pixels that keeps the character's centre in its region, its box inside the image and clear. */
  const regionShift = (s: typeof place): number => {
    const c = s.after.character!;
    const half = CHARACTER_SIZES[c.size] / 2;
    const [rx0, , rx1] = regionRect(regionOf(c.x, c.y));
    const others = itemRects({ ...s.after, character: null });
    const dx = [4, -4, 6, -6].find((d) => {
      const x = c.x + d / 64;
      const box = characterRect({ ...c, x });
      return (
        x >= Math.max(BORDER + half, rx0) &&
        x <= Math.min(1 - BORDER - half, rx1) &&
        !others.some((r) => rectsOverlap(box, r, 0))
      );
    });
    if (dx === undefined) throw new Error(`no room to shift the character of ${s.key}`);
    return dx;
  };

  it('accepts the character anywhere in the named region, not only at the target place', () => {
    for (const s of [place, scene]) {
      const dx = regionShift(s);
      const moved = shifted(s, dx);
      expect(regionOf(moved.character!.x, moved.character!.y)).toBe(
        regionOf(s.after.character!.x, s.after.character!.y),
      );
      const v = judge(s.edit, s.before, s.after, render(moved, 64));
      expect(v.failures, s.task).toEqual([]);
      expect(v.success).toBe(true);
    }
  });

  it('rejects the character in another region, another identity, and a ghost left in the old box', () => {
    const c = place.after.character!;
    // another region: the column beside
    const away = { ...place.after, character: { ...c, x: c.x < 0.5 ? c.x + 1 / 3 : c.x - 1 / 3 } };
    const far = judge(place.edit, place.before, place.after, render(away, 64));
    expect(far.success).toBe(false);
    expect(far.failures.join('; ')).toMatch(new RegExp(`no ${c.size} character of identity ${c.identity} in the `));
    // the right place, another identity
    const other = { ...place.after, character: { ...c, identity: (c.identity + 1) % IDENTITY_COUNT } };
    expect(judge(place.edit, place.before, place.after, render(other, 64)).failures[0]).toMatch(/no .* character/);
    // drawn at its new place but also left at its old one: the old box is not background
    const before = place.before!;
    const both = render(place.after, 64);
    const ghost = render(before, 64);
    const [x0, y0, x1, y1] = pixelRect(characterRect(before.character!), 64, 0);
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++)
        for (let k = 0; k < 3; k++) both.data[(y * 64 + x) * 3 + k] = ghost.data[(y * 64 + x) * 3 + k]!;
    const v = judge(place.edit, place.before, place.after, both);
    expect(v.success).toBe(false);
    expect(v.failures.join('; ')).toMatch(/old box of the character is \d+% background/);
  });
});
