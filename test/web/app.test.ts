// The web app end to end, in a real browser (Chromium via playwright-core; see chromium.ts): the service runs in
// this process on a free port with a temporary data folder and a small deterministic model that visibly changes
// the image (it rotates the colour channels: red → blue → green) and reports its steps slowly enough to watch.
//
// The story: upload an image, edit it twice (the second time with a seed, steps and a dropped reference), undo,
// edit again (a branch), click a turn to branch back, reload — the session is intact — cancel a running edit with
// Esc, reload while an edit runs; then text-to-image, and the layout at phone and laptop widths. Screenshots go
// to test-artifacts/web/ (git-ignored).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, encodePng, readImage, type RGBImage } from '../../src/image/rgb.ts';
import { unknownWordsNote } from '../../src/prompt/unknown-words.ts';
import type { ServiceModel, StepRequest } from '../../src/service/model.ts';
import { call, startTestService, tempDir, type TestService } from '../service/helpers.ts';
import { artifactsDir, launchChromium, SKIP_BROWSER } from './chromium.ts';

const STEP_MS = 120;

/** r,g,b → g,b,r: red becomes blue, blue becomes green; white stays white. */
const rotate = (img: RGBImage): RGBImage => {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i += 3)
    [data[i], data[i + 1], data[i + 2]] = [img.data[i + 1], img.data[i + 2], img.data[i]];
  return { width: img.width, height: img.height, data };
};

/**
 * The prompts the page had checked, with the number of images it said the edit gets, the turn before's words and
 * whether the picture's colour was said to be known (the turn before recorded it).
 */
const checked: [string, number | undefined, string | undefined, boolean | undefined][] = [];

const model: ServiceModel = {
  name: 'rotate',
  defaults: { numInferenceSteps: 4, guidanceScale: 2.5, candidates: 1, retries: 0 },
  async edit(req) {
    const { onStep, numInferenceSteps } = req as StepRequest;
    const total = numInferenceSteps ?? 4;
    for (let s = 1; s <= total; s++) {
      await sleep(STEP_MS);
      onStep?.(s, total); // throws once the job is cancelled
    }
    // with a reference, say what it made of the request, as kontext-mini does (its style read)
    if (req.images.length === 2) req.onMade?.({ edits: ['redraw all the shapes in striped style'], style: 'striped' });
    // and an edit whose answer it says does not show it, as kontext-mini's editor does after its tries
    if (req.prompt === 'make it blue again') req.onUnshown?.(['make it blue again'], 3);
    // and the picture in colour its answer is the grey of, as kontext-mini gives it (here: the picture it was given)
    if (req.prompt === 'make the red square blue') req.onColor?.(req.images[0]!);
    return rotate(req.images[0] ?? createImage(req.width, req.height, [255, 0, 0]));
  },
  // the words it "does not know", told as kontext-mini's tokenizer tells them; what it was asked is kept
  checkPrompt(prompt, images, previous, _seen, color) {
    checked.push([prompt, images, previous, color]);
    const unknownWords = prompt.split(' ').filter((w) => w.startsWith('crimson'));
    return { unknownWords, note: unknownWordsNote(unknownWords) };
  },
  // the pictures whose shapes it was asked to read (a one-image edit's, for its check): their centres are kept
  async shapesIn(image) {
    read.push(centre(image));
    return [];
  },
};

/** The centre colour of each picture the model was asked to read shapes in. */
const read: number[][] = [];

/** 48x32 white, with a red square in the middle. */
function scene(): RGBImage {
  const img = createImage(48, 32, [255, 255, 255]);
  for (let y = 8; y < 24; y++) for (let x = 16; x < 32; x++) img.data.set([255, 0, 0], (y * 48 + x) * 3);
  return img;
}

const centre = (img: RGBImage) => [...img.data.slice((16 * img.width + 24) * 3, (16 * img.width + 24) * 3 + 3)];

let s: TestService;
let browser: Browser;
/** why Chromium could not be started: every test then fails with it (not a silent skip) */
let noBrowser: Error | undefined;
let work: string;
let shots: URL;

describe.skipIf(SKIP_BROWSER)('web app in Chromium', () => {
  beforeAll(async () => {
    shots = await artifactsDir();
    try {
      browser = await launchChromium();
    } catch (err) {
      noBrowser = err as Error; // the reason and the fix
      return;
    }
    work = await tempDir('kontext-web-');
    s = await startTestService({ model });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const shot = (page: Page, name: string, fullPage = false) =>
    page.screenshot({ path: fileURLToPath(new URL(`${name}.png`, shots)), fullPage });

  /** A page with its progress texts recorded and its errors collected. */
  async function open(viewport = { width: 1280, height: 900 }) {
    if (noBrowser) throw noBrowser;
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    // every text the progress line shows, in order (the steps come and go too fast to poll for)
    await page.addInitScript(() => {
      const w = window as unknown as { progressLog: string[] };
      w.progressLog = [];
      document.addEventListener('DOMContentLoaded', () => {
        const target = document.getElementById('progress-text')!;
        // each textContent assignment replaces the text node: the added nodes are every value it had, in order
        new MutationObserver((records) => {
          for (const r of records) for (const n of r.addedNodes) w.progressLog.push(n.textContent ?? '');
        }).observe(target, { childList: true });
      });
    });
    return { page, errors };
  }

  const ready = (page: Page) => page.waitForSelector('html[data-ready="true"]');
  const idle = (page: Page) => page.waitForSelector('#edit-form[data-state="idle"]');
  const headIs = async (page: Page, n: number) => {
    await page.waitForSelector(`#timeline li.is-head[data-turn="${n}"]`);
    await idle(page);
  };
  const progressLog = (page: Page) =>
    page.evaluate(() => (window as unknown as { progressLog: string[] }).progressLog.splice(0));
  const session = async () => (await call(s, 'GET', '/sessions/s1')).body;
  const imageAt = async (hash: string) =>
    readImage(new Uint8Array(await (await fetch(`${s.url}/images/${hash}`)).arrayBuffer()));
  const turnText = (page: Page, n: number) => page.textContent(`#timeline li[data-turn="${n}"]`);

  it('upload, two edits, undo, branch, reload: the session is intact', async () => {
    const { page, errors } = await open();
    const input = join(work, 'scene.png');
    await writeFile(input, await encodePng(scene()));
    try {
      await page.goto(`${s.url}/`);
      await ready(page);
      expect(await page.textContent('#model')).toBe('model: rotate');
      await shot(page, '00-empty');

      // a session, an image, an instruction, Enter
      await page.click('#new-session');
      await page.waitForFunction(() => location.hash === '#session=s1');
      // the hash is set before the session list has loaded (an Enter meanwhile waits for it: tested below)
      await idle(page);
      await page.setInputFiles('#file-input', input);
      expect(await page.textContent('#picks')).toContain('scene.png (to edit)');
      await page.waitForSelector('#compare[data-mode="single"]:not([hidden])'); // the picked image, previewed
      await page.fill('#instruction', 'make the red square blue');
      await page.press('#instruction', 'Enter');
      await headIs(page, 1);
      expect(await progressLog(page)).toEqual(
        expect.arrayContaining(['Step 1 of 4', 'Step 2 of 4', 'Step 3 of 4', 'Step 4 of 4']),
      );
      expect(await page.textContent('#progress-text')).toMatch(/^Done: turn 1 in \d+\.\d s$/);
      expect(await page.inputValue('#instruction')).toBe(''); // cleared for the next one
      let d = await session();
      const t1 = d.turns[0];
      expect(t1).toMatchObject({
        n: 1,
        parent: null,
        instruction: 'make the red square blue',
        steps: 4,
        guidance: 2.5,
        candidates: 1,
        retries: 0,
        model: 'rotate',
        width: 48,
        height: 32,
      });
      expect(centre(await imageAt(t1.inputs[0]))).toEqual([255, 0, 0]);
      expect(centre(await imageAt(t1.output))).toEqual([0, 0, 255]); // the model did change it
      // the stage: before/after of turn 1, its parameters, a download link
      expect(await page.textContent('#stage-title')).toBe('Turn 1: make the red square blue');
      expect(await page.getAttribute('#after-img', 'src')).toBe(`images/${t1.output}`);
      expect(await page.getAttribute('#before-img', 'src')).toBe(`images/${t1.inputs[0]}`);
      expect(await page.getAttribute('#download', 'href')).toBe(`images/${t1.output}`);
      expect(await page.getAttribute('#download', 'download')).toBe('s1-turn1.png');
      expect(await page.textContent('#turn-params')).toContain(`Seed${t1.seed}`);
      expect(await page.textContent('#turn-params')).toContain('Best of1');
      expect(await page.textContent('#turn-params')).toContain('Retries0');
      expect(await page.textContent('#turn-params')).not.toContain('Made as'); // made as given
      expect(await page.textContent('#turn-params')).not.toContain('Not shown'); // shown
      expect(await turnText(page, 1)).toContain(`seed ${t1.seed} · 4 steps · guidance 2.5 · 48×32 · rotate`);
      expect(await page.evaluate(() => (document.getElementById('after-img') as HTMLImageElement).naturalWidth)).toBe(
        48,
      ); // it loaded
      // the compare slider, by keyboard
      await page.focus('#compare-range');
      await page.keyboard.press('Home');
      expect(await page.evaluate(() => document.getElementById('compare')!.style.getPropertyValue('--pos'))).toBe('0');
      await page.keyboard.press('End');
      expect(await page.inputValue('#compare-range')).toBe('100');
      await page.keyboard.press('ArrowLeft');
      expect(await page.inputValue('#compare-range')).toBe('99');
      await page.fill('#compare-range', '50');
      await shot(page, '01-first-edit');

      // second edit: seed 42, 3 steps, best of 3, retries 2, and a reference dropped on the drop zone
      await page.click('.param-fields summary');
      await page.fill('#seed', '42');
      await page.fill('#steps', '3');
      await page.fill('#candidates', '3');
      await page.fill('#retries', '2');
      const ref = (await encodePng(createImage(8, 8, [10, 200, 10]))).toString('base64');
      await page.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'style.png', { type: 'image/png' }));
        document
          .getElementById('drop')!
          .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, ref);
      expect(await page.textContent('#picks')).toContain('style.png (reference)');
      await page.fill('#instruction', 'now make it green');
      await page.press('#instruction', 'Enter');
      await headIs(page, 2);
      expect(await progressLog(page)).toEqual(expect.arrayContaining(['Step 1 of 3', 'Step 3 of 3']));
      d = await session();
      const t2 = d.turns[1];
      expect(t2).toMatchObject({ n: 2, parent: 1, seed: 42, steps: 3, candidates: 3, retries: 2 });
      expect(t2.inputs).toHaveLength(2); // turn 1's output, then the reference
      expect(t2.inputs[0]).toBe(t1.output);
      expect(centre(await imageAt(t2.output))).toEqual([0, 255, 0]);
      expect(await turnText(page, 2)).toContain('seed 42 · 3 steps · guidance 2.5 · best of 3 · 48×32 · rotate');
      expect(await turnText(page, 2)).toContain('+1 reference');
      // what the model made of it: the reference's style read, shown with the turn and in its parameters
      const made = `the reference's style read as striped, made as "redraw all the shapes in striped style"`;
      expect(t2.madeAs).toEqual({ edits: ['redraw all the shapes in striped style'], style: 'striped' });
      expect(await turnText(page, 2)).toContain(made);
      // the page told the prompt check how many images each edit gets (the picked one, then the head and a
      // reference), the instruction that made the head's output ("it" may name what it edited) and that the head's
      // colour is known (turn 1 recorded it); the job's notes were checked with the same, so each comes twice
      const asked = checked.filter(([p]) => p === 'make the red square blue' || p === 'now make it green');
      expect([...new Set(asked.map((c) => JSON.stringify(c)))]).toEqual([
        '["make the red square blue",1,null,false]',
        '["now make it green",2,"make the red square blue",true]',
      ]);
      expect(d.turns[0].color).toBe(d.turns[0].inputs[0]);
      expect(await page.textContent('#turn-params')).toContain(`Made as${made}`);
      expect(await page.textContent('#turn-params')).toContain('Retries2');
      expect(await page.textContent('#picks')).toBe(''); // used up
      await shot(page, '02-second-edit');

      // undo with Ctrl+Z (outside the text field, where Ctrl+Z undoes typing)
      await page.click('#timeline-title');
      await page.keyboard.press('Control+z');
      await headIs(page, 1);
      expect((await session()).session).toMatchObject({ head: 1, turnCount: 2 });
      expect(await page.getAttribute('#timeline li[data-turn="1"] button', 'aria-current')).toBe('step');
      // kept, off the path
      expect(await page.getAttribute('#timeline li[data-turn="2"]', 'class')).not.toContain('on-path');
      expect(await page.textContent('#stage-title')).toBe('Turn 1: make the red square blue');
      await shot(page, '03-undo');

      // an edit from turn 1: a branch beside turn 2
      await page.fill('#seed', '');
      await page.fill('#candidates', '');
      await page.fill('#retries', '');
      await page.fill('#instruction', 'make it blue again');
      await page.press('#instruction', 'Enter');
      await headIs(page, 3);
      expect(await page.textContent('#progress-text')).toMatch(
        /^Done: turn 3 in \d+\.\d s; the answer does not show all of "make it blue again" as the editor reads it \(another seed, or more retries, may make it\)$/,
      );
      d = await session();
      expect(d.turns[2]).toMatchObject({ n: 3, parent: 1, steps: 3, candidates: 1, retries: 0 }); // the model's defaults again
      expect(await turnText(page, 3)).toContain('from turn 1'); // shown as a branch
      // the turn records it: its timeline entry and its parameters say it, as `kontext session show` does
      const unshownWords = 'the answer does not show all of "make it blue again" as the editor reads it';
      expect(d.turns[2].unshown).toEqual(['make it blue again']);
      expect(await turnText(page, 3)).toContain(unshownWords);
      expect(await page.textContent('#turn-params')).toContain(`Not shown${unshownWords}`);
      expect(await turnText(page, 1)).not.toContain('does not show');
      // the one-image edits' pictures were read for their shapes (a shape named that is not there is said): the
      // upload at the start (by the job's check; the page has not stored it yet) and turn 1's output, which the
      // page named by its hash; never the two-image edit's
      expect([...new Set(read.map((c) => JSON.stringify(c)))]).toEqual(['[255,0,0]', '[0,0,255]']);
      expect(await page.$$eval('#timeline li', (li) => li.map((x) => (x as HTMLElement).dataset.turn))).toEqual([
        '0',
        '1',
        '2',
        '3',
      ]);

      // click turn 2: the head moves back to it (the next edit would continue from it)
      await page.click('#timeline li[data-turn="2"] button');
      await headIs(page, 2);
      d = await session();
      expect(d.session).toMatchObject({ head: 2, turnCount: 3 });
      expect(d.current).toEqual([1, 2]);
      expect(await page.textContent('#stage-title')).toBe('Turn 2: now make it green');
      expect(
        await page.evaluate(() => (document.activeElement?.closest('li') as HTMLElement | null)?.dataset.turn),
      ).toBe('2'); // focus kept
      await shot(page, '04-branch');

      // reload: the same session, its three turns, turn 2 as the head
      await page.reload();
      await ready(page);
      expect(new URL(page.url()).hash).toBe('#session=s1');
      expect(await page.inputValue('#session-select')).toBe('s1');
      expect(await page.$$eval('#timeline li', (li) => li.map((x) => (x as HTMLElement).dataset.turn))).toEqual([
        '0',
        '1',
        '2',
        '3',
      ]);
      expect(await page.$$eval('#timeline li.is-head', (li) => li.map((x) => (x as HTMLElement).dataset.turn))).toEqual(
        ['2'],
      );
      expect(await page.getAttribute('#timeline li[data-turn="2"] button', 'aria-current')).toBe('step');
      expect(await page.$$eval('#timeline li.on-path', (li) => li.map((x) => (x as HTMLElement).dataset.turn))).toEqual(
        ['0', '1', '2'],
      );
      expect(await turnText(page, 2)).toContain('seed 42');
      expect(await turnText(page, 3)).toContain('from turn 1');
      expect(await page.textContent('#stage-title')).toBe('Turn 2: now make it green');
      expect(await page.getAttribute('#after-img', 'src')).toBe(`images/${t2.output}`);
      await shot(page, '05-reloaded');

      // Esc cancels a running edit; nothing is added
      await page.click('.param-fields summary'); // closed again after the reload
      await page.fill('#steps', '40');
      await page.fill('#instruction', 'something slow');
      await page.press('#instruction', 'Enter');
      await page.waitForFunction(() =>
        /^Step \d+ of 40$/.test(document.getElementById('progress-text')!.textContent ?? ''),
      );
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => document.getElementById('progress-text')!.textContent === 'Cancelled');
      await idle(page);
      expect((await session()).session).toMatchObject({ head: 2, turnCount: 3 });
      expect(await page.inputValue('#instruction')).toBe('something slow'); // kept, to try again

      // a reload while an edit runs: the page picks the job up again and shows its turn when it is done
      await page.fill('#steps', '10');
      await page.press('#instruction', 'Enter');
      await page.waitForFunction(() =>
        /^Step \d+ of 10$/.test(document.getElementById('progress-text')!.textContent ?? ''),
      );
      await page.reload();
      await ready(page);
      await headIs(page, 4);
      expect(await progressLog(page)).toContain('Step 10 of 10');
      expect((await session()).turns[3]).toMatchObject({ n: 4, parent: 2, instruction: 'something slow', steps: 10 });
      expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]); // nothing left to resume
      expect(errors).toEqual([]);
      await page.close();
    } catch (err) {
      await shot(page, 'failure', true).catch(() => {});
      throw err;
    }
  });

  it('text-to-image: a new session, no image, a size; the turn shows alone (nothing to compare)', async () => {
    const { page, errors } = await open();
    try {
      await page.goto(`${s.url}/`);
      await ready(page);
      await page.click('#new-session');
      await page.waitForFunction(() => location.hash === '#session=s2');
      // the page sets the URL before it renders the new session: wait for the render, not only the hash
      await page.waitForFunction(() => document.querySelector('#submit')?.textContent === 'Draw').catch(() => {});
      expect(await page.textContent('#submit')).toBe('Draw');
      await page.click('.param-fields summary');
      await page.fill('#width', '20');
      await page.fill('#height', '10');
      await page.fill('#instruction', 'a red square');
      await page.click('#submit');
      await headIs(page, 1);
      const { body: d } = await call(s, 'GET', '/sessions/s2');
      expect(d.turns[0]).toMatchObject({ n: 1, parent: null, inputs: [], width: 20, height: 10 });
      expect(await page.getAttribute('#compare', 'data-mode')).toBe('single');
      expect(await page.isHidden('#compare-control')).toBe(true);
      expect(await turnText(page, 1)).toContain('text-to-image');
      expect(await page.textContent('#submit')).toBe('Edit'); // the next one edits turn 1
      await shot(page, '08-text-to-image');
      expect(errors).toEqual([]);
      await page.close();
    } catch (err) {
      await shot(page, 'failure-text-to-image', true).catch(() => {});
      throw err;
    }
  });

  it('an Enter pressed while a new session loads is sent once it has loaded, once; unknown words are named', async () => {
    const { page, errors } = await open();
    try {
      await page.goto(`${s.url}/`);
      await ready(page);
      const before = await page.evaluate(() => location.hash);
      // hold the session list back so that the form is still pending when Enter is pressed
      let held = 0;
      await page.route(/\/sessions$/, async (route) => {
        if (route.request().method() === 'GET') {
          held++;
          await sleep(800);
        }
        await route.continue();
      });
      await page.click('#new-session');
      await page.waitForFunction((h) => location.hash !== h, before);
      const id = (await page.evaluate(() => location.hash)).replace('#session=', '');
      await page.fill('#instruction', 'a red square');
      expect(await page.getAttribute('#edit-form', 'data-state')).toBe('pending');
      await page.press('#instruction', 'Enter');
      await headIs(page, 1);
      expect(held).toBeGreaterThan(0);
      const { body: d } = await call(s, 'GET', `/sessions/${id}`);
      expect(d.turns.map((t: { instruction: string }) => t.instruction)).toEqual(['a red square']);
      expect(await page.textContent('#note')).toBe('');
      // an Enter while the edit runs is answered, not dropped without a word, and sends nothing; a word the model
      // does not know is named beside the edit
      await page.fill('#instruction', 'make it crimson');
      await page.press('#instruction', 'Enter');
      await page.waitForSelector('#edit-form[data-state="running"]');
      await page.press('#instruction', 'Enter');
      expect(await page.textContent('#error')).toBe('an edit is still running: wait for it, or press Esc to cancel it');
      await page.waitForFunction(() => document.getElementById('note')!.textContent !== '');
      expect(await page.textContent('#note')).toMatch(
        /^The model does not know "crimson" and reads it without meaning/,
      );
      expect(await page.textContent('#note')).not.toContain('kontext models'); // a web user has no CLI to run
      await headIs(page, 2);
      expect(await page.textContent('#error')).toBe(''); // the edit is over: the message went with it
      expect((await call(s, 'GET', `/sessions/${id}`)).body.turns).toHaveLength(2);
      expect(errors).toEqual([]);
      await page.close();
    } catch (err) {
      await shot(page, 'failure-queued-enter', true).catch(() => {});
      throw err;
    }
  });

  it('notes a picked image with transparent pixels (the model sees the colours stored under them)', async () => {
    const { page, errors } = await open();
    const sprite = join(work, 'sprite.png');
    const rgba = Buffer.alloc(8 * 8 * 4); // transparent black, but for the top half, opaque white
    rgba.fill(255, 0, 8 * 4 * 4);
    await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } })
      .png()
      .toFile(sprite);
    const opaque = join(work, 'opaque.png');
    await writeFile(opaque, await encodePng(scene()));
    try {
      await page.goto(`${s.url}/`);
      await ready(page);
      const before = await page.evaluate(() => location.hash);
      await page.click('#new-session');
      await page.waitForFunction((h) => location.hash !== h, before);
      await idle(page);
      await page.setInputFiles('#file-input', [opaque, sprite]); // only the transparent one is named
      await page.waitForFunction(() => document.getElementById('note')!.textContent !== '');
      expect(await page.textContent('#note')).toBe(
        'sprite.png is 50.0 % transparent: the model sees the colours stored under its transparent pixels ' +
          '(often black), and the answer is opaque. Flatten it onto a background first if that is not what you want.',
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('fits a phone (one column, timeline under the editor, no sideways scroll), a laptop (two columns)', async () => {
    const { page, errors } = await open({ width: 390, height: 844 });
    try {
      await page.goto(`${s.url}/#session=s1`);
      await ready(page);
      await page.waitForSelector('#timeline li.is-head');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
      const [stage, composer, timeline] = [await box('.stage'), await box('.composer'), await box('.timeline-panel')];
      expect(stage.y < composer.y && composer.y < timeline.y).toBe(true);
      expect(timeline.x + timeline.width).toBeLessThanOrEqual(390);
      // the skip link is the first stop and leads to the instruction, keeping the session in the URL
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('instruction');
      expect(new URL(page.url()).hash).toBe('#session=s1');
      // focus is visible: a button reached by keyboard gets an outline
      await page.focus('#new-session');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Shift+Tab');
      expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
      await shot(page, '06-phone', true);
      // a small laptop: two columns, the timeline beside the picture
      await page.setViewportSize({ width: 1024, height: 700 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
      const [stage2, timeline2] = [await box('.stage'), await box('.timeline-panel')];
      expect(timeline2.x).toBeGreaterThan(stage2.x + stage2.width - 1);
      await shot(page, '07-small-laptop');
      expect(errors).toEqual([]);
      await page.close();
    } catch (err) {
      await shot(page, 'failure-phone', true).catch(() => {});
      throw err;
    }
  });
});
