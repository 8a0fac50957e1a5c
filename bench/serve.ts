// `npm run bench -- --only serve`: a load test of `kontext serve` on loopback. CLIENTS concurrent clients each
// submit JOBS_PER_CLIENT edits (POST /edit), follow each job's events to its end, and submit the next; a 429 (the
// queue is full, --max-queue) is counted and retried after a short pause. Two setups, as separate processes:
//
//   memory  kontext serve --model identity (the in-process queue)
//   redis   kontext serve --redis URL + two kontext worker --model identity, on Debian's redis-server (skipped,
//           with a message, when /usr/bin/redis-server is missing)
//
// The `identity` model answers at once, so this measures the service: HTTP, queue, events, the stores.
// Numbers: throughput (finished jobs per second), p50/p95 latency (first attempt to the `done` event), queue
// rejections, and the proof that no job is lost or duplicated: every accepted job ends `done` exactly once in
// its event stream, in GET /jobs/:id, and in the log of whoever ran it (the server, or one of the workers).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createImage, encodePng } from '../src/image/rgb.ts';
import { redisServerPath, serve, startRedis, worker, type Proc } from '../test/service/processes.ts';

const CLIENTS = 8;
const JOBS_PER_CLIENT = 12;
/** small, so that the clients run into it: rejections are part of what is measured */
const MAX_QUEUE = 4;
const RETRY_MS = 20;

interface ClientStats {
  latencies: number[];
  rejected: number;
  ids: string[];
  /** final events per job id, as the event streams told them */
  finals: Map<string, string[]>;
}

/** One job: submit (retrying on 429), then read its event stream to the end. */
async function oneJob(url: string, body: string, s: ClientStats): Promise<void> {
  const t0 = performance.now();
  let id: string;
  for (;;) {
    const res = await fetch(`${url}/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status === 429) {
      await res.text();
      s.rejected++;
      await sleep(RETRY_MS);
      continue;
    }
    if (res.status !== 202) throw new Error(`POST /edit: ${res.status} ${await res.text()}`);
    id = ((await res.json()) as { id: string }).id;
    break;
  }
  s.ids.push(id);
  const events = await fetch(`${url}/jobs/${id}/events`);
  const text = await events.text(); // the server ends the stream after the job's last event
  const finals = [...text.matchAll(/^event: (done|failed|cancelled)$/gm)].map((m) => m[1]);
  s.finals.set(id, finals);
  s.latencies.push(performance.now() - t0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Run the clients against `url`; `runners` are the processes whose logs say `job <id> (edit) done`. */
async function load(url: string, runners: Proc[], doneLine: (id: string) => RegExp): Promise<Record<string, number>> {
  const png = await encodePng(createImage(64, 64, [90, 120, 150]));
  const body = JSON.stringify({ prompt: 'make the circle blue', images: [png.toString('base64')] });
  const s: ClientStats = { latencies: [], rejected: 0, ids: [], finals: new Map() };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let j = 0; j < JOBS_PER_CLIENT; j++) await oneJob(url, body, s);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;

  // lost: accepted but not done exactly once; duplicated: done more than once anywhere
  let lost = 0;
  let duplicated = 0;
  const logs = () => runners.map((p) => p.output()).join('\n');
  await sleep(200); // the runners' last log lines
  for (const id of s.ids) {
    const finals = s.finals.get(id) ?? [];
    const status = ((await (await fetch(`${url}/jobs/${id}`)).json()) as { status: string }).status;
    const runs = (logs().match(new RegExp(doneLine(id).source, 'gm')) ?? []).length;
    if (status !== 'done' || finals.join() !== 'done' || runs === 0) lost++;
    if (finals.length > 1 || runs > 1) duplicated++;
  }
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return {
    clients: CLIENTS,
    jobs: s.ids.length,
    distinctJobs: new Set(s.ids).size,
    seconds: +seconds.toFixed(2),
    throughput: +(s.ids.length / seconds).toFixed(1),
    p50Ms: +percentile(sorted, 50).toFixed(1),
    p95Ms: +percentile(sorted, 95).toFixed(1),
    rejected: s.rejected,
    lost,
    duplicated,
  };
}

const prefixed = (prefix: string, r: Record<string, number>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [`${prefix}.${k}`, v]));

async function inProcess(dir: string): Promise<Record<string, number>> {
  const api = await serve(['--model', 'identity', '--data', join(dir, 'memory'), '--max-queue', String(MAX_QUEUE)]);
  try {
    return await load(api.url, [api], (id) => new RegExp(`job ${id} \\(edit\\) done$`));
  } finally {
    await api.stop();
  }
}

async function withRedis(dir: string): Promise<Record<string, number>> {
  await mkdir(join(dir, 'redis'));
  const redis = await startRedis(join(dir, 'redis'));
  const data = join(dir, 'cluster');
  const procs: Proc[] = [];
  try {
    const api = await serve(['--redis', redis.url, '--data', data, '--max-queue', String(MAX_QUEUE)]);
    procs.push(api);
    const args = ['--redis', redis.url, '--data', data, '--model', 'identity'];
    const workers = await Promise.all([worker(args, { name: 'worker 1' }), worker(args, { name: 'worker 2' })]);
    procs.push(...workers);
    const r = await load(api.url, workers, (id) => new RegExp(`job ${id} \\(edit\\) done in`));
    const share = workers.map((w) => (w.output().match(/\(edit\) done in/g) ?? []).length);
    return { ...r, workers: workers.length, minWorkerShare: +(Math.min(...share) / Math.max(1, r.jobs)).toFixed(2) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await redis.stop();
  }
}

export async function benchServe(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-bench-serve-'));
  try {
    const out = prefixed('serve.memory', await inProcess(dir));
    if (redisServerPath()) Object.assign(out, prefixed('serve.redis', await withRedis(dir)));
    else
      console.error('bench serve: redis-server is missing (apt-get install redis-server): the Redis setup is skipped');
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
