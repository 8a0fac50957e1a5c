// startService: the whole service in one process. It loads the model, opens the data folder (the session store
// and the job journal), starts the in-process queue and the HTTP server, and returns a handle whose close() is
// the graceful shutdown:
//
//   1. stop accepting: the server stops listening, and requests on open connections get 503;
//   2. cancel the queued jobs, and let the running one finish (for up to shutdownGraceMs; then it is cancelled
//      at its next step). A job that finishes has stored its images, turn and journal row before it is done;
//   3. wait for open responses (event streams end with their job's last event), then close the databases.

import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { SessionStore } from '../session/store.ts';
import { buildApp } from './app.ts';
import { JobJournal } from './jobs/journal.ts';
import { InProcessQueue } from './jobs/memory-queue.ts';
import { createRunner } from './jobs/runner.ts';
import type { JobQueue } from './jobs/types.ts';
import { loadServiceModel, type ServiceModel } from './model.ts';
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
  const model = typeof opts.model === 'string' ? await loadServiceModel(opts.model) : opts.model;
  const store = await SessionStore.open(opts.data);
  const journal = JobJournal.open(store.dir);
  const lost = journal.failInterrupted();
  if (lost) log(`${lost} job(s) left unfinished by an earlier run are marked failed`);
  const queue = new InProcessQueue({ runner: createRunner(store, model), journal, maxQueue: opts.maxQueue, concurrency: opts.concurrency, log });
  const app = buildApp({ store, queue, model, limits: limitsOf(opts) }, log);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
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
