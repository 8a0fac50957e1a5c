// What the engine leaves behind when a process ends: native ORT sessions and spilled-weight folders.
//
// - Folders registered with `removeOnExit` are deleted on every exit Node gets to see: normal end,
//   process.exit(), an uncaught exception ('exit' is emitted for all three), and SIGINT/SIGTERM/SIGHUP.
// - Live sessions are tracked (weakly: a session dropped from the compile cache and by its callers may still be
//   garbage-collected) so `releaseAllSessions()` can free them; on a signal that nobody else handles we release
//   them, delete the folders and die of the same signal (as if we had not been listening).
// - A process killed outright (SIGKILL, the OOM killer) runs no code: its folders carry its pid in their name and
//   the next process that spills removes them (`sweepStale`).
//
// Signal handlers are installed once there is something to clean up, and they step aside when the
// application has its own (the service finishes its running job on Ctrl-C, the trainer saves a checkpoint):
// those handlers end with process.exit(), and the 'exit' hook then removes the folders.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

interface Releasable {
  dispose(): Promise<void>;
}

const sessions = new Set<WeakRef<Releasable>>();
const refs = new WeakMap<Releasable, WeakRef<Releasable>>();
const collected = new FinalizationRegistry<WeakRef<Releasable>>((ref) => sessions.delete(ref));
const folders = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

export function trackSession(s: Releasable): void {
  const ref = new WeakRef(s);
  refs.set(s, ref);
  sessions.add(ref);
  collected.register(s, ref, ref);
  hook();
}

export function untrackSession(s: Releasable): void {
  const ref = refs.get(s);
  if (!ref) return;
  sessions.delete(ref);
  collected.unregister(ref);
  refs.delete(s);
}

/** Sessions compiled and neither disposed nor garbage-collected yet. */
export function liveSessionCount(): number {
  return sessions.size;
}

/** Release every session still open (each `dispose()`d once; later runs on them throw). */
export async function releaseAllSessions(): Promise<void> {
  const all = [...sessions].map((r) => r.deref()).filter((s): s is Releasable => !!s);
  sessions.clear();
  await Promise.allSettled(all.map((s) => s.dispose()));
}

/** Delete `dir` (recursively) when the process exits. */
export function removeOnExit(dir: string): void {
  folders.add(dir);
  hook();
}

/** Delete a registered folder now (e.g. its model was disposed) and forget it. */
export function removeNow(dir: string): void {
  folders.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function removeFolders(): void {
  for (const d of folders) rmSync(d, { recursive: true, force: true });
  folders.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // Someone else handles this signal: let them decide (their process.exit() triggers the 'exit' hook).
  if (process.listenerCount(sig) > 1) return;
  const die = () => {
    removeFolders();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, sig); // default action now: terminate with the signal's status
  };
  // releasing is quick; a stuck release must not keep a Ctrl-C'd process alive
  const timer = setTimeout(die, 2000);
  releaseAllSessions().finally(() => {
    clearTimeout(timer);
    die();
  });
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeFolders);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * Remove folders named `<prefix><pid>-…` in `parent` whose process is gone (it was killed before its 'exit' hook
 * could run). A folder of a live process, or one whose pid cannot be checked, is left alone.
 */
export function sweepStale(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
