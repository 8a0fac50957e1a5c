// Every limit answers with its 4xx and a message that names it (and the option that sets it), before any work is
// queued; malformed requests are 4xx with a message saying what is wrong.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng } from '../../src/image/rgb.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64png, call, finished, solid, startTestService, type TestService } from './helpers.ts';

let s: TestService;
beforeAll(
  async () =>
    void (s = await startTestService({
      model: 'slow:40',
      maxQueue: 1,
      maxSteps: 10,
      maxCandidates: 2,
      maxRetries: 1,
      maxPixels: 100,
      maxBodyBytes: 64 * 1024,
      maxImages: 2,
      maxPromptChars: 50,
    })),
);
afterAll(async () => s.dispose());

const small = () => b64png(solid([1, 2, 3], 10, 10)); // exactly 100 pixels

describe('limits', () => {
  it('body size: 413, naming --max-body', async () => {
    const r = await call(s, 'POST', '/edit', { prompt: 'x', images: ['A'.repeat(70 * 1024)] });
    expect(r.status).toBe(413);
    expect(r.body.error).toBe(
      "the request body is larger than this server's limit of 65536 bytes (0.1 MiB, --max-body); send smaller images",
    );
  });

  it('image pixels: 413, naming the image and --max-pixels (uploads and requested sizes)', async () => {
    const big = await b64png(solid([1, 2, 3], 11, 10));
    const edit = await call(s, 'POST', '/edit', { prompt: 'x', images: [await small(), big] });
    expect(edit).toMatchObject({
      status: 413,
      body: { error: "images[1] is 11x10 = 110 pixels, above this server's limit of 100 pixels (--max-pixels)" },
    });
    const gen = await call(s, 'POST', '/generate', { prompt: 'x', width: 20, height: 20 });
    expect(gen).toMatchObject({
      status: 413,
      body: {
        error: "the requested image is 20x20 = 400 pixels, above this server's limit of 100 pixels (--max-pixels)",
      },
    });
    await call(s, 'POST', '/sessions', { name: 'p' });
    expect((await call(s, 'POST', '/sessions/p/turns', { instruction: 'x', images: [big] })).status).toBe(413);
  });

  it('steps: 400, naming --max-steps', async () => {
    const r = await call(s, 'POST', '/generate', { prompt: 'x', width: 5, height: 5, steps: 11 });
    expect(r).toMatchObject({
      status: 400,
      body: { error: "steps 11 is above this server's limit of 10 (--max-steps)" },
    });
    await call(s, 'POST', '/sessions', { name: 'st' });
    expect(
      (await call(s, 'POST', '/sessions/st/turns', { instruction: 'x', steps: 11, width: 5, height: 5 })).body.error,
    ).toMatch(/--max-steps/);
  });

  it('candidates (best of n): 400, naming --max-candidates; outside 1-16 the schema refuses it', async () => {
    expect(await call(s, 'POST', '/generate', { prompt: 'x', width: 5, height: 5, candidates: 3 })).toMatchObject({
      status: 400,
      body: { error: "candidates 3 is above this server's limit of 2 (--max-candidates)" },
    });
    const img = await small();
    expect((await call(s, 'POST', '/edit', { prompt: 'x', images: [img], candidates: 3 })).body.error).toMatch(
      /--max-candidates/,
    );
    await call(s, 'POST', '/sessions', { name: 'bo' });
    expect((await call(s, 'POST', '/sessions/bo/turns', { instruction: 'x', candidates: 3 })).body.error).toMatch(
      /--max-candidates/,
    );
    for (const candidates of [0, 17, 1.5]) {
      const r = await call(s, 'POST', '/generate', { prompt: 'x', candidates });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/candidates/);
    }
  });

  it('retries: 400, naming --max-retries; outside 0-8, or on a text-to-image request, the schema refuses it', async () => {
    const img = await small();
    expect(await call(s, 'POST', '/edit', { prompt: 'x', images: [img], retries: 2 })).toMatchObject({
      status: 400,
      body: { error: "retries 2 is above this server's limit of 1 (--max-retries)" },
    });
    await call(s, 'POST', '/sessions', { name: 'rt' });
    expect((await call(s, 'POST', '/sessions/rt/turns', { instruction: 'x', retries: 2 })).body.error).toBe(
      "retries 2 is above this server's limit of 1 (--max-retries)",
    );
    for (const retries of [-1, 9, 0.5]) {
      const r = await call(s, 'POST', '/edit', { prompt: 'x', images: [img], retries });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/retries/);
    }
    // text-to-image has no edit to read in its answer: nothing to sample again for
    const t2i = await call(s, 'POST', '/generate', { prompt: 'x', width: 5, height: 5, retries: 1 });
    expect(t2i.status).toBe(400);
    expect(t2i.body.error).toMatch(/retries/);
  });

  it('image count and prompt length: 400 with the limit', async () => {
    const img = await small();
    expect((await call(s, 'POST', '/edit', { prompt: 'x', images: [img, img, img] })).body).toEqual({
      error: '3 images given; this server takes at most 2 per request',
    });
    expect((await call(s, 'POST', '/generate', { prompt: 'y'.repeat(51) })).body).toEqual({
      error: "prompt is 51 characters, above this server's limit of 50",
    });
  });

  it('queue length: 429 with Retry-After, naming --max-queue; accepted again once there is room', async () => {
    const running = (await call(s, 'POST', '/generate', { prompt: 'a', width: 5, height: 5, steps: 10 })).body;
    const waiting = await call(s, 'POST', '/generate', { prompt: 'b', width: 5, height: 5, steps: 1 });
    expect(waiting.status).toBe(202);
    const refused = await call(s, 'POST', '/generate', { prompt: 'c', width: 5, height: 5 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.body.error).toBe(
      "the job queue is full: 1 jobs are waiting and this server's limit is 1 (--max-queue); " +
        'try again when one has finished',
    );
    const before = (await readdir(join(s.dir, 'images'))).length;
    const edit = await call(s, 'POST', '/edit', { prompt: 'e', images: [await b64png(solid([9, 8, 7], 5, 5))] });
    expect(edit.status).toBe(429);
    expect((await readdir(join(s.dir, 'images'))).length).toBe(before); // refused before its upload was stored
    await finished(s, running.id);
    await finished(s, waiting.body.id);
    expect((await call(s, 'POST', '/generate', { prompt: 'd', width: 5, height: 5, steps: 1 })).status).toBe(202);
  });

  it('malformed requests: 400/415 saying what is wrong', async () => {
    const noise = solid([0, 0, 0], 10, 10);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = (i * 7919) % 251; // incompressible, so the PNG is long
    const png = await encodePng(noise);
    const truncated = png.subarray(0, png.length >> 1);
    const cases: [string, unknown, number, string | RegExp][] = [
      ['/generate', { prompt: 'x', step: 3 }, 400, "body has an unknown field 'step'"],
      ['/generate', { prompt: 'x', steps: '3' }, 400, 'body.steps must be integer'],
      ['/generate', { prompt: 'x', steps: 0 }, 400, 'body.steps must be >= 1'],
      ['/generate', { prompt: 'x', seed: -1 }, 400, 'body.seed must be >= 0'],
      ['/generate', { prompt: 'x', seed: 2 ** 32 }, 400, 'body.seed must be <= 4294967295'],
      ['/generate', {}, 400, "body must have required property 'prompt'"],
      ['/generate', { prompt: '   ' }, 400, /^prompt is empty/],
      ['/edit', { prompt: 'x', images: [] }, 400, 'body.images must NOT have fewer than 1 items'],
      ['/edit', { prompt: 'x', images: ['not base64!'] }, 400, /^images\[0\] is not base64/],
      [
        '/edit',
        { prompt: 'x', images: [Buffer.from('GIF89a....').toString('base64')] },
        400,
        'images[0] is not a PNG or JPEG file (its first bytes say otherwise)',
      ],
      [
        '/edit',
        { prompt: 'x', images: [Buffer.from('\x89PNG\r\n\x1a\n no header', 'latin1').toString('base64')] },
        400,
        /^images\[0\] cannot be read as an image/,
      ],
      [
        '/edit',
        { prompt: 'x', images: [truncated.toString('base64')] },
        400,
        /truncated or corrupt|cannot read an image/,
      ], // header fine, pixels cut off
      ['/sessions', { name: '../x' }, 400, /is not a session name/],
      ['/sessions/p/branch', {}, 400, "body must have required property 'turn'"],
      ['/generate', '{"prompt": ', 400, /JSON/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await call(s, 'POST', path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error).toMatch(message);
    }
    const form = await fetch(`${s.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'prompt=x',
    });
    expect(form.status).toBe(415);
    expect((await form.json()).error).toBe("send a JSON body with Content-Type: application/json (got 'text/plain')");
  });
});
