// InProcessQueue: the default JobQueue. Jobs wait in a bounded FIFO in memory and `concurrency` workers (one by
// default) take them in order, in this process. The jobs' events and their late subscribers are the JobBook's
// (book.ts); running a job and its cooperative cancellation are runJob's (run.ts).

import { randomUUID } from 'node:crypto';
import { conflict, ServiceError } from '../errors.ts';
import { JobBook, newJob, type Entry, type Listener } from './book.ts';
import type { JobJournal } from './journal.ts';
import { runJob } from './run.ts';
import { isFinished, JobCancelled, type Job, type JobQueue, type JobRunner, type JobSpec } from './types.ts';

interface Task {
  entry: Entry;
  spec: JobSpec;
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
  private waiting: Task[] = [];
  private readonly running = new Map<string, { task: Task; settled: Promise<void> }>();
  private readonly book: JobBook;
  private accepting = true;

  constructor(private readonly o: InProcessQueueOptions) {
    this.book = new JobBook(o.journal, o.log);
  }

  checkRoom(): void {
    if (!this.accepting)
      throw new ServiceError(503, 'the server is shutting down and takes no new jobs; try again after it restarts');
    // A job that finds a worker free starts at once and never waits, so it fits even with --max-queue 0.
    if (this.waiting.length >= this.o.maxQueue && this.running.size >= this.o.concurrency) {
      throw new ServiceError(
        429,
        `the job queue is full: ${this.waiting.length} jobs are waiting and this server's limit ` +
          `is ${this.o.maxQueue} (--max-queue); try again when one has finished`,
        { 'retry-after': '10' },
      );
    }
  }

  submit(spec: JobSpec): Job {
    this.checkRoom();
    const entry = this.book.add(newJob(randomUUID(), spec), spec); // durable before the client hears of it
    this.waiting.push({ entry, spec, abort: new AbortController() });
    this.book.emit(entry, { type: 'queued', position: this.waiting.length });
    this.pump();
    return this.view(entry);
  }

  get(id: string): Job | null {
    return this.book.get(id, (e) => this.position(e));
  }

  cancel(id: string): Job | null {
    const e = this.book.find(id);
    if (!e) {
      const old = this.o.journal.get(id);
      if (old) throw conflict(`job ${id} has already finished (${old.status}); there is nothing to cancel`);
      return null;
    }
    if (isFinished(e.job.status))
      throw conflict(`job ${id} has already finished (${e.job.status}); there is nothing to cancel`);
    const i = this.waiting.findIndex((t) => t.entry === e);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.book.finish(e, 'cancelled', null, 'cancelled by request before it started');
      this.announcePositions(i);
    } else if (!e.job.cancelRequested) {
      e.job.cancelRequested = true;
      this.running.get(id)?.task.abort.abort(new JobCancelled('cancelled by request while running'));
    }
    return this.view(e);
  }

  subscribe(id: string, listener: Listener, after = 0, onEnd?: () => void): (() => void) | null {
    return this.book.subscribe(id, listener, after, onEnd);
  }

  stats() {
    return {
      queued: this.waiting.length,
      running: this.running.size,
      maxQueue: this.o.maxQueue,
      concurrency: this.o.concurrency,
      accepting: this.accepting,
    };
  }

  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    for (const t of this.waiting.splice(0))
      this.book.finish(t.entry, 'cancelled', null, 'the server shut down before this job started');
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
      for (const { task } of this.running.values()) {
        task.entry.job.cancelRequested = true;
        task.abort.abort(new JobCancelled(`the server shut down and the job did not finish within ${graceMs / 1000}s`));
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

  private start(t: Task): void {
    this.book.started(t.entry);
    const settled = this.execute(t).finally(() => {
      this.running.delete(t.entry.job.id);
      if (this.accepting) this.pump();
    });
    this.running.set(t.entry.job.id, { task: t, settled });
  }

  private async execute({ entry: e, spec, abort }: Task): Promise<void> {
    await Promise.resolve(); // run the job after submit() has returned, never inside it
    const outcome = await runJob(this.o.runner, spec, {
      id: e.job.id,
      signal: abort.signal,
      onStep: (step, total) => {
        e.job.progress = { step, total };
        this.book.emit(e, { type: 'step', step, total });
      },
    });
    if (outcome.status === 'done') this.book.finish(e, 'done', outcome.result, null);
    else this.book.finish(e, outcome.status, null, outcome.error);
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------------------

  private position(e: Entry): number | null {
    const i = this.waiting.findIndex((t) => t.entry === e);
    return i >= 0 ? i + 1 : null;
  }

  /** Jobs from index `from` on moved up the queue: tell their subscribers their new position. */
  private announcePositions(from: number): void {
    for (let i = from; i < this.waiting.length; i++)
      this.book.emit(this.waiting[i].entry, { type: 'queued', position: i + 1 });
  }

  private view(e: Entry): Job {
    return this.book.get(e.job.id, (x) => this.position(x))!;
  }
}
