import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bf16ToF32 } from '../../src/engine/dtype.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { fluxNoise, MT19937, randn } from '../../src/sampling/noise.ts';
import { fixture } from '../io/fixtures.ts';

interface NoiseCase {
  key: string;
  seed: number;
  shape: number[];
  dtype: 'bf16' | 'f32';
}

let file: SafetensorsFile;
let cases: NoiseCase[];
beforeAll(async () => {
  file = await SafetensorsFile.open(fixture('noise.safetensors'));
  cases = JSON.parse(await readFile(fixture('noise.json'), 'utf8')).cases;
});
afterAll(async () => {
  await file.close();
});

describe('MT19937', () => {
  it('produces the reference mt19937 stream (seed 5489: 3499211612, 581869302, ...)', () => {
    const mt = new MT19937(5489);
    expect([mt.nextU32(), mt.nextU32(), mt.nextU32()]).toEqual([3499211612, 581869302, 3890346734]);
    // the 10000th output of std::mt19937 with the default seed is 4123659995 (C++ standard, [rand.predef])
    const m = new MT19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = m.nextU32();
    expect(v).toBe(4123659995);
  });

  it('keeps the low 32 bits of the seed, as torch.manual_seed', () => {
    const a = new MT19937(42).nextU32();
    expect(new MT19937(2n ** 32n + 42n).nextU32()).toBe(a);
    expect(new MT19937(-1).nextU32()).toBe(new MT19937(0xffffffff).nextU32());
    expect(() => new MT19937(1.5)).toThrow('seed must be an integer, got 1.5');
  });
});

describe('randn reproduces torch.randn on the CPU (fixtures/noise.safetensors, torch 1.13)', () => {
  it('covers all six fixture cases', () => {
    expect(cases.map((c) => c.key)).toEqual([
      'seed0.bf16',
      'seed0.f32',
      'seed42.bf16',
      'seed42.f32',
      'seed1234567.bf16',
      'seed1234567.f32',
    ]);
  });

  for (const dtype of ['bf16', 'f32'] as const) {
    it(`is bit-exact for every ${dtype} case`, async () => {
      for (const c of cases.filter((x) => x.dtype === dtype)) {
        const ref = await file.read(c.key);
        const got = randn(c.seed, c.shape, c.dtype);
        expect(got.shape).toEqual(c.shape);
        expect(got.dtype).toBe(ref.dtype);
        const a = got.data as Uint16Array | Float32Array;
        const b = ref.data as Uint16Array | Float32Array;
        expect(a.length).toBe(b.length);
        let mismatches = 0;
        let first = -1;
        // compare bit patterns (for f32 through a Uint32 view), so -0/+0 and every last bit count
        const bitsA = a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a;
        const bitsB = b instanceof Float32Array ? new Uint32Array(b.buffer, b.byteOffset, b.length) : b;
        for (let i = 0; i < bitsA.length; i++) {
          if (bitsA[i] !== bitsB[i]) {
            mismatches++;
            if (first < 0) first = i;
          }
        }
        expect(mismatches, `${c.key}: first mismatch at ${first}`).toBe(0);
      }
    });
  }

  it('fluxNoise draws bf16 [B, 16, 2⌈H/16⌉, 2⌈W/16⌉] (seed0 fixture = a 128×192 image)', async () => {
    const n = fluxNoise(0, 128, 192);
    expect(n.shape).toEqual([1, 16, 16, 24]);
    const small = fluxNoise(0, 64, 96); // [1,16,8,12], the seed0.bf16 fixture shape
    expect([...small.data]).toEqual([...(await file.read('seed0.bf16')).data]);
  });

  it('regenerates the last 16 values when numel is not a multiple of 16 (torch normal_fill)', () => {
    const a = randn(7, [20], 'f32').data as Float32Array;
    const b = randn(7, [32], 'f32').data as Float32Array;
    expect([...a.subarray(0, 4)]).toEqual([...b.subarray(0, 4)]); // the first block is untouched
    expect([...a.subarray(4, 20)]).not.toEqual([...b.subarray(4, 20)]); // the tail comes from fresh draws
    const c = bf16ToF32(randn(7, [20], 'bf16').data as Uint16Array);
    expect(c.every(Number.isFinite)).toBe(true);
  });

  it('is standard normal in distribution', () => {
    const x = randn(123, [1, 16, 64, 64], 'f32').data as Float32Array;
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('refuses shapes below 16 elements', () => {
    expect(() => randn(0, [3, 5], 'bf16')).toThrow('only tensors of 16 or more elements reproduce torch');
  });
});
