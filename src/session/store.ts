// SessionStore: the sessions of one data folder.
//
//   <data>/sessions.db          SQLite (WAL): sessions and turns (see db.ts)
//   <data>/images/<sha256>.png  the images the turns name (see images.ts)
//
// The order of every write is what makes `kill -9` harmless: images first (each atomically renamed into place
// after an fsync), then the turn row and the head move together in one transaction. A crash before the commit
// leaves a stored image that no turn names yet (harmless; the same edit would reuse it), never a turn without
// its image.

import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { openDatabase, type DB } from './db.ts';
import { ImageStore } from './images.ts';
import type { MadeAs, Session, Turn, TurnInput } from './types.ts';

const DB_FILE = 'sessions.db';
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface SessionRow {
  id: string;
  created_at: string;
  head: number | null;
  turn_count: number;
}
interface TurnRow {
  session_id: string;
  n: number;
  parent: number | null;
  instruction: string;
  inputs: string;
  output: string;
  width: number;
  height: number;
  steps: number | null;
  guidance: number | null;
  candidates: number | null;
  retries: number | null;
  seed: number;
  model: string;
  seconds: number;
  created_at: string;
  job: string | null;
  made_as: string | null;
  unshown: string | null;
  color: string | null;
}

const toSession = (r: SessionRow): Session => ({
  id: r.id,
  createdAt: r.created_at,
  head: r.head,
  turnCount: r.turn_count,
});
const toTurn = (r: TurnRow): Turn => ({
  session: r.session_id,
  n: r.n,
  parent: r.parent,
  instruction: r.instruction,
  inputs: JSON.parse(r.inputs) as string[],
  output: r.output,
  width: r.width,
  height: r.height,
  steps: r.steps,
  guidance: r.guidance,
  candidates: r.candidates,
  retries: r.retries,
  seed: r.seed,
  model: r.model,
  seconds: r.seconds,
  createdAt: r.created_at,
  ...(r.job === null ? {} : { job: r.job }),
  madeAs: r.made_as === null ? null : (JSON.parse(r.made_as) as MadeAs),
  unshown: r.unshown === null ? null : (JSON.parse(r.unshown) as string[]),
  color: r.color,
});

const SESSION_SELECT =
  `SELECT s.id, s.created_at, s.head, (SELECT count(*) FROM turns t WHERE t.session_id = s.id) ` +
  `AS turn_count FROM sessions s`;

export interface OpenOptions {
  /** create the folder and database when missing (default true); false: a missing store is a UserError */
  create?: boolean;
}

export class SessionStore {
  private constructor(
    readonly dir: string,
    readonly db: DB,
    readonly images: ImageStore,
  ) {}

  static async open(dir: string, o: OpenOptions = {}): Promise<SessionStore> {
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw new UserError(`data folder '${dir}' is a file, not a folder`);
    if (o.create === false && !existsSync(join(dir, DB_FILE))) {
      throw new UserError(`no sessions in '${dir}' (start one with 'kontext session new --data ${dir}')`);
    }
    await mkdir(dir, { recursive: true });
    const images = new ImageStore(join(dir, 'images'));
    await images.init();
    await images.sweepTemporaries();
    return new SessionStore(dir, openDatabase(join(dir, DB_FILE)), images);
  }

  close(): void {
    this.db.close();
  }

  // ---- sessions ------------------------------------------------------------------------------------------------

  /** Create a session named `id`, or s1, s2, ... (the first free one) when no id is given. */
  createSession(id?: string): Session {
    if (id !== undefined && !SESSION_ID.test(id)) {
      throw new UserError(
        `session name '${id}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    const createdAt = new Date().toISOString();
    return this.db
      .transaction(() => {
        let name = id;
        if (name === undefined) {
          const [{ count }] = this.db.prepare('SELECT count(*) AS count FROM sessions').all() as { count: number }[];
          for (let k = count + 1; ; k++)
            if (!this.findSession(`s${k}`)) {
              name = `s${k}`;
              break;
            }
        } else if (this.findSession(name)) {
          throw new UserError(`a session named '${name}' already exists`);
        }
        this.db.prepare('INSERT INTO sessions (id, created_at, head) VALUES (?, ?, NULL)').run(name, createdAt);
        return { id: name!, createdAt, head: null, turnCount: 0 };
      })
      .immediate();
  }

  findSession(id: string): Session | null {
    const [row] = this.db.prepare(`${SESSION_SELECT} WHERE s.id = ?`).all(id) as SessionRow[];
    return row ? toSession(row) : null;
  }

  /** The session, or a UserError naming the command that lists the existing ones. */
  session(id: string): Session {
    const s = this.findSession(id);
    if (!s) throw new UserError(`no session '${id}' in '${this.dir}' ('kontext session list' shows the sessions)`);
    return s;
  }

  listSessions(): Session[] {
    return (this.db.prepare(`${SESSION_SELECT} ORDER BY s.rowid`).all() as SessionRow[]).map(toSession);
  }

  // ---- turns ---------------------------------------------------------------------------------------------------

  /** All turns of a session (every branch), in order of creation. */
  turns(session: string): Turn[] {
    this.session(session);
    return (this.db.prepare('SELECT * FROM turns WHERE session_id = ? ORDER BY n').all(session) as TurnRow[]).map(
      toTurn,
    );
  }

  turn(session: string, n: number): Turn {
    const [row] = this.db.prepare('SELECT * FROM turns WHERE session_id = ? AND n = ?').all(session, n) as TurnRow[];
    if (!row)
      throw new UserError(`session '${session}' has no turn ${n} ('kontext session show ${session}' lists its turns)`);
    return toTurn(row);
  }

  /** The turn the service job `job` recorded in this session, or null if it has recorded none. */
  turnOfJob(session: string, job: string): Turn | null {
    const [row] = this.db
      .prepare('SELECT * FROM turns WHERE session_id = ? AND job = ?')
      .all(session, job) as TurnRow[];
    return row ? toTurn(row) : null;
  }

  /** The head turn, or null when the session is at its start. */
  head(session: string): Turn | null {
    const { head } = this.session(session);
    return head === null ? null : this.turn(session, head);
  }

  /** The turns from a root down to turn `n` (or to the head): the edit history of that turn's image. */
  lineage(session: string, n: number | null = this.session(session).head): Turn[] {
    const path: Turn[] = [];
    for (let k = n; k !== null; ) {
      const t = this.turn(session, k);
      path.unshift(t);
      k = t.parent;
    }
    return path;
  }

  /**
   * Record a finished edit and make it the head, in one transaction. Its images must already be stored (the
   * order that keeps a crash from leaving a turn without its image); this is checked, not assumed.
   */
  addTurn(session: string, t: TurnInput): Turn {
    for (const h of [...t.inputs, t.output])
      if (!this.images.has(h)) throw new Error(`image ${h} is not stored; put() images before addTurn()`);
    const createdAt = new Date().toISOString();
    return this.db
      .transaction(() => {
        this.session(session);
        const done = t.job === undefined ? null : this.turnOfJob(session, t.job);
        if (done) return done; // the job ran again after a crash: its turn is already recorded
        if (t.parent !== null) this.turn(session, t.parent);
        const [{ next }] = this.db
          .prepare('SELECT coalesce(max(n), 0) + 1 AS next FROM turns WHERE session_id = ?')
          .all(session) as { next: number }[];
        this.db
          .prepare(
            `INSERT INTO turns (session_id, n, parent, instruction, inputs, output, width, height, steps, guidance, ` +
              `candidates, retries, seed, model, seconds, created_at, job, made_as, unshown, color)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            session,
            next,
            t.parent,
            t.instruction,
            JSON.stringify(t.inputs),
            t.output,
            t.width,
            t.height,
            t.steps,
            t.guidance,
            t.candidates,
            t.retries,
            t.seed,
            t.model,
            t.seconds,
            createdAt,
            t.job ?? null,
            t.madeAs ? JSON.stringify(t.madeAs) : null,
            t.unshown?.length ? JSON.stringify(t.unshown) : null,
            t.color ?? null,
          );
        this.db.prepare('UPDATE sessions SET head = ? WHERE id = ?').run(next, session);
        return {
          ...t,
          madeAs: t.madeAs ?? null,
          unshown: t.unshown?.length ? t.unshown : null,
          color: t.color ?? null,
          session,
          n: next,
          createdAt,
        };
      })
      .immediate();
  }

  /** Move the head to turn `n` (null: back to the start); the next edit continues from there, as a new branch. */
  setHead(session: string, n: number | null): Session {
    return this.db.transaction(() => this.moveHead(session, n)).immediate();
  }

  /** Undo: move the head to its parent. The undone turn stays in the tree (branch back to it to redo). */
  undo(session: string): Session {
    return this.db
      .transaction(() => {
        const head = this.head(session);
        if (!head) throw new UserError(`session '${session}' is at its start; there is nothing to undo`);
        return this.moveHead(session, head.parent);
      })
      .immediate();
  }

  /** The head move itself; callers hold the transaction (SQLite transactions do not nest). */
  private moveHead(session: string, n: number | null): Session {
    this.session(session);
    if (n !== null) this.turn(session, n);
    this.db.prepare('UPDATE sessions SET head = ? WHERE id = ?').run(n, session);
    return this.session(session);
  }
}
