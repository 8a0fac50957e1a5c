// `npm run bench [-- --json] [--only engine,kontext,full,world,mini,mini-steps]`
//
// Runs the benchmarks and prints a summary; with --json the last line is one JSON object with every number
// (including `overhead` and `trainEfficiency`). Results are recorded by hand in BENCHMARKS.md with the machine
// and the date. The full-size Kontext step ('full') takes several minutes and ~13 GB of memory.

import { benchEngine } from './engine.ts';
import { benchKontextFull, benchTiny } from './kontext.ts';
import { machine } from './util.ts';

const SECTIONS: Record<string, () => Promise<Record<string, number>>> = {
  engine: benchEngine,
  kontext: benchTiny,
  full: () => benchKontextFull(),
  world: async () => (await import('./world.ts')).benchWorld(),
  mini: async () => (await import('./mini.ts')).benchMini(),
  'mini-steps': async () => (await import('./mini.ts')).benchMiniSteps(),
};

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : Object.keys(SECTIONS);
for (const s of only) if (!SECTIONS[s]) throw new Error(`unknown section '${s}' (sections: ${Object.keys(SECTIONS).join(', ')})`);

const results: Record<string, unknown> = { machine: machine() };
for (const name of only) {
  const t0 = performance.now();
  const r = await SECTIONS[name]();
  Object.assign(results, r);
  if (!json) {
    console.log(`== ${name} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(28)} ${v}`);
  } else {
    console.error(`${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
if (json) console.log(JSON.stringify(results));
