// `npm run bench [-- --json] [--only SECTION,...] [--model DIR]`, sections: engine, kontext, full, full-1024, ae-1024, world,
// mini, mini-steps, mini-typed, mini-latents, mini-browser, t5, serve, reference, weights, overhead (all by default).
//
// Runs the benchmarks and prints a summary; with --json the last line is one JSON object with every number
// (including `overhead` and `trainEfficiency`). Results are recorded by hand in BENCHMARKS.md with the machine
// and the date. The full-size Kontext step ('full') takes several minutes and ~13 GB of memory; 'full-1024' (a
// 1024×1024 edit) and 'ae-1024' are the flagship sizes, run each in its own process for its peak RSS.
// 'reference' times the same blocks in the official PyTorch code (python3 with torch; bench/pytorch), 'weights'
// the memory of one model compiled for three shapes, 'overhead' the engine against raw ORT and compile times.
// --model DIR: the kontext-mini folder the mini sections measure (default: the embedded model).

import { benchEngine } from './engine.ts';
import { benchKontextFull, benchTiny } from './kontext.ts';
import { machine } from './util.ts';

const args = process.argv.slice(2);
const modelArg = args.indexOf('--model');
const miniDir = modelArg >= 0 ? args[modelArg + 1] : undefined;

const SECTIONS: Record<string, () => Promise<Record<string, number | string>>> = {
  engine: benchEngine,
  kontext: benchTiny,
  full: () => benchKontextFull(),
  'full-1024': () => benchKontextFull({ size: 1024 }),
  'ae-1024': async () => (await import('./autoencoder.ts')).benchAutoencoder1024(),
  world: async () => (await import('./world.ts')).benchWorld(),
  mini: async () => (await import('./mini.ts')).benchMini(miniDir),
  'mini-steps': async () => (await import('./mini.ts')).benchMiniSteps(miniDir),
  'mini-typed': async () => (await import('./mini-typed.ts')).benchMiniTyped(miniDir),
  'mini-latents': async () => (await import('./mini-latents.ts')).benchMiniLatents(miniDir),
  'mini-browser': async () => (await import('./mini-browser.ts')).benchMiniBrowser(miniDir),
  t5: async () => (await import('./text-encoders.ts')).benchTextEncoders(),
  serve: async () => (await import('./serve.ts')).benchServe(),
  reference: async () => (await import('./reference.ts')).benchReference(),
  weights: async () => (await import('./weights.ts')).benchWeights(),
  overhead: async () => (await import('./overhead.ts')).benchOverhead(),
};

const json = args.includes('--json');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : Object.keys(SECTIONS);
for (const s of only)
  if (!SECTIONS[s]) throw new Error(`unknown section '${s}' (sections: ${Object.keys(SECTIONS).join(', ')})`);

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
