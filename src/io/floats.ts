// Exact conversions between the small float formats found in checkpoints and float32.
//
//   format      bits  sign/exp/mantissa  bias  special values
//   float16     16    1/5/10             15    exp 31: inf (mantissa 0) or NaN
//   bfloat16    16    1/8/7              127   the upper half of an IEEE f32 (see src/engine/dtype.ts)
//   f8 e4m3fn    8    1/4/3              7     no inf; only S.1111.111 is NaN; max 448
//   f8 e5m2      8    1/5/2              15    exp 31: inf/NaN (= the upper byte of a float16); max 57344
//
// Decoding is exact (every value of these formats is an f32). It goes through 2^16 / 2^8 entry lookup tables,
// built on first use, so converting a multi-GB checkpoint is a table lookup per element.
// Encoding rounds to nearest, ties to even (as torch's `.to(dtype)`), with exact subnormal handling.
import { bf16ToF32, f32ToBf16, type HostTensor } from '../engine/dtype.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-half-to-even of a non-negative double that is an exact multiple of 1/2^k (no double rounding involved). */
function rne(v: number): number {
  const r = Math.floor(v);
  const frac = v - r;
  if (frac > 0.5) return r + 1;
  if (frac < 0.5) return r;
  return r % 2 === 0 ? r : r + 1;
}

// ---------------------------------------------------------------- float16
/** One float16 bit pattern → its value. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals: mant · 2^-24
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let F16_TABLE: Float32Array | undefined;
function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16BitsToF32(h);
  }
  return F16_TABLE;
}

export function f16ToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const t = f16Table();
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}

/** f32 value → float16 bits, round to nearest even; overflow gives ±inf, NaN stays NaN. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 255) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15; // float16 exponent field if normal
  if (e >= 1) {
    // keep the top 10 mantissa bits, round on the 13 dropped ones; a carry ripples into the exponent (and to inf)
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
    return sign | Math.min(h, 0x7c00);
  }
  // subnormal range: the value in units of 2^-24 (exact in a double), rounded; 1024 units = smallest normal
  return sign | rne(Math.abs(f32[0]) * 2 ** 24);
}

export function f32ToF16(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]);
  return out;
}

// ---------------------------------------------------------------- float8
/** f8 e4m3fn bits → value (fn = "finite": no infinities, NaN only at S.1111.111). */
export function f8e4m3BitsToF32(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >>> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 15 && mant === 7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9; // subnormals: mant/8 · 2^(1-7)
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/** f8 e5m2 bits → value (IEEE-like: exponent 31 is inf/NaN). */
export function f8e5m2BitsToF32(b: number): number {
  return f16BitsToF32(b << 8);
}

let E4M3_TABLE: Float32Array | undefined;
let E5M2_TABLE: Float32Array | undefined;
export function f8e4m3ToF32(bits: Uint8Array, out = new Float32Array(bits.length)): Float32Array {
  if (!E4M3_TABLE) E4M3_TABLE = Float32Array.from({ length: 256 }, (_, b) => f8e4m3BitsToF32(b));
  for (let i = 0; i < bits.length; i++) out[i] = E4M3_TABLE[bits[i]];
  return out;
}
export function f8e5m2ToF32(bits: Uint8Array, out = new Float32Array(bits.length)): Float32Array {
  if (!E5M2_TABLE) E5M2_TABLE = Float32Array.from({ length: 256 }, (_, b) => f8e5m2BitsToF32(b));
  for (let i = 0; i < bits.length; i++) out[i] = E5M2_TABLE[bits[i]];
  return out;
}

/**
 * Round |x| to a float with `mbits` mantissa bits and exponent bias `bias`; returns the magnitude bits
 * (exponent field << mbits | mantissa), which may exceed the format's largest finite value (caller decides).
 */
function roundMini(ax: number, mbits: number, bias: number): number {
  if (ax === 0) return 0;
  f32[0] = ax;
  const e = Math.max(((u32[0] >>> 23) & 0xff) - 127, 1 - bias); // below the min normal exponent: fixed quantum
  const m = rne(ax * 2 ** (mbits - e)); // the value in units of the quantum 2^(e-mbits); exact scaling by 2^k
  // m < 2^mbits only in the subnormal range; m == 2^(mbits+1) means rounding carried into the next binade.
  if (m < 2 ** mbits) return m;
  return ((e + bias) << mbits) + (m - 2 ** mbits);
}

/**
 * f32 → f8 e4m3fn bits, round to nearest even. Out of range: ±448 if `saturate` (the quantizer's choice), else NaN
 * (torch's cast).
 */
export function f32ToF8e4m3Bits(x: number, saturate = true): number {
  if (Number.isNaN(x)) return 0x7f;
  const sign = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  const mag = Number.isFinite(x) ? roundMini(Math.abs(Math.fround(x)), 3, 7) : 0x100;
  if (mag > 0x7e) return sign | (saturate ? 0x7e : 0x7f);
  return sign | mag;
}

/**
 * f32 → f8 e5m2 bits, round to nearest even. Out of range: ±57344 if `saturate` (default), else ±inf (torch's cast).
 */
export function f32ToF8e5m2Bits(x: number, saturate = true): number {
  if (Number.isNaN(x)) return 0x7e;
  const sign = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  const mag = Number.isFinite(x) ? roundMini(Math.abs(Math.fround(x)), 2, 15) : 0x7c;
  if (mag >= 0x7c) return sign | (saturate ? 0x7b : 0x7c);
  return sign | mag;
}

// ---------------------------------------------------------------- any tensor → f32
/**
 * The values of any host tensor as a Float32Array (a copy, except for float32 tensors which are returned as is).
 * float64 and the integer types are rounded to f32; int64 goes through Number (exact up to 2^53).
 */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  switch (t.dtype) {
    case 'float32':
      return d as Float32Array;
    case 'bfloat16':
      return bf16ToF32(d as Uint16Array);
    case 'float16':
      return f16ToF32(d as Uint16Array);
    case 'float8e4m3':
      return f8e4m3ToF32(d as Uint8Array);
    case 'float8e5m2':
      return f8e5m2ToF32(d as Uint8Array);
    case 'int64': {
      const out = new Float32Array(d.length);
      const b = d as BigInt64Array;
      for (let i = 0; i < b.length; i++) out[i] = Number(b[i]);
      return out;
    }
    case 'float64':
    case 'int32':
    case 'int8':
    case 'uint8':
    case 'bool':
      return Float32Array.from(d as Float64Array | Int32Array | Int8Array | Uint8Array);
  }
}

// ---------------------------------------------------------------- casts between float dtypes
const FLOAT_TARGETS = ['float32', 'float16', 'bfloat16', 'float8e4m3', 'float8e5m2'] as const;
export type FloatDType = (typeof FLOAT_TARGETS)[number];

/**
 * A float tensor in another float dtype (via f32; each encoder rounds to nearest even; f8 saturates at its largest
 * finite value). Returns the tensor itself when the dtype already matches.
 */
export function castFloat(t: HostTensor, to: FloatDType): HostTensor {
  if (t.dtype === to) return t;
  if (!(FLOAT_TARGETS as readonly string[]).includes(to)) throw new Error(`castFloat: cannot cast to ${to}`);
  const x = toFloat32(t);
  let data: Float32Array | Uint16Array | Uint8Array;
  switch (to) {
    case 'float32':
      data = x === t.data ? x.slice() : x;
      break;
    case 'bfloat16':
      data = f32ToBf16(x);
      break;
    case 'float16':
      data = f32ToF16(x);
      break;
    case 'float8e4m3':
      data = Uint8Array.from(x, (v) => f32ToF8e4m3Bits(v));
      break;
    case 'float8e5m2':
      data = Uint8Array.from(x, (v) => f32ToF8e5m2Bits(v));
      break;
  }
  return { dtype: to, shape: t.shape.slice(), data };
}
