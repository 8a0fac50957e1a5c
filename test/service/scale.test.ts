// Scale-out: `kontext serve --redis URL` and two `kontext worker` processes on Debian's redis-server, all real
// processes on loopback. Jobs spread over both workers; a worker killed with SIGKILL in the middle of a job has
// that job run again by the other one, and every job completes exactly once: one `done` in the workers' logs,
// one turn in its session, one final event for its subscribers.
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/image/rgb.ts';
import { startService } from '../../src/service/server.ts';
import { startWorker } from '../../src/service/worker.ts';
import { SessionStore } from '../../src/session/store.ts';
import { tinyModelDir } from '../mini/tiny.ts';
import { b64png, call, follow, solid, tempDir, until, type SseEvent } from './helpers.ts';
import { redisServerPath, serve, startRedis, worker, type Proc, type Redis } from './processes.ts';

const SLOW = ['./test/service/slow-model.ts']; // registers the `slow` test model in the workers
const STEP_MS = 150;
const STEPS = 6;

const redisBin = redisServerPath();
if (!redisBin)
  console.warn(
    'scale.test.ts: skipped: /usr/bin/redis-server is missing (apt-get install redis-server; ' +
      'KONTEXT_REDIS_SERVER names another)',
  );

describe.skipIf(!redisBin)('kontext serve --redis with two kontext workers', () => {
  let dir: string;
  let redis: Redis;
  let api: Proc & { url: string };
  const workers: Proc[] = [];

  beforeAll(async () => {
    dir = await tempDir('kontext-scale-');
    await mkdir(join(dir, 'redis'));
    redis = await startRedis(join(dir, 'redis'));
    const data = join(dir, 'data');
    api = await serve(['--redis', redis.url, '--data', data]);
    const args = ['--redis', redis.url, '--data', data, '--model', `slow:${STEP_MS}`, '--stall-timeout', '2'];
    workers.push(
      ...(await Promise.all([
        worker(args, { preload: SLOW, name: 'worker A' }),
        worker(args, { preload: SLOW, name: 'worker B' }),
      ])),
    );
  });

  afterAll(async () => {
    await Promise.all([...workers, api].filter(Boolean).map((p) => p.stop()));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One session turn per job, each in a session of its own (so a second completion would show as a second turn). */
  async function submit(name: string) {
    expect((await call(api, 'POST', '/sessions', { name })).status).toBe(201);
    const r = await call(api, 'POST', `/sessions/${name}/turns`, {
      instruction: 'brighter',
      images: [await b64png(solid([20, 40, 60]))],
      steps: STEPS,
    });
    expect(r.status).toBe(202);
    return r.body.id as string;
  }

  const doneLines = (p: Proc, id: string) =>
    p
      .output()
      .split('\n')
      .filter((l) => l.includes(`job ${id} (session-edit) done`)).length;

  it('a worker killed mid-job: the job runs again on the other worker; every job completes exactly once', async () => {
    const ids = await Promise.all(['j1', 'j2', 'j3', 'j4', 'j5'].map(submit));
    const streams = new Map(ids.map((id) => [id, follow(api, id)]));

    // Wait until both workers have a job in hand and one of them is half-way through it, then kill that worker.
    const [victim, survivor] = (await until(
      () => {
        const midJob = workers.find((w) =>
          ids.some((id) => w.output().includes(`job ${id} (session-edit) started`) && !doneLines(w, id)),
        );
        return midJob && ([midJob, workers.find((w) => w !== midJob)!] as const);
      },
      'a worker to start a job',
      30_000,
    ))!;
    const running = ids.find(
      (id) => victim.output().includes(`job ${id} (session-edit) started`) && !doneLines(victim, id),
    )!;
    await until(
      async () => ((await call(api, 'GET', `/jobs/${running}`)).body.progress?.step ?? 0) >= 2,
      'the job to be half-way',
      10_000,
    );
    victim.child.kill('SIGKILL');
    expect(await victim.exit).toBe(null); // killed, not exited

    // Every job ends, and ends done: the killed one after the stall timeout, on the survivor.
    const events = new Map<string, SseEvent[]>();
    for (const [id, s] of streams) events.set(id, await s.all);
    for (const id of ids) {
      const job = (await call(api, 'GET', `/jobs/${id}`)).body;
      expect(job, id).toMatchObject({ status: 'done', error: null });
      const finals = events.get(id)!.filter((e) => ['done', 'failed', 'cancelled'].includes(e.type));
      expect(
        finals.map((e) => e.type),
        id,
      ).toEqual(['done']);
      // completed exactly once across both workers' logs (the victim never finished its job)
      expect(doneLines(victim, id) + doneLines(survivor, id), id).toBe(1);
    }

    // The killed job: started by the victim, started again by the survivor, finished there; its subscribers saw it
    // queued again after the kill, then running to the end.
    expect(doneLines(victim, running)).toBe(0);
    expect(survivor.output()).toContain(
      `job ${running} (session-edit) started (again: a worker stopped while running it)`,
    );
    expect(doneLines(survivor, running)).toBe(1);
    const story = events.get(running)!.map((e) => e.type);
    expect(story.filter((t) => t === 'started')).toHaveLength(2);
    expect(story.slice(story.lastIndexOf('started'))).toEqual(['started', ...Array(STEPS).fill('step'), 'done']);

    // One turn per session, its image stored and brightened by the slow model (20 + 10).
    const store = await SessionStore.open(join(dir, 'data'), { create: false });
    try {
      for (const name of ['j1', 'j2', 'j3', 'j4', 'j5']) {
        expect(store.turns(name), name).toHaveLength(1);
        const img = await store.images.get(store.turn(name, 1).output);
        expect([img.data[0], img.data[1], img.data[2]]).toEqual([30, 50, 70]);
      }
    } finally {
      store.close();
    }
    workers.splice(workers.indexOf(victim), 1);
  });

  it('cancel: a waiting job is removed from Redis; a running one stops at its next step on its worker', async () => {
    const running = await submit('c1');
    const waiting = await submit('c2'); // one worker left, busy with c1: this one waits
    await until(
      async () => ((await call(api, 'GET', `/jobs/${running}`)).body.progress?.step ?? 0) >= 1,
      'c1 to step',
      20_000,
    );
    expect(await call(api, 'DELETE', `/jobs/${waiting}`)).toMatchObject({
      status: 200,
      body: { status: 'cancelled', error: 'cancelled by request before it started' },
    });
    expect(await call(api, 'DELETE', `/jobs/${running}`)).toMatchObject({
      status: 200,
      body: { status: 'running', cancelRequested: true },
    });
    const events = await follow(api, running).all;
    expect(events.at(-1)).toMatchObject({ type: 'cancelled', data: { reason: 'cancelled by request while running' } });
    expect(events.filter((e) => e.type === 'step').length).toBeLessThan(STEPS);
    expect(await call(api, 'DELETE', `/jobs/${running}`)).toMatchObject({ status: 409 });
    const store = await SessionStore.open(join(dir, 'data'), { create: false });
    expect([store.turns('c1').length, store.turns('c2').length]).toEqual([0, 0]);
    store.close();
    expect(workers[0].output()).not.toContain(`job ${waiting}`); // never reached a worker
  });
});

describe.skipIf(!redisBin)('kontext serve --redis: a restart of the API process', () => {
  let dir: string;
  let redis: Redis;
  beforeAll(async () => {
    dir = await tempDir('kontext-restart-');
    await mkdir(join(dir, 'redis'));
    redis = await startRedis(join(dir, 'redis'));
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loses no job: one that ended while it was down is read from Redis, one still waiting is followed', async () => {
    const data = join(dir, 'data');
    const api = () => startService({ redis: redis.url, data, port: 0 });
    const lines: string[] = [];
    const runWorker = () => startWorker({ redis: redis.url, data, model: 'identity', log: (l) => lines.push(l) });
    const edit = async (s: { url: string }) =>
      (await call(s, 'POST', '/edit', { prompt: 'x', images: [await b64png(solid([1, 2, 3]))] })).body.id as string;

    // 1. a job submitted, the API stopped, the job run by a worker meanwhile
    let s = await api();
    const a = await edit(s);
    await s.close();
    let w = await runWorker();
    await until(() => lines.some((l) => l.startsWith(`job ${a} (edit) done`)), 'the worker to run a');
    await w.close(1000);

    // 2. the next API process learns its end from Redis (the journal said queued)
    s = await api();
    const ja = (await call(s, 'GET', `/jobs/${a}`)).body;
    expect(ja).toMatchObject({ status: 'done', result: { model: 'identity', width: 8, height: 6 } });
    expect(s.store.images.has(ja.result.image)).toBe(true);
    const b = await edit(s); // no worker: it waits
    expect((await call(s, 'GET', '/health')).body.queue).toMatchObject({ queued: 1, running: 0, concurrency: 0 });
    await s.close();

    // 3. one more restart with b still waiting: it is followed, and its subscribers hear it end
    s = await api();
    expect((await call(s, 'GET', `/jobs/${b}`)).body.status).toBe('queued');
    const events = follow(s, b);
    await events.opened;
    w = await runWorker();
    expect((await events.all).map((e) => e.type)).toEqual(['queued', 'started', 'done']);
    expect((await call(s, 'GET', `/jobs/${b}`)).body).toMatchObject({ status: 'done', error: null });
    expect(lines.filter((l) => / \(edit\) done in /.test(l))).toHaveLength(2);
    await w.close(1000);
    await s.close();
  });
});

describe.skipIf(!redisBin)('kontext serve --redis --check-model: requests checked before they are queued', () => {
  let dir: string;
  let model: string;
  let redis: Redis;
  beforeAll(async () => {
    dir = await tempDir('kontext-checks-');
    await mkdir(join(dir, 'redis'));
    redis = await startRedis(join(dir, 'redis'));
    model = await tinyModelDir();
  });
  afterAll(async () => {
    await redis?.stop();
    if (model) await rm(dirname(model), { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the workers' model checks prompts and image counts here; without it nothing is checked", async () => {
    const data = join(dir, 'data');
    const img = await b64png(solid([185, 215, 240]));
    const checked = await startService({ redis: redis.url, data, port: 0, checkModel: `mini:${model}` });
    const plain = await startService({ redis: redis.url, data, port: 0 });
    try {
      expect(checked.model.name).toBe('kontext worker processes'); // it runs nothing itself
      const prompt = 'make the circle vermilion';
      const check = await call(checked, 'POST', '/prompts/check', { prompt });
      expect(check.body).toMatchObject({
        unknownWords: ['vermilion'],
        note: expect.stringMatching(/^the model does not know "vermilion"/),
      });
      const job = await call(checked, 'POST', '/edit', { prompt, images: [img] });
      expect(job.status).toBe(202);
      expect(job.body.notes).toEqual([check.body.note]);
      // and the shapes of the picture an edit gets: a shape named that is not there is said
      const scene = await b64png(await readImage('examples/scene.png'));
      const star = await call(checked, 'POST', '/edit', { prompt: 'make the star red', images: [scene] });
      expect(star.body.notes).toEqual([expect.stringContaining('the picture shows no star (it shows a blue circle,')]);
      // more images than kontext-mini takes: refused before anything is queued
      const three = await call(checked, 'POST', '/edit', { prompt, images: [img, img, img] });
      expect(three).toMatchObject({
        status: 400,
        body: {
          error: expect.stringMatching(/takes at most 2 images per edit; this one would get 3 \(the uploads\)$/),
        },
      });
      // without --check-model: no notes, and the three images are queued for the workers to refuse
      expect((await call(plain, 'POST', '/prompts/check', { prompt })).body).toEqual({
        unknownWords: null,
        note: null,
      });
      const queued = await call(plain, 'POST', '/edit', { prompt, images: [img, img, img] });
      expect([queued.status, queued.body.notes]).toEqual([202, []]);
    } finally {
      await checked.close();
      await plain.close();
    }
  });

  it("compares the workers' model with the one it checks for, and says when one runs another", async () => {
    const data = join(dir, 'data2');
    const lines: string[] = [];
    const api = await startService({
      redis: redis.url,
      data,
      port: 0,
      checkModel: `mini:${model}`,
      log: (l) => lines.push(l),
    });
    const same = await startWorker({ redis: redis.url, data, model: `mini:${model}` });
    let other: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      const id = await same.model.digest!();
      expect(id).toMatch(/^[0-9a-f]{12}$/);
      expect(same.name).toMatch(new RegExp(`@m${id}$`)); // the model's id is in its Redis connection name
      const health = async () => (await call(api, 'GET', '/health')).body.queue.checkModel;
      await until(async () => (await health()).workersSame === 1, 'the worker to be seen');
      expect(await health()).toEqual({ model: `kontext-mini (${model})`, id, workersSame: 1, workersOther: 0 });
      expect(lines.filter((l) => l.includes('not the --check-model'))).toEqual([]);
      // a worker with another model: counted, and logged once
      other = await startWorker({ redis: redis.url, data, model: 'identity' });
      await until(async () => (await health()).workersOther === 1, 'the other worker to be seen');
      expect(await health()).toMatchObject({ workersSame: 1, workersOther: 1 });
      await call(api, 'GET', '/health');
      const warned = lines.filter((l) => l.includes('not the --check-model'));
      expect(warned).toEqual([
        `worker ${other.name} runs a model with no id, not the --check-model kontext-mini (${model}) (${id}): ` +
          'requests are checked for another model than the one that runs them',
      ]);
    } finally {
      await other?.close(1000);
      await same.close(1000);
      await api.close();
    }
  });
});
