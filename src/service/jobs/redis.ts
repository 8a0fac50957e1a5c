// What the API process (redis-queue.ts) and the `kontext worker` processes (worker.ts) agree on: the BullMQ queue's
// name, the job options, how a cancel request travels, how a cancelled job's end is told from a failure, and
// how a --redis URL becomes a connection (checked before anything else, so a wrong URL is one clear line).

import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { UserError } from '../../errors.ts';

/** the BullMQ queue every API process and worker of one deployment shares */
export const QUEUE_NAME = 'kontext-jobs';

/**
 * A job runs once: a model's failure is not retried (it would fail again). A job whose worker dies is another
 * matter: BullMQ notices that the worker stopped renewing the job's lock (--stall-timeout) and hands the job to
 * another worker (`maxStalledCount`, on the worker). Finished jobs stay in Redis for a day, so an API process
 * that was down meanwhile still learns how they ended (RedisQueue.reconcile).
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

/** How many times a job may lose its worker and still be run again by another. */
export const MAX_STALLED = 2;

/** a custom event on the queue's event stream: every worker hears it, the one running the job stops it */
export const CANCEL_EVENT = 'kontext-cancel';

/** BullMQ knows only "failed": a worker ends a cancelled job with a reason that starts with this */
export const CANCELLED = 'cancelled: ';

/** The worker-side words of BullMQ for a job that lost its worker too often, as a client should read them. */
export function failureMessage(reason: string): string {
  if (/stalled more than allowable limit/.test(reason)) {
    return (
      `the workers running this job stopped ${MAX_STALLED + 1} times before it finished (${reason}); ` +
      `submit it again`
    );
  }
  return reason;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** A --redis value as BullMQ connection options; a malformed one is the user's to fix. */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis must be a URL like redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`--redis must be a redis:// or rediss:// URL, got '${redactUrl(url)}'`);
  return { url };
}

/**
 * Connect once, quickly, to learn whether Redis is there at all: otherwise the client would retry forever in the
 * background and the process would sit silent. Throws a UserError naming the URL and the reason.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const connection = {
    ...(redisConnection(url) as object),
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  };
  const probe = new Queue(QUEUE_NAME, { connection });
  let last: Error | undefined;
  probe.on('error', (err) => (last = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.waitUntilReady(),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs)),
      ),
    ]);
  } catch (err) {
    const why = (last ?? (err as Error)).message || String(err);
    throw new UserError(`cannot reach Redis at ${redactUrl(url)}: ${why}; is redis-server running there?`);
  } finally {
    clearTimeout(timer);
    await probe.close().catch(() => {});
  }
}

/**
 * A worker's name on its Redis connection carries how many jobs it runs at once and which model's weights (the
 * model's id, when it has one), so that an API process can count the workers' capacity and compare their model with
 * the one it checks requests with (CLIENT LIST) without another registry: `c2@host:pid`, `c2@host:pid@m1a2b3c4d5e6f`.
 */
export function workerName(concurrency: number, host: string, pid: number, modelId?: string): string {
  const model = modelId ? `@m${modelId.replace(/[^A-Za-z0-9]/g, '')}` : '';
  return `c${concurrency}@${host.replace(/[^A-Za-z0-9_.-]/g, '_')}:${pid}${model}`;
}

/**
 * A worker's connection name as CLIENT LIST shows it (`bull:<queue>:w:c2@host:pid@m…`), read back: its own name
 * (workerName's), the jobs it runs at once (1 for a worker named otherwise) and its model's id (null: it named none).
 */
export function parseWorkerName(rawName: string | undefined): {
  name: string;
  capacity: number;
  modelId: string | null;
} {
  const raw = rawName ?? '';
  const name = raw.includes(':w:') ? raw.slice(raw.indexOf(':w:') + 3) : raw;
  const m = /^c(\d+)@[^@]*(?:@m([A-Za-z0-9]+))?$/.exec(name);
  return { name, capacity: m ? Number(m[1]) : 1, modelId: m?.[2] ?? null };
}
