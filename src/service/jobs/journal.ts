// The job journal: one row per job in <data>/jobs.db (SQLite, WAL, synchronous=FULL, as the session store).
// The queue writes a job's row when it is submitted, when it starts and when it finishes, so a finished job's
// answer (its result or error) survives the process: GET /jobs/:id works after a restart.
//
// The result is written only after the job's images and turn are stored, so a row that says `done` always points
// at stored things. A process killed with jobs in flight leaves rows that say queued or running; with the
// in-process queue the next start marks them failed, since no one will run them any more; with Redis, workers may
// still be running them, so the next start looks them up there (RedisQueue.reconcile).

import { join } from 'node:path';
import Database from 'libsql';
import { notesOf } from './book.ts';
import type { Job, JobKind, JobResult, JobSpec, JobStatus } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  session     TEXT,
  spec        TEXT NOT NULL,   -- the JobSpec as JSON (images by hash)
  status      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT,
  result      TEXT,            -- JobResult as JSON, when done
  error       TEXT             -- why it failed or was cancelled
);
`;

interface Row {
  id: string;
  kind: JobKind;
  session: string | null;
  status: JobStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: string | null;
  error: string | null;
  /** the JobSpec as JSON */
  spec: string;
}

export class JobJournal {
  private constructor(private readonly db: Database.Database) {}

  static open(dataDir: string): JobJournal {
    const db = new Database(join(dataDir, 'jobs.db'));
    db.exec('PRAGMA busy_timeout = 10000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(SCHEMA);
    return new JobJournal(db);
  }

  /** Mark jobs that a previous process left unfinished as failed; returns how many. */
  failInterrupted(now = new Date().toISOString()): number {
    const r = this.db
      .prepare(`UPDATE jobs SET status = 'failed', finished_at = ?, error = ? WHERE status IN ('queued', 'running')`)
      .run(now, 'the server stopped before this job finished; submit it again');
    return Number(r.changes);
  }

  /** Jobs not yet finished, oldest first (with Redis, workers may still be running them: see RedisQueue.reconcile). */
  unfinished(): Job[] {
    const rows = this.db
      .prepare(`SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at`)
      .all() as { id: string }[];
    return rows.map((r) => this.get(r.id)!);
  }

  insert(job: Job, spec: JobSpec): void {
    this.db
      .prepare('INSERT INTO jobs (id, kind, session, spec, status, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(job.id, job.kind, job.session, JSON.stringify(spec), job.status, job.createdAt);
  }

  started(id: string, at: string): void {
    this.db.prepare(`UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?`).run(at, id);
  }

  finish(id: string, status: JobStatus, at: string, result: JobResult | null, error: string | null): void {
    this.db
      .prepare('UPDATE jobs SET status = ?, finished_at = ?, result = ?, error = ? WHERE id = ?')
      .run(status, at, result && JSON.stringify(result), error, id);
  }

  get(id: string): Job | null {
    const [r] = this.db.prepare('SELECT * FROM jobs WHERE id = ?').all(id) as Row[];
    if (!r) return null;
    return {
      id: r.id,
      kind: r.kind,
      status: r.status,
      session: r.session,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      position: null,
      progress: null,
      cancelRequested: false,
      result: r.result ? (JSON.parse(r.result) as JobResult) : null,
      error: r.error,
      notes: notesOf(JSON.parse(r.spec) as JobSpec),
    };
  }

  close(): void {
    this.db.close();
  }
}
