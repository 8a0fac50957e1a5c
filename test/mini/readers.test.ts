// Which of the output step's readers reads an instruction (src/mini/readers.ts): the rules of precedence between
// them, on a picture of the world.
import { describe, expect, it } from 'vitest';
import { toneEdit } from '../../src/world/tone-edits.ts';
import { backgroundAsked } from '../../src/world/phrases.ts';
import { snapFor } from '../../src/mini/readers.ts';
import { streamSamples } from '../../src/world/dataset.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { CHARACTER_SIZES, identityId } from '../../src/world/characters.ts';
import { render } from '../../src/world/render.ts';
import { BORDER, regionOf } from '../../src/world/scene.ts';

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

describe("the creature's move", () => {
  it('shows only where the creature lies in the cell named, its box inside the border as the world draws it', async () => {
    const ed = await MiniEditor.load();
    const rows = [...streamSamples({ split: 'test', seed: 5, families: ['character'], count: 120 })].filter(
      (x) => x.task === 'character.place',
    );
    // a creature with nothing on its head: its sprite's top lies well below its box's
    const bare = identityId({ body: 'brown', eyes: 'round', accessory: 'none', pattern: 'plain' });
    let [resized, cut, touching] = [0, 0, 0];
    for (const s of rows.slice(0, 12)) {
      const [was, now] = [
        { ...s.before!.character!, identity: bare },
        { ...s.after.character!, identity: bare },
      ];
      const picture = render({ ...s.before!, character: was }, 64);
      const seen = await ed.shapesIn(picture);
      const snap = snapFor(s.instruction, picture, null, seen, model);
      if (!snap) throw new Error(`no reader: ${s.instruction} ${JSON.stringify(s.before)}`);
      // the world's own answer shows it
      expect(snap(render({ ...s.after, character: now }, 64)).shown, s.instruction).toBe(1);
      // at the size asked but left where it was (another cell): taken, not shown
      const left = snap(render({ ...s.after, character: { ...now, x: was.x, y: was.y } }, 64));
      if (regionOf(was.x, was.y) !== regionOf(now.x, now.y) && left.taken) {
        resized++;
        expect(left.shown, `${s.instruction}: left`).toBe(0);
      }
      // moved to a bottom cell named, its body on the picture's last row (its box a pixel and a half past the border,
      // within the slack): the world never draws there, not shown
      if (now.y > 2 / 3 && now.size === was.size) {
        const low = { ...now, y: 1 - BORDER - CHARACTER_SIZES[now.size] / 2 + 1.5 / 64 };
        const r = snap(render({ ...s.after, character: low }, 64));
        expect(r.taken, `${s.instruction}: low`).not.toBeNull();
        expect(r.shown, `${s.instruction}: low`).toBe(0);
        touching++;
      }
      // in a top cell named but its box across the picture's top, six pixels past the border (its sprite inside), as
      // the world never draws it
      if (now.y > 1 / 3) continue;
      const edge = { ...now, y: CHARACTER_SIZES[now.size] / 2 - 5 / 64 };
      const over = snap(render({ ...s.after, character: edge }, 64));
      expect(over.taken, `${s.instruction}: over`).not.toBeNull();
      expect(over.shown, `${s.instruction}: over`).toBe(0);
      // a pixel past the border, as the bench still reads it placed: shown
      const near = { ...now, y: BORDER + CHARACTER_SIZES[now.size] / 2 - 1 / 64 };
      expect(snap(render({ ...s.after, character: near }, 64)).shown, `${s.instruction}: near`).toBe(1);
      cut++;
    }
    expect(resized).toBeGreaterThanOrEqual(6);
    expect(cut).toBeGreaterThanOrEqual(2);
    expect(touching).toBeGreaterThanOrEqual(1);
  });
});

describe('a shape moved or added', () => {
  it('shows only where the shape lies in the cell named; in another cell it is taken, not shown', async () => {
    const ed = await MiniEditor.load();
    const rows = [...streamSamples({ split: 'test', seed: 5, families: ['local'], count: 200 })].filter(
      (x) => x.task === 'local.move' || x.task === 'local.add',
    );
    const seenTasks = new Set<string>();
    let elsewhere = 0;
    for (const s of rows.slice(0, 10)) {
      const picture = s.inputs[0]!;
      const snap = snapFor(s.instruction, picture, null, await ed.shapesIn(picture), model)!;
      // the world's own answer, where the reader takes it (a copy moved by whole pixels may miss a half-pixel one)
      const own = snap(s.target);
      if (own.taken) expect(own.shown, s.instruction).toBe(1);
      // the shape the edit moves or adds, drawn in the cell across the picture from the one named
      const id = (s.edit as { id: number }).id;
      const o = s.after.objects.find((x) => x.id === id)!;
      const moved = { ...o, x: 1 - o.x, y: 1 - o.y };
      if (regionOf(moved.x, moved.y) === regionOf(o.x, o.y)) continue;
      const others = s.after.objects.filter((x) => x.id !== id);
      const clear = others.every((x) => Math.hypot(x.x - moved.x, x.y - moved.y) > 0.3);
      const c = s.after.character;
      if (!clear || (c && Math.hypot(c.x - moved.x, c.y - moved.y) < 0.35)) continue;
      const r = snap(render({ ...s.after, objects: [...others, moved] }, 64));
      if (!r.taken) continue;
      expect(r.shown, `${s.instruction}: elsewhere`).toBe(0);
      seenTasks.add(s.task!);
      elsewhere++;
    }
    expect(elsewhere).toBeGreaterThanOrEqual(3);
    expect([...seenTasks].sort()).toEqual(['local.add', 'local.move']);
  });
});
