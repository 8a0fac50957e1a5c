// The web app's files over HTTP (no browser): GET / is the page, GET /web/:file serves exactly the allow-list,
// with the right types, a Content-Security-Policy and ETags; anything else, including traversal attempts and
// names that exist elsewhere in the repository or on Object.prototype, is a 404 JSON error.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR, WEB_FILES, WEB_PAGE } from '../../src/service/routes/web.ts';
import { rawRequest, startTestService, type TestService } from '../service/helpers.ts';

let s: TestService;
beforeAll(async () => void (s = await startTestService()));
afterAll(async () => s.dispose());

describe('the web app, served', () => {
  it('GET / is the page: HTML with a strict Content-Security-Policy, revalidated by ETag', async () => {
    const r = await fetch(`${s.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const html = await r.text();
    expect(html).toContain('<script type="module" src="web/app.js">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script (the CSP would block it anyway)
    expect(html).not.toMatch(/\sstyle="/); // no inline style attributes either
    const etag = r.headers.get('etag')!;
    expect((await fetch(`${s.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('GET /web/:file serves each allow-listed file with its type, byte for byte', async () => {
    for (const [name, type] of WEB_FILES) {
      const r = await fetch(`${s.url}/web/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type'), name).toBe(type);
      expect(r.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(Buffer.from(await r.arrayBuffer()).equals(await readFile(new URL(name, WEB_DIR))), name).toBe(true);
    }
  });

  it('the allow-list and the folder agree, and every file the app loads is on the list', async () => {
    const onDisk = (await readdir(fileURLToPath(WEB_DIR))).sort();
    expect(onDisk).toEqual([WEB_PAGE, ...WEB_FILES.keys()].sort());
    // every relative import of a module and every file the page links is served
    const wanted = new Set<string>();
    for (const name of WEB_FILES.keys()) {
      if (!name.endsWith('.js')) continue;
      const src = await readFile(new URL(name, WEB_DIR), 'utf8');
      for (const [, f] of src.matchAll(/from '\.\/([^']+)'/g)) wanted.add(f);
    }
    const page = await readFile(new URL(WEB_PAGE, WEB_DIR), 'utf8');
    for (const [, f] of page.matchAll(/(?:src|href)="web\/([^"]+)"/g)) wanted.add(f);
    expect(wanted.size).toBeGreaterThanOrEqual(4);
    for (const f of wanted) expect(WEB_FILES.has(f), f).toBe(true);
  });

  it('anything else under /web/ is a 404 JSON error: other files, traversal, prototype names', async () => {
    const names = [
      'index.html', // the page is at / only
      'web.ts',
      'server.ts',
      'package.json',
      '..',
      '%2e%2e',
      '..%2fapp.ts',
      '..%2F..%2F..%2Fpackage.json',
      '%2e%2e%2f%2e%2e%2fserver.ts',
      '..%5cserver.ts',
      '%2Fetc%2Fpasswd',
      'app.js%00',
      'APP.JS',
      'app.js.map',
      'app.js%2f',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
    ];
    for (const name of names) {
      const r = await rawRequest(s, 'GET', `/web/${name}`);
      const what = `/web/${name} -> ${r.status} ${r.body}`;
      expect(r.status, what).toBe(404);
      expect(r.type, what).toMatch(/^application\/json/);
      expect(JSON.parse(r.body).error, what).toMatch(/^no (file|route)/);
    }
    // more than one segment: no route at all
    for (const path of ['/web/../package.json', '/web/./app.js/x', '/web/', '/web']) {
      const r = await rawRequest(s, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.type, path).toMatch(/^application\/json/);
    }
  });
});
