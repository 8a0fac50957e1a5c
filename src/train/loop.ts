// The training loop shared by `kontext train ae` and `kontext train flow`: learning-rate schedule, EMA ramp,
// progress line (step, loss, it/s, ETA), periodic validation, a log (log.jsonl) with curves drawn from it
// (curves.png, curves.html), and checkpoints that resume exactly: model, EMA, optimizer moments, step, data
// position and random state. Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves a checkpoint and exits.
//
// Run folder layout:
//   config.json             the run's configuration (a resumed run must match it, except `steps`: a run can
//                           be extended)
//   log.jsonl               one line per logged step ({step, loss, lr, ...}) and per validation ({step, val})
//   curves.png, curves.html loss and validation metrics over steps
//   checkpoints/step-N.safetensors + latest.json (which checkpoint, and the data state at that step)

import { existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor, Trainer } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { Progress } from '../progress.ts';
import { writeCurves } from './curves.ts';
import { emaDecay, learningRate, type LrSchedule } from './schedule.ts';

export interface Batch {
  variant?: string;
  feeds: Record<string, HostTensor>;
}

export interface LoopOptions {
  /** run folder */
  out: string;
  /** the configuration written to config.json; a resumed run must have the same one */
  config: unknown;
  schedule: LrSchedule;
  /** target EMA decay (when the trainer keeps an EMA) */
  ema?: number;
  checkpointEvery: number;
  logEvery?: number;
  validateEvery?: number;
  /** keep this many checkpoints (oldest removed first) */
  keep?: number;
  /** the next batch; must be deterministic given the data state */
  nextBatch(step: number): Batch | Promise<Batch>;
  /** data position and random state, saved with each checkpoint */
  dataState(): unknown;
  restoreDataState(state: unknown): void;
  /** validation metrics (on the val split) at the current weights */
  validate?(trainer: Trainer): Promise<Record<string, number>>;
  /** called after each checkpoint (e.g. to export the current model) */
  onCheckpoint?(trainer: Trainer, step: number): Promise<void>;
  /** stop after this many steps in this process (for tests and benchmarks); the schedule still runs to `steps` */
  maxSteps?: number;
  quiet?: boolean;
}

interface Latest {
  step: number;
  file: string;
  data: unknown;
}

const stepName = (s: number) => `step-${String(s).padStart(7, '0')}.safetensors`;

/**
 * Two run configurations agree on everything that shapes training from here on: all but `steps` (a run may be
 * extended or shortened), `sampling` (the exported model's inference defaults) and `initFrom` (where the weights
 * came from when the run started; the folder may have moved since).
 */
function sameTraining(a: object, b: object): boolean {
  const strip = (c: object) => JSON.stringify({ ...c, steps: undefined, sampling: undefined, initFrom: undefined });
  return strip(a) === strip(b);
}

/** Resume from the run folder when it has a checkpoint; refuse when its config differs. */
async function resume(trainer: Trainer, o: LoopOptions): Promise<number> {
  const ckDir = join(o.out, 'checkpoints');
  const latestPath = join(ckDir, 'latest.json');
  const cfgPath = join(o.out, 'config.json');
  const cfg = JSON.stringify(o.config, null, 2);
  if (existsSync(cfgPath) && existsSync(latestPath)) {
    const old = JSON.parse(await readFile(cfgPath, 'utf8')) as { steps?: unknown };
    const now = o.config as { steps?: unknown };
    if (!sameTraining(old, now)) {
      throw new UserError(
        `${o.out} holds a run with another configuration (config.json differs); ` +
          `use a new --out folder, or delete ${o.out} to start over`,
      );
    }
    if (old.steps !== now.steps && !o.quiet) {
      process.stderr.write(
        `${Number(now.steps) > Number(old.steps) ? 'extending' : 'shortening'} the run: steps ${old.steps} -> ${now.steps} ` +
          `(the cosine schedule is recomputed for the new length)\n`,
      );
    }
  }
  await mkdir(ckDir, { recursive: true });
  await writeFile(cfgPath, `${cfg}\n`);
  if (!existsSync(latestPath)) return 0;
  const latest = JSON.parse(await readFile(latestPath, 'utf8')) as Latest;
  await trainer.load(join(ckDir, latest.file));
  o.restoreDataState(latest.data);
  return latest.step;
}

async function saveCheckpoint(trainer: Trainer, o: LoopOptions, saved: number[]): Promise<void> {
  const ckDir = join(o.out, 'checkpoints');
  const file = stepName(trainer.step);
  const tmp = join(ckDir, `${file}.tmp`);
  await trainer.save(tmp, { data: JSON.stringify(o.dataState()) });
  await rename(tmp, join(ckDir, file));
  const latest: Latest = { step: trainer.step, file, data: o.dataState() };
  await writeFile(join(ckDir, 'latest.json.tmp'), JSON.stringify(latest));
  await rename(join(ckDir, 'latest.json.tmp'), join(ckDir, 'latest.json'));
  saved.push(trainer.step);
  while (saved.length > (o.keep ?? 2)) {
    const old = saved.shift()!;
    if (old !== trainer.step) await rm(join(ckDir, stepName(old)), { force: true });
  }
}

export interface LoopResult {
  step: number;
  /** true when stopped by a signal or maxSteps before the schedule's end */
  interrupted: boolean;
}

/** What every training config (`kontext train ae|flow --config`) holds besides its model and data. */
export interface RunConfig {
  batch: number;
  /** length of the schedule; the one field a resumed run may change */
  steps: number;
  /** AdamW peak learning rate, reached after `warmup` linear steps, then cosine decay */
  lr: number;
  warmup: number;
  weightDecay: number;
  /** global gradient-norm clip */
  clipNorm: number;
  /** EMA decay of the weights that are validated and exported */
  ema: number;
  /**
   * decides the initialisation and the data: the world's example streams and each step's batch (flow runs: its t
   * and ε too). A run that continues another (`initFrom`) should take a seed the earlier runs did not, or it replays
   * their examples in the same order
   */
  seed: number;
  checkpointEvery: number;
  validateEvery: number;
  /** how often the loss is written to log.jsonl (default every 10 steps; 1 for a loss per batch) */
  logEvery?: number;
}

/** The loop options every training config shares (schedule, EMA, cadence) plus the command's stop/quiet flags. */
export function loopSettings(
  c: RunConfig,
  o: { maxSteps?: number; quiet?: boolean },
): Pick<LoopOptions, 'schedule' | 'ema' | 'checkpointEvery' | 'validateEvery' | 'logEvery' | 'maxSteps' | 'quiet'> {
  if (c.logEvery !== undefined && !(Number.isInteger(c.logEvery) && c.logEvery >= 1))
    throw new UserError(
      `logEvery must be a whole number of steps >= 1 (default 10), got ${JSON.stringify(c.logEvery)}`,
    );
  return {
    schedule: { lr: c.lr, warmup: c.warmup, steps: c.steps },
    ema: c.ema,
    checkpointEvery: c.checkpointEvery,
    validateEvery: c.validateEvery,
    logEvery: c.logEvery,
    maxSteps: o.maxSteps,
    quiet: o.quiet,
  };
}

/** Train until `schedule.steps` (or a signal), checkpointing, logging and validating along the way. */
export async function trainLoop(trainer: Trainer, o: LoopOptions): Promise<LoopResult> {
  const start = await resume(trainer, o);
  const total = o.schedule.steps;
  const logPath = join(o.out, 'log.jsonl');
  // checkpoints already in the folder (a resumed run) count towards `keep`
  const saved: number[] = readdirSync(join(o.out, 'checkpoints'))
    .map((f) => /^step-(\d+)\.safetensors$/.exec(f)?.[1])
    .filter((x): x is string => !!x)
    .map(Number)
    .sort((a, b) => a - b);
  let stop: string | null = null;
  const onSignal = (sig: string) => {
    if (stop) process.exit(130); // second Ctrl-C: leave now
    stop = sig;
    if (!o.quiet)
      process.stderr.write(`\n${sig}: finishing this step and saving a checkpoint (Ctrl-C again to quit at once)\n`);
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  const progress = new Progress(total, { label: 'train', quiet: o.quiet, start });
  let ran = 0;
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length) await appendFile(logPath, pending.join(''));
    pending = [];
  };
  try {
    while (trainer.step < total && !stop && (o.maxSteps === undefined || ran < o.maxSteps)) {
      const step = trainer.step + 1;
      trainer.lr = learningRate(o.schedule, step);
      const b = await o.nextBatch(step);
      const r = await trainer.trainStep(b.feeds, {
        variant: b.variant,
        emaDecay: o.ema !== undefined ? emaDecay(o.ema, step) : undefined,
      });
      ran++;
      if (!Number.isFinite(r.loss)) {
        throw new Error(
          `loss is ${r.loss} at step ${step} (variant ${b.variant ?? 'main'}); ` +
            `lower the learning rate or resume from the last checkpoint`,
        );
      }
      progress.tick({ loss: r.loss });
      if (step % (o.logEvery ?? 10) === 0 || step === 1) {
        const entry = { step, loss: r.loss, lr: trainer.lr, gradNorm: r.gradNorm, variant: b.variant, ...r.logs };
        pending.push(`${JSON.stringify({ ...entry, time: Date.now() })}\n`);
      }
      const last = step === total;
      if (o.validate && o.validateEvery && (step % o.validateEvery === 0 || last)) {
        const val = await o.validate(trainer);
        pending.push(`${JSON.stringify({ step, val, time: Date.now() })}\n`);
        progress.note(
          `val @${step}: ${Object.entries(val)
            .map(([k, v]) => `${k} ${+v.toFixed(4)}`)
            .join(', ')}`,
        );
      }
      if (step % o.checkpointEvery === 0 || last) {
        await flush();
        await saveCheckpoint(trainer, o, saved);
        await o.onCheckpoint?.(trainer, step);
        await writeCurves(o.out).catch((e) => progress.note(`curves not drawn: ${(e as Error).message}`));
      }
    }
    if (trainer.step > start && !saved.includes(trainer.step)) {
      await flush();
      await saveCheckpoint(trainer, o, saved);
      await o.onCheckpoint?.(trainer, trainer.step);
      await writeCurves(o.out).catch(() => {});
    }
  } finally {
    await flush();
    progress.done();
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
  }
  return { step: trainer.step, interrupted: trainer.step < total };
}
