// Paths read from data files must stay inside the folder that holds the data file. A row naming '../x', '/etc/x'
// or a link that leads out would otherwise make `kontext bench run` read a file the dataset's author chose, copy
// it into the results and publish it in report.html.
//
// The answer never depends on anything outside the folder: names are judged by their text, links by their target's
// text, and the walk stops before it would step out. So the reply ('outside') is the same whether or not the outside
// file exists, and cannot be used to probe for files either.

import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/** As the kernel's limit on links followed in one lookup (ELOOP). */
const MAX_LINKS = 40;

/** Where a name in a data file leads. */
export type Inside = { ok: true; path: string } | { ok: false; why: 'outside' | 'missing' | 'links' };

/** Separators of names in data files: both, so that '..\\x' is refused everywhere. */
const SEPARATORS = /[\\/]/;

/** A relative name with no '..' segment, no root, no drive, no NUL: inside any folder by its text alone. */
export function isRelativeInside(name: string): boolean {
  if (
    name === '' ||
    name.includes('\0') ||
    path.isAbsolute(name) ||
    path.win32.isAbsolute(name) ||
    /^[A-Za-z]:/.test(name)
  )
    return false;
  return !name.split(SEPARATORS).includes('..');
}

/** Is `p` the folder `root` or inside it (both absolute, compared by text)? */
export function within(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (r.split(path.sep)[0] !== '..' && !path.isAbsolute(r));
}

/**
 * The file `name` (relative, from a data file) names under `root`, following links only while they stay inside
 * `root`. The path returned is under `root` as given and holds no link, so reading it reads what was checked.
 * `realRoot` (realpath of root) may be passed by callers that check many names.
 */
export async function resolveInside(root: string, name: string, realRoot?: string): Promise<Inside> {
  if (!isRelativeInside(name)) return { ok: false, why: 'outside' };
  realRoot ??= await realpath(root);
  // on POSIX a backslash is an ordinary character of a file name: split on the platform's separators only
  const todo = name.split(path.sep === '\\' ? SEPARATORS : '/');
  let cur = realRoot; // always a real folder inside realRoot, so '..' from it is its physical parent
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // only link targets bring '..' here; stepping out, even to come back in, is refused without looking further
      cur = path.dirname(cur);
      if (!within(realRoot, cur)) return { ok: false, why: 'outside' };
      continue;
    }
    const next = path.join(cur, part);
    const st = await lstat(next).catch(() => undefined);
    if (!st) return { ok: false, why: 'missing' };
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) return { ok: false, why: 'links' };
    const target = await readlink(next);
    if (path.isAbsolute(target)) {
      // judged by its text: an absolute target must name a place inside the real folder
      const abs = path.resolve(target);
      if (!within(realRoot, abs)) return { ok: false, why: 'outside' };
      todo.unshift(...path.relative(realRoot, abs).split(path.sep));
      cur = realRoot;
    } else {
      todo.unshift(...target.split(path.sep === '\\' ? SEPARATORS : '/'));
    }
  }
  return { ok: true, path: path.join(root, path.relative(realRoot, cur)) };
}

/** realpath of a path that may not exist yet: its deepest existing folder resolved, the rest appended. */
export async function realpathLoose(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(await realpath(cur), ...rest);
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return abs;
      rest.unshift(path.basename(cur));
      cur = up;
    }
  }
}
