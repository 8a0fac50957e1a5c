import { beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16, type HostTensor } from '../../src/engine/dtype.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { contextIds, contextPlacements, repeatBatch, targetIds, textIds } from '../../src/tokens/ids.ts';
import { pack, tokenGrid, unpack } from '../../src/tokens/pack.ts';
import { fixture } from '../io/fixtures.ts';

let denoise: Record<string, HostTensor>;
let tiny: Record<string, HostTensor>;
let t2i: Record<string, HostTensor>;
beforeAll(async () => {
  denoise = await readSafetensors(fixture('flux-tiny-denoise.io.safetensors'));
  tiny = await readSafetensors(fixture('flux-tiny.io.safetensors'));
  t2i = await readSafetensors(fixture('flux-tiny-t2i-noguid.io.safetensors'));
});

const f32 = (t: HostTensor) => [...(t.data as Float32Array)];

describe('pack / unpack (2×2 patchify)', () => {
  it('pack(in.noise) equals trace.packed_noise and pack(in.context_latent) equals trace.packed_context', () => {
    expect(denoise['in.noise'].shape).toEqual([1, 16, 8, 12]);
    expect([...pack(denoise['in.noise'].data as Float32Array, 1, 16, 8, 12)]).toEqual(
      f32(denoise['trace.packed_noise']),
    );
    expect([...pack(denoise['in.context_latent'].data as Float32Array, 1, 16, 8, 8)]).toEqual(
      f32(denoise['trace.packed_context']),
    );
  });

  it('unpack(out.packed) equals out.latent', () => {
    expect([...unpack(denoise['out.packed'].data as Float32Array, 1, 16, 8, 12)]).toEqual(f32(denoise['out.latent']));
  });

  it('places latent (b, c, 2r+ph, 2q+pw) at token r·W/2+q, feature 4c+2ph+pw', () => {
    const [B, C, H, W] = [2, 3, 4, 6];
    const x = Float32Array.from({ length: B * C * H * W }, (_, i) => i);
    const p = pack(x, B, C, H, W);
    const w = W / 2;
    for (const [b, c, y, xx] of [
      [0, 0, 0, 0],
      [1, 2, 3, 5],
      [0, 1, 2, 3],
      [1, 0, 1, 4],
    ]) {
      const t = (y >> 1) * w + (xx >> 1);
      const f = c * 4 + (y & 1) * 2 + (xx & 1);
      expect(p[(b * (H / 2) * w + t) * 4 * C + f]).toBe(((b * C + c) * H + y) * W + xx);
    }
    expect([...unpack(p, B, C, H, W)]).toEqual([...x]);
  });

  it('packs bf16 bit patterns the same way as f32 values', () => {
    const x = Float32Array.from({ length: 16 * 4 * 6 }, (_, i) => i);
    expect([...pack(f32ToBf16(x), 1, 16, 4, 6)]).toEqual([...f32ToBf16(pack(x, 1, 16, 4, 6))]);
  });

  it('rejects odd latent sizes and wrong lengths', () => {
    expect(() => pack(new Float32Array(16 * 3 * 4), 1, 16, 3, 4)).toThrow('latent size 3×4 must be even');
    expect(() => unpack(new Float32Array(10), 1, 16, 4, 4)).toThrow('array has 10 elements, [1, 16, 4, 4] needs 256');
  });

  it('tokenGrid: ⌈H/16⌉ × ⌈W/16⌉', () => {
    expect(tokenGrid(1024, 1024)).toEqual([64, 64]);
    expect(tokenGrid(752, 1392)).toEqual([47, 87]);
    expect(tokenGrid(64, 96)).toEqual([4, 6]);
  });
});

describe('position ids', () => {
  it('target and context ids match the denoise trace', () => {
    expect([...targetIds(4, 6)]).toEqual(f32(denoise['trace.img_ids']));
    expect([...contextIds([{ rows: 4, cols: 4 }])]).toEqual(f32(denoise['trace.context_ids']));
    expect([...contextIds([{ rows: 4, cols: 4 }], 'index')]).toEqual(f32(denoise['trace.context_ids']));
  });

  it('target + context ids match flux-tiny in.img_ids; text ids are zeros', () => {
    const ids = [...targetIds(4, 6), ...contextIds([{ rows: 4, cols: 4 }])];
    expect(ids).toEqual(f32(tiny['in.img_ids']));
    expect([...textIds(7)]).toEqual(f32(tiny['in.txt_ids']));
  });

  it('repeats over the batch (t2i fixture: batch 2, 3×5 tokens)', () => {
    expect([...repeatBatch(targetIds(3, 5), 2)]).toEqual(f32(t2i['in.img_ids']));
    expect([...repeatBatch(textIds(4), 2)]).toEqual(f32(t2i['in.txt_ids']));
  });

  it("'index' layout numbers the images 1, 2, 3 at the same positions", () => {
    const p = contextPlacements(
      [
        { rows: 2, cols: 3 },
        { rows: 4, cols: 4 },
        { rows: 1, cols: 1 },
      ],
      'index',
    );
    expect(p.map((x) => [x.index, x.rowOffset, x.colOffset])).toEqual([
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 0],
    ]);
    const ids = contextIds(
      [
        { rows: 1, cols: 2 },
        { rows: 1, cols: 1 },
      ],
      'index',
    );
    expect([...ids]).toEqual([1, 0, 0, 1, 0, 1, 2, 0, 0]);
  });

  it("'offset' layout places images beside or below the previous ones (ComfyUI)", () => {
    // 1st at the origin; h = w = 4. 2nd (4×4): 4+4 > 4+4 is false -> below (row offset 4); h = 8.
    // 3rd (2×6): 2+8 > 6+4 is false -> below (row offset 8); h = 10, w = 6.
    // 4th (8×2): 8+10 > 2+6 -> right (col offset 6).
    const p = contextPlacements([
      { rows: 4, cols: 4 },
      { rows: 4, cols: 4 },
      { rows: 2, cols: 6 },
      { rows: 8, cols: 2 },
    ]);
    expect(p.map((x) => [x.index, x.rowOffset, x.colOffset])).toEqual([
      [1, 0, 0],
      [1, 4, 0],
      [1, 8, 0],
      [1, 0, 6],
    ]);
    // a tall first image puts the next one to its right
    const q = contextPlacements([
      { rows: 6, cols: 2 },
      { rows: 3, cols: 3 },
    ]);
    expect(q.map((x) => [x.rowOffset, x.colOffset])).toEqual([
      [0, 0],
      [0, 2],
    ]);
    const ids = contextIds([
      { rows: 1, cols: 1 },
      { rows: 1, cols: 1 },
    ]);
    expect([...ids]).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('rejects empty grids', () => {
    expect(() => targetIds(0, 4)).toThrow('token grid must be positive integers, got 0×4');
    expect(() => contextIds([{ rows: 2, cols: 1.5 }])).toThrow('context image 0: token grid must be positive integers');
  });
});
