// Crash safety: a writer killed with SIGKILL at random moments (mid image write, mid fsync, mid transaction, ...)
// must lose no turn it had finished and leave no half-written turn visible. Ten kills, each checked by reopening
// the store: every turn the child reported is there, the count never shrinks, every turn's images exist, match
// their hash and decode, and the tree (parents, head) is consistent.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readImage } from '../../src/image/rgb.ts';
import { sha256 } from '../../src/session/images.ts';
import { SessionStore } from '../../src/session/store.ts';
import { tempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
beforeAll(async () => void (dir = await tempDir('kontext-kill-')));
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Run the child until it has committed at least one turn, then SIGKILL it after a random delay; its reported turns. */
function runAndKill(maxDelayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reported: number[] = [];
    let buf = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) reported.push(Number(l.split(' ')[1]));
      timer ??= setTimeout(() => child.kill('SIGKILL'), Math.random() * maxDelayMs);
    });
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited by itself (code ${code}): ${err}`));
      else resolve(reported);
    });
  });
}

/** Open the store and check it; returns the number of turns. */
async function check(committed: Set<number>): Promise<number> {
  const store = await SessionStore.open(dir, { create: false });
  try {
    const s = store.session('k');
    const turns = store.turns('k');
    const ns = new Set(turns.map((t) => t.n));
    for (const n of committed) expect(ns.has(n), `reported turn ${n} was lost`).toBe(true);
    expect(turns.map((t) => t.n)).toEqual(turns.map((_, i) => i + 1)); // no gaps: no half-inserted turn
    if (s.head !== null) expect(ns.has(s.head)).toBe(true);
    for (const t of turns) {
      if (t.parent !== null) expect(ns.has(t.parent)).toBe(true);
      for (const h of [...t.inputs, t.output]) {
        const png = await readFile(store.images.path(h)); // throws if missing
        expect(sha256(png)).toBe(h);
      }
      const img = await readImage(await store.images.readPng(t.output));
      expect([img.width, img.height]).toEqual([t.width, t.height]);
    }
    // Every file with a final name is complete (decodes); unfinished writes only ever have a temporary name.
    for (const f of await readdir(store.images.dir)) {
      if (f.endsWith('.png')) await expect(readImage(join(store.images.dir, f))).resolves.toBeTruthy();
      else expect(f.startsWith('.tmp-')).toBe(true);
    }
    return turns.length;
  } finally {
    store.close();
  }
}

it('SIGKILL at random moments loses no completed turn and shows no half-written one', async () => {
  const committed = new Set<number>();
  let count = 0;
  for (let round = 0; round < 10; round++) {
    for (const n of await runAndKill(400)) committed.add(n);
    const now = await check(committed);
    expect(now).toBeGreaterThanOrEqual(count); // the count only grows
    count = now;
  }
  expect(count).toBeGreaterThanOrEqual(10); // each round committed at least one turn before its kill
}, 300_000);
