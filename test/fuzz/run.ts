// `npm run fuzz [-- --scale 27] [--seed N]`: the property-based tests of test/fuzz with their case counts multiplied
// (27 × the ~3 900 cases of `npm test` ≈ 105 000) and a fresh seed, in one worker; prints the count, time and
// outcomes of each property and the total. A failure prints fast-check's seed and shrunk counterexample: rerun with
// `--seed N` to reproduce it, then keep it as a regression example next to the property.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '27' }, seed: { type: 'string' } } });
const scale = Number(values.scale);
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
if (!(scale > 0) || !Number.isSafeInteger(Number(seed)))
  throw new Error('usage: npm run fuzz [-- --scale K] [--seed N]');

const dir = mkdtempSync(path.join(tmpdir(), 'kontext-fuzz-'));
const report = path.join(dir, 'report.jsonl');
const root = path.resolve(import.meta.dirname, '../..');
const t0 = performance.now();
const r = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz', '--maxWorkers=1', '--testTimeout=900000'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, KONTEXT_FUZZ_SCALE: String(scale), KONTEXT_FUZZ_SEED: seed, KONTEXT_FUZZ_REPORT: report },
  },
);
const seconds = (performance.now() - t0) / 1000;

const rows = existsSync(report)
  ? readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; runs: number; ms: number; outcomes: Record<string, number> })
  : [];
rmSync(dir, { recursive: true, force: true });
console.log(`\nfuzz: seed ${seed}, scale ${scale}`);
for (const x of rows) {
  const outcomes = Object.entries(x.outcomes)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    `  ${x.name.padEnd(26)} ${String(x.runs).padStart(7)} cases ` +
      `${(x.ms / 1000).toFixed(1).padStart(7)} s   ${outcomes}`,
  );
}
const total = rows.reduce((s, x) => s + x.runs, 0);
console.log(
  `  ${'total (properties passed)'.padEnd(26)} ${String(total).padStart(7)} cases ` +
    `${seconds.toFixed(1).padStart(7)} s wall${r.status === 0 ? '' : '   FAILED (see above)'}`,
);
process.exit(r.status ?? 1);
