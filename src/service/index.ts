// The HTTP service (`kontext serve`): a JSON API for generating and editing images and for multi-turn sessions,
// with model runs as queued jobs that report progress over Server-Sent Events.
//
//   const service = await startService({ data: 'kontext-data', model: 'mini', port: 8080 });
//   // POST /edit {"prompt": "make the circle blue", "images": ["<base64 PNG>"]}  → 202 {"id": ..., "status": "queued"}
//   // GET /jobs/<id>/events → queued, started, step 1/8, ..., done {"result": {"image": "<hash>"}}
//   // GET /images/<hash> → the PNG
//   await service.close(); // graceful: finishes the running job
//
// Layout: server.ts (wiring and shutdown), app.ts (Fastify, errors), routes/ (one file per resource, declared as
// data so openapi.ts can describe them), jobs/ (the queue interface, the in-process and Redis queues, the events
// they share (book.ts), the journal, what a job runs), worker.ts (`kontext worker`: runs the Redis queue's jobs),
// ids.ts + limits.ts + uploads.ts (everything a request is checked against).

export { buildApp, allRoutes } from './app.ts';
export { ServiceError } from './errors.ts';
export { InProcessQueue } from './jobs/memory-queue.ts';
export { RedisQueue } from './jobs/redis-queue.ts';
export { JobJournal } from './jobs/journal.ts';
export type { Job, JobEvent, JobQueue, JobResult, JobSpec, JobStatus } from './jobs/types.ts';
export { loadServiceModel, type ServiceModel, type StepRequest } from './model.ts';
export { DEFAULT_LIMITS, DEFAULTS, type Limits, type ServiceOptions } from './options.ts';
export { startService, type Service } from './server.ts';
export { startWorker, type RunningWorker, type WorkerOptions } from './worker.ts';
