// Following a job: its state, its events as they happen, cancelling it.

import { notFound } from '../errors.ts';
import { jobId } from '../ids.ts';
import { lastEventId, openSse } from './sse.ts';
import { paramsOf, type RouteSpec, type ServiceContext } from './spec.ts';

const ID = { id: 'the job id (a UUID), as returned when the job was submitted' };

export function jobRoutes({ queue }: ServiceContext): RouteSpec[] {
  const find = async (raw: string) => {
    const id = jobId(raw);
    const job = await queue.get(id);
    if (!job)
      throw notFound(`no job ${id} (finished jobs are kept in the data folder's jobs.db; is this the right server?)`);
    return job;
  };

  return [
    {
      method: 'GET',
      url: '/jobs/:id',
      operationId: 'getJob',
      summary: 'A job: status, position or progress, result or error',
      params: ID,
      responses: {
        200: { description: 'the job', schema: 'Job' },
        404: { description: 'no such job', schema: 'Error' },
      },
      handler: async (req) => find(paramsOf(req).id),
    },
    {
      method: 'GET',
      url: '/jobs/:id/events',
      operationId: 'jobEvents',
      params: ID,
      summary: "A job's events as Server-Sent Events: queued, started, step..., then done, failed or cancelled",
      description:
        'All events from the start (or after Last-Event-ID) are sent first, then live ones; ' +
        'the stream ends after the last.',
      responses: {
        200: { description: 'an event stream of JobEvent', mediaType: 'text/event-stream', schema: 'JobEvent' },
        404: { description: 'no such job', schema: 'Error' },
      },
      async handler(req, reply) {
        const { id } = await find(paramsOf(req).id);
        const sse = openSse(reply);
        // the stream ends after the job's last event, at once for a job resumed after it, or when the server stops
        const stop = await queue.subscribe(
          id,
          (seq, e) => sse.send(seq, e.type, e),
          lastEventId(req),
          () => sse.end(),
        );
        sse.onClose(() => stop?.());
      },
    },
    {
      method: 'DELETE',
      url: '/jobs/:id',
      operationId: 'cancelJob',
      params: ID,
      summary: 'Cancel a job: a queued one is removed, a running one stops at its next step',
      responses: {
        200: {
          description: 'the job: cancelled, or still running with cancelRequested (follow its events)',
          schema: 'Job',
        },
        404: { description: 'no such job', schema: 'Error' },
        409: { description: 'the job has already finished', schema: 'Error' },
      },
      async handler(req) {
        const id = jobId(paramsOf(req).id);
        const job = await queue.cancel(id);
        if (!job) throw notFound(`no job ${id}`);
        return job;
      },
    },
  ];
}
