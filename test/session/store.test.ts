// The session store: history, branching and undo semantics, content-addressed images, persistence across reopen.
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'libsql';
import { openDatabase } from '../../src/session/db.ts';
import { sha256 } from '../../src/session/images.ts';
import { SessionStore } from '../../src/session/store.ts';
import type { TurnInput } from '../../src/session/types.ts';
import { solid, tempDir } from './helpers.ts';

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

/** A turn record whose output is a stored solid image of the given shade. */
async function turn(parent: number | null, shade: number, instruction = `shade ${shade}`): Promise<TurnInput> {
  const output = await store.images.put(solid(shade, 0, 0));
  return {
    parent,
    instruction,
    inputs: [],
    output,
    width: 8,
    height: 6,
    steps: 2,
    guidance: 2.5,
    candidates: 4,
    retries: 2,
    seed: shade,
    model: 'test',
    seconds: 0.5,
  };
}

/**
 * What each schema version after the first added to the turns table (src/session/db.ts), undone newest first to make
 * the store's file what an older kontext wrote.
 */
const ADDED: Record<number, string> = {
  2: 'DROP INDEX turns_job; ALTER TABLE turns DROP COLUMN job',
  3: 'ALTER TABLE turns DROP COLUMN candidates',
  4: 'ALTER TABLE turns DROP COLUMN made_as',
  5: 'ALTER TABLE turns DROP COLUMN retries',
  6: 'ALTER TABLE turns DROP COLUMN unshown',
  7: 'ALTER TABLE turns DROP COLUMN color',
};
const LATEST = Math.max(...Object.keys(ADDED).map(Number));

/** Close the store and make its file what schema version `v` wrote (what later versions added dropped), then reopen. */
async function reopenAsWrittenBy(v: number): Promise<void> {
  store.close();
  const db = openDatabase(join(dir, 'sessions.db'));
  for (let k = LATEST; k > v; k--) db.exec(ADDED[k]!);
  db.exec(`PRAGMA user_version = ${v}`);
  expect(db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: v }]);
  db.close();
  store = await SessionStore.open(dir);
}

describe('sessions', () => {
  it('names sessions s1, s2, ... or as given, and refuses duplicates and bad names', () => {
    expect(store.createSession().id).toBe('s1');
    expect(store.createSession('cup').id).toBe('cup');
    expect(store.createSession().id).toBe('s3');
    expect(store.listSessions().map((s) => s.id)).toEqual(['s1', 'cup', 's3']);
    expect(() => store.createSession('cup')).toThrow("a session named 'cup' already exists");
    expect(() => store.createSession('a b')).toThrow(/session name 'a b' must be 1-64 letters/);
    expect(() => store.session('nope')).toThrow(/no session 'nope' in .*'kontext session list' shows the sessions/);
  });

  it('an unnamed session skips a name the user took: s2 given, the next unnamed ones are s3 and s1 is kept', () => {
    expect(store.createSession('s2').id).toBe('s2');
    expect(store.createSession().id).toBe('s3');
    expect(store.createSession('s1').id).toBe('s1');
    expect(store.createSession().id).toBe('s4');
    expect(store.listSessions().map((s) => s.id)).toEqual(['s2', 's3', 's1', 's4']);
  });

  it('a new session is at its start', () => {
    const s = store.createSession();
    expect(s).toMatchObject({ head: null, turnCount: 0 });
    expect(store.head(s.id)).toBeNull();
    expect(store.lineage(s.id)).toEqual([]);
    expect(() => store.undo(s.id)).toThrow(`session 's1' is at its start; there is nothing to undo`);
  });
});

describe('turns: history, undo, branch', () => {
  it('each turn becomes the head and records everything it was given', async () => {
    const { id } = store.createSession();
    const t1 = store.addTurn(id, await turn(null, 10));
    const t2 = store.addTurn(id, await turn(1, 20));
    expect([t1.n, t2.n]).toEqual([1, 2]);
    expect(store.session(id)).toMatchObject({ head: 2, turnCount: 2 });
    expect(store.turn(id, 2)).toEqual(t2);
    expect(t2).toMatchObject({
      session: id,
      parent: 1,
      instruction: 'shade 20',
      steps: 2,
      guidance: 2.5,
      seed: 20,
      model: 'test',
      seconds: 0.5,
      width: 8,
      height: 6,
    });
    expect(Date.parse(t2.createdAt)).toBeGreaterThan(0);
    expect(store.lineage(id).map((t) => t.n)).toEqual([1, 2]);
  });

  it('undo walks up to the start; branch makes a sibling; nothing is deleted', async () => {
    const { id } = store.createSession();
    store.addTurn(id, await turn(null, 10)); // 1
    store.addTurn(id, await turn(1, 20)); // 2
    store.addTurn(id, await turn(2, 30)); // 3
    expect(store.undo(id).head).toBe(2);
    expect(store.undo(id).head).toBe(1);
    // a new edit from the head (1) is a branch beside 2
    const t4 = store.addTurn(id, await turn(store.session(id).head, 40));
    expect(t4).toMatchObject({ n: 4, parent: 1 });
    expect(store.lineage(id).map((t) => t.n)).toEqual([1, 4]);
    expect(store.lineage(id, 3).map((t) => t.n)).toEqual([1, 2, 3]); // the old branch is intact
    expect(store.turns(id).map((t) => [t.n, t.parent])).toEqual([
      [1, null],
      [2, 1],
      [3, 2],
      [4, 1],
    ]);
    // branch back to 3 = redo
    expect(store.setHead(id, 3).head).toBe(3);
    expect(store.undo(id).head).toBe(2);
    expect(store.setHead(id, null).head).toBeNull();
    expect(() => store.setHead(id, 9)).toThrow(/session 's1' has no turn 9/);
    expect(store.session(id).turnCount).toBe(4);
  });

  it('refuses a parent that does not exist and a turn whose image is not stored', async () => {
    const { id } = store.createSession();
    const t = await turn(null, 10);
    expect(() => store.addTurn(id, { ...t, parent: 5 })).toThrow(/has no turn 5/);
    expect(() => store.addTurn(id, { ...t, output: 'f'.repeat(64) })).toThrow(/is not stored/);
    expect(store.session(id).turnCount).toBe(0);
  });

  it("a job's turn is recorded once: adding it again returns the first, changing nothing", async () => {
    const { id } = store.createSession();
    const first = store.addTurn(id, { ...(await turn(null, 10)), job: 'j1' });
    store.addTurn(id, await turn(1, 20)); // another turn moves the head on
    const again = store.addTurn(id, { ...(await turn(null, 30)), job: 'j1' }); // the job ran again after a crash
    expect(again).toEqual(first);
    expect(store.turnOfJob(id, 'j1')).toEqual(first);
    expect(store.turnOfJob(id, 'j2')).toBeNull();
    expect(store.session(id)).toMatchObject({ head: 2, turnCount: 2 });
    expect(store.turn(id, 2).job).toBeUndefined(); // turns made outside the service carry no job
    const other = store.createSession().id; // job ids are per session
    expect(store.addTurn(other, { ...(await turn(null, 40)), job: 'j1' }).n).toBe(1);
  });

  it('keeps sessions apart', async () => {
    const a = store.createSession().id;
    const b = store.createSession().id;
    store.addTurn(a, await turn(null, 10));
    store.addTurn(b, await turn(null, 20));
    store.addTurn(b, await turn(1, 30));
    expect(store.turns(a).map((t) => t.n)).toEqual([1]);
    expect(store.turns(b).map((t) => t.n)).toEqual([1, 2]);
    const fromOther = await turn(2, 50); // turn 2 exists in b only
    expect(() => store.addTurn(a, fromOther)).toThrow(/session 's1' has no turn 2/);
  });
});

describe('images', () => {
  it('are content-addressed PNGs: same pixels, one file named by its SHA-256', async () => {
    const h1 = await store.images.put(solid(1, 2, 3));
    const h2 = await store.images.put(solid(1, 2, 3));
    const h3 = await store.images.put(solid(3, 2, 1));
    expect(h1).toBe(h2);
    expect(h1).not.toBe(h3);
    const files = (await readdir(join(dir, 'images'))).sort();
    expect(files).toEqual([`${h1}.png`, `${h3}.png`].sort());
    expect(sha256(await readFile(store.images.path(h1)))).toBe(h1);
    expect(await store.images.get(h3)).toEqual(solid(3, 2, 1));
  });

  it('old temporaries of killed writers are swept, never read as images', async () => {
    await writeFile(join(dir, 'images', '.tmp-1-abc'), 'half a png');
    expect(await store.images.sweepTemporaries(60_000)).toBe(0); // young: may still be being written
    // an hour old (set explicitly: a fresh file's sub-millisecond mtime can be ahead of Date.now())
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, 'images', '.tmp-1-abc'), hourAgo, hourAgo);
    expect(await store.images.sweepTemporaries()).toBe(1);
    expect(await readdir(join(dir, 'images'))).toEqual([]);
  });

  it('a sweep removes only temporaries: a stored image, however old, stays', async () => {
    const h = await store.images.put(solid(4, 5, 6));
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(store.images.path(h), hourAgo, hourAgo);
    expect(await store.images.sweepTemporaries(0)).toBe(0);
    expect(await store.images.get(h)).toEqual(solid(4, 5, 6));
  });

  it('a name that is not an image hash never becomes a path (no way out of the images folder)', () => {
    for (const bad of ['../sessions.db', `${'a'.repeat(63)}/`, 'A'.repeat(64), ''])
      expect(() => store.images.path(bad), bad).toThrow(`not an image hash: '${bad}'`);
    expect(store.images.path('f'.repeat(64))).toBe(join(dir, 'images', `${'f'.repeat(64)}.png`));
  });
});

describe('persistence', () => {
  it('everything survives closing and reopening', async () => {
    const { id } = store.createSession('kept');
    store.addTurn(id, await turn(null, 10));
    store.addTurn(id, await turn(1, 20));
    store.undo(id);
    const before = { session: store.session(id), turns: store.turns(id) };
    store.close();
    store = await SessionStore.open(dir);
    expect({ session: store.session(id), turns: store.turns(id) }).toEqual(before);
    expect(await store.images.get(before.turns[1].output)).toEqual(solid(20, 0, 0));
    const t3 = store.addTurn(id, await turn(1, 30));
    expect(t3.n).toBe(3); // numbering continues after a reopen
  });

  it('a version-1 store (no job, no candidates column) is upgraded in place, its turns kept', async () => {
    const { id } = store.createSession('old');
    store.addTurn(id, { ...(await turn(null, 10)), candidates: null, retries: null });
    const before = store.turns(id);
    await reopenAsWrittenBy(1); // what kontext 1 wrote: no job column, version 1
    expect(store.turns(id)).toEqual(before);
    expect(store.addTurn(id, { ...(await turn(1, 20)), job: 'j' }).job).toBe('j');
  });

  it('a version-2 store (no candidates column) is upgraded: old turns read candidates null, new ones record it', async () => {
    const { id } = store.createSession('v2');
    store.addTurn(id, await turn(null, 10));
    const [old] = store.turns(id);
    expect(old.candidates).toBe(4);
    await reopenAsWrittenBy(2);
    expect(store.turns(id)).toEqual([{ ...old, candidates: null, retries: null }]);
    store.addTurn(id, await turn(1, 20));
    expect(store.turns(id).map((t) => t.candidates)).toEqual([null, 4]);
    expect(store.db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: LATEST }]);
  });

  it('a version-3 store (no made_as column) is upgraded: old turns read madeAs null, new ones record what was made', async () => {
    const { id } = store.createSession('v3');
    const madeAs = { edits: ['redraw all the shapes in striped style'], style: 'striped' };
    const first = store.addTurn(id, { ...(await turn(null, 10)), madeAs });
    expect(first.madeAs).toEqual(madeAs);
    expect(store.turns(id)).toEqual([first]); // read back as recorded
    await reopenAsWrittenBy(3);
    expect(store.turns(id)).toEqual([{ ...first, madeAs: null, retries: null }]);
    const split = { edits: ['make the circle blue', 'make the square red'] };
    store.addTurn(id, { ...(await turn(1, 20)), madeAs: split });
    const plain = store.addTurn(id, await turn(2, 30)); // made as given: null, whether absent or null
    expect(plain.madeAs).toBeNull();
    expect(store.turns(id).map((t) => t.madeAs)).toEqual([null, split, null]);
    expect(store.db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: LATEST }]);
  });

  it('a version-4 store (no retries column) is upgraded: old turns read retries null, new ones record them', async () => {
    const { id } = store.createSession('v4');
    const first = store.addTurn(id, await turn(null, 10));
    expect(first.retries).toBe(2);
    expect(store.turns(id)).toEqual([first]);
    await reopenAsWrittenBy(4);
    expect(store.turns(id)).toEqual([{ ...first, retries: null }]);
    store.addTurn(id, { ...(await turn(1, 20)), retries: 0 });
    expect(store.turns(id).map((t) => t.retries)).toEqual([null, 0]);
    expect(store.db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: LATEST }]);
  });

  it('a version-5 store (no unshown column) is upgraded: old turns read unshown null, new ones record what was not shown', async () => {
    const { id } = store.createSession('v5');
    const unshown = ['make the blue circle red'];
    const first = store.addTurn(id, { ...(await turn(null, 10)), unshown });
    expect(first.unshown).toEqual(unshown);
    expect(store.turns(id)).toEqual([first]); // read back as recorded
    await reopenAsWrittenBy(5);
    expect(store.turns(id)).toEqual([{ ...first, unshown: null }]);
    store.addTurn(id, { ...(await turn(1, 20)), unshown });
    // none said: null, whether absent or empty
    expect(store.addTurn(id, { ...(await turn(2, 30)), unshown: [] }).unshown).toBeNull();
    store.addTurn(id, await turn(3, 40));
    expect(store.turns(id).map((t) => t.unshown)).toEqual([null, unshown, null, null]);
    expect(store.db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: LATEST }]);
  });

  it('a version-6 store (no color column) is upgraded: old turns read color null, new ones record the hash given', async () => {
    const { id } = store.createSession('v6');
    const color = await store.images.put(solid(9, 8, 7));
    const first = store.addTurn(id, { ...(await turn(null, 10)), color });
    expect(first.color).toBe(color);
    expect(store.turns(id)).toEqual([first]); // read back as recorded
    await reopenAsWrittenBy(6);
    expect(store.turns(id)).toEqual([{ ...first, color: null }]);
    store.addTurn(id, { ...(await turn(1, 20)), color });
    store.addTurn(id, await turn(2, 30)); // none given: null
    expect(store.turns(id).map((t) => t.color)).toEqual([null, color, null]);
    expect(store.db.prepare('PRAGMA user_version').all()).toEqual([{ user_version: LATEST }]);
  });

  it('a store written by a newer kontext is refused, saying so', async () => {
    store.close();
    const db = openDatabase(join(dir, 'sessions.db'));
    db.exec(`PRAGMA user_version = ${LATEST + 1}`);
    db.close();
    await expect(SessionStore.open(dir)).rejects.toThrow(
      `session database has schema version ${LATEST + 1}; this kontext knows up to ${LATEST} (upgrade kontext)`,
    );
    const raw = new Database(join(dir, 'sessions.db')); // as is: openDatabase would refuse it
    raw.exec(`PRAGMA user_version = ${LATEST}`);
    raw.close();
    store = await SessionStore.open(dir);
  });

  it('the database itself refuses a turn of no session and a parent that is not earlier; it runs in WAL, synced, waiting on a lock', async () => {
    const s = store.createSession();
    store.addTurn(s.id, await turn(null, 1));
    const insert = (session: string, n: number, parent: number | null) =>
      store.db
        .prepare(
          'INSERT INTO turns (session_id, n, parent, instruction, inputs, output, width, height, seed, model, seconds, created_at) ' +
            "VALUES (?, ?, ?, 'x', '[]', 'h', 1, 1, 0, 'm', 0, 'now')",
        )
        .run(session, n, parent);
    expect(() => insert('nope', 1, null)).toThrow(/FOREIGN KEY constraint failed/);
    expect(() => insert(s.id, 2, 2)).toThrow(/CHECK constraint failed/);
    expect(() => insert(s.id, 2, 1)).not.toThrow();
    const pragma = (name: string) => Object.values(store.db.prepare(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(2); // FULL
    expect(pragma('busy_timeout')).toBe(10000);
  });

  it('a data folder that is a file is refused, naming it', async () => {
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'not a folder');
    await expect(SessionStore.open(file)).rejects.toThrow(`data folder '${file}' is a file, not a folder`);
  });

  it('opening without create refuses a folder with no store, with the command that makes one', async () => {
    await expect(SessionStore.open(join(dir, 'none'), { create: false })).rejects.toThrow(
      /no sessions in '.*none' \(start one with 'kontext session new --data .*none'\)/,
    );
  });
});
