// kontext-mini inside a browser page (`kontext page`): the folder the CLI writes, served by its static server, run
// in Debian's Chromium (playwright-core; test/web/chromium.ts for KONTEXT_SKIP_BROWSER). The page edits with the
// same loader, pipeline and editor as Node on onnxruntime-web, so its answer must be Node's, pixel for pixel
// within a level of rounding.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePage } from '../../src/browser/export-page.ts';
import { serveFolder, type StaticServer } from '../../src/browser/static-server.ts';
import { readImage, type RGBImage, writePng } from '../../src/image/rgb.ts';
import { resampleLanczos } from '../../src/image/resample.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { worldGray } from '../../src/mini/world-light.ts';
import { cli } from '../cli/helpers.ts';
import { launchChromium, SKIP_BROWSER } from '../web/chromium.ts';

let root: string;
let site: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-page-'));
  site = join(root, 'site');
  await writePage(site, { model: EMBEDDED_MODEL });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('kontext page', () => {
  it('writes the page, the model, the runtime and the example; names mistakes', async () => {
    const out = join(root, 'cli-site');
    expect((await cli('page', '--out', out)).code).toBe(0);
    const written = JSON.parse(await readFile(join(out, 'kontext-page.json'), 'utf8')).files;
    expect(written).toEqual(
      expect.arrayContaining([
        'index.html',
        'kontext-mini.js',
        'model/config.json',
        'model/transformer.safetensors',
        'ort/ort-wasm-simd-threaded.jsep.wasm',
        'example.png',
      ]),
    );
    const js = await readFile(join(out, 'kontext-mini.js'), 'utf8');
    expect(js).not.toContain('onnxruntime-node');
    expect((await cli('page', '--out', out)).code).toBe(0); // an earlier page may be written again
    const busy = join(root, 'busy');
    expect((await cli('page', '--out', busy)).code).toBe(0);
    await rm(join(busy, 'kontext-page.json'));
    await writeFile(join(busy, 'notes.txt'), 'mine');
    const cases: [string[], string][] = [
      [['page'], 'missing --out DIR: the folder to write the page into'],
      [['page', '--out', busy], `--out ${busy} is not empty; choose a new folder, or pass --force to write into it`],
      [['page', '--out', join(root, 'x'), '--port', '80'], '--port and --host go with --serve'],
      [['page', '--out', join(root, 'x'), '--model', root], `${root} is not a kontext-mini model folder: config.json`],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.errors.join('\n'), argv.join(' ')).toContain(message);
    }
    // --force writes beside what is there and deletes nothing of it
    await writeFile(join(busy, 'model', 'mine.txt'), 'mine too');
    expect((await cli('page', '--out', busy, '--force')).code).toBe(0);
    expect(await readFile(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(busy, 'model', 'mine.txt'), 'utf8')).toBe('mine too');
    const r = await cli('page', '--out', join(busy, 'notes.txt'));
    expect(r.errors.join('\n')).toContain('is a file; give a folder to write the page into');
  });

  it('serves only the files under its folder, cross-origin isolated', async () => {
    const server = await serveFolder(site);
    try {
      const ok = await fetch(`${server.url}index.html`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(ok.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect((await fetch(server.url)).status).toBe(200); // / is index.html
      // raw paths (fetch would resolve the dots before sending): a file beside the folder stays out of reach
      const raw = (path: string) =>
        new Promise<number>((done, fail) =>
          get(`${server.url.replace(/\/$/, '')}${path}`, { path }, (res) => {
            res.resume();
            done(res.statusCode!);
          }).on('error', fail),
        );
      await writeFile(join(root, 'secret.txt'), 'not for the web');
      for (const path of [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/..%2fsecret.txt',
        '/model/..%2f..%2fsecret.txt',
        '/nope.js',
      ])
        expect(await raw(path), path).toBe(404);
      expect(await raw('/model/config.json')).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(SKIP_BROWSER)('kontext-mini in Chromium (onnxruntime-web)', () => {
  let browser: Browser;
  let server: StaticServer;
  let page: Page;
  const pageErrors: string[] = [];
  const status = () => page.textContent('#status');
  const pixels = (id: string) =>
    page.evaluate((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      return {
        width: c.width,
        height: c.height,
        rgba: [...c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data],
      };
    }, id);
  const rgbOf = (p: { width: number; height: number; rgba: number[] }): RGBImage => ({
    width: p.width,
    height: p.height,
    data: Uint8Array.from(p.rgba.filter((_, i) => i % 4 !== 3)),
  });

  beforeAll(async () => {
    browser = await launchChromium();
    server = await serveFolder(site);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ready'), null, {
      timeout: 60_000,
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('edits the example as Node does, and each answer can be edited again', async () => {
    expect(await status()).toMatch(/^Ready: kontext-mini \(64 px\) on WebAssembly, \d threads?\./);
    const example = await readImage(join(site, 'example.png'));
    expect(rgbOf(await pixels('input'))).toEqual(example);
    await page.fill('#instruction', 'make the background sky blue');
    await page.fill('#seed', '0');
    // after Ready the page warms its graphs up with a throwaway 1-step edit; an edit asked for meanwhile waits for it
    // (and says so), and its answer is the same as without the warm-up
    const warmingAtClick = await page.evaluate(() => {
      const w = window as unknown as {
        firstSeen: string[];
        firstWatch: MutationObserver;
        kontextPage: { state: { warming: unknown } };
      };
      const status = document.getElementById('status')!;
      w.firstSeen = [];
      w.firstWatch = new MutationObserver(() => w.firstSeen.push(status.textContent ?? ''));
      w.firstWatch.observe(status, { childList: true });
      const warming = w.kontextPage.state.warming !== null;
      document.getElementById('edit')!.click();
      return warming;
    });
    expect(warmingAtClick).toBe(true);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'), null, {
      timeout: 120_000,
    });
    expect(await status()).toMatch(/^Done in [\d.]+ s \(seed 0\)\.$/);
    const firstSeen = await page.evaluate(() => {
      const w = window as unknown as { firstSeen: string[]; firstWatch: MutationObserver };
      w.firstWatch.disconnect();
      return w.firstSeen;
    });
    expect(firstSeen.slice(0, 2)).toEqual(['Getting the model ready…', 'Editing… step 1 of 8']);
    const out = rgbOf(await pixels('output'));
    const node = (
      await (await MiniEditor.load()).edit({ prompt: 'make the background sky blue', image: example, seed: 0 })
    ).image;
    expect([out.width, out.height]).toEqual([node.width, node.height]);
    let worst = 0;
    let changed = 0;
    for (let i = 0; i < out.data.length; i++) {
      worst = Math.max(worst, Math.abs(out.data[i]! - node.data[i]!));
      if (out.data[i] !== example.data[i]) changed++;
    }
    expect(worst).toBeLessThanOrEqual(2); // WebAssembly and native kernels round differently
    expect(changed).toBeGreaterThan(out.data.length / 4); // and it did edit: the background is new
    expect(await page.getAttribute('#download', 'href')).toMatch(/^data:image\/png;base64,/);

    // the answer becomes the input; an unknown word is named; an empty instruction is refused, not run
    await page.click('#again');
    expect(rgbOf(await pixels('input'))).toEqual(out);
    await page.fill('#instruction', 'make the circle vermilion');
    // the page reports each step as it goes
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[] };
      const status = document.getElementById('status')!;
      status.textContent = '';
      w.seen = [];
      new MutationObserver(() => w.seen.push(status.textContent ?? '')).observe(status, { childList: true });
    });
    await page.click('#edit');
    await page.waitForFunction(() => document.getElementById('note')!.textContent !== '');
    expect(await page.textContent('#note')).toMatch(
      /^The model does not know "vermilion" and reads it without meaning/,
    );
    // and the circle is named as the picture shows it (the example's is blue)
    expect(await page.textContent('#note')).toContain(
      'read "the circle" as "the blue circle", as the picture shows it',
    );
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'));
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => `Editing… step ${i + 1} of 8`));
    // two edits asked at once are made one after the other, and the page says so (each shape named by its colour as
    // the picture it edits shows it, where it can be read)
    await page.fill('#instruction', 'make the circle blue and the square red');
    await page.evaluate(() => void (document.getElementById('status')!.textContent = '')); // not the last "Done"
    await page.click('#edit');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'));
    expect(await status()).toMatch(
      /^Done in [\d.]+ s \(seed \d+; 2 edits one after the other: "make the (?:\w+ )?circle blue", "make the (?:\w+ )?square red"\)\.$/,
    );
    // an answer the page greyed, edited again: made in colour and greyed (the page keeps the answer in colour),
    // nothing said of a grey picture
    const edit = async (instruction: string) => {
      await page.click('#again');
      await page.fill('#instruction', instruction);
      await page.evaluate(() => void (document.getElementById('status')!.textContent = ''));
      await page.click('#edit');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'));
      return rgbOf(await pixels('output'));
    };
    const colorOf = () =>
      page.evaluate(() => {
        const c = (window as unknown as { kontextPage: { state: { outputColor?: { data: Uint8Array } } } }).kontextPage
          .state.outputColor;
        return c && Array.from(c.data);
      });
    const before = rgbOf(await pixels('output'));
    const greyed = await edit('make it grayscale');
    expect(greyed.data).toEqual(worldGray(before).data);
    expect(await colorOf()).toEqual(Array.from(before.data)); // the picture it greyed
    const removed = await edit('remove the circle');
    expect(await page.textContent('#note')).not.toMatch(/the picture is grey/i);
    const inColor = await colorOf();
    expect(inColor).toBeDefined();
    expect(removed.data).toEqual(worldGray({ ...removed, data: Uint8Array.from(inColor!) }).data);
    await page.fill('#instruction', '  ');
    await page.click('#edit');
    expect(await page.textContent('#error')).toBe(
      'the instruction is empty; say what to change, e.g. "make the circle blue"',
    );
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it("says in its status when no try's answer shows the edit (a model that leaves the picture)", async () => {
    // the page's editor, its transformer answering with the input's round trip: the picture left as it was
    await page.evaluate(() => {
      type Pipe = { runWithRoundTrips: (...a: unknown[]) => Promise<{ images: unknown[]; roundTrips: unknown[] }> };
      const w = window as unknown as {
        kontextPage: { state: { editor: { pipe: Pipe } } };
        kept: Pipe['runWithRoundTrips'];
      };
      const pipe = w.kontextPage.state.editor.pipe;
      w.kept = pipe.runWithRoundTrips;
      pipe.runWithRoundTrips = async (...a) => {
        const r = await w.kept.apply(pipe, a);
        return { ...r, images: r.roundTrips };
      };
    });
    try {
      await page.fill('#instruction', 'make the circle red');
      await page.fill('#seed', '0');
      await page.evaluate(() => void (document.getElementById('status')!.textContent = ''));
      await page.click('#edit');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'), null, {
        timeout: 120_000,
      });
      expect(await status()).toMatch(
        /^Done in [\d.]+ s \(seed 0(; made as "make the \w+ circle red")?\)\. The answer does not show all of "make the (\w+ )?circle red" as the editor reads it: another seed may make it\.$/,
      );
    } finally {
      await page.evaluate(() => {
        const w = window as unknown as {
          kontextPage: { state: { editor: { pipe: { runWithRoundTrips: unknown } } } };
          kept: unknown;
        };
        w.kontextPage.state.editor.pipe.runWithRoundTrips = w.kept;
      });
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('opened as a file (double-clicked), says to serve the folder instead of loading forever', async () => {
    const p = await browser.newPage();
    try {
      await p.goto(`file://${join(site, 'index.html')}`);
      await p.waitForFunction(() => document.getElementById('error')!.textContent !== '');
      expect(await p.textContent('#status')).toBe('The model could not be loaded.');
      expect(await p.textContent('#error')).toMatch(/^This page was opened as a file, .* serve the folder instead/);
    } finally {
      await p.close();
    }
  });

  it("is a library for another page: its exports edit as Node does, and it leaves that page's document alone", async () => {
    // a developer's own page beside the folder's files, importing the page script as a library
    await writeFile(
      join(site, 'mine.html'),
      `<!doctype html><meta charset="utf-8"><p id="status">mine</p><script type="module">
        import * as kontext from './kontext-mini.js';
        window.kontext = kontext;
      </script>`,
    );
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    try {
      await p.goto(`${server.url}mine.html`);
      await p.waitForFunction(() => 'kontext' in window);
      const example = await readImage(join(site, 'example.png'));
      const out = await p.evaluate(
        async ({ w, h, rgb }) => {
          type Lib = typeof import('../../src/browser/mini-page.ts');
          const k = (window as unknown as { kontext: Lib }).kontext;
          k.setWasmPaths(new URL('ort/', location.href).href);
          const editor = await k.loadMiniEditor('model', { proxy: true });
          const rgba = k.toRGBA({ width: w, height: h, data: Uint8Array.from(rgb) });
          const r = await editor.edit({ prompt: 'make the background sky blue', image: k.fromRGBA(rgba), seed: 0 });
          return { width: r.image.width, height: r.image.height, data: [...r.image.data] };
        },
        { w: example.width, h: example.height, rgb: [...example.data] },
      );
      const node = (
        await (await MiniEditor.load()).edit({ prompt: 'make the background sky blue', image: example, seed: 0 })
      ).image;
      expect([out.width, out.height]).toEqual([node.width, node.height]);
      expect(Math.max(...out.data.map((v, i) => Math.abs(v - node.data[i]!)))).toBeLessThanOrEqual(2);
      expect(await p.textContent('#status')).toBe('mine'); // the page script did not take this page over
      expect(await p.evaluate(() => 'kontextPage' in window)).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await p.close();
    }
  }, 180_000);

  it('takes a picked picture of any size and answers at its size; refuses a file that is no picture', async () => {
    const wide = join(root, 'wide.png');
    await writePng(resampleLanczos(await readImage(join(site, 'example.png')), 96, 48), wide);
    await page.setInputFiles('#file', wide);
    await page.waitForFunction(() => (document.getElementById('input') as HTMLCanvasElement).width === 96);
    await page.evaluate(() => {
      document.getElementById('status')!.textContent = '';
    });
    await page.fill('#instruction', 'make the background sky blue');
    await page.click('#edit');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'), null, {
      timeout: 120_000,
    });
    const out = await pixels('output');
    expect([out.width, out.height]).toEqual([96, 48]);
    // a transparent picture: the page says what the model sees there; an opaque one clears the note
    const rgba = Buffer.alloc(8 * 8 * 4); // transparent, but for the top half, opaque white
    rgba.fill(255, 0, 8 * 4 * 4);
    const sprite = await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } })
      .png()
      .toBuffer();
    await page.setInputFiles('#file', { name: 'sprite.png', mimeType: 'image/png', buffer: sprite });
    await page.waitForFunction(() => document.getElementById('note')!.textContent !== '');
    expect(await page.textContent('#note')).toBe(
      'This picture is 50.0 % transparent: the model sees its transparent parts as black, and the answer is ' +
        'opaque. Flatten it onto a background first if that is not what you want.',
    );
    expect(rgbOf(await pixels('input')).data.slice(-3)).toEqual(Uint8Array.from([0, 0, 0])); // black, as said
    await page.setInputFiles('#file', wide);
    await page.waitForFunction(() => document.getElementById('note')!.textContent === '');
    await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
    await page.waitForFunction(() => document.getElementById('error')!.textContent !== '');
    expect(await page.textContent('#error')).toBe(
      'this file is not a picture the browser can read; choose a PNG, JPEG or WebP image',
    );
    expect((await pixels('input')).width).toBe(96); // the input stays what it was
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
