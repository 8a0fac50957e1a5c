// The weight_map of a sharded checkpoint index may name only plain shard files beside the index. Entries with
// folders, '..' or absolute paths are refused before any file is opened, so nothing outside leaks into the error,
// and the message is the same whether or not the named file exists.
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/source.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { joinRegExp } from '../regex.ts';

let root: string;
let comp: string; // the component folder holding the index
let index: string;
const SECRET = 'SECRET-BYTES-0123456789'; // the start of the outside file: must never appear in a message
const SHARD = 'diffusion_pytorch_model-00001-of-00001.safetensors';
const tensor = { dtype: 'float32' as const, shape: [2], data: new Float32Array([1, 2]) };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kontext-index-'));
  comp = path.join(root, 'repo', 'transformer');
  await mkdir(comp, { recursive: true });
  index = path.join(comp, 'diffusion_pytorch_model.safetensors.index.json');
  await writeSafetensors(path.join(comp, SHARD), { 'x_embedder.weight': tensor });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const writeIndex = (map: Record<string, unknown>) =>
  writeFile(index, JSON.stringify({ metadata: {}, weight_map: map }));
const refusal = (p: string) =>
  openCheckpoint(p, 'transformer').then(
    () => '',
    (e: Error) => e.message,
  );

describe('shard index weight_map', () => {
  it("refuses '../../etc/passwd'-like entries without opening them, alike whether the file exists or not", async () => {
    const outsideFile = path.join(root, 'outside.safetensors');
    for (const entry of [
      '../../outside.safetensors',
      path.join(root, 'outside.safetensors'),
      'sub/x.safetensors',
      '..\\..\\outside.safetensors',
      '..',
      'C:outside.safetensors',
    ]) {
      await writeIndex({ 'x_embedder.weight': SHARD, 'x_embedder.bias': entry });
      await writeFile(outsideFile, SECRET);
      const present = await refusal(index);
      await unlink(outsideFile);
      const absent = await refusal(index);
      expect(absent, entry).toBe(present);
      expect(present, entry).toMatch(
        joinRegExp(
          /shard index '.*index.json' maps 'x_embedder.bias' to ".*", which is not a file name beside the index; /,
          /weight_map may name only shard files in its folder \(no folders, '\.\.' or absolute paths\)/,
        ),
      );
      expect(present).not.toContain(SECRET);
    }
  });

  it('refuses entries that are not strings, from the repository folder too', async () => {
    await writeIndex({ 'x_embedder.weight': 3 });
    expect(await refusal(path.join(root, 'repo'))).toMatch(
      /maps 'x_embedder.weight' to 3, which is not a file name beside the index/,
    );
    await writeFile(index, JSON.stringify({ weight_map: ['a'] }));
    expect(await refusal(index)).toMatch(/shard index '.*' has no "weight_map" object/);
  });

  it('accepts plain names, also when the shard links out of the folder (the Hugging Face cache layout)', async () => {
    await writeIndex({ 'x_embedder.weight': SHARD });
    const s = await openCheckpoint(index, 'transformer');
    expect(s.keys()).toEqual(['img_in.weight']);
    await s.close();
    const blobs = path.join(root, 'blobs');
    await mkdir(blobs);
    await writeSafetensors(path.join(blobs, 'abc123'), { 'x_embedder.weight': tensor });
    await symlink(path.join('..', '..', 'blobs', 'abc123'), path.join(comp, 'linked.safetensors'));
    await writeIndex({ 'x_embedder.weight': 'linked.safetensors' });
    const linked = await openCheckpoint(index, 'transformer');
    expect([...(await linked.readF32('img_in.weight'))]).toEqual([1, 2]);
    await linked.close();
  });
});
