// The engine in a browser page: src/browser/page.ts bundled with esbuild (src/browser/bundle.ts), served from
// loopback with onnxruntime-web's .wasm files and the reference fixtures, run in Debian's Chromium (playwright-core;
// see test/web/chromium.ts for KONTEXT_SKIP_BROWSER and KONTEXT_CHROMIUM). The page builds the graphs with the
// same model code and serializer as Node, runs them on onnxruntime-web and compares with the PyTorch reference.
//
// WebAssembly must match as the Node CPU provider does (1e-4). WebGPU runs where the page gets an adapter:
// headless Chromium with --enable-unsafe-webgpu has SwiftShader's, whose WGSL sin/cos are off by ~1.9e-4
// absolute (the WGSL spec allows 2^-11), so the RoPE table and the timestep embedding, and the transformer
// outputs after them, are held to 5e-4; the autoencoder, which has no trigonometry, to 1e-4.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../src/browser/bundle.ts';
import type { BrowserCaseResult } from '../../src/browser/verify.ts';
import { FIXTURES } from '../fixtures-path.ts';
import { launchChromium, SKIP_BROWSER } from '../web/chromium.ts';
import { type PageServer, servePage } from './serve.ts';

const run = promisify(execFile);
const entry = (rel: string) => fileURLToPath(new URL(`../../src/${rel}`, import.meta.url));

let browser: Browser;
let server: PageServer;
let page: Page;
let noBrowser: Error | undefined;
const pageErrors: string[] = [];

/** Run fixture cases in the page on one execution provider. */
const verifyInPage = (names: string[], executionProvider: 'wasm' | 'webgpu'): Promise<BrowserCaseResult[]> =>
  page.evaluate(
    ([names, executionProvider]) => {
      const k = (
        globalThis as unknown as {
          kontext: { setWasmPaths(p: string): void; verifyCases(...a: unknown[]): Promise<BrowserCaseResult[]> };
        }
      ).kontext;
      k.setWasmPaths('/ort/');
      return k.verifyCases('/fixtures', names, { executionProvider });
    },
    [names, executionProvider] as const,
  );

const outputs = (rs: BrowserCaseResult[]) =>
  rs.flatMap((r) => r.outputs.map((o) => [`${r.name}:${o.name}`, o.relErr] as const));

describe('engine bundle', () => {
  it('bundles model code with the browser engine in place of the Node one', async () => {
    const js = await bundleForBrowser(entry('browser/page.ts'));
    expect(js).not.toContain('onnxruntime-node');
    expect(js).toContain('MultiHeadAttention'); // the graph builder's ops are in
    expect(js).toContain('InferenceSession'); // and onnxruntime-web
  });

  it('a Node-only function a page calls throws naming itself; pure functions of the same module work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-bundle-'));
    try {
      const io = entry('io/safetensors.ts');
      await writeFile(
        join(dir, 'entry.ts'),
        `import { parseSafetensorsBytes, SafetensorsFile } from ${JSON.stringify(io)};
const json = new TextEncoder().encode('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
const bytes = new Uint8Array(8 + json.length + 4);
new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
bytes.set(json, 8);
console.log([...parseSafetensorsBytes(bytes).entries.keys()].join());
SafetensorsFile.open('/x').catch((e) => console.log(e.message));`,
      );
      await writeFile(join(dir, 'bundle.mjs'), await bundleForBrowser(join(dir, 'entry.ts')));
      const { stdout } = await run(process.execPath, [join(dir, 'bundle.mjs')]);
      expect(stdout.trim().split('\n')).toEqual(['x', 'node:os.endianness is not available in a browser']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a page that reaches onnxruntime-node around the seam, naming the importer', async () => {
    await expect(bundleForBrowser(entry('engine/session.ts'))).rejects.toThrow(
      /onnxruntime-node cannot run in a browser \(imported by .*src\/engine\/session\.ts\)/,
    );
  });
});

describe.skipIf(SKIP_BROWSER)('engine in Chromium (onnxruntime-web)', () => {
  beforeAll(async () => {
    try {
      browser = await launchChromium({ webgpu: true });
    } catch (err) {
      noBrowser = err as Error;
      return;
    }
    server = await servePage(await bundleForBrowser(entry('browser/page.ts')), FIXTURES);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => 'kontext' in globalThis);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('WebAssembly: flux-tiny and the other reference cases match within 1e-4', async () => {
    if (noBrowser) throw noBrowser;
    const rs = await verifyInPage(['flux-tiny', 'flux-tiny-t2i-noguid', 'flux-tiny-denoise', 'ae-tiny'], 'wasm');
    expect(rs.map((r) => r.kind)).toEqual(['transformer', 'transformer', 'denoise', 'autoencoder']);
    const flux = rs[0].outputs.map((o) => o.name);
    expect(flux).toEqual(
      expect.arrayContaining(['out.full', 'out.target', 'trace.pe', 'trace.double.1.img', 'trace.single.1.out']),
    );
    const all = outputs(rs);
    expect(all.length).toBeGreaterThan(30);
    for (const [name, err] of all) expect(err, name).toBeLessThanOrEqual(1e-4);
    expect(pageErrors).toEqual([]);
  });

  it('WebGPU: runs where the page has an adapter (SwiftShader headless), within its sin/cos precision', async () => {
    if (noBrowser) throw noBrowser;
    const gpu = await page.evaluate(() =>
      (
        globalThis as unknown as { kontext: { webgpu(): Promise<{ present: boolean; adapter: string | null }> } }
      ).kontext.webgpu(),
    );
    if (!gpu.adapter) {
      console.warn(
        `WebGPU: navigator.gpu ${gpu.present ? 'present but no adapter' : 'absent'} in this Chromium; ` +
          `only the error path is checked`,
      );
      return;
    }
    const rs = await verifyInPage(['flux-tiny', 'ae-tiny'], 'webgpu');
    const err = Object.fromEntries(outputs(rs));
    // the input projections have no trigonometry: GPU MatMul is as exact as the CPU's
    expect(err['flux-tiny:trace.img_in.out']).toBeLessThanOrEqual(1e-6);
    expect(err['flux-tiny:trace.txt_in.out']).toBeLessThanOrEqual(1e-6);
    for (const [name, e] of Object.entries(err))
      expect(e, `${name} on ${gpu.adapter}`).toBeLessThanOrEqual(name.startsWith('ae-tiny') ? 1e-4 : 5e-4);
    expect(pageErrors).toEqual([]);
  });

  it('WebGPU without an adapter: the page gets a clear error, never a silent run on WebAssembly', async () => {
    if (noBrowser) throw noBrowser;
    const plain = await launchChromium(); // the GPU process off: navigator.gpu grants no adapter
    try {
      const p = await plain.newPage();
      await p.goto(`${server.url}/`);
      await p.waitForFunction(() => 'kontext' in globalThis);
      const tried = p.evaluate(() => {
        const k = (
          globalThis as unknown as {
            kontext: { setWasmPaths(p: string): void; verifyCases(...a: unknown[]): Promise<unknown> };
          }
        ).kontext;
        k.setWasmPaths('/ort/');
        return k.verifyCases('/fixtures', ['ae-tiny'], { executionProvider: 'webgpu' });
      });
      await expect(tried).rejects.toThrow(/\[webgpu\].*adapter/);
    } finally {
      await plain.close();
    }
  });
});
