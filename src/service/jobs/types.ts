// Jobs: the unit of work of the service. An HTTP request that asks for a model run (generate, edit, a session
// turn) does not wait for it: it is validated, its images are stored, and a job is queued; the answer is the job,
// which the client then follows (GET /jobs/:id, or the Server-Sent Events of GET /jobs/:id/events).
//
// A JobSpec is plain JSON (images by hash, never pixels), so a queue that lives in another process — Redis with
// BullMQ, item 4 of the apps issue — can carry it unchanged; only the JobQueue implementation would differ.

import type { Turn } from '../../session/types.ts';

interface Sampling {
  /** default: random (the one used is in the result) */
  seed?: number;
  /** default: the model's */
  steps?: number;
  guidance?: number;
}

export type JobSpec =
  | ({ kind: 'generate'; prompt: string; width?: number; height?: number } & Sampling)
  | ({ kind: 'edit'; prompt: string; images: string[] } & Sampling)
  | ({ kind: 'session-edit'; session: string; instruction: string; images: string[]; from?: number | null; width?: number; height?: number } & Sampling);

export type JobKind = JobSpec['kind'];

/** queued → running → done | failed | cancelled; a queued job can also go straight to cancelled. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export const isFinished = (s: JobStatus) => s === 'done' || s === 'failed' || s === 'cancelled';

export interface JobResult {
  /** hash of the output image; GET /images/<hash> serves it */
  image: string;
  width: number;
  height: number;
  seed: number;
  model: string;
  /** wall time of the model call */
  seconds: number;
  /** session jobs: the turn that was recorded */
  turn?: Turn;
}

/** A job as the API shows it. */
export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** the session of a session-edit job */
  session: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** 1 = next to run; only while queued */
  position: number | null;
  /** the last step reported while running */
  progress: { step: number; total: number } | null;
  /** a running job whose cancellation was asked for; it stops at its next step */
  cancelRequested: boolean;
  result: JobResult | null;
  /** why it failed or was cancelled */
  error: string | null;
}

/** What happens to a job, in order; the last event of every job is done, failed or cancelled. */
export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started' }
  | { type: 'step'; step: number; total: number }
  | { type: 'done'; result: JobResult }
  | { type: 'failed'; error: string }
  | { type: 'cancelled'; reason: string };

/** done, failed and cancelled are last: nothing follows them. */
export const isFinalEvent = (e: JobEvent) => e.type === 'done' || e.type === 'failed' || e.type === 'cancelled';

/** What a running job can do besides computing: report steps and notice cancellation. */
export interface JobContext {
  id: string;
  signal: AbortSignal;
  /** report a finished step; throws JobCancelled if the job was cancelled meanwhile */
  onStep(step: number, total: number): void;
  /** throws JobCancelled if the job was cancelled (call before committing results) */
  checkCancelled(): void;
}

/** Runs one job to its result; the results (images, turns) are stored before it returns. */
export type JobRunner = (spec: JobSpec, ctx: JobContext) => Promise<JobResult>;

export class JobCancelled extends Error {
  override name = 'JobCancelled';
}

/**
 * The queue the HTTP layer talks to. InProcessQueue (memory-queue.ts) is the default; a Redis/BullMQ queue would
 * implement the same methods (events would then come from the queue's pub/sub rather than from memory).
 */
export interface JobQueue {
  /** queue a job; throws ServiceError 429 when the queue is full, 503 while shutting down */
  submit(spec: JobSpec): Job;
  /** throw what submit() would throw now for lack of room (so a request is refused before its uploads are stored) */
  checkRoom(): void;
  get(id: string): Job | null;
  /** cancel a job: a queued one is removed at once, a running one stops at its next step; null = no such job;
   *  throws ServiceError 409 for a finished one */
  cancel(id: string): Job | null;
  /**
   * The job's events so far (`after`: only those with a greater sequence number), then each new one as it
   * happens. Returns null for an unknown job; call the returned function to stop listening.
   */
  subscribe(id: string, listener: (seq: number, e: JobEvent) => void, after?: number): (() => void) | null;
  stats(): { queued: number; running: number; maxQueue: number; concurrency: number; accepting: boolean };
  /** stop taking jobs, cancel the queued ones, let the running ones finish for up to graceMs, then cancel them */
  shutdown(graceMs: number): Promise<void>;
}
