// InProcessQueue: the default JobQueue. Jobs wait in a bounded FIFO in memory and `concurrency` workers (one by
// default) take them in order, in this process. Every change of a job is an event; a job keeps its events, so a
// client that subscribes late gets the whole story from the start, in order, and then the live ones.
//
// Cancellation is cooperative: a queued job is simply removed; a running job's AbortSignal is aborted and the
// job stops the next time the model reports a step (ctx.onStep throws) or, for a model without steps, when it
// returns (ctx.checkCancelled, called before results are stored). A job that has stored its results is done,
// even if a cancel arrived meanwhile: a finished result is never thrown away.

import { randomUUID } from 'node:crypto';
import { UserError } from '../../errors.ts';
import { conflict, ServiceError } from '../errors.ts';
import type { JobJournal } from './journal.ts';
import { isFinished, JobCancelled, type Job, type JobContext, type JobEvent, type JobQueue, type JobResult, type JobRunner, type JobSpec, type JobStatus } from './types.ts';

/** finished jobs whose events stay in memory for late subscribers (older ones answer from the journal) */
const KEEP_FINISHED = 256;

type Listener = (seq: number, e: JobEvent) => void;

interface Entry {
  job: Job;
  spec: JobSpec;
  events: { seq: number; event: JobEvent }[];
  listeners: Set<Listener>;
  abort: AbortController;
}

export interface InProcessQueueOptions {
  runner: JobRunner;
  journal: JobJournal;
  maxQueue: number;
  concurrency: number;
  log?: (line: string) => void;
}

export class InProcessQueue implements JobQueue {
  private waiting: Entry[] = [];
  private readonly running = new Map<string, { entry: Entry; settled: Promise<void> }>();
  private readonly finished = new Map<string, Entry>();
  private accepting = true;

  constructor(private readonly o: InProcessQueueOptions) {}

  checkRoom(): void {
    if (!this.accepting) throw new ServiceError(503, 'the server is shutting down and takes no new jobs; try again after it restarts');
    // A job that finds a worker free starts at once and never waits, so it fits even with --max-queue 0.
    if (this.waiting.length >= this.o.maxQueue && this.running.size >= this.o.concurrency) {
      throw new ServiceError(
        429,
        `the job queue is full: ${this.waiting.length} jobs are waiting and this server's limit is ${this.o.maxQueue} (--max-queue); try again when one has finished`,
        { 'retry-after': '10' },
      );
    }
  }

  submit(spec: JobSpec): Job {
    this.checkRoom();
    const job: Job = {
      id: randomUUID(), kind: spec.kind, status: 'queued', session: spec.kind === 'session-edit' ? spec.session : null,
      createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, position: null, progress: null,
      cancelRequested: false, result: null, error: null,
    };
    this.o.journal.insert(job, spec); // durable before the client hears of it
    const entry: Entry = { job, spec, events: [], listeners: new Set(), abort: new AbortController() };
    this.waiting.push(entry);
    this.emit(entry, { type: 'queued', position: this.waiting.length });
    this.pump();
    return this.view(entry);
  }

  get(id: string): Job | null {
    const e = this.find(id);
    return e ? this.view(e) : this.o.journal.get(id);
  }

  cancel(id: string): Job | null {
    const e = this.find(id);
    if (!e) {
      const old = this.o.journal.get(id);
      if (old) throw conflict(`job ${id} has already finished (${old.status}); there is nothing to cancel`);
      return null;
    }
    if (isFinished(e.job.status)) throw conflict(`job ${id} has already finished (${e.job.status}); there is nothing to cancel`);
    const i = this.waiting.indexOf(e);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.finish(e, 'cancelled', null, 'cancelled by request before it started');
      this.announcePositions(i);
    } else if (!e.job.cancelRequested) {
      e.job.cancelRequested = true;
      e.abort.abort(new JobCancelled('cancelled by request while running'));
    }
    return this.view(e);
  }

  subscribe(id: string, listener: Listener, after = 0): (() => void) | null {
    const e = this.find(id);
    if (!e) {
      // Finished long ago (or by an earlier process): its story is its final state.
      const job = this.o.journal.get(id);
      if (!job) return null;
      if (isFinished(job.status) && after < 1) listener(1, finalEvent(job));
      return () => {};
    }
    for (const { seq, event } of e.events) if (seq > after) listener(seq, event);
    if (isFinished(e.job.status)) return () => {};
    e.listeners.add(listener);
    return () => e.listeners.delete(listener);
  }

  stats() {
    return { queued: this.waiting.length, running: this.running.size, maxQueue: this.o.maxQueue, concurrency: this.o.concurrency, accepting: this.accepting };
  }

  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    for (const e of this.waiting.splice(0)) this.finish(e, 'cancelled', null, 'the server shut down before this job started');
    const settled = () => Promise.all([...this.running.values()].map((r) => r.settled));
    if (this.running.size === 0) return;
    this.o.log?.(`waiting up to ${graceMs / 1000}s for ${this.running.size} running job(s) to finish`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const { entry } of this.running.values()) {
        entry.job.cancelRequested = true;
        entry.abort.abort(new JobCancelled(`the server shut down and the job did not finish within ${graceMs / 1000}s`));
      }
      await settled(); // each stops at its next step
    }
  }

  // ---- the worker side -------------------------------------------------------------------------------------------

  /** Start waiting jobs while workers are free. */
  private pump(): void {
    let started = 0;
    while (this.running.size < this.o.concurrency && this.waiting.length > 0) {
      this.start(this.waiting.shift()!);
      started++;
    }
    if (started) this.announcePositions(0);
  }

  private start(e: Entry): void {
    e.job.status = 'running';
    e.job.startedAt = new Date().toISOString();
    this.o.journal.started(e.job.id, e.job.startedAt);
    this.emit(e, { type: 'started' });
    const settled = this.execute(e).finally(() => {
      this.running.delete(e.job.id);
      if (this.accepting) this.pump();
    });
    this.running.set(e.job.id, { entry: e, settled });
  }

  private async execute(e: Entry): Promise<void> {
    const signal = e.abort.signal;
    const ctx: JobContext = {
      id: e.job.id,
      signal,
      checkCancelled: () => {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new JobCancelled(String(signal.reason));
      },
      onStep: (step, total) => {
        e.job.progress = { step, total };
        this.emit(e, { type: 'step', step, total });
        ctx.checkCancelled();
      },
    };
    await Promise.resolve(); // run the job after submit() has returned, never inside it
    try {
      ctx.checkCancelled();
      const result = await this.o.runner(e.spec, ctx);
      this.finish(e, 'done', result, null);
    } catch (err) {
      if (signal.aborted) this.finish(e, 'cancelled', null, (signal.reason as Error)?.message ?? 'cancelled');
      else this.finish(e, 'failed', null, errorMessage(err));
    }
  }

  private finish(e: Entry, status: JobStatus, result: JobResult | null, error: string | null): void {
    Object.assign(e.job, { status, result, error, finishedAt: new Date().toISOString() });
    try {
      this.o.journal.finish(e.job.id, status, e.job.finishedAt!, result, error);
    } catch (err) {
      this.o.log?.(`job ${e.job.id}: could not record its end in the journal: ${(err as Error).message}`);
    }
    this.o.log?.(`job ${e.job.id} (${e.job.kind}) ${status}${error ? `: ${error}` : ''}`);
    this.emit(e, finalEvent(e.job));
    e.listeners.clear();
    this.finished.set(e.job.id, e);
    if (this.finished.size > KEEP_FINISHED) this.finished.delete(this.finished.keys().next().value!);
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------------------

  private find(id: string): Entry | undefined {
    return this.running.get(id)?.entry ?? this.finished.get(id) ?? this.waiting.find((e) => e.job.id === id);
  }

  private emit(e: Entry, event: JobEvent): void {
    const seq = e.events.length + 1;
    e.events.push({ seq, event });
    for (const l of e.listeners) l(seq, event);
  }

  /** Jobs from index `from` on moved up the queue: tell their subscribers their new position. */
  private announcePositions(from: number): void {
    for (let i = from; i < this.waiting.length; i++) this.emit(this.waiting[i], { type: 'queued', position: i + 1 });
  }

  private view(e: Entry): Job {
    const i = this.waiting.indexOf(e);
    return { ...e.job, progress: e.job.progress && { ...e.job.progress }, position: i >= 0 ? i + 1 : null };
  }
}

function finalEvent(job: Job): JobEvent {
  if (job.status === 'done') return { type: 'done', result: job.result! };
  if (job.status === 'cancelled') return { type: 'cancelled', reason: job.error ?? 'cancelled' };
  return { type: 'failed', error: job.error ?? 'failed' };
}

/** What a client may see of an error: a UserError's message as it is; anything else marked as internal. */
function errorMessage(err: unknown): string {
  if (err instanceof UserError || err instanceof ServiceError) return err.message;
  return `internal error: ${(err as Error)?.message ?? String(err)}`;
}
