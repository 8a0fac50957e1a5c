// Speed of the synthetic world: samples per second generated in memory (scene drawing, rendering of inputs and
// targets, masks; no PNG encoding), and separately the cost of writing a dataset with PNGs.
//
//   node --import tsx bench/world.ts      -> one JSON line
//
// Target: 10,000 samples at 64 px in under 30 s on 2 cores (this measures one core).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeSample, writeDataset } from '../src/world/dataset.ts';

export async function benchWorld(): Promise<Record<string, number>> {
  const N = 10_000;
  const t0 = performance.now();
  let pixels = 0;
  for (let i = 0; i < N; i++) pixels += makeSample({ split: 'train', seed: 1, size: 64 }, i).target.data.length;
  const world10kSeconds = (performance.now() - t0) / 1000;
  if (pixels === 0) throw new Error('nothing rendered');

  const M = 1000;
  const dir = await mkdtemp(join(tmpdir(), 'kontext-world-'));
  try {
    const t1 = performance.now();
    await writeDataset(dir, { split: 'train', seed: 1, size: 64, n: M });
    const world1kWithPngSeconds = (performance.now() - t1) / 1000;
    return {
      worldSamplesPerSecond: Math.round(N / world10kSeconds),
      world10kSeconds: Number(world10kSeconds.toFixed(2)),
      world1kWithPngSeconds: Number(world1kWithPngSeconds.toFixed(2)),
      worldWithPngSamplesPerSecond: Math.round(M / world1kWithPngSeconds),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchWorld()));
}
