// `npm run bench -- --only mini-browser`: kontext-mini inside Chromium (the `kontext page` folder, onnxruntime-web
// WebAssembly): time to a ready page, the page's warm-up edit after it (sessions compiled, WebAssembly warmed up),
// the first edit after the warm-up and the later ones (median of 4), cross-origin isolated (two threads here) and
// as a plain host serves it (one thread). Debian's Chromium through playwright-core; the example image, the page's
// default instruction, seed 0.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePage } from '../src/browser/export-page.ts';
import { serveFolder } from '../src/browser/static-server.ts';
import { EMBEDDED_MODEL } from '../src/mini/embedded.ts';
import { launchChromium } from '../test/web/chromium.ts';

const WARM_EDITS = 4;

export async function benchMiniBrowser(dir = EMBEDDED_MODEL): Promise<Record<string, number | string>> {
  const site = await mkdtemp(join(tmpdir(), 'kontext-bench-page-'));
  const browser = await launchChromium();
  const out: Record<string, number | string> = {};
  try {
    await writePage(site, { model: dir, force: true });
    for (const isolated of [true, false]) {
      const server = await serveFolder(site, { isolated });
      const page = await browser.newPage();
      const statusStartsWith = (prefix: string) =>
        page.waitForFunction((p) => document.getElementById('status')!.textContent!.startsWith(p), prefix, {
          timeout: 300_000,
        });
      try {
        const t0 = performance.now();
        await page.goto(server.url);
        await statusStartsWith('Ready');
        const ready = performance.now() - t0;
        const threads = Number(/(\d+) threads?/.exec((await page.textContent('#status')) ?? '')?.[1] ?? 0);
        // the page's warm-up edit (mini-page.ts), which a user's first edit waits for if it comes sooner
        const tw = performance.now();
        await page.waitForFunction(
          () =>
            (window as unknown as { kontextPage: { state: { warming: unknown } } }).kontextPage.state.warming === null,
          null,
          { timeout: 300_000 },
        );
        const warmUp = performance.now() - tw;
        const times: number[] = [];
        for (let i = 0; i <= WARM_EDITS; i++) {
          await page.evaluate(() => {
            document.getElementById('status')!.textContent = '';
          });
          const t = performance.now();
          await page.click('#edit');
          await statusStartsWith('Done');
          times.push(performance.now() - t);
        }
        const warm = times.slice(1).sort((a, b) => a - b);
        const key = isolated ? 'miniBrowser' : 'miniBrowser1t';
        out[`${key}Threads`] = threads;
        out[`${key}ReadyMs`] = Math.round(ready);
        out[`${key}WarmUpMs`] = Math.round(warmUp);
        out[`${key}FirstEditAfterWarmUpMs`] = Math.round(times[0]!);
        out[`${key}WarmEditMs`] = Math.round((warm[1]! + warm[2]!) / 2);
      } finally {
        await page.close();
        await server.close();
      }
    }
  } finally {
    await browser.close();
    await rm(site, { recursive: true, force: true });
  }
  return out;
}
