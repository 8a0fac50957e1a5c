// RedisQueue: the JobQueue of `kontext serve --redis URL`. Jobs go into a BullMQ queue on Redis, `kontext worker`
// processes (worker.ts, on this machine or others sharing the data folder) run them, and this process hears how
// they go from BullMQ's event stream: started, each step, done with the result, failed. It keeps those events in
// the same JobBook as the in-process queue (late subscribers get the whole story) and writes the job journal.
//
// What differs from the in-process queue:
//   - room: jobs not yet taken by a worker count against --max-queue, across every API process sharing Redis;
//     the count is read per request, so two requests at the same moment may both get the last place;
//   - cancel: a waiting job is removed from Redis; a running one is told to stop through a custom event that
//     every worker hears (the one running it aborts it at its next step);
//   - a worker that dies mid-job: after --stall-timeout another worker runs the job again; subscribers see it
//     queued and started a second time, and the job ends once;
//   - shutdown: this process stops taking jobs and ends its event streams; the jobs stay with the workers;
//   - restart: jobs the journal says are unfinished are looked up in Redis (reconcile) instead of being failed.

import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, QueueEventsProducer } from 'bullmq';
import { conflict, ServiceError } from '../errors.ts';
import { JobBook, newJob, type Entry, type Listener } from './book.ts';
import type { JobJournal } from './journal.ts';
import {
  CANCEL_EVENT,
  CANCELLED,
  checkRedis,
  failureMessage,
  JOB_OPTIONS,
  QUEUE_NAME,
  redactUrl,
  redisConnection,
  parseWorkerName,
} from './redis.ts';
import { isFinished, type Job, type JobQueue, type JobResult, type JobSpec, type QueueStats } from './types.ts';

export interface RedisQueueOptions {
  url: string;
  journal: JobJournal;
  maxQueue: number;
  log?: (line: string) => void;
  /**
   * the model this process checks requests with (--check-model): the workers' own is compared with it, a worker
   * with another is logged once, and stats() counts both kinds
   */
  checkModel?: { name: string; id?: string };
}

/** how long a count of the workers' capacity is reused (it costs a CLIENT LIST) */
const CAPACITY_TTL_MS = 1000;

export class RedisQueue implements JobQueue {
  private readonly book: JobBook;
  private accepting = true;
  private capacity = { value: 0, at: 0 };
  /** the connected workers' model ids (null: a worker that named none), read with the capacity */
  private workerModels: (string | null)[] = [];
  /** workers already logged as running another model than --check-model */
  private readonly warned = new Set<string>();

  private constructor(
    private readonly o: RedisQueueOptions,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly producer: QueueEventsProducer,
  ) {
    this.book = new JobBook(o.journal, o.log);
    this.listen();
  }

  /** Connect (a UserError if Redis is not there), start hearing events, then catch up with the journal. */
  static async open(o: RedisQueueOptions): Promise<RedisQueue> {
    await checkRedis(o.url);
    const connection = redisConnection(o.url);
    const log = (what: string) => (err: Error) => o.log?.(`redis (${what}): ${err.message}`);
    const queue = new Queue(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    const producer = new QueueEventsProducer(QUEUE_NAME, { connection });
    queue.on('error', log('queue'));
    events.on('error', log('events'));
    producer.on('error', log('events producer'));
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), producer.waitUntilReady()]);
    const q = new RedisQueue(o, queue, events, producer);
    await q.reconcile();
    o.log?.(
      `jobs go to Redis at ${redactUrl(o.url)} (queue ${QUEUE_NAME}); ` +
        `start workers with: kontext worker --redis URL --data DIR`,
    );
    return q;
  }

  async checkRoom(): Promise<void> {
    if (!this.accepting)
      throw new ServiceError(503, 'the server is shutting down and takes no new jobs; try again after it restarts');
    const { waiting, active } = await this.counts();
    // As in-process: a job that finds a worker free starts at once and never waits, so it fits even with --max-queue 0.
    if (waiting >= this.o.maxQueue && active + waiting >= (await this.workerCapacity())) {
      throw new ServiceError(
        429,
        `the job queue is full: ${waiting} jobs are waiting for a worker and this server's limit ` +
          `is ${this.o.maxQueue} (--max-queue); try again when one has finished, or start more workers`,
        { 'retry-after': '10' },
      );
    }
  }

  async submit(spec: JobSpec): Promise<Job> {
    await this.checkRoom();
    if (this.o.checkModel) await this.workerCapacity(); // compares the workers' models with it (logged once)
    const entry = this.book.add(newJob(randomUUID(), spec), spec); // durable before the client hears of it
    this.book.emit(entry, { type: 'queued', position: this.position(entry) ?? 1 });
    try {
      await this.queue.add(spec.kind, spec, { ...JOB_OPTIONS, jobId: entry.job.id });
    } catch (err) {
      this.book.finish(entry, 'failed', null, `could not queue the job in Redis: ${(err as Error).message}`);
      throw new ServiceError(503, `the job queue (Redis) is not answering: ${(err as Error).message}; try again later`);
    }
    return this.view(entry);
  }

  get(id: string): Job | null {
    return this.book.get(id, (e) => this.position(e));
  }

  async cancel(id: string): Promise<Job | null> {
    let e = this.book.find(id);
    if (!e) {
      const job = this.o.journal.get(id);
      if (!job) return null;
      e = isFinished(job.status) ? undefined : this.book.follow(job);
      if (!e) throw conflict(`job ${id} has already finished (${job.status}); there is nothing to cancel`);
    }
    if (isFinished(e.job.status))
      throw conflict(`job ${id} has already finished (${e.job.status}); there is nothing to cancel`);
    if (e.job.status === 'queued' && (await this.removeWaiting(id))) {
      this.book.finish(e, 'cancelled', null, 'cancelled by request before it started');
    } else if (!e.job.cancelRequested) {
      e.job.cancelRequested = true;
      await this.producer.publishEvent({
        eventName: CANCEL_EVENT,
        jobId: id,
        reason: 'cancelled by request while running',
      });
    }
    return this.view(e);
  }

  subscribe(id: string, listener: Listener, after = 0, onEnd?: () => void): (() => void) | null {
    return this.book.subscribe(id, listener, after, onEnd);
  }

  async stats(): Promise<QueueStats> {
    const { waiting, active } = await this.counts();
    return {
      queued: waiting,
      running: active,
      maxQueue: this.o.maxQueue,
      concurrency: await this.workerCapacity(),
      accepting: this.accepting,
      ...(this.o.checkModel ? { checkModel: this.checkModelStats(this.o.checkModel) } : {}),
    };
  }

  /** The jobs are the workers': they go on running. This process stops taking jobs and following them. */
  async shutdown(): Promise<void> {
    if (!this.accepting) return;
    this.accepting = false;
    const open = this.book.unfinished().length;
    if (open)
      this.o.log?.(`${open} unfinished job(s) stay with the workers; GET /jobs/:id on any API process follows them`);
    this.book.endAll();
    await Promise.all([this.events.close(), this.producer.close(), this.queue.close()]);
  }

  // ---- events from the workers -------------------------------------------------------------------------------

  private listen(): void {
    const ev = this.events;
    ev.on('active', ({ jobId }) => this.with(jobId, (e) => this.book.started(e)));
    ev.on('progress', ({ jobId, data }) =>
      this.with(jobId, (e) => {
        const { step, total } = data as { step: number; total: number };
        if (!Number.isInteger(step) || !Number.isInteger(total)) return;
        e.job.progress = { step, total };
        this.book.emit(e, { type: 'step', step, total });
      }),
    );
    ev.on('completed', ({ jobId, returnvalue }) =>
      this.with(jobId, (e) => this.book.finish(e, 'done', returnvalue as unknown as JobResult, null)),
    );
    ev.on('failed', ({ jobId, failedReason }) => this.with(jobId, (e) => this.failed(e, failedReason)));
    // A worker stopped renewing the job's lock (it died): BullMQ puts the job back for another worker.
    ev.on('stalled', ({ jobId }) =>
      this.with(jobId, (e) => {
        if (e.job.status !== 'running') return;
        this.o.log?.(`job ${jobId}: its worker stopped answering; queued again for another worker`);
        Object.assign(e.job, { status: 'queued', progress: null });
        this.book.emit(e, { type: 'queued', position: this.position(e) ?? 1 });
      }),
    );
  }

  /** Act on an event of a job this process follows, or starts to follow (another API process submitted it). */
  private with(id: string, fn: (e: Entry) => void): void {
    let e = this.book.find(id);
    if (!e) {
      const job = this.o.journal.get(id);
      if (!job) return; // not a job of this data folder
      e = this.book.follow(job);
    }
    if (!isFinished(e.job.status)) fn(e);
  }

  private failed(e: Entry, reason: string): void {
    if (reason.startsWith(CANCELLED)) this.book.finish(e, 'cancelled', null, reason.slice(CANCELLED.length));
    else this.book.finish(e, 'failed', null, failureMessage(reason));
  }

  /**
   * After a restart (or a time without events): the journal's unfinished jobs as Redis knows them. Those that
   * ended meanwhile are recorded; those still waiting or running are followed; those Redis no longer has failed.
   */
  private async reconcile(): Promise<void> {
    for (const job of this.o.journal.unfinished()) {
      const e = this.book.find(job.id) ?? this.book.follow(job);
      const bull = await this.queue.getJob(job.id);
      const state = bull ? await bull.getState() : 'unknown';
      if (state === 'completed') this.book.finish(e, 'done', bull!.returnvalue as JobResult, null);
      else if (state === 'failed') this.failed(e, bull!.failedReason ?? 'failed');
      else if (state === 'unknown')
        this.book.finish(e, 'failed', null, 'the job queue (Redis) no longer has this job; submit it again');
      // still waiting or running: its subscribers start from where it is
      else if (state !== 'active') this.book.emit(e, { type: 'queued', position: this.position(e) ?? 1 });
      else if (e.job.status === 'queued') this.book.started(e);
      else this.book.emit(e, { type: 'started' });
    }
  }

  // ---- counts ------------------------------------------------------------------------------------------------

  private async counts(): Promise<{ waiting: number; active: number }> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), active: c.active ?? 0 };
  }

  /**
   * Jobs the connected workers can run at once (each worker's concurrency is in its connection name, and so is its
   * model's id: a worker whose model is not the one requests are checked with is logged, once).
   */
  private async workerCapacity(): Promise<number> {
    if (Date.now() - this.capacity.at > CAPACITY_TTL_MS) {
      const workers = (await this.queue.getWorkers()).map((w) => parseWorkerName(w.rawname));
      this.capacity = { value: workers.reduce((n, w) => n + w.capacity, 0), at: Date.now() };
      this.workerModels = workers.map((w) => w.modelId);
      const checks = this.o.checkModel;
      for (const w of workers) {
        if (!checks || w.modelId === (checks.id ?? null) || this.warned.has(w.name)) continue;
        this.warned.add(w.name);
        const runs = w.modelId ? `model ${w.modelId}` : 'a model with no id';
        const ours = `${checks.name}${checks.id ? ` (${checks.id})` : ''}`;
        this.o.log?.(
          `worker ${w.name} runs ${runs}, not the --check-model ${ours}: ` +
            'requests are checked for another model than the one that runs them',
        );
      }
    }
    return this.capacity.value;
  }

  /** How many connected workers run the model requests are checked with, and how many another. */
  private checkModelStats(checks: { name: string; id?: string }): NonNullable<QueueStats['checkModel']> {
    const same = this.workerModels.filter((id) => id === (checks.id ?? null)).length;
    return {
      model: checks.name,
      id: checks.id ?? null,
      workersSame: same,
      workersOther: this.workerModels.length - same,
    };
  }

  /** Remove a job that no worker has taken yet; false if one has (it must then be stopped where it runs). */
  private async removeWaiting(id: string): Promise<boolean> {
    const bull = await this.queue.getJob(id);
    if (!bull) return false;
    try {
      return (await this.queue.remove(id)) === 1;
    } catch {
      return false; // locked: a worker took it meanwhile
    }
  }

  /** 1 = next; counted among the waiting jobs this process follows, in submission order. */
  private position(e: Entry): number | null {
    if (e.job.status !== 'queued') return null;
    const waiting = this.book.unfinished().filter((x) => x.job.status === 'queued');
    const i = waiting.indexOf(e);
    return i >= 0 ? i + 1 : null;
  }

  private view(e: Entry): Job {
    return this.book.get(e.job.id, (x) => this.position(x))!;
  }
}
