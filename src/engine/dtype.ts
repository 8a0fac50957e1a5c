// Element types the engine knows, their ONNX codes, byte sizes and host array types.
// bf16 and f8 have no JS array type: their host arrays are raw Uint16Array / Uint8Array bit patterns.

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'float8e4m3'
  | 'float8e5m2'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

export type HostArray = Float32Array | Float64Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A tensor held in JS memory: what feeds, fetches, checkpoints and fixtures are made of. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: HostArray;
}

export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
  float8e4m3: 17, // FLOAT8E4M3FN
  float8e5m2: 19,
};

export const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  float8e4m3: 1,
  float8e5m2: 1,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16' || d.startsWith('float8');
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocate the host array type used for a dtype. */
export function allocHost(dtype: DType, n: number): HostArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
    case 'float8e4m3':
    case 'float8e5m2':
      return new Uint8Array(n);
  }
}

export function hostTensor(dtype: DType, shape: number[], data?: HostArray): HostTensor {
  const n = numel(shape);
  const d = data ?? allocHost(dtype, n);
  if (d.length !== n) throw new Error(`hostTensor: ${dtype}[${shape.join(',')}] needs ${n} elements, got ${d.length}`);
  return { dtype, shape, data: d };
}

// ---- bf16 <-> f32 (bf16 is the upper half of an IEEE f32; rounding is round-to-nearest-even) ----
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) o32[i] = bits[i] << 16;
  return out;
}

export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40; // NaN stays NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Round an f32 value to the nearest bf16 value (returned as a number). */
export function roundBf16(x: number): number {
  u32[0] = f32ToBf16Bits(x) << 16;
  return f32[0];
}

export function f32ToBf16(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = f32ToBf16Bits(src[i]);
  return out;
}
