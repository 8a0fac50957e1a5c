// kontext bench through the CLI entry: happy path and the messages users get for mistakes.
import { mkdtemp, rm, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

let root: string;
let errors: string[];
let logs: string[];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-cli-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function cli(...argv: string[]): Promise<number> {
  errors = [];
  logs = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  const code = await main(argv);
  vi.restoreAllMocks();
  return code;
}

/** `n` val rows of `families` written as a bench dataset `<name>-data` and run with `model` into `<name>`. */
async function dataAndRun(name: string, n: number, families: string, model: string) {
  const data = join(root, `${name}-data`);
  expect(await cli('bench', 'data', '--out', data, '--split', 'val', '--n', String(n), '--families', families)).toBe(0);
  const out = join(root, name);
  expect(await cli('bench', 'run', '--data', data, '--model', model, '--out', out, '--quiet')).toBe(0);
  return { data, out, results: JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) };
}

describe('kontext bench', () => {
  it('data -> run -> report', async () => {
    const data = join(root, 'd');
    expect(await cli('bench', 'data', '--out', data, '--split', 'val', '--n', '14', '--seed', '3')).toBe(0);
    expect(logs.join('\n')).toMatch(/wrote 14 val samples at 64px/);
    const rows = (await readFile(join(data, 'metadata.jsonl'), 'utf8')).trim().split('\n');
    expect(rows.length).toBe(14);
    const out = join(root, 'r');
    expect(await cli('bench', 'run', '--data', data, '--model', 'oracle', '--out', out, '--quiet')).toBe(0);
    expect(logs.join('\n')).toMatch(/local\s+2\s+100\.0%/);
    expect(await cli('bench', 'report', out)).toBe(0);
    expect(logs.join('\n')).toMatch(/overall \(single-turn\)/);
    expect(await cli('bench', 'data', '--help')).toBe(0);
    expect(logs.join('\n')).toMatch(/--split NAME/);
  });

  it('report --rejudge judges the saved outputs again and keeps the old results', async () => {
    const { data, out, results: before } = await dataAndRun('rj', 4, 'character', 'oracle');
    expect(before.families.character.success).toBe(1);
    // replace one saved output by its input (the character not moved): judged again, that row now fails
    const row = before.samples[0];
    await writeFile(join(out, row.output), await readFile(join(out, row.inputs[0])));
    expect(await cli('bench', 'report', out, '--rejudge')).toBe(0);
    expect(logs.join('\n')).toMatch(new RegExp(`re-judged 4 rows: 0 now succeed, 1 now fail\\n  now fail: ${row.key}`));
    const after = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(after.families.character.success).toBe(0.75);
    expect(after.samples[0].success).toBe(false);
    expect(after.samples[0].failures.length).toBeGreaterThan(0);
    // the pixel metrics are the run's own, and the old results are kept
    expect(after.samples[0].psnr).toBe(row.psnr);
    expect(JSON.parse(await readFile(join(out, 'results.previous.json'), 'utf8')).samples[0].success).toBe(true);
    expect(await cli('bench', 'report', out, '--data', data)).toBe(2);
    expect(errors.join('\n')).toMatch(/--data goes with --rejudge/);
    // another dataset than the run's: the rows are named, not judged against the wrong truth
    const other = join(root, 'rj-other');
    expect(await cli('bench', 'data', '--out', other, '--split', 'test', '--n', '2', '--families', 'local')).toBe(0);
    expect(await cli('bench', 'report', out, '--rejudge', '--data', other)).toBe(2);
    expect(errors.join('\n')).toMatch(
      /row 'val-000000' of the results is not in the dataset '.*rj-other' \(give --data\)/,
    );
    // a saved output gone: named with its row
    await rm(join(out, before.samples[1].output));
    expect(await cli('bench', 'report', out, '--rejudge')).toBe(2);
    expect(errors.join('\n')).toMatch(
      new RegExp(`row '${before.samples[1].key}': cannot read its saved output '${before.samples[1].output}'`),
    );
  });

  it('report --rejudge measures the licensed drift a run made before the bench had it lacks, as a run measures it', async () => {
    const { out, results: run } = await dataAndRun('ld', 2, 'multiturn', 'noise');
    const turns = (r: typeof run) => r.samples.flatMap((s: { turns: object[] }) => s.turns);
    const want = turns(run).map((t: { licensedDriftPsnr: number }) => t.licensedDriftPsnr);
    expect(want.length).toBe(10);
    expect(want.every((v: unknown) => typeof v === 'number' && v < 40)).toBe(true);
    for (const t of turns(run)) delete t.licensedDriftPsnr;
    await writeFile(join(out, 'results.json'), JSON.stringify(run));
    expect(await cli('bench', 'report', out, '--rejudge')).toBe(0);
    const after = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(turns(after).map((t: { licensedDriftPsnr: number }) => t.licensedDriftPsnr)).toEqual(want);
    expect(after.families.multiturn.licensedDriftPsnr).toBeCloseTo(
      want.reduce((a: number, v: number) => a + v, 0) / want.length,
      9,
    );
  });

  it('compare tells which of two runs on the same rows is better, and refuses runs on other data', async () => {
    const data = join(root, 'cmp-data');
    expect(await cli('bench', 'data', '--out', data, '--split', 'val', '--n', '10', '--families', 'local,text')).toBe(
      0,
    );
    for (const model of ['oracle', 'identity'])
      expect(
        await cli('bench', 'run', '--data', data, '--model', model, '--out', join(root, `cmp-${model}`), '--quiet'),
      ).toBe(0);
    expect(await cli('bench', 'compare', join(root, 'cmp-oracle'), join(root, 'cmp-identity'))).toBe(0);
    const text = logs.join('\n');
    expect(text).toMatch(/overall \(single-turn\)\s+10\s+100\.0%\s+0\.0%\s+10\s+0\s+0\.002/);
    expect(text).toMatch(/A makes more single-turn edits succeed: 10 rows against 0 \(exact McNemar p = 0\.002\)/);
    expect(await cli('bench', 'compare', join(root, 'cmp-identity'), join(root, 'cmp-identity'), '--json')).toBe(0);
    expect(JSON.parse(logs.join('\n')).overall).toMatchObject({ n: 10, a: 0, b: 0, aOnly: 0, bOnly: 0, p: 1 });
    // the same keys on another dataset (another seed): refused, not compared
    const other = join(root, 'cmp-other');
    expect(await cli('bench', 'data', '--out', other, '--split', 'val', '--n', '10', '--seed', '5')).toBe(0);
    expect(
      await cli('bench', 'run', '--data', other, '--model', 'identity', '--out', join(root, 'cmp-o'), '--quiet'),
    ).toBe(0);
    expect(await cli('bench', 'compare', join(root, 'cmp-oracle'), join(root, 'cmp-o'))).toBe(2);
    expect(errors.join('\n')).toMatch(/the two runs are on different datasets; compare runs of the same --data/);
  });

  it('gives clear messages for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['bench', 'data', '--out', join(root, 'x'), '--split', 'dev'],
        /unknown split 'dev'; use --split train, val or test/,
      ],
      [['bench', 'data', '--split', 'train'], /missing --out DIR/],
      [['bench', 'data', '--out', join(root, 'x'), '--n', 'ten'], /--n must be an integer >= 1, got 'ten'/],
      [
        ['bench', 'data', '--out', join(root, 'x'), '--size', '16'],
        /--size must be an integer from 32 to 256, got '16'/,
      ],
      [['bench', 'data', '--out', join(root, 'x'), '--families', 'local,foo'], /unknown family 'foo' in --families/],
      [['bench', 'data', '--out', join(root, 'x'), '--bogus'], /Unknown option '--bogus'.*kontext bench data --help/],
      [
        ['bench', 'run', '--data', join(root, 'nope'), '--model', 'oracle', '--out', join(root, 'o')],
        /data folder '.*nope' does not exist/,
      ],
      [['bench', 'run', '--data', root, '--model', 'oracle', '--out', join(root, 'o')], /no metadata.jsonl in/],
      [
        [
          'bench',
          'run',
          '--data',
          join(root, 'd'),
          '--model',
          `mini:${join(root, 'no-model')}`,
          '--out',
          join(root, 'o'),
        ],
        /no-model is not a kontext-mini model folder: config.json is missing/,
      ],
      [
        ['bench', 'run', '--data', join(root, 'd'), '--model', 'kontext:/m', '--out', join(root, 'o')],
        /unknown model 'kontext:\/m'; known models: .*oracle.*registerModel/,
      ],
      [['bench', 'run', '--model', 'oracle', '--out', join(root, 'o')], /missing --data DIR/],
      [['bench', 'report', join(root, 'missing')], /results '.*missing' do not exist/],
      [['bench', 'frobnicate'], /unknown subcommand 'frobnicate'; use data, run, report or compare/],
      [['bench', 'compare', join(root, 'r')], /give two runs to compare, A and B/],
      [['bench', 'compare', join(root, 'r'), join(root, 'missing')], /results '.*missing' do not exist/],
    ];
    for (const [argv, message] of cases) {
      expect(await cli(...argv), argv.join(' ')).toBe(2);
      expect(errors.join('\n'), argv.join(' ')).toMatch(message);
      expect(errors.join('\n')).toMatch(/^kontext bench: /);
    }
  });

  it('rejects a malformed metadata.jsonl with the line number', async () => {
    const bad = join(root, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(
      join(bad, 'metadata.jsonl'),
      '{"key":"a","category":"Text Editing","instruction":"x","file_name":"a.png"}\n{"key":"b"}\n',
    );
    expect(await cli('bench', 'run', '--data', bad, '--model', 'identity', '--out', join(root, 'o2'))).toBe(2);
    expect(errors.join('\n')).toMatch(/metadata.jsonl line 2 lacks the string field 'category'/);
  });
});
