import { describe, expect, it } from 'vitest';
import { f32ToBf16 } from '../../src/engine/dtype.ts';
import {
  f16BitsToF32,
  f16ToF32,
  f32ToF16,
  f32ToF16Bits,
  f32ToF8e4m3Bits,
  f32ToF8e5m2Bits,
  f8e4m3BitsToF32,
  f8e4m3ToF32,
  f8e5m2BitsToF32,
  f8e5m2ToF32,
  castFloat,
  toFloat32,
} from '../../src/io/floats.ts';

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('float16', () => {
  it('decodes known bit patterns (normals, subnormals, inf, NaN, -0)', () => {
    const known: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x8000, -0],
      [0x0000, 0],
    ];
    for (const [bits, v] of known) expect(same(f16BitsToF32(bits), v), `0x${bits.toString(16)}`).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0xfc01)).toBeNaN();
  });

  it('round-trips all 65536 bit patterns through f32', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nan) expect(Number.isNaN(f16BitsToF32(back[h]))).toBe(true);
      else if (back[h] !== h) throw new Error(`0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
    }
  });

  it('rounds to nearest even, including at the subnormal and overflow edges', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 and 0x3c01 -> even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 -> even
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal -> 0 (even)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(f32ToF16Bits(-(2 ** -24))).toBe(0x8001);
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // rounds up into the smallest normal
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // tie with the (virtual) next value rounds to inf
    expect(f32ToF16Bits(1e9)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
  });
});

describe('float8', () => {
  it('decodes e4m3fn: bias 7, subnormals, max 448, NaN only at S.1111.111, no inf', () => {
    const known: [number, number][] = [
      [0x38, 1],
      [0x3c, 1.5],
      [0xc0, -2],
      [0x7e, 448],
      [0xfe, -448],
      [0x08, 2 ** -6], // smallest normal
      [0x07, 7 * 2 ** -9], // largest subnormal
      [0x01, 2 ** -9], // smallest subnormal
      [0x78, 256], // exponent 15 is a normal binade in the fn variant
      [0x80, -0],
    ];
    for (const [bits, v] of known) expect(same(f8e4m3BitsToF32(bits), v), `0x${bits.toString(16)}`).toBe(true);
    expect(f8e4m3BitsToF32(0x7f)).toBeNaN();
    expect(f8e4m3BitsToF32(0xff)).toBeNaN();
    const all = f8e4m3ToF32(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect(all.filter((x) => Number.isNaN(x)).length).toBe(2);
    expect(all.filter((x) => !Number.isFinite(x) && !Number.isNaN(x)).length).toBe(0);
  });

  it('decodes e5m2: bias 15, subnormals, max 57344, inf and NaN', () => {
    const known: [number, number][] = [
      [0x3c, 1],
      [0x3e, 1.5],
      [0x7b, 57344],
      [0x04, 2 ** -14],
      [0x01, 2 ** -16],
      [0x7c, Infinity],
      [0xfc, -Infinity],
    ];
    for (const [bits, v] of known) expect(same(f8e5m2BitsToF32(bits), v), `0x${bits.toString(16)}`).toBe(true);
    for (const nan of [0x7d, 0x7e, 0x7f, 0xff]) expect(f8e5m2BitsToF32(nan)).toBeNaN();
  });

  it('round-trips every f8 bit pattern through the encoders', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const e4 = f8e4m3ToF32(all);
    const e5 = f8e5m2ToF32(all);
    for (let b = 0; b < 256; b++) {
      if (!Number.isNaN(e4[b])) expect(f32ToF8e4m3Bits(e4[b]), `e4m3 0x${b.toString(16)}`).toBe(b);
      if (!Number.isNaN(e5[b])) expect(f32ToF8e5m2Bits(e5[b], false), `e5m2 0x${b.toString(16)}`).toBe(b);
    }
  });

  it('rounds to nearest even and saturates or overflows as asked', () => {
    expect(f32ToF8e4m3Bits(1 + 1 / 16)).toBe(0x38); // tie 1 | 1.125 -> 1
    expect(f32ToF8e4m3Bits(1 + 3 / 16)).toBe(0x3a); // tie 1.125 | 1.25 -> 1.25
    expect(f32ToF8e4m3Bits(2 ** -10)).toBe(0x00); // tie 0 | 2^-9 -> 0
    expect(f32ToF8e4m3Bits(3 * 2 ** -10)).toBe(0x02);
    expect(f32ToF8e4m3Bits(464)).toBe(0x7e); // tie 448 | (480) -> 448
    expect(f32ToF8e4m3Bits(1000)).toBe(0x7e);
    expect(f32ToF8e4m3Bits(-1000)).toBe(0xfe);
    expect(f32ToF8e4m3Bits(1000, false)).toBe(0x7f); // torch's non-saturating cast gives NaN
    expect(f32ToF8e5m2Bits(1e6)).toBe(0x7b);
    expect(f32ToF8e5m2Bits(1e6, false)).toBe(0x7c);
    expect(f32ToF8e5m2Bits(1 + 1 / 8)).toBe(0x3c); // tie 1 | 1.25 -> 1
  });
});

describe('toFloat32', () => {
  it('converts every float dtype and passes f32 through', () => {
    const f = new Float32Array([1, -2.5, 0.15625]);
    expect(toFloat32({ dtype: 'float32', shape: [3], data: f })).toBe(f);
    expect([...toFloat32({ dtype: 'bfloat16', shape: [3], data: f32ToBf16(f) })]).toEqual([1, -2.5, 0.15625]);
    expect([...toFloat32({ dtype: 'float16', shape: [3], data: f32ToF16(f) })]).toEqual([1, -2.5, 0.15625]);
    expect([...toFloat32({ dtype: 'float8e4m3', shape: [2], data: new Uint8Array([0x38, 0xc0]) })]).toEqual([1, -2]);
    expect([...toFloat32({ dtype: 'float8e5m2', shape: [2], data: new Uint8Array([0x3c, 0xc0]) })]).toEqual([1, -2]);
    expect([...toFloat32({ dtype: 'float64', shape: [2], data: new Float64Array([0.5, 1e300]) })]).toEqual([
      0.5,
      Infinity,
    ]);
    expect([...toFloat32({ dtype: 'int64', shape: [2], data: new BigInt64Array([-3n, 7n]) })]).toEqual([-3, 7]);
  });
});

describe('castFloat', () => {
  it('casts between float dtypes with rounding and saturation', () => {
    const t = { dtype: 'float32' as const, shape: [4], data: new Float32Array([1, 1 + 2 ** -9, -1000, 0.1]) };
    const bf = castFloat(t, 'bfloat16');
    expect(bf.dtype).toBe('bfloat16');
    expect([...toFloat32(bf)]).toEqual([1, 1, -1000, Math.fround(0.10009765625)]);
    const e4 = castFloat(bf, 'float8e4m3');
    expect([...toFloat32(e4)]).toEqual([1, 1, -448, 0.1015625]);
    const back = castFloat(castFloat(t, 'float16'), 'float32');
    expect(back.dtype).toBe('float32');
    expect([...(back.data as Float32Array)]).toEqual([1, 1 + 2 ** -9, -1000, Math.fround(0.0999755859375)]);
    expect(castFloat(t, 'float32')).toBe(t);
    expect(castFloat(bf, 'float32').data).not.toBe(bf.data);
  });
});
