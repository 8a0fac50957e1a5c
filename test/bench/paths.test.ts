// Paths in metadata.jsonl stay inside the data folder: '../', absolute paths and links that leave it are refused
// with the row named, and the message is the same whether or not the outside file exists.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBench } from '../../src/bench/kontextbench.ts';
import { runBench } from '../../src/bench/run.ts';
import { main } from '../../src/cli/main.ts';
import { createImage, writePng } from '../../src/image/rgb.ts';
import { writeDataset, type MetadataRow } from '../../src/world/dataset.ts';
import { joinRegExp } from '../regex.ts';

let root: string;
let data: string; // the data folder
let outside: string; // a sibling of it, with a file a row must not reach
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-paths-'));
  data = join(root, 'data');
  outside = join(root, 'outside');
  await mkdir(join(data, 'images'), { recursive: true });
  await mkdir(outside);
  await writePng(createImage(8, 8, [10, 20, 30]), join(data, 'images', 'a.png'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const row = (file: unknown, key = 'kb-1') =>
  JSON.stringify({ file_name: file, key, category: 'Text Editing', instruction: 'x' });
const setRows = (...rows: string[]) => writeFile(join(data, 'metadata.jsonl'), `${rows.join('\n')}\n`);
const message = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => null,
    (e: Error) => e,
  );
  expect(err, 'expected a refusal').not.toBeNull();
  return err!.message;
};
const LEAVES = joinRegExp(
  /line 2 \(key 'kb-2'\): '.*' leads outside the data folder .*data; rows may name only files inside it \(no /,
  /'\.\.', absolute paths or links that leave it\)/,
);

/** The refusal for `name` with the outside file present and absent: asserted equal, returned once. */
async function sameEitherWay(name: string): Promise<string> {
  await setRows(row('images/a.png'), row(name, 'kb-2'));
  await writePng(createImage(8, 8, [255, 0, 0]), join(outside, 'x.png'));
  const present = await message(loadBench(data));
  await unlink(join(outside, 'x.png'));
  const absent = await message(loadBench(data));
  expect(absent).toBe(present);
  return present;
}

describe('paths in metadata.jsonl', () => {
  it("refuses '../' names with the row named, the same whether or not the outside file exists", async () => {
    expect(await sameEitherWay('../outside/x.png')).toMatch(LEAVES);
    expect(await sameEitherWay('images/../../outside/x.png')).toMatch(LEAVES);
    expect(await sameEitherWay('..\\outside\\x.png')).toMatch(LEAVES);
  });

  it('refuses absolute names, the same whether or not the file exists', async () => {
    expect(await sameEitherWay(join(outside, 'x.png'))).toMatch(LEAVES);
    expect(await sameEitherWay(join(data, 'images', 'a.png'))).toMatch(LEAVES); // even one that is inside
  });

  it('refuses links that leave the folder, dangling or not, and follows links that stay inside', async () => {
    const link = join(data, 'images', 'link.png');
    await symlink(join(outside, 'x.png'), link);
    expect(await sameEitherWay('images/link.png')).toMatch(LEAVES);
    await unlink(link);
    await symlink('../../outside/x.png', link); // relative target
    expect(await sameEitherWay('images/link.png')).toMatch(LEAVES);
    await unlink(link);
    await symlink(outside, join(data, 'out-dir')); // a linked folder
    expect(await sameEitherWay('out-dir/x.png')).toMatch(LEAVES);
    await unlink(join(data, 'out-dir'));

    await symlink('a.png', link); // inside: fine, and the path given out is the file itself
    await symlink('images', join(data, 'pics'));
    await setRows(row('images/link.png'), row('pics/link.png', 'kb-2'));
    const loaded = await loadBench(data);
    expect(loaded.rows.map((r) => r.inputFiles[0])).toEqual([
      join(data, 'images', 'a.png'),
      join(data, 'images', 'a.png'),
    ]);
    await unlink(link);
    await unlink(join(data, 'pics'));
  });

  it('names a missing file inside the folder as missing, and a link loop as a loop', async () => {
    await setRows(row('images/a.png'), row('images/nope.png', 'kb-2'));
    expect(await message(loadBench(data))).toMatch(
      joinRegExp(
        /line 2 \(key 'kb-2'\): 'images\/nope.png' does not exist in the data folder .*data; is the download or the /,
        /dataset complete\?/,
      ),
    );
    await symlink('loop.png', join(data, 'loop.png'));
    await setRows(row('loop.png'));
    expect(await message(loadBench(data))).toMatch(
      /line 1 \(key 'kb-1'\): 'loop.png' goes through too many links \(a loop\?\); name the file itself/,
    );
    await unlink(join(data, 'loop.png'));
  });

  it('checks the ground-truth files of synthetic rows too (targets, masks, each turn)', async () => {
    const synth = join(root, 'synth');
    await writeDataset(synth, { split: 'val', seed: 1, n: 1, families: ['multiturn'] });
    const good = JSON.parse(await readFile(join(synth, 'metadata.jsonl'), 'utf8')) as MetadataRow;
    const cases: [(r: MetadataRow) => void, string][] = [
      [(r) => void (r.target_file = '../outside/x.png'), 'target_file'],
      [(r) => void (r.mask_file = '/etc/passwd'), 'mask_file'],
      [(r) => void (r.turns![2]!.target_file = '../../etc/passwd'), 'turns[2].target_file'],
      [(r) => void (r.input_files = ['../outside/x.png']), 'input_files'],
    ];
    for (const [spoil, field] of cases) {
      const r = structuredClone(good);
      spoil(r);
      await writeFile(join(synth, 'metadata.jsonl'), `${JSON.stringify(r)}\n`);
      expect(await message(loadBench(synth)), field).toMatch(
        /line 1 \(key 'val-000000'\): '.*' leads outside the data folder/,
      );
    }
  });

  it('bench run refuses the row (exit 2), writes no output (it used to copy the outside image, exit 0)', async () => {
    await writePng(createImage(8, 8, [255, 0, 0]), join(outside, 'x.png'));
    await setRows(row('images/a.png'), row('../outside/x.png', 'kb-2'));
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const out = join(root, 'results');
    expect(await main(['bench', 'run', '--data', data, '--model', 'identity', '--out', out, '--quiet'])).toBe(2);
    expect(errors.join('\n')).toMatch(LEAVES);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bench run --out', () => {
  it('may not be the data folder or inside it', async () => {
    await setRows(row('images/a.png'));
    for (const out of [data, join(data, 'results'), join(data, 'images', 'deep', 'er')]) {
      expect(await message(runBench({ data, model: 'identity', out }))).toMatch(
        /--out '.*' is inside the data folder '.*data'; write the results to a folder outside the dataset/,
      );
    }
    expect(existsSync(join(data, 'results'))).toBe(false);
    expect(await readdir(join(data, 'images'))).toEqual(['a.png']);
    // also through a link to the data folder
    await symlink(data, join(root, 'data-link'));
    expect(await message(runBench({ data, model: 'identity', out: join(root, 'data-link', 'r') }))).toMatch(
      /is inside the data folder/,
    );
    // beside it is fine
    const r = await runBench({ data, model: 'identity', out: join(root, 'beside') });
    expect(r.n).toBe(1);
    expect(JSON.parse(await readFile(join(root, 'beside', 'results.json'), 'utf8')).samples[0].inputs).toEqual([
      '../data/images/a.png',
    ]);
  });
});
