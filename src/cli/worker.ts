// `kontext worker`: runs the jobs that `kontext serve --redis URL` queues (src/service/worker.ts), in the
// foreground until SIGINT/SIGTERM. Start as many as the machines allow; they share the API's data folder.

import { UserError } from '../errors.ts';
import { DEFAULTS } from '../service/options.ts';
import { startWorker } from '../service/worker.ts';
import { intArg, numArg, parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext worker --redis URL [options]

Takes jobs from the Redis queue of \`kontext serve --redis URL\`, runs them with the model, stores the images and
session turns in the shared data folder and answers through the queue (progress, result, failure). A worker that
dies mid-job is replaced: after --stall-timeout another worker runs the job again, and it completes once.

  --redis URL          the Redis the API process uses (redis://host:port, rediss:// for TLS)
  --data DIR           the API process's data folder, shared (default ${DEFAULTS.data})
  --model SPEC         mini (default, the embedded model), mini:DIR, identity, noise
  --concurrency N      jobs run at once (default 1; one model run already uses every core)
  --stall-timeout S    seconds without a sign of life before a worker's job goes to another worker (default 30)
  --shutdown-timeout S on SIGINT/SIGTERM, seconds the running jobs may take to finish; after that they are left
                       to other workers (default ${DEFAULTS.shutdownGraceMs / 1000})
  --json               print one JSON line when ready (name, model, data) instead of a log line

Example:
  kontext serve --redis redis://127.0.0.1:6379 --data /srv/kontext &
  kontext worker --redis redis://127.0.0.1:6379 --data /srv/kontext --model mini`;

const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);

const command: Command = {
  async run(argv) {
    const s = { type: 'string' } as const;
    const parsed = parseCommand(argv, HELP, {
      redis: s,
      data: s,
      model: s,
      concurrency: s,
      'stall-timeout': s,
      'shutdown-timeout': s,
      json: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'; see 'kontext worker --help'`);
    if (!v.redis)
      throw new UserError(
        "--redis URL is required: the Redis of 'kontext serve --redis URL' (e.g. redis://127.0.0.1:6379)",
      );
    const stall = numArg('--stall-timeout', v['stall-timeout'], 0.1, 86_400);
    const grace = numArg('--shutdown-timeout', v['shutdown-timeout'], 0, 86_400);
    const worker = await startWorker({
      redis: v.redis,
      data: v.data,
      model: v.model,
      concurrency: intArg('--concurrency', v.concurrency, 1, 1024),
      stallTimeoutMs: stall === undefined ? undefined : stall * 1000,
      log,
    });
    if (v.json) console.log(JSON.stringify({ name: worker.name, model: worker.model.name, data: worker.data }));
    const graceMs = grace === undefined ? DEFAULTS.shutdownGraceMs : grace * 1000;
    const signal = await new Promise<NodeJS.Signals>((r) => {
      process.once('SIGINT', r);
      process.once('SIGTERM', r);
    });
    log(`${signal}: taking no more jobs; the running ones may finish (up to ${graceMs / 1000}s)`);
    const again = () => {
      log('signal again: exiting now (the running jobs go to other workers)');
      process.exit(130);
    };
    process.once('SIGINT', again);
    process.once('SIGTERM', again);
    const { abandoned } = await worker.close(graceMs);
    log(abandoned ? `stopped; ${abandoned} unfinished job(s) go to other workers` : 'stopped');
    if (abandoned) process.exit(0); // their runs are still winding down here; they no longer matter
    return 0;
  },
};

export default command;
