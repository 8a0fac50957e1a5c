// A reader that stops early (`kontext ... | head`) must not make the command die on EPIPE with a stack trace.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('stops quietly with status 0 when its output pipe is closed', async () => {
  const child = spawn(process.execPath, [join(__dirname, '../../bin/kontext.mjs'), 'models'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // the reader is gone before the first line is written
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  expect(code).toBe(0);
}, 30_000);
