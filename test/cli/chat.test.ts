// `kontext chat`: instructions piped to the real command, one per line. Each result is the next input (shown in
// pixels by the slow test model, which brightens what it is given), numbered files and history.jsonl record every
// result with the seed/steps/guidance set by /s /n /g, /undo goes back one image, /q stops reading; a mistaken
// line in a pipe stops with exit 2; argument mistakes are one line and exit 2 before any model loads.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, readImage } from '../../src/image/rgb.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { worldGray } from '../../src/mini/world-light.ts';
import { solid, tempDir } from '../service/helpers.ts';
import { ROOT } from '../service/processes.ts';
import { cli } from './helpers.ts';

const BIN = join(ROOT, 'bin/kontext.mjs');

/** Run `kontext chat ARGS` with `input` on stdin. */
function chat(
  args: string[],
  input: string,
  preload: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const pre = preload.length ? ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p])] : [];
    const child = spawn(process.execPath, [...pre, BIN, 'chat', ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const lines = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('kontext chat', () => {
  let dir: string;
  let photo: string;
  beforeAll(async () => {
    dir = await tempDir('kontext-chat-');
    photo = join(dir, 'photo.png');
    await writeFile(photo, await encodePng(solid([20, 40, 60], 10, 8)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads instructions and commands line by line: numbered results, /s /n /g for next edits, /undo, /q', async () => {
    const out = join(dir, 'identity');
    const input = 'make it red\n/s 7\n/n 3\n/g 1.5\nmake it blue\n/undo\n\nremove the star\n/q\nnever read\n';
    const r = await chat([photo, '--out', out, '--model', 'identity', '--json'], input);
    expect(r.code).toBe(0);
    const results = lines(r.stdout);
    expect(
      results.map(({ n, parent, instruction, steps, guidance }) => ({ n, parent, instruction, steps, guidance })),
    ).toEqual([
      // identity has no steps or guidance of its own
      { n: 1, parent: 0, instruction: 'make it red', steps: null, guidance: null },
      { n: 2, parent: 1, instruction: 'make it blue', steps: 3, guidance: 1.5 },
      { n: 3, parent: 1, instruction: 'remove the star', steps: 3, guidance: 1.5 }, // after /undo: from 001 again
    ]);
    expect(results[1].seed).toBe(7);
    expect(results[2].seed).toBe(7);
    expect(results[0]).toMatchObject({ file: join(out, '001.png'), model: 'identity', width: 10, height: 8 });
    expect(lines(readFileSync(join(out, 'history.jsonl'), 'utf8'))).toEqual(results);
    expect(['000.png', '001.png', '002.png', '003.png'].every((f) => existsSync(join(out, f)))).toBe(true);
    expect(existsSync(join(out, '004.png'))).toBe(false); // the line after /q was never read
    expect((await readImage(join(out, '003.png'))).data).toEqual((await readImage(photo)).data);
  });

  it('each result is the next input; /undo returns to the image before (the slow model adds 10 per edit)', async () => {
    const out = join(dir, 'slow');
    const r = await chat(
      [photo, '--out', out, '--model', 'slow:1', '--json'],
      'brighter\nbrighter\n/undo\nbrighter\n',
      ['./test/service/slow-model.ts'],
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((x) => x.parent)).toEqual([0, 1, 1]);
    const red = async (f: string) => (await readImage(join(out, f))).data[0];
    expect([await red('000.png'), await red('001.png'), await red('002.png'), await red('003.png')]).toEqual([
      20, 30, 40, 40,
    ]);
  });

  it("with the embedded model: edits in a row at the input size, with the model's defaults, then /c 2 and /r 0", async () => {
    const out = join(dir, 'mini');
    const r = await chat(
      ['examples/scene.png', '--out', out, '--seed', '3'],
      'make the circle blue\nmake it night\n/c 2\nremove the star\n/c 1\nmake the square vermilion\n' +
        'make the circle red and the square blue\nmove it up\n/r 0\nmake it bigger\n',
    );
    expect(r.code).toBe(0);
    const history = lines(readFileSync(join(out, 'history.jsonl'), 'utf8'));
    const scene = await readImage('examples/scene.png');
    expect(history).toMatchObject([
      {
        n: 1,
        parent: 0,
        seed: 3,
        steps: 8,
        guidance: 2,
        candidates: 1,
        retries: 2,
        model: 'kontext-mini',
        width: scene.width,
        height: scene.height,
      },
      { n: 2, parent: 1, seed: 3, steps: 8, guidance: 2, candidates: 1, model: 'kontext-mini' },
      { n: 3, parent: 2, seed: 3, candidates: 2 },
      // the square named as the night picture shows it (relit in the world's light, its shapes read as the world's)
      {
        n: 4,
        parent: 3,
        instruction: 'make the square vermilion',
        madeAs: { edits: ['make the cyan square vermilion'] },
      },
      // two edits asked at once, made one after the other: the record says so
      { n: 5, parent: 4, madeAs: { edits: ['make the blue circle red', 'make the square blue'] } },
      // "it": the shape the turn before edited last (not the picture's "make it night" of turn 2)
      { n: 6, parent: 5, instruction: 'move it up', madeAs: { edits: ['move the square up'] } },
      // and the next "it" reads on from it as made
      { n: 7, parent: 6, instruction: 'make it bigger', retries: 0, madeAs: { edits: ['make the square bigger'] } },
    ]);
    // the circle named as the picture shows it (the example's is blue), as the record says
    expect(history[0].madeAs).toEqual({ edits: ['make the blue circle blue'] });
    // the one word the model does not know is named, once; the two edits asked at once are named before they run;
    // the night picture's shapes are read as the world's (it was relit in the world's light): a star it does not
    // show is named, and so is the square made vermilion, which no longer reads as a square
    expect(r.stderr.match(/note: .*/g)).toEqual([
      // (the example's circle is blue already: said)
      'note: the blue circle is blue already: there is nothing to recolour, so the model will change something else ' +
        'or nothing; read "the circle" as "the blue circle", as the picture shows it (the model knows a shape best ' +
        'by its colour and shape)',
      'note: the picture shows no star (it shows a blue circle, a cyan square and a green triangle), so the model ' +
        'will change something else or nothing',
      expect.stringMatching(/^note: the model does not know "vermilion" and reads it without meaning: /),
      expect.stringMatching(
        /^note: the model learnt one edit per instruction, and this asks for 2 .*the picture shows no square/,
      ),
      'note: read "move it up" as "move the square up": "it" is the shape the turn before edited; read "move the ' +
        'square up" as "move the square to the top", as the world words it',
      'note: read "make it bigger" as "make the square bigger": "it" is the shape the turn before edited',
    ]);
    expect(r.stdout).toContain(
      '"move it up" on 005.png (seed 3, 8 steps, guidance 2, retries 2, made as "move the square up",',
    );
    expect(r.stdout).toContain('"make it bigger" on 006.png (seed 3, 8 steps, guidance 2, made as');
    expect(r.stdout).toContain(`${join(out, '002.png')}: "make it night" on 001.png (seed 3, 8 steps, guidance 2,`);
    expect(r.stdout).toContain(
      `${join(out, '003.png')}: "remove the star" on 002.png (seed 3, 8 steps, guidance 2, best of 2, retries 2,`,
    );
    expect(r.stdout).toMatch(
      /005\.png: "make the circle red and the square blue" on 004\.png \(seed 3, 8 steps, guidance 2, retries 2, 2 edits one after the other: "make the blue circle red", "make the square blue", [\d.]+ s\)/,
    );
    expect((await readImage(join(out, '002.png'))).data).not.toEqual(scene.data);
  });

  it("says when no try's answer shows the edit, with the tries made, and records it (a model that leaves the picture)", async () => {
    const out = join(dir, 'unshown');
    const r = await chat(
      ['examples/scene.png', '--out', out, '--seed', '3'],
      'make the circle red\n/r 0\nmake the circle green\n',
      ['./test/cli/leaves-picture.ts'],
    );
    expect(r.code).toBe(0);
    const seen = 'as the editor reads it';
    expect(r.stderr.match(/note: the answer does not show .*/g)).toEqual([
      `note: the answer does not show all of "make the blue circle red" ${seen}, in any of 3 tries; the answer that ` +
        'showed the most is written (another seed (/s N), or more tries (/r N), may make it)',
      `note: the answer does not show all of "make the blue circle green" ${seen}, in its one try; the answer that ` +
        'showed the most is written (another seed (/s N), or more tries (/r N), may make it)',
    ]);
    const history = lines(readFileSync(join(out, 'history.jsonl'), 'utf8'));
    expect(history.map((h) => [h.retries, h.unshown])).toEqual([
      [2, ['make the blue circle red']],
      [0, ['make the blue circle green']],
    ]);
  });

  it('says when an instruction names a shape the picture does not show', async () => {
    const r = await chat(['examples/scene.png', '--out', join(dir, 'star'), '--seed', '3'], 'make the star red\n');
    expect(r.code).toBe(0);
    expect(r.stderr.match(/note: .*/g)).toEqual([
      'note: the picture shows no star (it shows a blue circle, a cyan square and a green triangle), so the model ' +
        'will change something else or nothing',
    ]);
  });

  it('edits a picture it greyed in colour and greys the answer, saying nothing of grey pictures', async () => {
    const out = join(dir, 'grey');
    const r = await chat(
      ['examples/scene.png', '--out', out, '--seed', '3'],
      'make it grayscale\nremove the circle\n/undo\n/undo\nremove the circle\n',
    );
    expect(r.code).toBe(0);
    const scene = await readImage('examples/scene.png');
    expect((await readImage(join(out, '001.png'))).data).toEqual(worldGray(scene).data);
    // the second edit is the edit of the scene in colour at its seed, greyed
    const made = await (await MiniEditor.load()).edit({ prompt: 'remove the circle', image: scene, seed: 3 });
    expect((await readImage(join(out, '002.png'))).data).toEqual(worldGray(made.image).data);
    expect(r.stderr).not.toContain('the picture is grey');
    // the pictures in colour are kept beside the grey ones and named in the history; an edit in colour has none
    const history = lines(readFileSync(join(out, 'history.jsonl'), 'utf8'));
    expect(history.map((h) => h.color)).toEqual([join(out, '001-color.png'), join(out, '002-color.png'), null]);
    expect((await readImage(join(out, '001-color.png'))).data).toEqual(scene.data);
    expect((await readImage(join(out, '002-color.png'))).data).toEqual(made.image.data);
    expect(existsSync(join(out, '003-color.png'))).toBe(false);
  });

  it('notes a transparent input (the model sees the colours stored under it), not with --json', async () => {
    const sprite = join(dir, 'sprite.png');
    const rgba = Buffer.alloc(8 * 8 * 4); // all transparent black but the first row, opaque white
    rgba.fill(255, 0, 8 * 4);
    await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } })
      .png()
      .toFile(sprite);
    const r = await chat([sprite, '--out', join(dir, 'sprite'), '--model', 'identity'], 'make it red\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `note: ${sprite} is 87.5 % transparent; its transparent pixels are read with the colours`,
    );
    const j = await chat([sprite, '--out', join(dir, 'sprite-json'), '--model', 'identity', '--json'], 'make it red\n');
    expect(j.code).toBe(0);
    expect(j.stderr).not.toContain('transparent');
  });

  it('a mistaken line from a pipe stops the loop with exit 2 and names the line; what was done stays', async () => {
    const cases: [string, string][] = [
      [
        'make it red\n/s abc\nmore\n',
        "kontext chat: line 2: /s must be an integer from 0 to 4294967295 (seeds are 32-bit), got 'abc'",
      ],
      ['/undo\n', 'kontext chat: line 1: nothing to undo: this is the input image'],
      [
        '/x 1\n',
        "kontext chat: line 1: unknown command '/x': use /s, /n, /g, /c, /r, /undo, /help or /q " +
          "(an instruction does not start with '/')",
      ],
      ['/n\n', 'kontext chat: line 1: /n needs a value: /n 12'],
      ['/g 99\n', "kontext chat: line 1: /g must be a number from 0 to 30, got '99'"],
      ['/c 0\n', "kontext chat: line 1: /c must be an integer from 1 to 16, got '0'"],
      [
        '/c 3\nmake it red\n',
        'kontext chat: line 2: identity samples one answer; candidates 3 (best of n) needs kontext-mini (--model mini)',
      ],
      ['/r 9\n', "kontext chat: line 1: /r must be an integer from 0 to 8, got '9'"],
      [
        '/r 1\nmake it red\n',
        'kontext chat: line 2: identity samples one answer; retries 1 (sampling again where the answer does not ' +
          'show the edit) needs kontext-mini (--model mini)',
      ],
    ];
    for (const [i, [input, message]] of cases.entries()) {
      const out = join(dir, `bad${i}`);
      const r = await chat([photo, '--out', out, '--model', 'identity', '--quiet'], input);
      expect([r.code, r.stderr.trim()]).toEqual([2, message]);
    }
    expect(existsSync(join(dir, 'bad0', '001.png'))).toBe(true);
    expect(existsSync(join(dir, 'bad0', '002.png'))).toBe(false);
  });

  it('argument mistakes: one line and exit 2, before any model is loaded', async () => {
    const full = join(dir, 'full');
    await mkdir(full);
    await writeFile(join(full, 'x.txt'), 'x');
    const cases: [string[], string][] = [
      [
        ['--out', full],
        "kontext chat: give the image to edit: kontext chat photo.png --out steps/ (see 'kontext chat --help')",
      ],
      [[photo], 'kontext chat: --out DIR is required: the folder for the numbered results (001.png, 002.png, ...)'],
      [
        [photo, '--out', full],
        `kontext chat: --out ${full} is not empty; choose a new folder, or pass --force to replace its numbered files`,
      ],
      [[photo, '--out', photo], `kontext chat: --out ${photo} is a file; give a folder for the numbered results`],
      [
        [photo, '--out', join(dir, 'n'), '--steps', '0'],
        "kontext chat: --steps must be an integer from 1 to 1000, got '0'",
      ],
      [
        [photo, '--out', join(dir, 'n'), '--candidates', 'x'],
        "kontext chat: --candidates must be an integer from 1 to 16, got 'x'",
      ],
      [
        [photo, '--out', join(dir, 'n'), '--retries', '9'],
        "kontext chat: --retries must be an integer from 0 to 8, got '9'",
      ],
      [
        [join(dir, 'none.png'), '--out', join(dir, 'n')],
        `kontext chat: input image ${join(dir, 'none.png')} does not exist`,
      ],
      [
        [photo, photo, '--out', join(dir, 'n')],
        `kontext chat: unexpected argument '${photo}': give one image; instructions come from stdin`,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await cli('chat', ...argv, '--model', 'identity');
      expect([r.code, r.errors]).toEqual([2, [message]]);
    }
    expect(existsSync(join(dir, 'n'))).toBe(false);
    expect((await cli('chat', '--help')).logs.join('\n')).toContain(
      '/undo            go back to the image before the last edit',
    );
  });
});
