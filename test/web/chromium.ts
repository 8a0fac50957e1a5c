// A real browser for the web app's end-to-end tests: Debian's Chromium (apt-get install chromium), driven by
// playwright-core (which downloads no browser of its own).
//
// If Chromium cannot be found or launched the tests FAIL, saying why and how to fix it; they are skipped only
// when KONTEXT_SKIP_BROWSER=1 is set. KONTEXT_CHROMIUM=/path/to/chrome picks another binary.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

export const SKIP_BROWSER = process.env.KONTEXT_SKIP_BROWSER === '1';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

const HOW_TO_FIX =
  'install it with `apt-get install -y chromium` (.ci/run does this), point KONTEXT_CHROMIUM at a Chrome or Chromium ' +
  'binary, or set KONTEXT_SKIP_BROWSER=1 to skip the browser tests';

export function chromiumPath(): string {
  const given = process.env.KONTEXT_CHROMIUM;
  if (given) {
    if (!existsSync(given)) throw new Error(`KONTEXT_CHROMIUM=${given} does not exist; ${HOW_TO_FIX}`);
    return given;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `the browser tests need Chromium, and none was found (looked for ${CANDIDATES.join(', ')}); ${HOW_TO_FIX}`,
    );
  return found;
}

/**
 * `webgpu`: offer navigator.gpu (headless Chromium then gets SwiftShader's software adapter, shipped with the
 * browser); otherwise the GPU process is off, as the web app needs none.
 */
export async function launchChromium(o: { webgpu?: boolean } = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      timeout: 60_000,
      // --no-sandbox: Chromium refuses its sandbox as root (CI containers); /dev/shm is small in containers
      args: [
        '--no-sandbox',
        '--disable-dev-shm-usage',
        o.webgpu ? '--enable-unsafe-webgpu' : '--disable-gpu',
        '--no-first-run',
        '--disable-extensions',
      ],
    });
  } catch (err) {
    // Playwright's message, then the browser's own stderr lines (the usual cause: a missing library, no sandbox)
    const lines = String((err as Error)?.message ?? err).split('\n');
    const said = lines
      .filter((l) => /\[err\]/.test(l))
      .slice(0, 3)
      .map((l) => l.replace(/^.*?\[err\]\s*/, ''));
    const why = [lines[0], ...said].filter(Boolean).join(' | ');
    throw new Error(`Chromium (${executablePath}) could not be launched: ${why}; ${HOW_TO_FIX}`);
  }
}

/** Where screenshots go: test-artifacts/web/ at the repository root (git-ignored). */
export const ARTIFACTS = new URL('../../test-artifacts/web/', import.meta.url);

/** The screenshots folder, emptied (no stale failure shots from an earlier run). */
export async function artifactsDir(): Promise<URL> {
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}
