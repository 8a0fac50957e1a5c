// `kontext serve` as a process: it prints where it listens, and on SIGTERM or SIGINT it shuts down gracefully —
// the running job finishes and is stored (or, past --shutdown-timeout, is cancelled) and the process exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JobJournal } from '../../src/service/jobs/journal.ts';
import { SessionStore } from '../../src/session/store.ts';
import { b64png, call, follow, solid, tempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Server {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Start `kontext serve ARGS`; resolves once it says where it listens. */
function serve(args: string[]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'serve', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1], stderr: () => err, exit });
    });
    child.on('error', reject);
    exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}

/** A session turn of `steps` slow steps; resolves once it has reported a step. */
async function startTurn(server: Server, steps: number) {
  await call(server, 'POST', '/sessions', { name: 'w' });
  const job = (
    await call(server, 'POST', '/sessions/w/turns', {
      instruction: 'x',
      images: [await b64png(solid([3, 3, 3]))],
      steps,
    })
  ).body;
  let stepped!: () => void;
  const first = new Promise<void>((r) => (stepped = r));
  const { all } = follow(server, job.id, (e) => e.type === 'step' && stepped());
  await Promise.race([first, all]);
  return { job, events: all };
}

describe('kontext serve', () => {
  it('SIGTERM: the running job finishes and is stored, then the process exits 0', async () => {
    const data = await tempDir();
    dirs.push(data);
    const server = await serve(['--model', 'slow:60', '--port', '0', '--data', data]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // loopback by default
    const { job, events } = await startTurn(server, 8);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect((await events).at(-1)!.type).toBe('done');
    expect(server.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(server.stderr()).toMatch(/stopped/);
    const store = await SessionStore.open(data, { create: false });
    const turn = store.turn('w', 1);
    expect(store.images.has(turn.output)).toBe(true);
    store.close();
    const journal = JobJournal.open(data);
    expect(journal.get(job.id)).toMatchObject({ status: 'done', result: { image: turn.output } });
    journal.close();
  });

  it('SIGINT past --shutdown-timeout: a running job stops at its next step, nothing half-stored, exit 0', async () => {
    const data = await tempDir();
    dirs.push(data);
    const server = await serve(['--model', 'slow:60', '--port', '0', '--data', data, '--shutdown-timeout', '0.2']);
    const { events } = await startTurn(server, 50);
    server.child.kill('SIGINT');
    expect(await server.exit).toBe(0);
    expect((await events).at(-1)).toMatchObject({
      type: 'cancelled',
      data: { reason: 'the server shut down and the job did not finish within 0.2s' },
    });
    const store = await SessionStore.open(data, { create: false });
    expect(store.session('w')).toMatchObject({ head: null, turnCount: 0 });
    store.close();
  });

  it('a bad option is one line and exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'serve', '--max-queue', 'lots'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((r) => child.on('close', r))).toBe(2);
    expect(err.trim()).toBe("kontext serve: --max-queue must be an integer >= 0, got 'lots'");
  });
});
