// startWorker: one `kontext worker` process. It takes jobs from the BullMQ queue on Redis that `kontext serve
// --redis` fills, runs each with the same runner as the in-process queue (createRunner: images from the shared
// data folder's store by hash, the output image and the session turn stored before the job is done) and answers
// through the queue: each step as progress, the JobResult as the job's return value, or the failure.
//
//   const w = await startWorker({ redis: 'redis://127.0.0.1:6379', data: 'kontext-data', model: 'mini' });
//   await w.close(30_000);   // finish the running jobs (or leave them to other workers), then disconnect
//
// A worker that dies mid-job stops renewing the job's lock; after stallTimeoutMs another worker's stall check
// puts the job back and someone runs it again from the start. Nothing of the first run is visible: a turn is
// recorded only at the end of a run (src/session/editor.ts), so the job ends once. (A worker killed in the few
// milliseconds between recording the turn and telling Redis would leave the turn and have the job run again.)

import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { QueueEvents, UnrecoverableError, Worker, type QueueEventsListener } from 'bullmq';
import { UserError } from '../errors.ts';
import { SessionStore } from '../session/store.ts';
import {
  CANCEL_EVENT,
  CANCELLED,
  checkRedis,
  MAX_STALLED,
  QUEUE_NAME,
  redactUrl,
  redisConnection,
  workerName,
} from './jobs/redis.ts';
import { runJob } from './jobs/run.ts';
import { createRunner } from './jobs/runner.ts';
import type { JobResult, JobSpec } from './jobs/types.ts';
import { loadServiceModel, type ServiceModel } from './model.ts';
import { DEFAULTS } from './options.ts';

export interface WorkerOptions {
  /** the Redis URL the API process was given (--redis) */
  redis: string;
  /** the API process's data folder (sessions.db, images/), shared */
  data?: string;
  /** a model spec for loadServiceModel (default mini) or a loaded model */
  model?: string | ServiceModel;
  /** jobs run at once (default 1: one model run already uses every core) */
  concurrency?: number;
  /** a job whose worker has not renewed its lock for this long is given to another worker (default 30 s) */
  stallTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  model: ServiceModel;
  /** the data folder, absolute */
  data: string;
  /** this worker's name on Redis (CLIENT LIST) */
  name: string;
  /**
   * Take no more jobs; let the running ones finish for up to graceMs; then disconnect. Jobs still running then
   * are abandoned: Redis hands them to another worker after the stall timeout. Returns how many were.
   */
  close(graceMs: number): Promise<{ abandoned: number }>;
}

interface CancelListener extends QueueEventsListener {
  [CANCEL_EVENT]: (args: { jobId: string; reason?: string }, id: string) => void;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? (() => {});
  const connection = redisConnection(o.redis);
  const data = resolve(o.data ?? DEFAULTS.data);
  if (!existsSync(join(data, 'sessions.db'))) {
    throw new UserError(
      `data folder ${data} has no sessions.db: give the --data of the \`kontext serve --redis\` process ` +
        `(workers and API share it), and start that first`,
    );
  }
  const concurrency = o.concurrency ?? 1;
  const stallMs = o.stallTimeoutMs ?? 30_000;
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new UserError(`concurrency must be an integer >= 1, got ${concurrency}`);
  if (!(stallMs >= 100)) throw new UserError(`the stall timeout must be at least 0.1 s, got ${stallMs / 1000} s`);
  await checkRedis(o.redis);
  const model = typeof o.model === 'object' ? o.model : await loadServiceModel(o.model ?? 'mini');
  const store = await SessionStore.open(data, { create: false });
  const runner = createRunner(store, model);
  const id = await model.digest?.();
  const name = workerName(concurrency, hostname(), process.pid, id);
  let running = 0;

  const worker = new Worker<JobSpec, JobResult>(
    QUEUE_NAME,
    async (job, _token, signal) => {
      const again = job.attemptsStarted > 1 ? ` (again: a worker stopped while running it)` : '';
      log(`job ${job.id} (${job.name}) started${again}`);
      const t0 = performance.now();
      running++;
      const outcome = await runJob(runner, job.data, {
        id: job.id!,
        signal: signal ?? new AbortController().signal,
        onStep: (step, total) => void job.updateProgress({ step, total }).catch(() => {}), // progress is best effort
      }).finally(() => running--);
      const seconds = ((performance.now() - t0) / 1000).toFixed(2);
      if (outcome.status === 'done') {
        log(`job ${job.id} (${job.name}) done in ${seconds} s`);
        return outcome.result;
      }
      log(`job ${job.id} (${job.name}) ${outcome.status}: ${outcome.error}`);
      // Unrecoverable: a model's failure would only fail again; cancelled jobs stay cancelled.
      throw new UnrecoverableError(outcome.status === 'cancelled' ? CANCELLED + outcome.error : outcome.error);
    },
    {
      connection,
      concurrency,
      name,
      lockDuration: stallMs,
      stalledInterval: stallMs,
      maxStalledCount: MAX_STALLED,
      autorun: false,
    },
  );
  worker.on('error', (err) => log(`redis (worker): ${err.message}`));

  // Cancel requests reach every worker; the one running the job aborts it (it stops at its next step).
  const events = new QueueEvents(QUEUE_NAME, { connection });
  events.on('error', (err) => log(`redis (events): ${err.message}`));
  events.on<CancelListener, typeof CANCEL_EVENT>(CANCEL_EVENT, ({ jobId, reason }) => {
    if (worker.cancelJob(jobId, reason || 'cancelled by request while running')) log(`job ${jobId}: cancel requested`);
  });
  await events.waitUntilReady();
  void worker.run().catch((err) => log(`worker stopped: ${(err as Error).message}`));
  await worker.waitUntilReady();
  log(
    `worker ${name} takes jobs from ${redactUrl(o.redis)} (model ${model.name}${id ? ` ${id}` : ''}, ` +
      `data ${data}, ${concurrency} at once)`,
  );

  let closing: Promise<{ abandoned: number }> | null = null;
  const close = (graceMs: number) =>
    (closing ??= (async () => {
      await events.close();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        worker.pause().then(() => true), // no new jobs; resolves when the running ones have ended
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
      ]);
      clearTimeout(timer);
      const abandoned = finished ? 0 : running;
      await worker.close(!finished);
      // Disconnected first, so that the abandoned runs, stopped now at their next step, cannot report themselves
      // cancelled: their jobs stay running in Redis until the stall check gives them to another worker.
      if (!finished) worker.cancelAllJobs('the worker shut down');
      store.close();
      return { abandoned };
    })());

  return { model, data, name, close };
}
