// Promises of SECURITY.md that no other test states on its own: `kontext serve` listens on the loopback address
// unless told otherwise, every request limit has a finite default, and the input bounds are what SECURITY.md says.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_METADATA_BYTES } from '../../src/bench/kontextbench.ts';
import { MAX_INPUT_PIXELS } from '../../src/image/rgb.ts';
import { MAX_HEADER_BYTES } from '../../src/io/safetensors.ts';
import { DEFAULT_LIMITS, DEFAULTS, resolveOptions } from '../../src/service/options.ts';
import { startService } from '../../src/service/server.ts';

describe('secure defaults', () => {
  it('kontext serve listens on 127.0.0.1 when no --host is given', async () => {
    expect(DEFAULTS.host).toBe('127.0.0.1');
    expect(resolveOptions({}).host).toBe('127.0.0.1');
    const data = await mkdtemp(join(tmpdir(), 'kontext-sec-'));
    const s = await startService({ model: 'identity', port: 0, data });
    try {
      expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
      const address = s.app.server.address();
      expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
    } finally {
      await s.close();
      await rm(data, { recursive: true, force: true });
    }
  });

  it('every request limit of the service has a finite default', () => {
    for (const [k, v] of Object.entries(DEFAULT_LIMITS)) expect(Number.isSafeInteger(v) && v >= 1, k).toBe(true);
    expect(DEFAULT_LIMITS).toEqual({
      maxQueue: 16,
      maxSteps: 50,
      maxCandidates: 4,
      maxRetries: 4,
      maxPixels: 4 * 2 ** 20,
      maxBodyBytes: 32 * 2 ** 20,
      maxImages: 4,
      maxPromptChars: 2000,
    });
  });

  it('the input bounds are the ones SECURITY.md states', () => {
    expect(MAX_HEADER_BYTES).toBe(100_000_000);
    expect(MAX_INPUT_PIXELS).toBe(64 * 2 ** 20);
    expect(MAX_METADATA_BYTES).toBe(256_000_000);
  });
});
