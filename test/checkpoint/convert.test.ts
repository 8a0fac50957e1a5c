import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/checkpoint/convert.ts';
import { bflToDiffusersTransformer } from '../../src/checkpoint/diffusers.ts';
import { openCheckpoint } from '../../src/checkpoint/source.ts';
import { bf16ToF32, type HostTensor } from '../../src/engine/dtype.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { fixture } from '../io/fixtures.ts';
import { loadMap, sameTensor, writeDiffusersComponent } from './helpers.ts';

let dir: string;
let tiny: Map<string, HostTensor>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kontext-convert-'));
  tiny = await loadMap(fixture('flux-tiny.weights.safetensors'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convertCheckpoint', () => {
  it('turns a sharded diffusers folder into the BFL file, bit for bit', async () => {
    const root = path.join(dir, 'diffusers');
    await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(tiny), 2);
    const src = await openCheckpoint(root, 'transformer');
    const out = path.join(dir, 'flux-tiny.bfl.safetensors');
    try {
      await convertCheckpoint(src, out, { metadata: { format: 'flux-bfl' } });
    } finally {
      await src.close();
    }
    const f = await SafetensorsFile.open(out);
    try {
      expect(f.metadata).toEqual({ format: 'flux-bfl' });
      expect(f.keys().sort()).toEqual([...tiny.keys()].sort());
      for (const [k, t] of tiny) expect(sameTensor(await f.read(k), t), k).toBe(true);
    } finally {
      await f.close();
    }
  });

  it('casts tensors to another dtype on the way', async () => {
    const src = await openCheckpoint(fixture('flux-tiny.weights.safetensors'), 'transformer');
    const out = path.join(dir, 'flux-tiny.f32.safetensors');
    try {
      await convertCheckpoint(src, out, { dtype: (key, stored) => (key.endsWith('.weight') ? 'float32' : stored) });
    } finally {
      await src.close();
    }
    const f = await SafetensorsFile.open(out);
    try {
      expect(f.entry('img_in.weight').dtype).toBe('float32');
      expect(f.entry('img_in.bias').dtype).toBe('bfloat16');
      expect([...(await f.readF32('img_in.weight'))]).toEqual([
        ...bf16ToF32(tiny.get('img_in.weight')!.data as Uint16Array),
      ]);
    } finally {
      await f.close();
    }
  });
});
