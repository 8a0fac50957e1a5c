// DELETE /jobs/:id: a queued job is removed at once and never runs; a running job stops at its next step and
// stores nothing; a finished job cannot be cancelled.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  b64png,
  call,
  finished,
  readEvents,
  solid,
  startTestService,
  type TestService,
} from './helpers.ts';

let s: TestService;
beforeAll(async () => void (s = await startTestService({ model: 'slow:40' })));
afterAll(async () => s.dispose());

const imageCount = async () => (await readdir(join(s.dir, 'images'))).length;

describe('cancellation', () => {
  it('a queued job is removed at once: cancelled, never started; the jobs behind it move up', async () => {
    const a = (await call(s, 'POST', '/generate', { prompt: 'a', steps: 5 })).body;
    const b = (await call(s, 'POST', '/generate', { prompt: 'b', steps: 2 })).body;
    const c = (await call(s, 'POST', '/generate', { prompt: 'c', steps: 2 })).body;
    const eventsB = readEvents(s, b.id);
    const eventsC = readEvents(s, c.id);
    const r = await call(s, 'DELETE', `/jobs/${b.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'cancelled',
      startedAt: null,
      result: null,
      error: 'cancelled by request before it started',
    });
    expect((await eventsB).map((e) => e.type)).toEqual(['queued', 'cancelled']);
    expect((await eventsC).map((e) => [e.type, e.data.position])).toEqual([
      ['queued', 2],
      ['queued', 1],
      ['started', undefined],
      ['step', undefined],
      ['step', undefined],
      ['done', undefined],
    ]);
    expect((await finished(s, a.id)).status).toBe('done');
    expect((await call(s, 'GET', `/jobs/${b.id}`)).body).toMatchObject({ status: 'cancelled', startedAt: null });
  });

  it('a running job stops at its next step: cancelled, nothing stored, the next job runs', async () => {
    await call(s, 'POST', '/sessions', { name: 'c' });
    const upload = await b64png(solid([5, 5, 5]));
    const before = await imageCount();
    const job = (await call(s, 'POST', '/sessions/c/turns', { instruction: 'slowly', images: [upload], steps: 40 }))
      .body;
    const next = (await call(s, 'POST', '/generate', { prompt: 'after', steps: 1 })).body;
    let answer!: Promise<Answer>; // set by the event handler below
    const events = await readEvents(s, job.id, {
      onEvent: (e) => {
        // cancel once two steps are done
        if (e.type === 'step' && e.data.step === 2) answer = call(s, 'DELETE', `/jobs/${job.id}`);
      },
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'running', cancelRequested: true }); // it stops at its next step
    const types = events.map((e) => e.type);
    expect(types.at(-1)).toBe('cancelled');
    expect(events.at(-1)!.data.reason).toBe('cancelled by request while running');
    // stopped within a few steps of the request, long before 40
    expect(types.filter((t) => t === 'step').length).toBeLessThanOrEqual(10);
    expect(await finished(s, job.id)).toMatchObject({ status: 'cancelled', result: null });
    expect((await call(s, 'GET', '/sessions/c')).body.session).toMatchObject({ head: null, turnCount: 0 }); // no turn
    expect(await imageCount()).toBe(before + 1); // only the upload; no output image
    expect((await finished(s, next.id)).status).toBe('done'); // the worker moved on
  });

  it('a finished job cannot be cancelled (409); an unknown one is 404', async () => {
    const job = (await call(s, 'POST', '/generate', { prompt: 'x', steps: 1 })).body;
    await finished(s, job.id);
    expect(await call(s, 'DELETE', `/jobs/${job.id}`)).toMatchObject({
      status: 409,
      body: { error: `job ${job.id} has already finished (done); there is nothing to cancel` },
    });
    expect((await call(s, 'DELETE', '/jobs/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
