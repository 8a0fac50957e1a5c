// Jobs: the unit of work of the service. An HTTP request that asks for a model run (generate, edit, a session
// turn) does not wait for it: it is validated, its images are stored, and a job is queued; the answer is the job,
// which the client then follows (GET /jobs/:id, or the Server-Sent Events of GET /jobs/:id/events).
//
// A JobSpec is plain JSON (images by hash, never pixels), so a queue that lives in another process — Redis with
// BullMQ (redis-queue.ts, worker.ts) — carries it unchanged; only the JobQueue implementation differs.

import type { MadeAs, Turn } from '../../session/types.ts';

/** The sampling knobs a request may set (the routes' bodies and the jobs carry the same ones). */
export interface Sampling {
  /** default: random (the one used is in the result) */
  seed?: number;
  /** default: the model's */
  steps?: number;
  guidance?: number;
  /** best of n: samples to choose from (kontext-mini); default the model's */
  candidates?: number;
  /** samples drawn again where the answer does not show the edit (kontext-mini); default the model's */
  retries?: number;
}

/** What the API tells the client about a job's request, beside its result (set when it is submitted). */
export interface Notes {
  /** e.g. words the model does not know, or an upload with transparent pixels (read with the colours under them) */
  notes?: string[];
}

export type JobSpec =
  | ({ kind: 'generate'; prompt: string; width?: number; height?: number } & Sampling & Notes)
  | ({ kind: 'edit'; prompt: string; images: string[] } & Sampling & Notes)
  | ({
      kind: 'session-edit';
      session: string;
      instruction: string;
      images: string[];
      from?: number | null;
      width?: number;
      height?: number;
    } & Sampling &
      Notes);

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
  /** what the model made of the prompt where not the prompt as given, one edit (several edits, a style read) */
  madeAs?: MadeAs;
  /** the edits (as made) whose answer showed less of them than all, as the editor reads them, after every try */
  unshown?: string[];
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
  /** what the client should know about its request (the prompt's note, a transparent upload); empty when nothing */
  notes: string[];
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

/** A queue answers at once (in-process) or after a round trip (Redis): the routes await either. */
export type MaybePromise<T> = T | Promise<T>;

export interface QueueStats {
  /** jobs waiting for a worker */
  queued: number;
  running: number;
  maxQueue: number;
  /** jobs that can run at once: this server's workers, or the `kontext worker` processes' (Redis) */
  concurrency: number;
  accepting: boolean;
  /**
   * with `kontext serve --redis --check-model`: the model requests are checked with, and how many connected workers
   * run it (the same id) and how many another
   */
  checkModel?: { model: string; id: string | null; workersSame: number; workersOther: number };
}

/**
 * The queue the HTTP layer talks to. InProcessQueue (memory-queue.ts) is the default; RedisQueue (redis-queue.ts)
 * hands the jobs to `kontext worker` processes through BullMQ and hears their events back. Both keep the events
 * of the jobs they follow in a JobBook (book.ts) and run a job with runJob (run.ts).
 */
export interface JobQueue {
  /** queue a job; throws ServiceError 429 when the queue is full, 503 while shutting down */
  submit(spec: JobSpec): MaybePromise<Job>;
  /** throw what submit() would throw now for lack of room (so a request is refused before its uploads are stored) */
  checkRoom(): MaybePromise<void>;
  get(id: string): MaybePromise<Job | null>;
  /** cancel a job: a queued one is removed at once, a running one stops at its next step; null = no such job;
   *  throws ServiceError 409 for a finished one */
  cancel(id: string): MaybePromise<Job | null>;
  /**
   * The job's events so far (`after`: only those with a greater sequence number), then each new one as it
   * happens; `onEnd` once no more will come (after the last event, or when the queue shuts down). Returns null
   * for an unknown job; call the returned function to stop listening.
   */
  subscribe(
    id: string,
    listener: (seq: number, e: JobEvent) => void,
    after?: number,
    onEnd?: () => void,
  ): MaybePromise<(() => void) | null>;
  stats(): MaybePromise<QueueStats>;
  /** stop taking jobs, and end this process's part: the in-process queue cancels the queued jobs and lets the
   *  running ones finish for up to graceMs, then cancels them; the Redis queue leaves them to the workers */
  shutdown(graceMs: number): Promise<void>;
}
