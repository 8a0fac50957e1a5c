// Spilling parameters to disk: write a parameter's data to a file and release the host copy. ONNX Runtime then
// memory-maps the file when it builds a session, so a model's weights are in memory once (in ORT) instead of
// twice (ours and ORT's). This is how a 12B-parameter checkpoint quantized to int4 loads into ~20 GB.

import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostArray } from './dtype.ts';
import { removeOnExit, sweepStale } from './lifetime.ts';
import type { Parameter } from './module.ts';
import { paramLocation } from './serialize.ts';

const SMALL = 4096; // tensors this small stay in memory (they are inlined into the model anyway)

const bytes = (a: HostArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Write `p`'s data (its value, or the parts of its quantized weight) into `dir` and drop the host arrays. */
export async function spillParameter(p: Parameter, dir: string): Promise<void> {
  if (p.spilled) return;
  if (p.quant) {
    // each large part goes to its own file; small parts stay in memory (the serializer applies the same rule)
    const q = p.quant;
    let any = false;
    for (const part of ['packed', 'scales', 'zeroPoints'] as const) {
      if (q[part].byteLength <= SMALL) continue;
      await writeFile(join(dir, paramLocation(p, part)), bytes(q[part]));
      if (part === 'scales') q.scales = new Float32Array(0);
      else q[part] = new Uint8Array(0);
      any = true;
    }
    if (!any) return;
  } else if (p.value) {
    if (p.value.data.byteLength <= SMALL) return;
    await writeFile(join(dir, paramLocation(p)), bytes(p.value.data));
    p.value = null;
  } else {
    return;
  }
  p.spilled = dir;
}

/**
 * Forget a parameter's value and delete its spilled files, so that a model can be dropped (e.g. the T5 encoder
 * before the transformer loads) while the process lives on. Release its sessions first: ORT maps the files.
 */
export async function releaseParameter(p: Parameter): Promise<void> {
  if (p.spilled) {
    const parts = p.quant ? (['packed', 'scales', 'zeroPoints'] as const) : [undefined];
    await Promise.all(parts.map((part) => rm(join(p.spilled!, paramLocation(p, part)), { force: true })));
  }
  p.value = null;
  p.quant = null;
  p.spilled = null;
  p.version++;
}

let sessionDir: string | null = null;
const PREFIX = 'kontext-weights-';

/**
 * A per-process temporary directory for spilled weights, removed when the process exits (lifetime.ts: normal
 * exit, exceptions, signals). Its name carries the pid, so the folders of processes that were killed outright
 * are removed by the next one.
 */
export function spillDir(): string {
  if (!sessionDir) {
    sweepStale(tmpdir(), PREFIX);
    sessionDir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    removeOnExit(sessionDir);
  }
  return sessionDir;
}
