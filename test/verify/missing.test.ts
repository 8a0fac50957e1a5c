// `kontext verify` on a flux-reference folder whose cases lack files or tensors: each such case fails (exit 1) naming
// what is missing, instead of being skipped (a transformer case without its .io file used to vanish from the run)
// or stopping the whole run (a tensor missing from a file).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.ts';
import { verifyFolder } from '../../src/verify/fixtures.ts';
import { FIXTURES } from '../fixtures-path.ts';

const dirs: string[] = [];
const folder = (files: string[]): string => {
  const d = mkdtempSync(join(tmpdir(), 'kontext-verify-missing-'));
  dirs.push(d);
  for (const f of files) copyFileSync(join(FIXTURES, f), join(d, f));
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The failing outputs of a folder, as 'case:output (note)'. */
async function failures(dir: string): Promise<string[]> {
  const results = await verifyFolder(dir);
  return results.flatMap((r) =>
    r.outputs.filter((o) => !(o.relErr <= 1e-4)).map((o) => `${r.name}:${o.name} (${o.note ?? ''})`),
  );
}

describe('kontext verify: missing or incomplete cases fail', () => {
  it('a case whose .io or .weights file is missing fails naming the file (it was skipped before)', async () => {
    const dir = folder([
      'flux-tiny.json',
      'flux-tiny.weights.safetensors',
      'ae-tiny.json',
      'ae-tiny.io.safetensors',
      'noise.json',
      'schedules.json',
    ]);
    const failed = await failures(dir);
    expect(failed).toEqual([
      expect.stringMatching(/^ae-tiny:files \(ae-tiny\.weights\.safetensors missing from /),
      expect.stringMatching(/^flux-tiny:files \(flux-tiny\.io\.safetensors missing from /),
      expect.stringMatching(/^noise:files \(noise\.safetensors missing from /),
    ]);

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['verify', dir])).toBe(1);
      const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toMatch(
        /FAIL\s+flux-tiny\s+transformer\s+files\s+Infinity\s+\(flux-tiny\.io\.safetensors missing/,
      );
      expect(printed).toMatch(/ok\s+schedules/);
    } finally {
      log.mockRestore();
    }
  });

  it('a denoise case whose weights file is missing or named outside the folder fails', async () => {
    const dir = folder(['flux-tiny-denoise.json', 'flux-tiny-denoise.io.safetensors']);
    expect(await failures(dir)).toEqual([
      expect.stringMatching(/^flux-tiny-denoise:files \(flux-tiny\.weights\.safetensors missing from /),
    ]);
    const cfg = JSON.parse(readFileSync(join(dir, 'flux-tiny-denoise.json'), 'utf8'));
    writeFileSync(
      join(dir, 'flux-tiny-denoise.json'),
      JSON.stringify({ ...cfg, weights: '../flux-reference/flux-tiny.weights.safetensors' }),
    );
    expect(await failures(dir)).toEqual([
      expect.stringMatching(
        /^flux-tiny-denoise:weights \("weights" must name a file inside .*got "\.\.\/flux-reference/,
      ),
    ]);
  });

  it('a tensor missing from a case file, or a truncated file, fails that case and the others still run', async () => {
    const dir = folder([
      'noise.json',
      'noise.safetensors',
      'schedules.json',
      'flux-tiny.json',
      'flux-tiny.weights.safetensors',
    ]);
    const io = await SafetensorsFile.open(join(FIXTURES, 'flux-tiny.io.safetensors'));
    const tensors = Object.fromEntries(
      await Promise.all(
        io
          .keys()
          .filter((k) => k !== 'out.full')
          .map(async (k) => [k, await io.read(k)] as const),
      ),
    );
    await io.close();
    await writeSafetensors(join(dir, 'flux-tiny.io.safetensors'), tensors);
    const noise = readFileSync(join(FIXTURES, 'noise.safetensors'));
    writeFileSync(join(dir, 'noise.safetensors'), noise.subarray(0, noise.length - 10));

    const results = await verifyFolder(dir);
    const failed = results.flatMap((r) =>
      r.outputs.filter((o) => !(o.relErr <= 1e-4)).map((o) => `${r.name}:${o.name} (${o.note ?? ''})`),
    );
    expect(failed).toEqual([
      expect.stringMatching(/^flux-tiny:case \(.*has no tensor 'out\.full'\)$/),
      expect.stringMatching(/^noise:case \(.*the file is truncated/),
    ]);
    expect(results.find((r) => r.name === 'schedules')!.outputs.every((o) => o.relErr === 0)).toBe(true);
  });
});
