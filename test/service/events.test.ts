// Progress as Server-Sent Events: every event of a job arrives, in order, numbered, and the stream ends with the
// last one; a late subscriber gets the whole story; Last-Event-ID resumes after what was seen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, readEvents, startTestService, type TestService } from './helpers.ts';

let s: TestService;
beforeAll(async () => void (s = await startTestService({ model: 'slow:30' })));
afterAll(async () => s.dispose());

describe('GET /jobs/:id/events', () => {
  it('queued, started, step 1..N, done — in order, with increasing ids, and then the stream ends', async () => {
    const { body: job } = await call(s, 'POST', '/generate', { prompt: 'a circle', steps: 6, width: 4, height: 4 });
    const events = await readEvents(s, job.id);
    expect(events.map((e) => e.type)).toEqual([
      'queued',
      'started',
      'step',
      'step',
      'step',
      'step',
      'step',
      'step',
      'done',
    ]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[0].data).toEqual({ type: 'queued', position: 1 });
    expect(events.filter((e) => e.type === 'step').map((e) => e.data)).toEqual(
      [1, 2, 3, 4, 5, 6].map((step) => ({ type: 'step', step, total: 6 })),
    );
    const done = events.at(-1)!.data;
    expect(done.result).toMatchObject({ width: 4, height: 4, model: 'slow' });
    // the event carries the job's result
    expect((await call(s, 'GET', `/jobs/${job.id}`)).body.result).toEqual(done.result);
  });

  it('a job waiting behind others sees its position move up, then runs', async () => {
    const a = (await call(s, 'POST', '/generate', { prompt: 'a', steps: 3 })).body;
    const b = (await call(s, 'POST', '/generate', { prompt: 'b', steps: 2 })).body;
    const c = (await call(s, 'POST', '/generate', { prompt: 'c', steps: 2 })).body;
    expect([a.position, b.position, c.position]).toEqual([null, 1, 2]); // a runs at once
    const [ea, eb, ec] = await Promise.all([a, b, c].map((j) => readEvents(s, j.id)));
    expect(ea.map((e) => e.type)).toEqual(['queued', 'started', 'step', 'step', 'step', 'done']);
    expect(eb.map((e) => e.type)).toEqual(['queued', 'started', 'step', 'step', 'done']);
    expect(ec.map((e) => e.type)).toEqual(['queued', 'queued', 'started', 'step', 'step', 'done']);
    expect(ec.slice(0, 2).map((e) => e.data.position)).toEqual([2, 1]); // moved up when b started
    // one worker: b started after a was done, c after b
    const started = async (id: string) => (await call(s, 'GET', `/jobs/${id}`)).body;
    const [ja, jb, jc] = await Promise.all([a.id, b.id, c.id].map(started));
    expect(jb.startedAt >= ja.finishedAt && jc.startedAt >= jb.finishedAt).toBe(true);
  });

  it('a subscriber that comes after the end gets all events; Last-Event-ID resumes after the one given', async () => {
    const { body: job } = await call(s, 'POST', '/generate', { prompt: 'x', steps: 3 });
    const all = await readEvents(s, job.id);
    const late = await readEvents(s, job.id);
    expect(late).toEqual(all);
    const resumed = await readEvents(s, job.id, { lastEventId: 3 });
    expect(resumed).toEqual(all.slice(3));
  });

  it('an unknown job is a 404 JSON error, not a stream', async () => {
    const r = await call(s, 'GET', '/jobs/00000000-0000-0000-0000-000000000000/events');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/^no job/);
  });
});
