// `kontext serve`: the HTTP service (src/service/) in the foreground until SIGINT/SIGTERM.

import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { DEFAULT_LIMITS, DEFAULTS } from '../service/options.ts';
import { startService } from '../service/server.ts';
import { closeOnSignals } from '../service/shutdown.ts';
import { parseCommand } from './args.ts';
import type { Command } from './main.ts';

const MAX_BODY_MIB = DEFAULT_LIMITS.maxBodyBytes / 2 ** 20;
const HELP = `usage: kontext serve [options]

A JSON API for generate, edit and multi-turn sessions; model runs are queued jobs with progress as Server-Sent
Events. GET /openapi.json describes every route; GET /health says whether it is up.

  --data DIR           data folder: sessions.db, jobs.db, images/ (default ${DEFAULTS.data})
  --host HOST          address to listen on (default ${DEFAULTS.host}: this machine only)
  --port N             port (default ${DEFAULTS.port}; 0 = any free one)
  --model SPEC         mini (default, the embedded model), mini:DIR, identity, noise
  --redis URL          put jobs on a BullMQ queue in Redis (redis://host:port) for \`kontext worker\` processes
                       sharing --data to run (this process then loads no model: give --model to the workers)
  --check-model SPEC   with --redis: the workers' --model, loaded here only to check requests before they are
                       queued (words the model does not know, notes, the images an edit takes); it runs nothing.
                       A worker with another model is logged and counted in GET /health
  --max-queue N        jobs that may wait behind the running one (default ${DEFAULT_LIMITS.maxQueue})
  --max-steps N        denoising steps per job (default ${DEFAULT_LIMITS.maxSteps})
  --max-candidates N   samples per job for best of n, each about one more run (default ${DEFAULT_LIMITS.maxCandidates})
  --max-retries N      samples drawn again per job where the answer does not show the edit, each about one more
                       run (default ${DEFAULT_LIMITS.maxRetries}; 0: never)
  --max-pixels N       pixels per uploaded or generated image (default ${DEFAULT_LIMITS.maxPixels})
  --max-body MIB       request body size in MiB, base64 images included (default ${MAX_BODY_MIB})
  --concurrency N      jobs run at once (default ${DEFAULTS.concurrency}; one model run already uses every core)
  --shutdown-timeout S on SIGINT/SIGTERM, seconds the running job may take to finish before it is cancelled
                       (default ${DEFAULTS.shutdownGraceMs / 1000})

Example:
  kontext serve --model identity --port 8080 &
  curl -s localhost:8080/generate -H 'content-type: application/json' -d '{"prompt":"a red circle"}'`;

function num(v: string | undefined, name: string, min: number, integer = true): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!v.trim() || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw new UserError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${v}'`);
  }
  return x;
}

const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);

const command: Command = {
  async run(argv) {
    const s = { type: 'string' } as const;
    const parsed = parseCommand(argv, HELP, {
      data: s,
      host: s,
      port: s,
      model: s,
      'max-queue': s,
      'max-steps': s,
      'max-candidates': s,
      'max-retries': s,
      'max-pixels': s,
      'max-body': s,
      concurrency: s,
      'shutdown-timeout': s,
      redis: s,
      'check-model': s,
    });
    if (!parsed) return 0;
    const { values: v } = parsed;
    if (parsed.positionals.length)
      throw new UserError(`unexpected argument '${parsed.positionals[0]}'; see 'kontext serve --help'`);
    const maxBody = num(v['max-body'], 'max-body', 0.001, false);
    const grace = num(v['shutdown-timeout'], 'shutdown-timeout', 0, false);
    const service = await startService({
      data: v.data,
      host: v.host,
      model: v.model,
      redis: v.redis,
      checkModel: v['check-model'],
      log,
      port: num(v.port, 'port', 0),
      maxQueue: num(v['max-queue'], 'max-queue', 0),
      maxSteps: num(v['max-steps'], 'max-steps', 1),
      maxCandidates: num(v['max-candidates'], 'max-candidates', 1),
      maxRetries: num(v['max-retries'], 'max-retries', 0),
      maxPixels: num(v['max-pixels'], 'max-pixels', 1),
      maxBodyBytes: maxBody === undefined ? undefined : Math.round(maxBody * 2 ** 20),
      concurrency: num(v.concurrency, 'concurrency', 1),
      shutdownGraceMs: grace === undefined ? undefined : grace * 1000,
    });
    log(
      `listening on ${service.url} (model ${service.model.name}, data ${resolve(service.options.data)}); ` +
        `GET /openapi.json for the API`,
    );
    await closeOnSignals(service, log);
    log('stopped');
    return 0;
  },
};

export default command;
