// Export a session to a plain folder that needs no kontext to read:
//
//   history.json        the session and every turn (all branches), images referred to by file name and hash
//   turn-001.png ...    each turn's output
//   input-<hash>.png    images the user gave (inputs that are no turn's output)
//   color-<hash>.png    a turn's output in colour, where the output is its world grey (Turn.color)
//
// The PNG bytes are copied as stored, so each file's SHA-256 is still the hash history.json gives for it.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { SessionStore } from './store.ts';

export interface ExportResult {
  dir: string;
  turns: number;
  files: number;
}

const turnFile = (n: number) => `turn-${String(n).padStart(3, '0')}.png`;

export async function exportSession(store: SessionStore, id: string, dir: string): Promise<ExportResult> {
  const session = store.session(id);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new UserError(`export folder '${dir}' already exists and is not empty; give a new folder`);
  }
  const turns = store.turns(id);
  // Every turn's output gets its own file, even when two turns produced the same bytes. An input is named by
  // the first turn that output it (the usual case: the parent's output), else it is a user's image, named by hash.
  const names = new Map<string, string>();
  for (const t of turns) if (!names.has(t.output)) names.set(t.output, turnFile(t.n));
  const inputs = new Map<string, string>();
  for (const t of turns) for (const h of t.inputs) if (!names.has(h)) inputs.set(h, `input-${h.slice(0, 16)}.png`);
  // (a picture in colour a turn greyed is its input, named already; the colour of a later turn's answer is not)
  for (const t of turns)
    if (t.color && !names.has(t.color) && !inputs.has(t.color))
      inputs.set(t.color, `color-${t.color.slice(0, 16)}.png`);
  const ref = (hash: string) => ({ file: names.get(hash) ?? inputs.get(hash)!, sha256: hash });

  await mkdir(dir, { recursive: true });
  for (const t of turns) await writeFile(join(dir, turnFile(t.n)), await store.images.readPng(t.output));
  for (const [hash, file] of inputs) await writeFile(join(dir, file), await store.images.readPng(hash));
  const history = {
    format: 'kontext-session',
    version: 1,
    session: { id: session.id, createdAt: session.createdAt, head: session.head },
    /** the turns from the start to the head: the history of the current image */
    current: store.lineage(id).map((t) => t.n),
    turns: turns.map(({ session: _s, inputs: ins, output, color, ...t }) => ({
      ...t,
      inputs: ins.map(ref),
      output: { file: turnFile(t.n), sha256: output },
      color: color ? ref(color) : null,
    })),
  };
  await writeFile(join(dir, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
  return { dir, turns: turns.length, files: turns.length + inputs.size + 1 };
}
