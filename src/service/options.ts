// What `kontext serve` can be told, with the defaults. The limits protect one machine from one client: a model
// run uses every core for seconds to minutes, so the queue is short and steps and image sizes are capped; each
// limit, when hit, is answered with a 4xx whose message names it and the option that raises it.

import { UserError } from '../errors.ts';
import type { ServiceModel } from './model.ts';

export interface Limits {
  /** jobs waiting (not counting the running ones); more are refused with 429 (--max-queue) */
  maxQueue: number;
  /** denoising steps per job (--max-steps) */
  maxSteps: number;
  /** samples per job for best of n (--max-candidates): each costs the steps again, plus its scoring */
  maxCandidates: number;
  /** samples drawn again per job where the answer does not show the edit (--max-retries): each costs a run */
  maxRetries: number;
  /** pixels per uploaded image and per generated image (--max-pixels) */
  maxPixels: number;
  /** bytes per request body, base64 images included (--max-body, in MiB on the command line) */
  maxBodyBytes: number;
  /** images per request */
  maxImages: number;
  /** characters per prompt or instruction */
  maxPromptChars: number;
}

export interface ServiceOptions extends Partial<Limits> {
  /** data folder: sessions.db, jobs.db, images/ (default ./kontext-data) */
  data?: string;
  /** a model spec for loadServiceModel ('mini', 'identity', 'noise', a registered prefix) or a loaded model */
  model?: string | ServiceModel;
  host?: string;
  /** 0 = any free port (tests) */
  port?: number;
  /** jobs run at once (default 1: one model run already uses all cores) */
  concurrency?: number;
  /** on shutdown, how long the running job may take to finish before it is cancelled (ms) */
  shutdownGraceMs?: number;
  /** where one-line log messages go (default: nowhere) */
  log?: (line: string) => void;
  /** a Redis URL: jobs go to a BullMQ queue there and `kontext worker` processes run them, with their own
   *  --model (this process loads none); '' (default) = the in-process queue */
  redis?: string;
  /** with `redis`: the workers' model (a spec or a loaded model), loaded here only to check requests before they are
   *  queued (the prompt's notes, the images an edit takes); it runs no edit. '' (default) = none: nothing checked */
  checkModel?: string | ServiceModel;
}

export const DEFAULT_LIMITS: Limits = {
  maxQueue: 16,
  maxSteps: 50,
  maxCandidates: 4,
  maxRetries: 4,
  maxPixels: 4 * 1024 * 1024, // 4 MP: Kontext works at about 1 MP; larger inputs only cost decode time
  maxBodyBytes: 32 * 1024 * 1024, // a 4 MP PNG is up to ~16 MB, ~22 MB as base64
  maxImages: 4,
  maxPromptChars: 2000,
};

export const DEFAULTS = {
  data: './kontext-data',
  model: 'mini',
  host: '127.0.0.1',
  port: 8080,
  concurrency: 1,
  shutdownGraceMs: 30_000,
  redis: '',
  checkModel: '' as string | ServiceModel,
};

/** Just the limits of resolved options (what /health shows). */
export function limitsOf(o: Limits): Limits {
  const { maxQueue, maxSteps, maxCandidates, maxRetries, maxPixels, maxBodyBytes, maxImages, maxPromptChars } = o;
  return { maxQueue, maxSteps, maxCandidates, maxRetries, maxPixels, maxBodyBytes, maxImages, maxPromptChars };
}

export type ResolvedOptions = Limits & Required<Omit<ServiceOptions, keyof Limits>>;

export function resolveOptions(o: ServiceOptions): ResolvedOptions {
  const r = { ...DEFAULTS, ...DEFAULT_LIMITS, log: () => {}, ...stripUndefined(o) } as ResolvedOptions;
  for (const k of [
    'maxQueue',
    'maxSteps',
    'maxCandidates',
    'maxRetries',
    'maxPixels',
    'maxBodyBytes',
    'maxImages',
    'maxPromptChars',
    'concurrency',
  ] as const) {
    // --max-queue 0: run one job at a time and refuse the rest; --max-retries 0: never sample an edit again
    const min = k === 'maxQueue' || k === 'maxRetries' ? 0 : 1;
    if (!(Number.isInteger(r[k]) && r[k] >= min)) throw new UserError(`${k} must be an integer >= ${min}, got ${r[k]}`);
  }
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
