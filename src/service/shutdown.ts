// Graceful shutdown on SIGINT (Ctrl-C) and SIGTERM (what `docker stop`, systemd and Kubernetes send): the first
// signal starts service.close() (stop accepting, finish or cancel the running job, close the databases); a second
// one, for the impatient, exits at once (a completed job is still safe: it was stored before it was done, and the
// next start marks unfinished ones failed).

import type { Service } from './server.ts';

/** Resolves once the service has shut down after a signal. */
export function closeOnSignals(
  service: Pick<Service, 'close' | 'options'>,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      log(
        service.options.redis
          ? `${signal}: shutting down; the jobs stay in Redis with the workers`
          : `${signal}: shutting down; the running job may finish ` +
              `(up to ${service.options.shutdownGraceMs / 1000}s), queued ones are cancelled`,
      );
      service.close().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      }, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
