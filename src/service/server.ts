// startService: the whole service in one process. It loads the model, opens the data folder (the session store
// and the job journal), starts the in-process queue and the HTTP server, and returns a handle whose close() is
// the graceful shutdown. With `redis`, it loads no model: jobs go to BullMQ and `kontext worker` processes
// (worker.ts) run them; step 2 below is then the workers' business. The shutdown:
//
//   1. stop accepting: the server stops listening, and requests on open connections get 503;
//   2. cancel the queued jobs, and let the running one finish (for up to shutdownGraceMs; then it is cancelled
//      at its next step). A job that finishes has stored its images, turn and journal row before it is done;
//   3. wait for open responses (event streams end with their job's last event), then close the databases.

import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors.ts';
import { SessionStore } from '../session/store.ts';
import { buildApp } from './app.ts';
import { JobJournal } from './jobs/journal.ts';
import { InProcessQueue } from './jobs/memory-queue.ts';
import { createRunner } from './jobs/runner.ts';
import type { JobQueue } from './jobs/types.ts';
import { loadServiceModel, type ServiceModel, workersModel } from './model.ts';
import { limitsOf, resolveOptions, type ResolvedOptions, type ServiceOptions } from './options.ts';

export interface Service {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  port: number;
  queue: JobQueue;
  store: SessionStore;
  model: ServiceModel;
  options: ResolvedOptions;
  /** graceful shutdown (safe to call more than once) */
  close(): Promise<void>;
}

export async function startService(o: ServiceOptions = {}): Promise<Service> {
  const opts = resolveOptions(o);
  const log = opts.log;
  if (opts.redis && o.model !== undefined)
    throw new UserError(
      '--model belongs to the workers when jobs go to Redis: kontext worker --redis URL --model SPEC',
    );
  if (opts.redis && o.concurrency !== undefined)
    throw new UserError(
      '--concurrency belongs to the workers when jobs go to Redis: kontext worker --redis URL --concurrency N',
    );
  if (!opts.redis && opts.checkModel)
    throw new UserError('--check-model is for --redis: without it this process loads --model and checks with it');
  const load = (m: string | ServiceModel) => (typeof m === 'string' ? loadServiceModel(m) : m);
  const checks = opts.redis && opts.checkModel ? await load(opts.checkModel) : undefined;
  const model = opts.redis ? workersModel(checks) : await load(opts.model);
  const store = await SessionStore.open(opts.data);
  const journal = JobJournal.open(store.dir);
  let queue: JobQueue | undefined;
  let app: FastifyInstance | undefined;
  try {
    queue = opts.redis ? await redisQueue(opts, journal, checks) : inProcess(opts, store, model, journal);
    app = buildApp({ store, queue, model, limits: limitsOf(opts) }, log);
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app?.close();
    await queue?.shutdown(0); // the Redis queue's connections would keep the process alive
    journal.close();
    store.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const stopped = app.close(); // 1. no new connections; 503 for new requests on open ones
      await queue.shutdown(opts.shutdownGraceMs); // 2. queued jobs cancelled, the running one finished or cancelled
      await stopped; // 3. open responses done
      journal.close();
      store.close();
    })());

  return { app, url: `http://${host}:${port}`, port, queue, store, model, options: opts, close };
}

/** Jobs for `kontext worker` processes (BullMQ is loaded only then). */
async function redisQueue(opts: ResolvedOptions, journal: JobJournal, checks?: ServiceModel): Promise<JobQueue> {
  const { RedisQueue } = await import('./jobs/redis-queue.ts');
  const id = await checks?.digest?.();
  const checkModel = checks && { name: checks.name, ...(id ? { id } : {}) };
  return RedisQueue.open({ url: opts.redis, journal, maxQueue: opts.maxQueue, log: opts.log, checkModel });
}

/** The default queue: jobs run in this process; those an earlier process left unfinished will never run. */
function inProcess(
  opts: ResolvedOptions,
  store: SessionStore,
  model: ServiceModel,
  journal: JobJournal,
): InProcessQueue {
  const lost = journal.failInterrupted();
  if (lost) opts.log(`${lost} job(s) left unfinished by an earlier run are marked failed`);
  return new InProcessQueue({
    runner: createRunner(store, model),
    journal,
    maxQueue: opts.maxQueue,
    concurrency: opts.concurrency,
    log: opts.log,
  });
}
