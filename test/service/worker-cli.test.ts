// `kontext worker` and `kontext serve --redis` refuse what cannot work with one line and exit 2, before loading a
// model: no or a malformed --redis, a data folder that is not the API's, a Redis nobody answers at.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/session/store.ts';
import { cli } from '../cli/helpers.ts';
import { tempDir } from './helpers.ts';

describe('kontext worker / serve --redis: mistakes', () => {
  let data: string;
  beforeAll(async () => {
    data = await tempDir('kontext-worker-');
    (await SessionStore.open(data)).close();
  });
  afterAll(() => rm(data, { recursive: true, force: true }));

  it('one line and exit 2', async () => {
    const missing = join(data, 'elsewhere');
    const cases: [string[], string][] = [
      [
        ['worker'],
        "kontext worker: --redis URL is required: the Redis of 'kontext serve --redis URL' " +
          '(e.g. redis://127.0.0.1:6379)',
      ],
      [
        ['worker', '--redis', 'localhost:6379', '--data', data],
        "kontext worker: --redis must be a redis:// or rediss:// URL, got 'localhost:6379'",
      ],
      [
        ['worker', '--redis', 'not a url', '--data', data],
        "kontext worker: --redis must be a URL like redis://127.0.0.1:6379, got 'not a url'",
      ],
      [
        ['worker', '--redis', 'redis://127.0.0.1:1', '--data', missing],
        `kontext worker: data folder ${missing} has no sessions.db: ` +
          `give the --data of the \`kontext serve --redis\` process (workers and API share it), and start that first`,
      ],
      [
        ['worker', '--redis', 'redis://127.0.0.1:1', '--data', data],
        'kontext worker: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; ' +
          'is redis-server running there?',
      ],
      [
        ['worker', '--redis', 'redis://u:secret@127.0.0.1:1', '--data', data],
        'kontext worker: cannot reach Redis at redis://u:***@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; ' +
          'is redis-server running there?',
      ],
      [
        ['worker', '--redis', 'redis://127.0.0.1:1', '--stall-timeout', '0'],
        "kontext worker: --stall-timeout must be a number from 0.1 to 86400, got '0'",
      ],
      [['worker', 'extra'], "kontext worker: unexpected argument 'extra'; see 'kontext worker --help'"],
      [
        ['serve', '--redis', 'redis://127.0.0.1:1', '--model', 'identity', '--data', data],
        'kontext serve: --model belongs to the workers when jobs go to Redis: kontext worker --redis URL --model SPEC',
      ],
      [
        ['serve', '--check-model', 'mini', '--data', data],
        'kontext serve: --check-model is for --redis: without it this process loads --model and checks with it',
      ],
      [
        ['serve', '--redis', 'redis://127.0.0.1:1', '--concurrency', '2', '--data', data],
        'kontext serve: --concurrency belongs to the workers when jobs go to Redis: ' +
          'kontext worker --redis URL --concurrency N',
      ],
      [
        ['serve', '--redis', 'redis://127.0.0.1:1', '--port', '0', '--data', data],
        'kontext serve: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; ' +
          'is redis-server running there?',
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect([r.code, r.errors], argv.join(' ')).toEqual([2, [message]]);
    }
  });

  it('--help says how to run workers', async () => {
    const r = await cli('worker', '--help');
    expect(r.code).toBe(0);
    expect(r.logs.join('\n')).toMatch(/^usage: kontext worker --redis URL/);
    expect((await cli('serve', '--help')).logs.join('\n')).toContain('--redis URL');
  });
});
