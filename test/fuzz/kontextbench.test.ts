// Fuzzing the benchmark rows loader (metadata.jsonl): valid KontextBench and synthetic rows, then rows with any
// field replaced by hostile JSON, file names that try to leave the folder (by '..', absolute paths, drive letters,
// NUL, links out, link loops) or name a folder, duplicate keys, broken lines. Every input must give rows whose
// every file is a regular file inside the data folder, or a UserError; never another error.
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KONTEXTBENCH_CATEGORIES, loadBench } from '../../src/bench/kontextbench.ts';
import { within } from '../../src/io/inside.ts';
import { FAMILIES } from '../../src/world/tasks.ts';
import { check, deepArrayText, fc, hostileJsonText, outcome, valueOrDocumentedError } from './fuzz.ts';

let base: string;
let data: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'kontext-fuzz-bench-'));
  data = path.join(base, 'data');
  await mkdir(path.join(data, 'images', 'deeper'), { recursive: true });
  await mkdir(path.join(base, 'outside'), { recursive: true });
  for (const f of ['images/a.png', 'images/b.png', 'images/deeper/c.png', 'target.png', 'mask.png'])
    await writeFile(path.join(data, f), 'x');
  await writeFile(path.join(base, 'outside', 'secret.png'), 'secret');
  await symlink('../outside', path.join(data, 'link-out'));
  await symlink(path.join(base, 'outside', 'secret.png'), path.join(data, 'abs-out.png'));
  await symlink('images/a.png', path.join(data, 'link-in.png'));
  await symlink(path.join(data, 'images', 'b.png'), path.join(data, 'abs-in.png'));
  await symlink('loop', path.join(data, 'loop'));
  await symlink('images', path.join(data, 'dir-link'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const fileName = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.constantFrom(
      'images/a.png',
      'images/b.png',
      'images/deeper/c.png',
      'target.png',
      'mask.png',
      'link-in.png',
      'abs-in.png',
      './images/a.png',
      'images//b.png',
      'dir-link/a.png',
    ),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '../outside/secret.png',
      'link-out/secret.png',
      'abs-out.png',
      'images/../../outside/secret.png',
      '/etc/hostname',
      'C:\\x.png',
      '..\\outside\\secret.png',
      'a\0b.png',
      'loop',
      'loop/x',
      '.',
      '',
      'images',
      'images/',
      'dir-link',
      'missing.png',
      'images/a.png/x',
      'x'.repeat(5000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const OPS = [
  'recolor',
  'remove',
  'add',
  'move',
  'resize',
  'background',
  'time',
  'grayscale',
  'style',
  'word',
  'textcolor',
  'styleref',
  'character',
  'generate',
];

/** A row as raw JSON texts of its fields, so that a mutation can put anything in any field. */
type Row = [string, string][];
const q = JSON.stringify;

const kontextRow: fc.Arbitrary<Row> = fc
  .record({
    file: fileName,
    key: fc.string({ minLength: 1, maxLength: 8 }),
    category: fc.constantFrom(...KONTEXTBENCH_CATEGORIES, 'Text to Image', 'Something Else'),
    instruction: fc.string({ maxLength: 10 }),
  })
  .map((r) => [
    ['file_name', q(r.file)],
    ['key', q(r.key)],
    ['category', q(r.category)],
    ['instruction', q(r.instruction)],
  ]);

const syntheticRow: fc.Arbitrary<Row> = fc
  .record({
    row: kontextRow,
    inputs: fc.array(fileName, { maxLength: 3 }),
    target: fileName,
    mask: fileName,
    op: fc.constantFrom(...OPS),
    family: fc.constantFrom(...FAMILIES),
    turns: fc.array(fc.record({ target: fileName, mask: fileName, op: fc.constantFrom(...OPS) }), { maxLength: 3 }),
  })
  .map(({ row, inputs, target, mask, op, family, turns }) => [
    ...row,
    ['input_files', q(inputs)],
    ['target_file', q(target)],
    ['mask_file', q(mask)],
    ['family', q(family)],
    ['edit', q({ op })],
    ...(turns.length
      ? [
          ['turns', q(turns.map((t) => ({ target_file: t.target, mask_file: t.mask, edit: { op: t.op } })))] as [
            string,
            string,
          ],
        ]
      : []),
  ]);

const FIELDS = [
  'file_name',
  'key',
  'category',
  'instruction',
  'input_files',
  'target_file',
  'mask_file',
  'family',
  'edit',
  'turns',
  '__proto__',
  'other',
];

const mutatedRow: fc.Arbitrary<Row> = fc
  .tuple(
    fc.oneof(kontextRow, syntheticRow),
    fc.array(
      fc.record({
        field: fc.constantFrom(...FIELDS),
        text: fc.oneof(hostileJsonText, fileName.map(q), fc.array(fileName).map(q)),
        drop: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([row, ms]) => {
    let r = row;
    for (const m of ms) {
      r = r.filter(([k]) => k !== m.field);
      if (!m.drop) r.push([m.field, m.text]);
    }
    return r;
  });

const line: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.oneof(kontextRow, syntheticRow).map((r) => `{${r.map(([k, v]) => `${q(k)}:${v}`).join(',')}}`),
  },
  { weight: 3, arbitrary: mutatedRow.map((r) => `{${r.map(([k, v]) => `${q(k)}:${v}`).join(',')}}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '   ',
      '[]',
      'null',
      '"row"',
      '{',
      '{"key": "a"} trailing',
      deepArrayText(50_000),
      '\r',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const file = fc
  .record({ lines: fc.array(line, { minLength: 0, maxLength: 4 }), crlf: fc.boolean(), bom: fc.boolean() })
  .map(({ lines, crlf, bom }) => (bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n'));

describe('fuzz: metadata.jsonl rows', () => {
  it('loadBench: rows whose every file is a regular file inside the folder, or a UserError', async () => {
    const realData = await realpath(data);
    await check(
      'metadata.jsonl rows',
      fc.asyncProperty(file, async (text) => {
        await writeFile(path.join(data, 'metadata.jsonl'), text);
        const b = await valueOrDocumentedError(() => loadBench(data));
        if (!b) return void outcome('refused');
        outcome(b.synthetic ? 'valid (synthetic)' : 'valid');
        expect(b.rows.length).toBeGreaterThan(0);
        expect(new Set(b.rows.map((r) => r.key)).size).toBe(b.rows.length);
        for (const r of b.rows) {
          for (const f of [r.key, r.category, r.instruction]) expect(typeof f).toBe('string');
          expect(r.family === null || (FAMILIES as readonly string[]).includes(r.family)).toBe(true);
          for (const [name, p] of r.files) {
            expect(path.isAbsolute(p), name).toBe(true);
            expect(within(realData, await realpath(p)), `${name} → ${p}`).toBe(true);
            expect((await stat(p)).isFile(), name).toBe(true);
          }
          for (const p of r.inputFiles) expect([...r.files.values()]).toContain(p);
        }
        expect(b.synthetic).toBe(b.rows.every((r) => r.truth !== null));
      }),
      300,
      { timeout: 10_000 },
    );
  });
});

describe('metadata.jsonl regressions found by fuzzing', () => {
  const row = (extra: Record<string, unknown>) =>
    JSON.stringify({ file_name: 'images/a.png', key: 'k', category: 'Text Editing', instruction: 'i', ...extra });
  const synthetic = (extra: Record<string, unknown>) =>
    row({ target_file: 'target.png', mask_file: 'mask.png', family: 'local', edit: { op: 'recolor' }, ...extra });
  const load = async (text: string) => {
    await writeFile(path.join(data, 'metadata.jsonl'), text);
    return loadBench(data);
  };

  it('an edit op nested 50 000 deep is a UserError quoting it shortly, not a stack overflow', async () => {
    const text = synthetic({ edit: 'EDIT' }).replace('"EDIT"', `{"op":${deepArrayText(50_000)}}`);
    await expect(load(text)).rejects.toThrow(/unknown edit op \[\[\[\[…\]\]\]\] in 'edit'/);
  });

  it('a name of a folder (".", "images", a link to a folder) is not a file', async () => {
    for (const name of ['.', 'images', 'images/', 'dir-link'])
      await expect(load(row({ file_name: name }))).rejects.toThrow(/is not a file in the data folder/);
  });

  it('a synthetic row with an unknown family is refused (it would be counted under no family)', async () => {
    await expect(load(synthetic({ family: 'teleport' }))).rejects.toThrow(/unknown family "teleport"/);
    await expect(load(synthetic({ family: { deep: [1] } }))).rejects.toThrow(/unknown family \{"deep":\[1\]\}/);
    expect((await load(synthetic({}))).rows[0].family).toBe('local');
  });

  it('a byte-order mark before the first row is ignored', async () => {
    expect((await load(`\uFEFF${row({})}\n`)).rows.map((r) => r.key)).toEqual(['k']);
  });
});
