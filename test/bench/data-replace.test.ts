// `kontext bench data` writes a whole folder at once: into a hidden sibling, renamed into place at the end. A smaller
// --n leaves no stale files, an interrupted run leaves the old folder intact, and a folder that is not a dataset
// is never replaced.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { replaceFolder } from '../../src/io/replace-folder.ts';
import { writeDataset } from '../../src/world/dataset.ts';
import { joinRegExp } from '../regex.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-replace-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Every file under dir, relative, sorted. */
async function files(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await files(join(dir, e.name), `${prefix}${e.name}/`)));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}
const DEAD_PID = 99_999_999; // above any pid_max: no such process

describe('bench data replaces its folder as a whole', () => {
  it('a smaller --n into an old dataset leaves only the new files, and no sibling behind', async () => {
    const d = join(root, 'shrink');
    await writeDataset(d, { split: 'val', seed: 1, n: 9, size: 32 });
    const nine = await files(d);
    await writeDataset(d, { split: 'val', seed: 1, n: 3, size: 32 });
    const three = await files(d);
    const rows = (await readFile(join(d, 'metadata.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(3);
    const named = rows.flatMap((r) => [
      ...r.input_files,
      r.target_file,
      r.mask_file,
      ...(r.turns ?? []).flatMap((t: { target_file: string; mask_file: string }) => [t.target_file, t.mask_file]),
    ]);
    expect(three).toEqual([...new Set([...named, 'dataset.json', 'metadata.jsonl'])].sort());
    expect(nine.length).toBeGreaterThan(three.length);
    expect(JSON.parse(await readFile(join(d, 'dataset.json'), 'utf8')).n).toBe(3);
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
    // the folder gets the permissions of a folder made with mkdir, not a temporary folder's 0700
    await mkdir(join(root, 'plain'));
    expect((await stat(d)).mode).toBe((await stat(join(root, 'plain'))).mode);
    await rm(join(root, 'plain'), { recursive: true });
  });

  it('an interrupted run leaves the old folder untouched and removes its partial folder', async () => {
    const d = join(root, 'keep');
    await mkdir(d);
    await writeFile(join(d, 'old.txt'), 'old');
    let sawTmp = '';
    await expect(
      replaceFolder(d, async (tmp) => {
        sawTmp = tmp;
        await writeFile(join(tmp, 'new.txt'), 'new');
        expect(await files(d)).toEqual(['old.txt']); // the old folder is untouched while the new one fills
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(sawTmp).toMatch(/[/\\]\.keep\.partial-\d+-[0-9a-f]{6}$/);
    expect(await files(d)).toEqual(['old.txt']);
    expect(existsSync(sawTmp)).toBe(false);
  });

  it('tidies what a killed run left: deletes its partial folder, restores an old folder nothing replaced', async () => {
    const d = join(root, 'killed');
    await mkdir(join(root, `.killed.partial-${DEAD_PID}-abc123`));
    await writeFile(join(root, `.killed.partial-${DEAD_PID}-abc123`, 'half.png'), 'x');
    await mkdir(join(root, `.killed.partial-${DEAD_PID}-def456.old`));
    await writeFile(join(root, `.killed.partial-${DEAD_PID}-def456.old`, 'metadata.jsonl'), 'old rows\n');
    const alive = join(root, `.killed.partial-${process.pid}-ghi789`); // a run still going: left alone
    await mkdir(alive);
    await replaceFolder(d, async (tmp) => {
      // before this run fills anything, the old folder is back in place
      expect(await readFile(join(d, 'metadata.jsonl'), 'utf8')).toBe('old rows\n');
      await writeFile(join(tmp, 'metadata.jsonl'), 'new rows\n');
    });
    expect(await readFile(join(d, 'metadata.jsonl'), 'utf8')).toBe('new rows\n');
    expect((await readdir(root)).filter((n) => n.startsWith('.killed'))).toEqual([
      `.killed.partial-${process.pid}-ghi789`,
    ]);
    await rm(alive, { recursive: true });
  });

  it('refuses to replace a folder that holds anything but a dataset, through the CLI', async () => {
    const d = join(root, 'mine');
    await mkdir(d);
    await writeFile(join(d, 'thesis.tex'), 'precious');
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['bench', 'data', '--out', d, '--n', '2', '--size', '32'])).toBe(2);
    expect(errors.join('\n')).toMatch(
      joinRegExp(
        /--out '.*mine' holds files but is not a dataset of 'kontext bench data' \(no dataset.json of ours\); give a /,
        /new or empty folder, as the dataset replaces what is there/,
      ),
    );
    expect(await files(d)).toEqual(['thesis.tex']);
    // an empty folder is fine
    const empty = join(root, 'empty');
    await mkdir(empty);
    expect(await main(['bench', 'data', '--out', empty, '--n', '2', '--size', '32'])).toBe(0);
    expect(existsSync(join(empty, 'dataset.json'))).toBe(true);
  });
});
