// InProcessQueue on its own, with a scripted runner: concurrency, the journal, and the rule that a job which has
// stored its results is done even if a cancel arrives while it stores them.
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobJournal } from '../../src/service/jobs/journal.ts';
import { InProcessQueue } from '../../src/service/jobs/memory-queue.ts';
import type { JobResult, JobRunner } from '../../src/service/jobs/types.ts';
import { tempDir, until } from './helpers.ts';

let dir: string;
let journal: JobJournal;
beforeEach(async () => {
  dir = await tempDir();
  journal = JobJournal.open(dir);
});
afterEach(async () => {
  journal.close();
  await rm(dir, { recursive: true, force: true });
});

const RESULT: JobResult = { image: 'a'.repeat(64), width: 1, height: 1, seed: 0, model: 'test', seconds: 0 };

describe('InProcessQueue', () => {
  it('runs up to `concurrency` jobs at once, in submission order', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const runner: JobRunner = async (spec) => {
      order.push(spec.kind === 'generate' ? spec.prompt : '?');
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return RESULT;
    };
    const q = new InProcessQueue({ runner, journal, maxQueue: 10, concurrency: 2 });
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((prompt) => q.submit({ kind: 'generate', prompt }));
    await until(() => jobs.every((j) => q.get(j.id)!.status === 'done'), 'all jobs');
    expect(most).toBe(2);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(journal.get(jobs[4].id)).toMatchObject({ status: 'done', result: RESULT });
  });

  it('--max-queue 0: a job runs when a worker is free; one that would have to wait is refused with 429', async () => {
    const q = new InProcessQueue({
      runner: async () => {
        await sleep(50);
        return RESULT;
      },
      journal,
      maxQueue: 0,
      concurrency: 1,
    });
    const a = q.submit({ kind: 'generate', prompt: 'a' });
    expect(() => q.submit({ kind: 'generate', prompt: 'b' })).toThrow(
      /the job queue is full: 0 jobs are waiting and this server's limit is 0/,
    );
    await until(() => q.get(a.id)!.status === 'done', 'a');
    expect(q.submit({ kind: 'generate', prompt: 'c' }).status).toBe('running');
    await q.shutdown(1000);
  });

  it('a cancel arriving after the last step, while results are stored, does not undo a finished job', async () => {
    let storing!: () => void;
    const stored = new Promise<void>((r) => (storing = r));
    const runner: JobRunner = async (_spec, ctx) => {
      ctx.onStep(1, 1);
      ctx.checkCancelled(); // the last check: from here on the job commits
      storing();
      await sleep(30); // "writing the image and the turn"
      return RESULT;
    };
    const q = new InProcessQueue({ runner, journal, maxQueue: 10, concurrency: 1 });
    const job = q.submit({ kind: 'generate', prompt: 'x' });
    await stored;
    expect(q.cancel(job.id)).toMatchObject({ status: 'running', cancelRequested: true });
    await until(() => q.get(job.id)!.status !== 'running', 'the job to end');
    expect(q.get(job.id)).toMatchObject({ status: 'done', result: RESULT });
    expect(journal.get(job.id)!.status).toBe('done');
  });

  it('an error inside the runner fails the job with the message; a non-user error is marked internal', async () => {
    const q = new InProcessQueue({
      runner: async () => {
        throw new TypeError('x is undefined');
      },
      journal,
      maxQueue: 10,
      concurrency: 1,
    });
    const job = q.submit({ kind: 'generate', prompt: 'x' });
    await until(() => q.get(job.id)!.status === 'failed', 'failure');
    expect(q.get(job.id)!.error).toBe('internal error: x is undefined');
  });

  it('after shutdown it takes no jobs (503) and subscribe replays a finished job', async () => {
    const q = new InProcessQueue({ runner: async () => RESULT, journal, maxQueue: 10, concurrency: 1 });
    const job = q.submit({ kind: 'generate', prompt: 'x' });
    await q.shutdown(1000);
    await until(() => q.get(job.id)!.status === 'done', 'done');
    expect(() => q.submit({ kind: 'generate', prompt: 'y' })).toThrow(/shutting down/);
    const seen: string[] = [];
    q.subscribe(job.id, (_seq, e) => seen.push(e.type));
    expect(seen).toEqual(['queued', 'started', 'done']);
  });
});
