// Running one job, wherever it runs: in the server's own process (InProcessQueue) or in a `kontext worker`
// (worker.ts). The job gets a JobContext whose onStep reports progress and throws once the job is cancelled;
// the outcome says how it ended, in words a client may see.
//
// Cancellation is cooperative: a running job's AbortSignal is aborted and the job stops the next time the model
// reports a step (ctx.onStep throws) or, for a model without steps, when it returns (ctx.checkCancelled, called
// before results are stored). A job that has stored its results is done, even if a cancel arrived meanwhile: a
// finished result is never thrown away.

import { UserError } from '../../errors.ts';
import { ServiceError } from '../errors.ts';
import { JobCancelled, type JobContext, type JobResult, type JobRunner, type JobSpec } from './types.ts';

export type Outcome = { status: 'done'; result: JobResult } | { status: 'failed' | 'cancelled'; error: string };

export interface RunOptions {
  id: string;
  signal: AbortSignal;
  /** a step was reported (before the cancellation check) */
  onStep?: (step: number, total: number) => void;
}

export async function runJob(runner: JobRunner, spec: JobSpec, o: RunOptions): Promise<Outcome> {
  const { signal } = o;
  const ctx: JobContext = {
    id: o.id,
    signal,
    checkCancelled: () => {
      if (signal.aborted)
        throw signal.reason instanceof Error ? signal.reason : new JobCancelled(String(signal.reason));
    },
    onStep: (step, total) => {
      o.onStep?.(step, total);
      ctx.checkCancelled();
    },
  };
  try {
    ctx.checkCancelled();
    return { status: 'done', result: await runner(spec, ctx) };
  } catch (err) {
    if (signal.aborted) return { status: 'cancelled', error: reasonOf(signal) };
    return { status: 'failed', error: errorMessage(err) };
  }
}

function reasonOf(signal: AbortSignal): string {
  const r = signal.reason as unknown;
  return (r instanceof Error ? r.message : typeof r === 'string' && r ? r : '') || 'cancelled';
}

/** What a client may see of an error: a UserError's message as it is; anything else marked as internal. */
export function errorMessage(err: unknown): string {
  if (err instanceof UserError || err instanceof ServiceError) return err.message;
  return `internal error: ${(err as Error)?.message ?? String(err)}`;
}
