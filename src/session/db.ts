// The SQLite side of the session store: opening the database file and its schema.
//
// WAL mode: a commit appends to the write-ahead log and is durable once that append is synced (synchronous=FULL
// syncs on every commit), readers never block the writer, and a process killed mid-transaction leaves only an
// uncommitted tail in the log, which SQLite ignores on the next open. So a turn row is either fully there or not
// at all. busy_timeout makes a second process (another CLI call, a service worker) wait for the lock rather than fail.

import Database from 'libsql';

export type DB = Database.Database;

/** Bump when the schema changes, and add the migration step to `migrate`. */
const SCHEMA_VERSION = 7;

const SCHEMA_V1 = `
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  head       INTEGER,                      -- the current turn's n; NULL = before the first turn
  FOREIGN KEY (id, head) REFERENCES turns (session_id, n)
);
CREATE TABLE turns (
  session_id  TEXT    NOT NULL REFERENCES sessions (id),
  n           INTEGER NOT NULL,            -- 1, 2, ... within the session
  parent      INTEGER,                     -- the parent turn's n; NULL = a root turn
  instruction TEXT    NOT NULL,
  inputs      TEXT    NOT NULL,            -- JSON array of image hashes
  output      TEXT    NOT NULL,            -- image hash
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  steps       INTEGER,
  guidance    REAL,
  seed        INTEGER NOT NULL,
  model       TEXT    NOT NULL,
  seconds     REAL    NOT NULL,
  created_at  TEXT    NOT NULL,
  PRIMARY KEY (session_id, n),
  FOREIGN KEY (session_id, parent) REFERENCES turns (session_id, n),
  CHECK (parent IS NULL OR parent < n)     -- a parent is always an earlier turn: the turns form a tree
);
`;

// v2: the service job that made a turn. A job whose worker died after storing the turn but before the queue
// heard of it runs again; it finds its turn by this key instead of recording a second one.
const SCHEMA_V2 = `
ALTER TABLE turns ADD COLUMN job TEXT;
CREATE UNIQUE INDEX turns_job ON turns (session_id, job) WHERE job IS NOT NULL;
`;

// v3: how many samples a turn's answer was chosen from (best of n); NULL for the turns stored before.
const SCHEMA_V3 = `
ALTER TABLE turns ADD COLUMN candidates INTEGER;
`;

// v4: what the model made of the instruction (types.ts MadeAs, JSON); NULL = the instruction as given.
const SCHEMA_V4 = `
ALTER TABLE turns ADD COLUMN made_as TEXT;
`;

// v5: how many samples the model could draw again where the answer did not show the edit (retries); NULL before.
const SCHEMA_V5 = `
ALTER TABLE turns ADD COLUMN retries INTEGER;
`;

// v6: the edits (as made) whose answer did not show all of them after every try (types.ts Turn.unshown, JSON);
// NULL = none said, and for the turns stored before.
const SCHEMA_V6 = `
ALTER TABLE turns ADD COLUMN unshown TEXT;
`;

// v7: the output in colour where the output is its world grey (types.ts Turn.color), an image hash; NULL = none.
const SCHEMA_V7 = `
ALTER TABLE turns ADD COLUMN color TEXT;
`;

function migrate(db: DB): void {
  const [{ user_version: version }] = db.prepare('PRAGMA user_version').all() as { user_version: number }[];
  if (version > SCHEMA_VERSION)
    throw new Error(
      `session database has schema version ${version}; this kontext knows up to ${SCHEMA_VERSION} (upgrade kontext)`,
    );
  if (version === SCHEMA_VERSION) return;
  // One transaction, so two processes opening a new store at once cannot both create the tables.
  db.transaction(() => {
    const [{ user_version: now }] = db.prepare('PRAGMA user_version').all() as { user_version: number }[];
    if (now < 1) db.exec(SCHEMA_V1);
    if (now < 2) db.exec(SCHEMA_V2);
    if (now < 3) db.exec(SCHEMA_V3);
    if (now < 4) db.exec(SCHEMA_V4);
    if (now < 5) db.exec(SCHEMA_V5);
    if (now < 6) db.exec(SCHEMA_V6);
    if (now < 7) db.exec(SCHEMA_V7);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

export function openDatabase(path: string): DB {
  const db = new Database(path);
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  migrate(db);
  return db;
}
