// Path traversal: every route that takes an id or a hash refuses '../', its URL-encoded forms, backslashes, NUL
// and absolute paths with a 4xx JSON error; nothing outside the data folder is ever read or written.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64png, call, finished, rawRequest, solid, startTestService, tempDir, type TestService } from './helpers.ts';

let root: string;
let s: TestService;
const SECRET = 'TOP SECRET, outside the data folder';
beforeAll(async () => {
  root = await tempDir('kontext-traversal-');
  await writeFile(join(root, 'secret.png'), SECRET);
  await mkdir(join(root, 'data'));
  s = await startTestService({ data: join(root, 'data') });
});
afterAll(async () => {
  await s.dispose();
  const { rm } = await import('node:fs/promises');
  await rm(root, { recursive: true, force: true });
});

/** What an attacker puts where an id goes: raw, encoded, double-dot variants, absolute, backslash, NUL. */
const evil = () => [
  '..',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '..%2fsecret.png',
  '..%2F..%2Fsecret.png',
  '%2e%2e%2f%2e%2e%2fsecret.png',
  '%2e%2e%2fsecret',
  '..%5c..%5csecret.png',
  `%2F${encodeURIComponent(root.slice(1))}%2Fsecret.png`, // the absolute path of the secret, encoded
  '%2Fetc%2Fpasswd',
  'secret.png%00',
  '../secret.png', // multi-segment: the router finds no route at all
  '../../etc/passwd',
];

const ROUTES: [string, string, unknown?][] = [
  ['GET', '/jobs/ID'],
  ['GET', '/jobs/ID/events'],
  ['DELETE', '/jobs/ID'],
  ['GET', '/images/ID'],
  ['GET', '/sessions/ID'],
  ['POST', '/sessions/ID/undo'],
  ['POST', '/sessions/ID/branch', { turn: 1 }],
  ['POST', '/sessions/ID/turns', { instruction: 'x' }],
  ['GET', '/web/ID'], // the web app's files: an allow-list, so nothing else is found
];

describe('path traversal', () => {
  it('every id and hash route answers 4xx JSON for every traversal attempt, and never shows the secret', async () => {
    await call(s, 'POST', '/sessions', { name: 'real' }); // so that refusals are not just "no such thing"
    for (const [method, pattern, body] of ROUTES) {
      for (const e of evil()) {
        const path = pattern.replace('ID', e);
        const r = await rawRequest(s, method, path, body === undefined ? undefined : JSON.stringify(body));
        const what = `${method} ${path} -> ${r.status} ${r.body}`;
        expect(r.status >= 400 && r.status < 500, what).toBe(true);
        expect(r.type, what).toMatch(/^application\/json/);
        expect(typeof JSON.parse(r.body).error, what).toBe('string');
        expect(r.body, what).not.toContain('TOP SECRET');
      }
    }
  });

  it('a well-formed id is refused by shape before any lookup: 400 naming what an id looks like', async () => {
    expect((await rawRequest(s, 'GET', '/images/%2e%2e%2fsecret.png')).body).toContain(
      'is not an image hash (64 lower-case hex digits',
    );
    expect((await rawRequest(s, 'GET', '/jobs/..%2F..%2Fjobs.db')).body).toContain('is not a job id');
    expect((await rawRequest(s, 'GET', '/sessions/%2Fetc%2Fpasswd')).body).toContain('is not a session name');
    expect((await call(s, 'POST', '/sessions', { name: '../../evil' })).status).toBe(400);
  });

  it('uploads and outputs land only in <data>/images, named by their hash', async () => {
    const job = (await call(s, 'POST', '/edit', { prompt: 'x', images: [await b64png(solid([4, 5, 6]))] })).body;
    const { result } = await finished(s, job.id);
    expect((await rawRequest(s, 'GET', `/images/${result.image}`)).status).toBe(200);
    expect((await readdir(root)).sort()).toEqual(['data', 'secret.png']); // nothing written beside the data folder
    const images = await readdir(join(root, 'data', 'images'));
    expect(images.every((f) => /^[0-9a-f]{64}\.png$/.test(f))).toBe(true);
  });
});
