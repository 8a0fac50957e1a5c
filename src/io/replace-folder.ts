// Writing a whole folder at once: fill a hidden sibling, then rename it into place. An interrupted run leaves the
// old folder as it was; a finished one leaves exactly what it wrote, never stale files of an older, larger run.
//
// rename() cannot replace a non-empty folder, so the old one steps aside first (`.NAME.partial-PID-XXXXXX.old`) and
// is deleted once the new one is in place. A run killed or interrupted (Ctrl-C runs no `finally`) leaves its
// siblings behind; the next run tidies those of processes that are gone: partial folders are deleted, and an old
// folder goes back into place if nothing took it.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { realpathLoose } from './inside.ts';

const PARTIAL = (base: string) =>
  new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.partial-(\\d+)-[A-Za-z0-9]{6}(\\.old)?$`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, someone else's
  }
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

/** Tidy what killed runs into `target` left in its parent folder. */
async function tidy(target: string): Promise<void> {
  const parent = path.dirname(target);
  const pattern = PARTIAL(path.basename(target));
  for (const name of await readdir(parent)) {
    const m = pattern.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const p = path.join(parent, name);
    if (m[2] && !(await exists(target)))
      await rename(p, target); // killed between the two renames
    else await rm(p, { recursive: true, force: true });
  }
}

/**
 * Fill a fresh folder with `fill` and put it at `dir`, replacing what was there; returns what `fill` returned. A
 * `dir` that is a link to a folder keeps the link: the folder it leads to is replaced, on its own file system.
 */
export async function replaceFolder<T>(dir: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  const target = await realpathLoose(dir);
  await mkdir(path.dirname(target), { recursive: true });
  await tidy(target);
  // mkdir, not mkdtemp: the folder becomes the dataset, so it gets the usual permissions (mkdtemp's are 0700)
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.partial-${process.pid}-${randomBytes(3).toString('hex')}`,
  );
  await mkdir(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${tmp}.old`;
  const hadOld = await exists(target);
  if (hadOld) await rename(target, old);
  try {
    await rename(tmp, target);
  } catch (err) {
    if (hadOld) await rename(old, target);
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
  return result;
}
