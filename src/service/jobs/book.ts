// JobBook: what one process knows of the jobs it follows, shared by both queues (the in-process one and the
// Redis one). Every change of a job is an event; a job keeps its events, so a client that subscribes late gets
// the whole story from the start, in order, and then the live ones. When a job ends, its row in the journal is
// written before its last event goes out, so a client that heard `done` can always read the job again.
//
// The queues differ only in where the changes come from: InProcessQueue makes them itself; RedisQueue hears them
// from the workers through BullMQ's event stream.

import type { JobJournal } from './journal.ts';
import { isFinished, type Job, type JobEvent, type JobResult, type JobSpec, type JobStatus } from './types.ts';

/** finished jobs whose events stay in memory for late subscribers (older ones answer from the journal) */
const KEEP_FINISHED = 256;

export type Listener = (seq: number, e: JobEvent) => void;

interface Subscriber {
  listener: Listener;
  /** no more events will come: the job has ended, or the queue is shutting down */
  onEnd?: () => void;
}

export interface Entry {
  job: Job;
  events: { seq: number; event: JobEvent }[];
  subscribers: Set<Subscriber>;
}

export class JobBook {
  private readonly open = new Map<string, Entry>();
  private readonly ended = new Map<string, Entry>();

  constructor(
    private readonly journal: JobJournal,
    private readonly log?: (line: string) => void,
  ) {}

  /** A new job, as submitted: recorded in the journal before anyone hears of it. */
  add(job: Job, spec: JobSpec): Entry {
    this.journal.insert(job, spec);
    return this.follow(job);
  }

  /** Follow a job that is already in the journal (submitted by another process, or before a restart). */
  follow(job: Job): Entry {
    const e: Entry = { job, events: [], subscribers: new Set() };
    (isFinished(job.status) ? this.ended : this.open).set(job.id, e);
    return e;
  }

  find(id: string): Entry | undefined {
    return this.open.get(id) ?? this.ended.get(id);
  }

  /** The jobs not yet finished. */
  unfinished(): Entry[] {
    return [...this.open.values()];
  }

  emit(e: Entry, event: JobEvent): void {
    const seq = e.events.length + 1;
    e.events.push({ seq, event });
    for (const s of e.subscribers) s.listener(seq, event);
  }

  started(e: Entry, at = new Date().toISOString()): void {
    Object.assign(e.job, { status: 'running', startedAt: at, progress: null });
    this.journal.started(e.job.id, at);
    this.emit(e, { type: 'started' });
  }

  finish(e: Entry, status: JobStatus, result: JobResult | null, error: string | null): void {
    if (isFinished(e.job.status)) return; // a second word on a finished job (a late event) changes nothing
    Object.assign(e.job, { status, result, error, finishedAt: new Date().toISOString() });
    try {
      this.journal.finish(e.job.id, status, e.job.finishedAt!, result, error);
    } catch (err) {
      this.log?.(`job ${e.job.id}: could not record its end in the journal: ${(err as Error).message}`);
    }
    this.log?.(`job ${e.job.id} (${e.job.kind}) ${status}${error ? `: ${error}` : ''}`);
    this.emit(e, finalEvent(e.job));
    for (const s of e.subscribers) s.onEnd?.();
    e.subscribers.clear();
    this.open.delete(e.job.id);
    this.ended.set(e.job.id, e);
    if (this.ended.size > KEEP_FINISHED) this.ended.delete(this.ended.keys().next().value!);
  }

  /** A job as GET /jobs/:id shows it: from memory while followed, else from the journal. */
  get(id: string, position?: (e: Entry) => number | null): Job | null {
    const e = this.find(id);
    if (!e) return this.journal.get(id);
    return { ...e.job, progress: e.job.progress && { ...e.job.progress }, position: position?.(e) ?? null };
  }

  /**
   * The job's events after `after`, then the live ones; onEnd once nothing more will come. null = unknown job.
   * A job known only to the journal is followed from now on if unfinished (another process runs it), else its
   * story is its final state.
   */
  subscribe(id: string, listener: Listener, after = 0, onEnd?: () => void): (() => void) | null {
    let e = this.find(id);
    if (!e) {
      const job = this.journal.get(id);
      if (!job) return null;
      if (isFinished(job.status)) {
        if (after < 1) listener(1, finalEvent(job));
        onEnd?.();
        return () => {};
      }
      e = this.follow(job);
    }
    for (const { seq, event } of e.events) if (seq > after) listener(seq, event);
    if (isFinished(e.job.status)) {
      onEnd?.();
      return () => {};
    }
    const s: Subscriber = { listener, onEnd };
    e.subscribers.add(s);
    return () => e.subscribers.delete(s);
  }

  /** Shutting down: tell every subscriber that nothing more will come from this process. */
  endAll(): void {
    for (const e of this.open.values()) {
      for (const s of e.subscribers) s.onEnd?.();
      e.subscribers.clear();
    }
  }
}

export function finalEvent(job: Job): JobEvent {
  if (job.status === 'done') return { type: 'done', result: job.result! };
  if (job.status === 'cancelled') return { type: 'cancelled', reason: job.error ?? 'cancelled' };
  return { type: 'failed', error: job.error ?? 'failed' };
}

/** A new job's first state. */
export function newJob(id: string, spec: JobSpec): Job {
  return {
    id,
    kind: spec.kind,
    status: 'queued',
    session: spec.kind === 'session-edit' ? spec.session : null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    position: null,
    progress: null,
    cancelRequested: false,
    result: null,
    error: null,
    notes: notesOf(spec),
  };
}

/** The notes a job's spec carries. */
export const notesOf = (spec: JobSpec): string[] => spec.notes ?? [];
