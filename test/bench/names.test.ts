// Output file names from row keys never collide silently: a key that sanitising changes gets a short hash of
// itself, and every name is unique in the run (case-insensitively, multi-turn suffixes included).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputNames, shortHash } from '../../src/bench/names.ts';
import { runBench } from '../../src/bench/run.ts';
import { createImage, readImage, writePng } from '../../src/image/rgb.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('output names', () => {
  it("keeps safe keys, and gives 'a/b' and 'a_b' different files in either order", () => {
    const h = shortHash('a/b');
    expect(h).toMatch(/^[0-9a-f]{8}$/);
    let names = new OutputNames();
    expect(names.claim('kb-0001')).toEqual(['kb-0001.png']);
    expect(names.claim('a_b')).toEqual(['a_b.png']);
    expect(names.claim('a/b')).toEqual([`a_b-${h}.png`]);
    names = new OutputNames();
    expect(names.claim('a/b')).toEqual([`a_b-${h}.png`]);
    expect(names.claim('a_b')).toEqual(['a_b.png']);
  });

  it('keeps names apart that differ only in case, or that a multi-turn suffix would reach', () => {
    const names = new OutputNames();
    expect(names.claim('Key')).toEqual(['Key.png']);
    expect(names.claim('key')).toEqual([`key-${shortHash('key')}.png`]);
    expect(names.claim('x', ['_t1', '_t2'])).toEqual(['x_t1.png', 'x_t2.png']);
    expect(names.claim('x_t2')).toEqual([`x_t2-${shortHash('x_t2')}.png`]);
  });

  it('hashes keys that are empty, hidden or too long for a file name', () => {
    const names = new OutputNames();
    expect(names.claim('')).toEqual([`-${shortHash('')}.png`]);
    expect(names.claim('..')).toEqual([`..-${shortHash('..')}.png`]);
    const long = 'k'.repeat(300);
    expect(names.claim(long)[0]).toBe(`${'k'.repeat(96)}-${shortHash(long)}.png`);
  });

  it('bench run writes one output per row for keys that sanitise alike', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kontext-names-'));
    dirs.push(root);
    const data = join(root, 'data');
    await mkdir(data);
    const colors: [number, number, number][] = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const keys = ['a/b', 'a_b', 'a b'];
    const rows = [];
    for (const [i, key] of keys.entries()) {
      await writePng(createImage(4, 4, colors[i]), join(data, `${i}.png`));
      rows.push(JSON.stringify({ file_name: `${i}.png`, key, category: 'Text Editing', instruction: 'x' }));
    }
    await writeFile(join(data, 'metadata.jsonl'), `${rows.join('\n')}\n`);
    const r = await runBench({ data, model: 'identity', out: join(root, 'out') });
    expect(new Set(r.samples.map((s) => s.output)).size).toBe(3);
    expect((await readdir(join(root, 'out', 'outputs'))).length).toBe(3);
    // each output is its own row's image (identity model), none overwritten
    for (const [i, s] of r.samples.entries())
      expect([...(await readImage(join(root, 'out', s.output))).data.slice(0, 3)]).toEqual(colors[i]);
  });
});
