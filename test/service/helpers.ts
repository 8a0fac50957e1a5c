// Shared bits of the service tests: a service on a loopback port in a temporary data folder, a slow fake model
// that reports steps (so there is time to watch, cancel and shut down), requests, and an SSE reader.
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import './slow-model.ts'; // registers the `slow` test model
import { createImage, encodePng, type RGBImage } from '../../src/image/rgb.ts';
import type { ServiceOptions } from '../../src/service/options.ts';
import { startService, type Service } from '../../src/service/server.ts';

export async function tempDir(prefix = 'kontext-service-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestService extends Service {
  dir: string;
  /** close the service (if still open) and remove the data folder */
  dispose(): Promise<void>;
}

/** A service on 127.0.0.1, any free port, in a new data folder; model identity unless told otherwise. */
export async function startTestService(o: ServiceOptions = {}): Promise<TestService> {
  const dir = o.data ?? (await tempDir());
  const s = await startService({ model: 'identity', port: 0, ...o, data: dir });
  return Object.assign(s, {
    dir,
    async dispose() {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/**
 * Parsed JSON from the API. Tests read it field by field and let expect() check the shape, so it is left untyped
 * here, in this one place, rather than cast at every use.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

export interface Answer<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON request (body given: POST with Content-Type application/json). */
export async function call<T = Json>(
  s: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const res = await fetch(s.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: type.includes('json') ? JSON.parse(text) : text };
}

/** A request whose path goes out exactly as written (fetch would resolve '../' and normalise '%2e%2e'). */
export function rawRequest(
  s: { port: number },
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: s.port, method, path, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: text, type: String(res.headers['content-type'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const solid = (rgb: [number, number, number], w = 8, h = 6): RGBImage => createImage(w, h, rgb);

/** An image as the API takes it: its PNG in base64. */
export async function b64png(img: RGBImage): Promise<string> {
  return (await encodePng(img)).toString('base64');
}

export interface SseEvent {
  id: number;
  type: string;
  data: Json;
}

/**
 * Read a job's event stream until the server ends it; `onEvent` sees each event as it arrives (to act mid-job).
 * Resolves with all events, in the order received.
 */
export async function readEvents(
  s: { url: string },
  jobId: string,
  o: { lastEventId?: number; onEvent?: (e: SseEvent) => void } = {},
): Promise<SseEvent[]> {
  const res = await fetch(`${s.url}/jobs/${jobId}/events`, {
    headers: o.lastEventId ? { 'last-event-id': String(o.lastEventId) } : {},
  });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream'))
    throw new Error(`events: content-type ${res.headers.get('content-type')}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':') && l.includes(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      );
      if (!fields.event) continue; // a comment block
      const e = { id: Number(fields.id), type: fields.event, data: JSON.parse(fields.data) };
      events.push(e);
      o.onEvent?.(e);
    }
  }
  return events;
}

/** Follow a job's events: `opened` resolves at the first event (the stream is then surely open), `all` at the end. */
export function follow(
  s: { url: string },
  jobId: string,
  onEvent?: (e: SseEvent) => void,
): { opened: Promise<void>; all: Promise<SseEvent[]> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const all = readEvents(s, jobId, {
    onEvent: (e) => {
      open();
      onEvent?.(e);
    },
  });
  return { opened: Promise.race([opened, all.then(() => {})]), all };
}

/** Poll until `fn` returns something truthy. */
export async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Wait for a job to finish; its final state. */
export async function finished(s: { url: string }, id: string): Promise<Json> {
  return until(async () => {
    const { body } = await call(s, 'GET', `/jobs/${id}`);
    return ['done', 'failed', 'cancelled'].includes(body.status) && body;
  }, `job ${id} to finish`);
}
