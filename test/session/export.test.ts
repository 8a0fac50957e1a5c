// exportSession: a folder of PNGs + history.json that stands on its own (file names and hashes agree).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readImage } from '../../src/image/rgb.ts';
import { SessionEditor } from '../../src/session/editor.ts';
import { exportSession } from '../../src/session/export.ts';
import { sha256 } from '../../src/session/images.ts';
import { SessionStore } from '../../src/session/store.ts';
import { fakeModel, solid, tempDir } from './helpers.ts';

let dir: string;
let store: SessionStore;
beforeEach(async () => {
  dir = await tempDir();
  store = await SessionStore.open(join(dir, 'data'));
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

it('writes every turn, the user-given inputs and a history that names them by file and hash', async () => {
  const editor = new SessionEditor(store, fakeModel());
  const { id } = store.createSession();
  await editor.edit(id, { instruction: 'one', images: [solid(10, 20, 30)], seed: 1 });
  await editor.edit(id, { instruction: 'two', images: [solid(0, 0, 255)], seed: 2 }); // + a style exemplar
  store.undo(id);
  await editor.edit(id, { instruction: 'three', seed: 3 });

  const out = join(dir, 'out');
  const r = await exportSession(store, id, out);
  expect(r).toEqual({ dir: out, turns: 3, files: 6 });
  const user = [solid(10, 20, 30), solid(0, 0, 255)].map(
    async (img) => `input-${(await store.images.put(img)).slice(0, 16)}.png`,
  );
  expect((await readdir(out)).sort()).toEqual(
    ['history.json', 'turn-001.png', 'turn-002.png', 'turn-003.png', ...(await Promise.all(user))].sort(),
  );

  const h = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
  expect(h).toMatchObject({ format: 'kontext-session', version: 1, session: { id, head: 3 }, current: [1, 3] });
  expect(h.turns[1]).toMatchObject({
    n: 2,
    parent: 1,
    instruction: 'two',
    seed: 2,
    steps: 4,
    guidance: 1.5,
    model: 'fake',
  });
  expect(h.turns[1].inputs[0].file).toBe('turn-001.png'); // the parent's output, by its turn file
  expect(h.turns[1].inputs[1].file).toMatch(/^input-[0-9a-f]{16}\.png$/);
  for (const t of h.turns)
    for (const ref of [...t.inputs, t.output]) expect(sha256(await readFile(join(out, ref.file)))).toBe(ref.sha256);
  expect(await readImage(join(out, 'turn-003.png'))).toEqual(solid(30, 40, 50));
});

it('refuses a folder that already has files, and an unknown session', async () => {
  store.createSession();
  const full = join(dir, 'full');
  await mkdir(full);
  await writeFile(join(full, 'keep.txt'), 'mine');
  await expect(exportSession(store, 's1', full)).rejects.toThrow(
    `export folder '${full}' already exists and is not empty; give a new folder`,
  );
  await expect(exportSession(store, 's9', join(dir, 'x'))).rejects.toThrow(/no session 's9'/);
  const empty = join(dir, 'empty');
  await mkdir(empty);
  // an empty folder is fine
  await expect(exportSession(store, 's1', empty)).resolves.toMatchObject({ turns: 0, files: 1 });
});

it("writes a turn's output in colour beside it, where the turn recorded one: named by its input's file if it is one", async () => {
  const model = fakeModel();
  const edit = model.edit.bind(model);
  // 'grey' gives its input as the colour (as a turn that greyed the picture does), 'paint' an image of its own
  model.edit = async (req) => {
    if (req.prompt === 'grey') req.onColor?.(req.images[0]!);
    if (req.prompt === 'paint') req.onColor?.(solid(200, 0, 0));
    return edit(req);
  };
  const editor = new SessionEditor(store, model);
  const { id } = store.createSession();
  await editor.edit(id, { instruction: 'grey', images: [solid(10, 20, 30)] });
  await editor.edit(id, { instruction: 'paint' });
  await editor.edit(id, { instruction: 'plain' });
  const out = join(dir, 'out');
  expect(await exportSession(store, id, out)).toEqual({ dir: out, turns: 3, files: 6 });
  const h = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
  const painted = `color-${(await store.images.put(solid(200, 0, 0))).slice(0, 16)}.png`;
  expect(h.turns.map((t: { color: { file: string } | null }) => t.color?.file ?? null)).toEqual([
    h.turns[0].inputs[0].file,
    painted,
    null,
  ]);
  for (const t of h.turns.slice(0, 2)) expect(sha256(await readFile(join(out, t.color.file)))).toBe(t.color.sha256);
  expect(await readImage(join(out, painted))).toEqual(solid(200, 0, 0));
});
