// Loading a kontext-mini model from any source (a folder, or URLs a page fetches): the same checks name the file.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { folderSource, loadMiniFrom, type MiniSource } from '../../src/mini/load.ts';

/** The shipped folder, but config.json says `config`. */
const withConfig = (config: string): MiniSource => {
  const folder = folderSource(EMBEDDED_MODEL);
  return { ...folder, text: (f) => (f === 'config.json' ? Promise.resolve(config) : folder.text(f)) };
};

describe('loadMiniFrom', () => {
  it('loads the shipped model from its folder source', async () => {
    const pipe = await loadMiniFrom(folderSource(EMBEDDED_MODEL));
    expect(pipe.resolution).toBe(64);
  });

  it('names the file and the problem for a broken config; a source error passes through unchanged', async () => {
    const file = join(EMBEDDED_MODEL, 'config.json');
    await expect(loadMiniFrom(withConfig('{ nope'))).rejects.toThrow(`${file} is not valid JSON (`);
    await expect(loadMiniFrom(withConfig('{"format":"flux"}'))).rejects.toThrow(
      `${file} is not a kontext-mini config (format 'flux')`,
    );
    await expect(loadMiniFrom(withConfig('null'))).rejects.toThrow(`${file} is not a kontext-mini config`);
    const offline: MiniSource = {
      name: (f) => `https://example.invalid/model/${f}`,
      text: () => Promise.reject(new UserError('https://example.invalid/model/config.json: HTTP 404')),
      open: () => Promise.reject(new Error('unreached')),
    };
    await expect(loadMiniFrom(offline)).rejects.toThrow(/^https:\/\/example\.invalid\/model\/config\.json: HTTP 404$/);
  });
});
