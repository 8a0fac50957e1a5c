// A progress line for long work (loading, denoising steps, training): `label 120/4000 ▕███░░░▏ loss 0.0123
// 1.45 it/s ETA 44m`. On a terminal it redraws one line in place; otherwise (a log file, CI) it prints whole lines
// at most every `every` seconds, so logs stay readable.

export interface ProgressOptions {
  label?: string;
  quiet?: boolean;
  /** first step number (a resumed run); rates are measured from here */
  start?: number;
  /** seconds between lines when stderr is not a terminal (default 30) */
  every?: number;
  stream?: NodeJS.WriteStream;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private done_ = 0;
  private readonly t0 = Date.now();
  private lastPrint = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private fields: Record<string, number | string> = {};

  constructor(
    /** the steps to count to; it may grow as work is found (an edit sampled again: mini/editor.ts retries) */
    public total: number,
    private readonly o: ProgressOptions = {},
  ) {
    this.stream = o.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
    this.done_ = o.start ?? 0;
  }

  get value(): number {
    return this.done_;
  }

  line(): string {
    const start = this.o.start ?? 0;
    const elapsed = (Date.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? (this.done_ - start) / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done_) / rate : Infinity;
    const width = 20;
    const filled = Math.min(width, Math.round((width * this.done_) / Math.max(1, this.total)));
    const bar = `▕${'█'.repeat(filled)}${'░'.repeat(width - filled)}▏`;
    const extra = Object.entries(this.fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toPrecision(4) : v}`)
      .join(' ');
    const speed = rate >= 1 || rate === 0 ? `${rate.toFixed(2)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
    const counts = `${this.done_}/${this.total}`;
    return `${this.o.label ?? ''} ${counts} ${bar} ${extra} ${speed} ETA ${formatDuration(eta)}`.trim();
  }

  /** Advance by one (or to `at`) and update the shown fields. */
  tick(fields: Record<string, number | string> = {}, at?: number): void {
    this.done_ = at ?? this.done_ + 1;
    Object.assign(this.fields, fields);
    if (this.o.quiet) return;
    const now = Date.now();
    const finished = this.done_ >= this.total;
    if (this.tty) {
      if (now - this.lastPrint > 100 || finished) {
        this.stream.write(`\r\x1b[K${this.line()}`);
        this.lastPrint = now;
      }
    } else if (now - this.lastPrint > (this.o.every ?? 30) * 1000 || finished || this.lastPrint === 0) {
      this.stream.write(`${this.line()}\n`);
      this.lastPrint = now;
    }
  }

  /** A message on its own line, without breaking the progress line. */
  note(msg: string): void {
    if (this.o.quiet) return;
    this.stream.write(this.tty ? `\r\x1b[K${msg}\n${this.line()}` : `${msg}\n`);
  }

  done(): void {
    if (!this.o.quiet && this.tty) this.stream.write('\n');
  }
}

/**
 * A progress line for the denoising steps an edit reports as `onStep(step, total)` (mini/editor.ts), drawn from the
 * first report on: its rate counts the steps after that one (the first step ran before the line existed, and a rate
 * of one step over the microseconds since read 1000 it/s), its total grows where an edit is sampled again (retries).
 */
export function denoiseProgress(o: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}) {
  let bar: Progress | null = null;
  return {
    onStep(step: number, total: number): void {
      bar ??= new Progress(total, { label: 'denoise', quiet: o.quiet, stream: o.stream, every: 1, start: step });
      bar.total = total;
      bar.tick({}, step);
    },
    done(): void {
      bar?.done();
    },
  };
}
