import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.ts';
import { verifyFolder } from '../../src/verify/fixtures.ts';
import { FIXTURES } from '../fixtures-path.ts';

// temporary folders of this file, removed when it ends
const dirs: string[] = [];
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kontext verify', () => {
  it('reproduces every reference output in the shared fixtures within 1e-4', async () => {
    const results = await verifyFolder(FIXTURES);
    expect(results.map((r) => r.kind).sort()).toEqual([
      'autoencoder',
      'denoise',
      'noise',
      'schedule',
      'transformer',
      'transformer',
    ]);
    const outputs = results.flatMap((r) => r.outputs.map((o) => [`${r.name}:${o.name}`, o.relErr] as const));
    expect(outputs.length).toBeGreaterThan(40);
    for (const [name, err] of outputs) expect(err, name).toBeLessThanOrEqual(1e-4);
    // the noise and the schedules are bit-exact
    for (const r of results.filter((x) => x.kind === 'noise' || x.kind === 'schedule'))
      for (const o of r.outputs) expect(o.relErr, o.name).toBe(0);
  });

  it('exits 0 on the fixtures and 1 when weights are perturbed, naming the failing outputs', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['verify', FIXTURES])).toBe(0);

    const dir = tmp('kontext-verify-');
    for (const f of ['flux-tiny.json', 'flux-tiny.io.safetensors']) copyFileSync(join(FIXTURES, f), join(dir, f));
    const src = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.weights.safetensors'));
    const tensors = Object.fromEntries(await Promise.all(src.keys().map(async (k) => [k, await src.read(k)] as const)));
    await src.close();
    const w = tensors['single_blocks.1.linear2.weight'];
    (w.data as Uint16Array).fill(0x3f80, 0, 480); // one output row of the last block's linear2 set to 1.0
    await writeSafetensors(join(dir, 'flux-tiny.weights.safetensors'), tensors);
    log.mockClear();
    expect(await main(['verify', dir])).toBe(1);
    const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
    expect(printed).toMatch(/FAIL\s+flux-tiny\s+transformer\s+out\.full/);
    // blocks before the change still match
    expect(printed).toMatch(/ok\s+flux-tiny\s+transformer\s+trace\.double\.1\.img/);
    log.mockRestore();
  });

  it('bad input: a missing folder and a folder without cases give clear errors', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['verify', '/nonexistent/fixtures'])).toBe(2);
    expect(err.mock.calls[0][0]).toBe("kontext verify: fixture folder '/nonexistent/fixtures' does not exist");
    const empty = tmp('kontext-empty-');
    writeFileSync(join(empty, 'notes.json'), '{"hello": 1}');
    expect(await main(['verify', empty])).toBe(2);
    expect(err.mock.calls[1][0]).toContain('no reference cases found');
    err.mockRestore();
  });
});
