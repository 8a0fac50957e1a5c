// SessionEditor: what a turn feeds the model, what it records, and how it moves the head.
import { readdir, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { madeBy, SessionEditor } from '../../src/session/editor.ts';
import { loadSessionModel } from '../../src/session/model.ts';
import { SessionStore } from '../../src/session/store.ts';
import { fakeModel, solid, tempDir } from './helpers.ts';

let dir: string;
let store: SessionStore;
beforeEach(async () => {
  dir = await tempDir();
  store = await SessionStore.open(dir);
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SessionEditor', () => {
  it('the first turn edits the given image; later turns edit the previous output', async () => {
    const model = fakeModel();
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const start = solid(50, 60, 70);
    const r1 = await editor.edit(id, { instruction: 'brighter', images: [start], seed: 3 });
    expect(model.requests[0]).toMatchObject({ prompt: 'brighter', images: [start], width: 8, height: 6, seed: 3 });
    expect(r1.turn.inputs).toEqual([await store.images.put(start)]); // the given image is stored and named
    expect(r1.image).toEqual(solid(60, 70, 80));

    const r2 = await editor.edit(id, { instruction: 'brighter still', seed: 4 });
    expect(model.requests[1].images).toEqual([solid(60, 70, 80)]); // the head's output, read back from the store
    // and the instruction that made it ("it" may be read as what that turn edited); none for the first turn
    expect([model.requests[0].previous, model.requests[1].previous]).toEqual([undefined, 'brighter']);
    // as the model made it, where it says so: its edits ("it" read on from a turn before reads on again)
    expect(madeBy({ instruction: 'move it up', madeAs: { edits: ['move the blue circle up'] } })).toBe(
      'move the blue circle up',
    );
    expect(madeBy({ instruction: 'a and b', madeAs: { edits: ['a', 'b'] } })).toBe('a and b');
    expect(madeBy({ instruction: 'brighter', madeAs: null })).toBe('brighter');
    expect(r2.turn).toMatchObject({ n: 2, parent: 1, inputs: [r1.turn.output] });
    expect(await store.images.get(r2.turn.output)).toEqual(solid(70, 80, 90));
    expect(store.session(id).head).toBe(2);
  });

  it('a job that already made its turn (run again after a crash) returns that turn without running the model', async () => {
    const model = fakeModel();
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const r1 = await editor.edit(id, { instruction: 'brighter', images: [solid(50, 60, 70)], job: 'job-1' });
    const r2 = await editor.edit(id, { instruction: 'brighter', images: [solid(50, 60, 70)], job: 'job-1' });
    expect(model.requests).toHaveLength(1);
    expect(r2).toEqual(r1);
    expect(r1.turn.job).toBe('job-1');
    expect(store.session(id).turnCount).toBe(1);
    await editor.edit(id, { instruction: 'brighter', job: 'job-2' }); // another job is another turn
    expect(store.session(id).turnCount).toBe(2);
  });

  it('records parameters: given ones, else the model defaults; a random seed when none is given', async () => {
    const model = fakeModel();
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const { turn: a } = await editor.edit(id, {
      instruction: 'x',
      images: [solid(1, 1, 1)],
      steps: 9,
      guidance: 3.5,
      candidates: 3,
      retries: 0,
      seed: 11,
    });
    expect(model.requests[0]).toMatchObject({
      numInferenceSteps: 9,
      guidanceScale: 3.5,
      candidates: 3,
      retries: 0,
      seed: 11,
    });
    expect(a).toMatchObject({ steps: 9, guidance: 3.5, candidates: 3, retries: 0, seed: 11, model: 'fake' });
    expect(a.seconds).toBeGreaterThanOrEqual(0);
    const { turn: b } = await editor.edit(id, { instruction: 'y' });
    expect(model.requests[1].candidates).toBeUndefined(); // the model decides its default
    expect(model.requests[1].retries).toBeUndefined();
    expect(b).toMatchObject({ steps: 4, guidance: 1.5, candidates: 1, retries: 2 });
    expect(Number.isInteger(b.seed) && b.seed >= 0).toBe(true);
  });

  it("records in the turn the edits the model's answer did not show, as the model said them, and gives the tries made", async () => {
    const model = fakeModel();
    const edit = model.edit.bind(model);
    model.edit = async (req) => {
      if (req.prompt === 'make the circle red') req.onUnshown?.(['make the blue circle red'], 3);
      return edit(req);
    };
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const r = await editor.edit(id, { instruction: 'make the circle red', images: [solid(1, 1, 1)] });
    expect(r.turn.unshown).toEqual(['make the blue circle red']);
    expect(r.tries).toBe(3);
    expect(store.turn(id, r.turn.n)).toEqual(r.turn); // stored as given back
    const shown = await editor.edit(id, { instruction: 'brighter' });
    expect(shown.turn.unshown).toBeNull();
    expect(shown.tries).toBeUndefined();
  });

  it('records the colour the model gives for its answer, and gives it to the edits of that turn, on any branch', async () => {
    const model = fakeModel();
    const edit = model.edit.bind(model);
    const inColor = solid(200, 10, 10);
    model.edit = async (req) => {
      if (req.prompt === 'make it grey') req.onColor?.(inColor);
      return edit(req);
    };
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const greyed = await editor.edit(id, { instruction: 'make it grey', images: [solid(1, 2, 3)] });
    expect(greyed.turn.color).toBe(await store.images.put(inColor)); // stored, by hash
    expect(await store.images.get(greyed.turn.color!)).toEqual(inColor);
    expect(store.turn(id, 1)).toEqual(greyed.turn); // stored as given back
    const next = await editor.edit(id, { instruction: 'brighter' });
    expect(model.requests[1]!.color).toEqual(inColor); // the edit of turn 1's output gets its colour
    expect(next.turn.color).toBeNull(); // the model gave none for this answer
    await editor.edit(id, { instruction: 'brighter still' });
    expect(model.requests[2]!.color).toBeUndefined(); // turn 2 recorded none
    await editor.edit(id, { instruction: 'again', from: 1 }); // a branch from turn 1
    expect(model.requests[3]!.color).toEqual(inColor);
    await editor.edit(id, { instruction: 'over', from: null, images: [solid(4, 5, 6)] }); // a new start: none
    expect(model.requests[4]!.color).toBeUndefined();
  });

  it('works with the built-in identity model; knobs it lacks are recorded as null', async () => {
    const editor = new SessionEditor(store, await loadSessionModel('identity'));
    const { id } = store.createSession();
    const start = solid(5, 6, 7);
    const { turn } = await editor.edit(id, { instruction: 'keep it', images: [start] });
    expect(turn).toMatchObject({
      model: 'identity',
      steps: null,
      guidance: null,
      candidates: null,
      retries: null,
      output: turn.inputs[0],
    });
    // best of n is kontext-mini's: a model that samples one answer says so rather than quietly ignoring it
    await expect(editor.edit(id, { instruction: 'keep it', candidates: 4 })).rejects.toThrow(
      'identity samples one answer; candidates 4 (best of n) needs kontext-mini (--model mini)',
    );
    // so is sampling again where the answer does not show the edit (retries 0 is what it does anyway)
    await expect(editor.edit(id, { instruction: 'keep it', retries: 2 })).rejects.toThrow(
      'identity samples one answer; retries 2 (sampling again where the answer does not show the edit) needs ' +
        'kontext-mini (--model mini)',
    );
    expect(store.session(id).turnCount).toBe(1);
    expect((await editor.edit(id, { instruction: 'keep it', retries: 0 })).turn.retries).toBe(0);
    store.undo(id);
    // text-to-image first turn: mid-gray at the requested size
    const s2 = store.createSession().id;
    const g = await editor.edit(s2, { instruction: 'a circle', width: 12, height: 10 });
    expect(g.turn).toMatchObject({ inputs: [], width: 12, height: 10 });
  });

  it('extra images follow the head output; undo then edit makes a branch; from: picks the parent', async () => {
    const model = fakeModel();
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    await editor.edit(id, { instruction: 'one', images: [solid(10, 10, 10)] });
    await editor.edit(id, { instruction: 'two', images: [solid(0, 0, 255)] }); // head output + a style exemplar
    expect(model.requests[1].images).toEqual([solid(20, 20, 20), solid(0, 0, 255)]);
    expect(store.turn(id, 2).inputs).toHaveLength(2);
    store.undo(id);
    const three = await editor.edit(id, { instruction: 'three' });
    expect(three.turn.parent).toBe(1);
    const four = await editor.edit(id, { instruction: 'four', from: 2 });
    expect(four.turn.parent).toBe(2);
    const five = await editor.edit(id, { instruction: 'five', from: null, images: [solid(9, 9, 9)] });
    expect(five.turn).toMatchObject({ parent: null, n: 5 });
    expect(store.turns(id).map((t) => t.parent)).toEqual([null, 1, 1, 2, null]);
  });

  it('refuses bad requests before calling the model, and stores nothing for them', async () => {
    const model = fakeModel();
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    await expect(editor.edit(id, { instruction: '  ' })).rejects.toThrow(/the instruction is empty/);
    await expect(editor.edit(id, { instruction: 'x', steps: 0 })).rejects.toThrow(
      'steps must be an integer from 1 to 1000, got 0',
    );
    await expect(editor.edit(id, { instruction: 'x', seed: -1 })).rejects.toThrow(
      'seed must be a non-negative integer, got -1',
    );
    await expect(editor.edit(id, { instruction: 'x', guidance: Number.NaN })).rejects.toThrow(
      'guidance must be a number >= 0, got NaN',
    );
    await expect(editor.edit(id, { instruction: 'x', candidates: 0 })).rejects.toThrow(
      'candidates must be an integer from 1 to 16, got 0',
    );
    await expect(editor.edit(id, { instruction: 'x', candidates: 2.5 })).rejects.toThrow(
      'candidates must be an integer from 1 to 16, got 2.5',
    );
    await expect(editor.edit(id, { instruction: 'x', retries: 9 })).rejects.toThrow(
      'retries must be an integer from 0 to 8, got 9',
    );
    await expect(editor.edit(id, { instruction: 'x', retries: -1 })).rejects.toThrow(
      'retries must be an integer from 0 to 8, got -1',
    );
    await expect(editor.edit(id, { instruction: 'x', from: 3 })).rejects.toThrow(/session 's1' has no turn 3/);
    await expect(editor.edit('zz', { instruction: 'x' })).rejects.toThrow(/no session 'zz'/);
    expect(model.requests).toHaveLength(0);
    expect(store.session(id).turnCount).toBe(0);
  });

  it('refuses more images than the model takes in one edit, before storing any, counting the output it edits', async () => {
    const model = { ...fakeModel(), maxImages: 2 };
    const editor = new SessionEditor(store, model);
    const { id } = store.createSession();
    const three = [solid(1, 1, 1), solid(2, 2, 2), solid(3, 3, 3)];
    await expect(editor.edit(id, { instruction: 'x', images: three })).rejects.toThrow(
      'fake takes at most 2 images per edit; this one would get 3 (the images given)',
    );
    await editor.edit(id, { instruction: 'x', images: three.slice(0, 2) }); // two: taken
    const stored = (await readdir(store.images.dir)).length;
    await expect(editor.edit(id, { instruction: 'y', images: three.slice(1) })).rejects.toThrow(
      "fake takes at most 2 images per edit; this one would get 3 (turn 1's output and 2 more)",
    );
    expect((await readdir(store.images.dir)).length).toBe(stored); // nothing of the refused turn was stored
    expect(store.session(id)).toMatchObject({ head: 1, turnCount: 1 });
    expect(model.requests).toHaveLength(1);
  });

  it('a failing model leaves no turn behind', async () => {
    const editor = new SessionEditor(store, {
      name: 'broken',
      edit: async () => {
        throw new Error('out of memory');
      },
    });
    const { id } = store.createSession();
    await expect(editor.edit(id, { instruction: 'x', images: [solid(1, 2, 3)] })).rejects.toThrow('out of memory');
    expect(store.session(id)).toMatchObject({ head: null, turnCount: 0 });
  });
});
