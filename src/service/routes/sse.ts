// Server-Sent Events: a text/event-stream response that stays open and carries one block per event,
//
//   id: 3
//   event: step
//   data: {"type":"step","step":2,"total":8}
//
// (a blank line ends each block). Browsers read it with `new EventSource(url)`; after a dropped connection they
// reconnect and send the last `id:` they saw as the Last-Event-ID header, and the stream resumes after it.
// Lines starting with ':' are comments; one every 15 s keeps proxies from closing a quiet stream.

import type { FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 15_000;

export interface SseStream {
  send(id: number, event: string, data: unknown): void;
  end(): void;
  /** called once, when the stream ends (by end() or because the client went away) */
  onClose(fn: () => void): void;
}

export function openSse(reply: FastifyReply): SseStream {
  reply.hijack(); // we write the response ourselves; Fastify will not touch it again
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no', // nginx: do not buffer
    // One stream per connection: closing it when the stream ends lets a graceful shutdown finish promptly.
    connection: 'close',
  });
  res.write(': kontext job events\n\n'); // sends the headers now, so the client knows the stream is open
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const closers: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers) fn();
    if (!res.writableEnded) res.end();
  };
  res.on('close', close); // the client went away (or the response ended)
  return {
    send(id, event, data) {
      if (!closed) res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end: close,
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}

/** The Last-Event-ID a reconnecting client sends (0: from the start). */
export function lastEventId(req: FastifyRequest): number {
  const v = Number(req.headers['last-event-id']);
  return Number.isInteger(v) && v > 0 ? v : 0;
}
