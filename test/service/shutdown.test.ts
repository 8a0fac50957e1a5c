// Graceful shutdown (service.close(), which SIGINT/SIGTERM call): it stops accepting, cancels queued jobs,
// lets the running job finish and stores its result — or cancels it at its next step after the grace time —
// and a restarted service still answers for every finished job.
import { afterEach, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { JobJournal } from '../../src/service/jobs/journal.ts';
import { SessionStore } from '../../src/session/store.ts';
import { b64png, call, follow, readEvents, solid, startTestService, tempDir, type SseEvent } from './helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dataDir() {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

/** Submit a session turn and resolve once it is running (its first step is reported); its events keep coming in. */
async function runningTurn(s: { url: string }, session: string, steps: number) {
  await call(s, 'POST', '/sessions', { name: session });
  const job = (
    await call(s, 'POST', `/sessions/${session}/turns`, {
      instruction: 'slow',
      images: [await b64png(solid([7, 7, 7]))],
      steps,
    })
  ).body;
  expect(job.id, JSON.stringify(job)).toBeTruthy();
  let onStep!: () => void;
  const stepped = new Promise<void>((r) => (onStep = r));
  const { all: events } = follow(s, job.id, (e) => e.type === 'step' && onStep());
  await Promise.race([stepped, events]);
  return { job, events };
}

describe('graceful shutdown', () => {
  it('finishes and stores the running job, cancels the queued ones, refuses new work; a restart has it', async () => {
    const data = await dataDir();
    const s = await startTestService({ model: 'slow:40', data });
    const { job, events } = await runningTurn(s, 'g', 10);
    const queued = (await call(s, 'POST', '/generate', { prompt: 'never runs' })).body;
    const { opened, all: queuedEvents } = follow(s, queued.id);
    await opened;

    const t0 = Date.now();
    const closing = s.close();
    // new work is refused: the port is closed (or, on a kept-alive connection, 503)
    const late = await fetch(`${s.url}/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    const seen: SseEvent[] = await events;
    expect(seen.at(-1)!.type).toBe('done'); // the open event stream saw the job through to its end
    expect(seen.filter((e) => e.type === 'step')).toHaveLength(10);
    expect((await queuedEvents).map((e) => e.type)).toEqual(['queued', 'cancelled']);
    await closing;
    expect(Date.now() - t0).toBeLessThan(5_000); // no connection kept it open

    // on disk: the turn, its image, and the journal's record of both jobs
    const store = await SessionStore.open(data, { create: false });
    const turn = store.turn('g', 1);
    expect(store.images.has(turn.output)).toBe(true);
    store.close();
    const journal = JobJournal.open(data);
    expect(journal.get(job.id)).toMatchObject({ status: 'done', result: { image: turn.output, turn: { n: 1 } } });
    expect(journal.get(queued.id)).toMatchObject({
      status: 'cancelled',
      error: 'the server shut down before this job started',
    });
    journal.close();

    // a new process on the same data folder answers for the finished jobs
    const again = await startTestService({ data });
    try {
      expect((await call(again, 'GET', `/jobs/${job.id}`)).body).toMatchObject({
        status: 'done',
        result: { image: turn.output },
      });
      expect((await fetch(`${again.url}/images/${turn.output}`)).status).toBe(200);
      const replay = await readEvents(again, job.id);
      expect(replay.map((e) => e.type)).toEqual(['done']); // its final state, from the journal
      expect((await call(again, 'GET', `/jobs/${queued.id}`)).body.status).toBe('cancelled');
    } finally {
      await again.close();
    }
  });

  it('cancels the running job at its next step when it outlasts the grace time; nothing half-stored', async () => {
    const data = await dataDir();
    const s = await startTestService({ model: 'slow:100', data, shutdownGraceMs: 150 });
    const { job, events } = await runningTurn(s, 'c', 50); // 5 s of steps
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    const seen = await events;
    expect(seen.at(-1)).toMatchObject({
      type: 'cancelled',
      data: { reason: 'the server shut down and the job did not finish within 0.15s' },
    });
    const store = await SessionStore.open(data, { create: false });
    expect(store.session('c')).toMatchObject({ head: null, turnCount: 0 });
    store.close();
    const journal = JobJournal.open(data);
    expect(journal.get(job.id)).toMatchObject({ status: 'cancelled' });
    journal.close();
  });

  it('jobs a killed process left queued or running are marked failed at the next start', async () => {
    const data = await dataDir();
    const s = await startTestService({ data });
    await s.close();
    const journal = JobJournal.open(data);
    const id = '11111111-2222-4333-8444-555555555555';
    const job = {
      id,
      kind: 'edit',
      status: 'running',
      session: null,
      createdAt: new Date().toISOString(),
    } as const;
    journal.insert(
      {
        ...job,
        startedAt: null,
        finishedAt: null,
        position: null,
        progress: null,
        cancelRequested: false,
        result: null,
        error: null,
        notes: ['images[0] is 50.0 % transparent'],
      },
      { kind: 'edit', prompt: 'x', images: [], notes: ['images[0] is 50.0 % transparent'] },
    );
    journal.close();
    const again = await startTestService({ data });
    try {
      expect((await call(again, 'GET', `/jobs/${id}`)).body).toMatchObject({
        status: 'failed',
        error: 'the server stopped before this job finished; submit it again',
        notes: ['images[0] is 50.0 % transparent'], // read back from the journal's spec
      });
    } finally {
      await again.close();
    }
  });
});
