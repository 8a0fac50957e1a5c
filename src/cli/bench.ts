// `kontext bench data|run|report|compare`: make synthetic datasets with exact ground truth, run a model on them (or
// on the real KontextBench), report the numbers, and tell whether one run is better than another.

import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.ts';
import type { Command } from './main.ts';
import { writeDataset } from '../world/dataset.ts';
import { MAX_SIZE, MIN_SIZE } from '../world/render.ts';
import { SPLITS, type Split } from '../world/split.ts';
import { FAMILIES, type Family } from '../world/tasks.ts';
import { knownModels } from '../bench/model.ts';
import { compareRuns, formatComparison } from '../bench/compare.ts';
import { formatTable, writeReport, type Results } from '../bench/report.ts';
import { rejudge } from '../bench/rejudge.ts';
import { runBench } from '../bench/run.ts';

const USAGE = `usage: kontext bench <data|run|report|compare> [options]

  kontext bench data   --out DIR [--split train|val|test] [--n N] [--seed S] [--size PX] [--families LIST]
      Generate N synthetic samples (PNGs + metadata.jsonl in the KontextBench row format, plus targets, masks,
      scenes). test holds out shape x colour pairs, character identities and words never seen in train/val.
  kontext bench run    --data DIR [--model SPEC] --out RESULTS [--limit N] [--seed S] [--examples N] [--quiet]
      Run a model on a benchmark folder (synthetic, or the real KontextBench with metadata.jsonl), save outputs,
      and write RESULTS/results.json, report.html and multiturn.png.
  kontext bench report RESULTS [--examples N] [--rejudge [--data DIR]]
      Print the table of a finished run and rewrite its report.html and multiturn.png; --rejudge first judges
      its saved outputs again with the current analyzers.
  kontext bench compare A B [--json]
      Is A better than B? Two runs on the same data, row by row: the rows only one gets right, and the exact
      McNemar test on them, per family and task (A and B may be comma-separated runs, paired in order).

kontext bench <data|run|report|compare> --help for the options of one subcommand`;

const COMPARE_HELP = `usage: kontext bench compare A B [--json]

  A, B               RESULTS folders of 'kontext bench run' on the same --data (or their results.json); each may
                     be a comma-separated list (e.g. the runs at bench seeds 0-3), run i of A paired with run i of B
  --json             the counts as JSON instead of the table

  Rows are paired by key. Per family and task: success of each, the rows only A / only B get right, the exact
  McNemar p-value on those (the chance that two equally good models split them this unevenly), and the paired
  mean difference of PSNR to the target. Chain turns are compared apart, paired by row and turn. Pooled seeds
  count a row once per seed, and a row's seeds are not independent, so their p-value is somewhat too small.`;

const DATA_HELP = `usage: kontext bench data --out DIR [options]

  --out DIR          folder to write (metadata.jsonl, dataset.json, inputs/, targets/, masks/); a new or empty
                     folder, or an earlier dataset, which is replaced as a whole once the new one is complete
  --split NAME       train, val or test (default train)
  --n N              number of samples (default 100)
  --seed S           integer seed (default 0); a sample is fixed by (seed, split, index)
  --size PX          image side in pixels, ${MIN_SIZE}-${MAX_SIZE} (default 64, the embedded model's resolution)
  --families LIST    comma-separated subset of ${FAMILIES.join(',')} (default all, interleaved)`;

const RUN_HELP = () => `usage: kontext bench run --data DIR [--model SPEC] --out RESULTS [options]

  --data DIR         folder with metadata.jsonl (or DIR/test/metadata.jsonl, the KontextBench download layout)
  --model SPEC       ${knownModels()
    .map((m) => m.prefix)
    .join(', ')}, or a registered prefix:arg (e.g. mini:<folder>);
                     default mini, the embedded model
  --out RESULTS      folder for outputs/, results.json, report.html, multiturn.png (outside the data folder)
  --limit N          only the first N rows
  --seed S           seed passed to the model (default 0)
  --examples N       samples shown per group in report.html (default 12)
  --quiet            no progress lines`;

const REPORT_HELP = `usage: kontext bench report RESULTS [--examples N] [--rejudge [--data DIR]]

  RESULTS            a folder written by 'kontext bench run' (or its results.json)
  --examples N       samples shown per group in report.html (default 12)
  --rejudge          judge the saved outputs again with the analyzers as they are now (after a check changed),
                     rewrite results.json (the old one is kept as results.previous.json) and list the rows whose
                     verdict changed; no model runs
  --data DIR         the run's dataset, if it moved (default: the folder results.json names)`;

function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T, sub: string, positionals = false) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (err) {
    throw new UserError(`${(err as Error).message.split('\n')[0]}; see 'kontext bench ${sub} --help'`);
  }
}

function intOption(
  v: string | undefined,
  name: string,
  dflt: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new UserError(
      `${name} must be an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` >= ${min}`}, ` +
        `got '${v}'`,
    );
  }
  return Number(v);
}

async function data(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      out: { type: 'string' },
      split: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      families: { type: 'string' },
    },
    'data',
  );
  if (values.help) {
    console.log(DATA_HELP);
    return 0;
  }
  if (!values.out) throw new UserError('missing --out DIR: the folder to write the dataset into');
  const split = values.split ?? 'train';
  if (!(SPLITS as readonly string[]).includes(split))
    throw new UserError(`unknown split '${split}'; use --split train, val or test`);
  const n = intOption(values.n, '--n', 100, 1);
  const seed = intOption(values.seed, '--seed', 0, 0);
  const size = intOption(values.size, '--size', 64, MIN_SIZE, MAX_SIZE);
  let families: Family[] | undefined;
  if (values.families) {
    families = values.families
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean) as Family[];
    const bad = families.filter((f) => !(FAMILIES as readonly string[]).includes(f));
    if (bad.length || families.length === 0)
      throw new UserError(
        `unknown famil${bad.length > 1 ? 'ies' : 'y'} '${bad.join(',')}' in --families; ` +
          `choose from ${FAMILIES.join(', ')}`,
      );
  }
  if (existsSync(values.out) && !statSync(values.out).isDirectory())
    throw new UserError(`--out '${values.out}' exists and is not a folder`);
  const t0 = performance.now();
  const info = await writeDataset(values.out, { split: split as Split, n, seed, size, families });
  console.log(
    `wrote ${info.n} ${info.split} samples at ${info.size}px to ${values.out} in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      data: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      examples: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    'run',
  );
  if (values.help) {
    console.log(RUN_HELP());
    return 0;
  }
  if (!values.data) throw new UserError('missing --data DIR: the benchmark folder (with metadata.jsonl)');
  if (!values.out) throw new UserError('missing --out RESULTS: the folder to write outputs and results into');
  const limit = values.limit === undefined ? undefined : intOption(values.limit, '--limit', 0, 1);
  const seed = intOption(values.seed, '--seed', 0, 0);
  const examples = intOption(values.examples, '--examples', 12, 0);
  const results = await runBench({
    data: values.data,
    model: values.model ?? 'mini',
    out: values.out,
    limit,
    seed,
    progress: values.quiet
      ? undefined
      : (done, total, r) => {
          if (done % 25 === 0 || done === total)
            console.error(`[${done}/${total}] ${r.key} ${r.success === null ? '' : r.success ? 'ok' : 'fail'}`);
        },
  });
  const written = await writeReport(results, values.out, examples);
  console.log(formatTable(results));
  console.log(`wrote ${join(values.out, 'results.json')}, ${written.join(', ')}`);
  return 0;
}

/** A finished run: RESULTS is its folder or its results.json. */
async function readResults(target: string): Promise<{ results: Results; dir: string; file: string }> {
  if (!existsSync(target))
    throw new UserError(`results '${target}' do not exist; run 'kontext bench run --out ${target} ...' first`);
  const dir = statSync(target).isDirectory() ? target : join(target, '..');
  const file = statSync(target).isDirectory() ? join(target, 'results.json') : target;
  if (!existsSync(file))
    throw new UserError(`no results.json in '${target}'; run 'kontext bench run --out ${target} ...' first`);
  let results: Results;
  try {
    results = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!results || !Array.isArray(results.samples) || !results.families)
    throw new UserError(`${file} is not a results file of kontext bench run`);
  return { results, dir, file };
}

async function report(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { examples: { type: 'string' }, rejudge: { type: 'boolean' }, data: { type: 'string' } },
    'report',
    true,
  );
  if (values.help) {
    console.log(REPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError('give exactly one RESULTS folder (written by kontext bench run)');
  let { results, dir, file } = await readResults(positionals[0]!);
  if (values.data && !values.rejudge) throw new UserError('--data goes with --rejudge');
  if (values.rejudge) {
    const r = await rejudge(results, dir, values.data);
    await writeFile(join(dir, 'results.previous.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(file, `${JSON.stringify(r.results, null, 2)}\n`);
    results = r.results;
    console.log(`re-judged ${results.samples.length} rows: ${r.gained.length} now succeed, ${r.lost.length} now fail`);
    if (r.gained.length) console.log(`  now succeed: ${r.gained.join(' ')}`);
    if (r.lost.length) console.log(`  now fail: ${r.lost.join(' ')}`);
  }
  const written = await writeReport(results, dir, intOption(values.examples, '--examples', 12, 0));
  console.log(formatTable(results));
  console.log(`wrote ${written.join(', ')}`);
  return 0;
}

async function compare(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, 'compare', true);
  if (values.help) {
    console.log(COMPARE_HELP);
    return 0;
  }
  if (positionals.length !== 2)
    throw new UserError('give two runs to compare, A and B (kontext bench compare A B; lists: A0,A1 B0,B1)');
  const [a, b] = positionals.map((p) => p.split(',').filter(Boolean));
  const read = async (names: string[]) => Promise.all(names.map(async (n) => (await readResults(n)).results));
  const c = compareRuns(await read(a!), await read(b!), { a: a!, b: b! });
  console.log(values.json ? JSON.stringify(c, null, 2) : formatComparison(c));
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { data, run, report, compare };

const command: Command = {
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h') {
      console.log(USAGE);
      return sub ? 0 : 1;
    }
    const fn = SUBCOMMANDS[sub];
    if (!fn)
      throw new UserError(`unknown subcommand '${sub}'; use data, run, report or compare (kontext bench --help)`);
    return fn(rest);
  },
};

export default command;
