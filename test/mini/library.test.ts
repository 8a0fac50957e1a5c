// The library as an app outside the repository uses it: `import { MiniEditor } from 'kontext'` in a plain .mjs file,
// run with `node --import kontext/register` (the package is TypeScript source; tsx, a dependency, loads it). The
// app's edit must be the one this process makes with the same call.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';

const repo = resolve(import.meta.dirname, '../..');
let app: string;
beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'kontext-app-'));
  await mkdir(join(app, 'node_modules'));
  await symlink(repo, join(app, 'node_modules', 'kontext')); // as `npm install` of the package would place it
  await writeFile(
    join(app, 'app.mjs'),
    `import { MiniEditor, readImage } from 'kontext';
const ed = await MiniEditor.load();
const { image, seed } = await ed.edit({ prompt: 'make the cirlce blue', image: await readImage(process.argv[2]), seed: 3 });
console.log(JSON.stringify({ width: image.width, height: image.height, seed, data: Buffer.from(image.data).toString('base64'),
  note: ed.checkPrompt('make the cirlce blue').note }));
`,
  );
});
afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

describe("the library from an app's own folder", () => {
  it('runs with node --import kontext/register and edits as this process does', async () => {
    const example = join(repo, 'examples', 'scene.png');
    const r = spawnSync(process.execPath, ['--import', 'kontext/register', 'app.mjs', example], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const ed = await MiniEditor.load();
    const here = await ed.edit({ prompt: 'make the circle blue', image: await readImage(example), seed: 3 });
    expect(out).toEqual({
      width: here.image.width,
      height: here.image.height,
      seed: 3,
      data: Buffer.from(here.image.data).toString('base64'),
      note: 'read "cirlce" as "circle", a typo of a word the model knows',
    });
  });
});
