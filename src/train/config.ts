// Training configurations (configs/*.json). A config may name another with `"extends": "base.json"` (a path
// relative to the file) and give only what differs: objects merge key by key, anything else replaces the base's
// value, and `null` removes a key. The resolved config — what a run stores in its folder and compares on resume —
// has no `extends` left, so a file rewritten to extend another still resumes the runs it started.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { readJsonFile } from '../prompt/tokenizers.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` laid on `base`: objects merge, null deletes, other values replace; the base's key order is kept. */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = isObject(v) && isObject(out[k]) ? mergeConfig(out[k] as Json, v) : v;
  }
  return out;
}

/** Read a config file and resolve its `extends` chain (refusing missing files, bad JSON and cycles). */
export function readConfig(path: string, seen: string[] = []): { kind: string } & Json {
  const full = resolve(path);
  if (seen.includes(full))
    throw new UserError(`config ${path} extends itself (through ${seen.join(' -> ')}); remove the cycle`);
  if (!existsSync(path)) {
    const from = seen.length ? ` (extended by ${seen[seen.length - 1]})` : ' (the shipped ones are in configs/)';
    throw new UserError(`config file ${path} does not exist${from}`);
  }
  const cfg = readJsonFile(path, 'config file');
  if (!isObject(cfg)) throw new UserError(`config file ${path} must hold a JSON object`);
  const { extends: base, ...own } = cfg;
  if (base === undefined) return own as { kind: string } & Json;
  if (typeof base !== 'string')
    throw new UserError(`'extends' in ${path} must be a file name (relative to ${path}), got ${JSON.stringify(base)}`);
  return mergeConfig(readConfig(resolve(dirname(path), base), [...seen, full]), own) as { kind: string } & Json;
}
