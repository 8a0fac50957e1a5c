// Block-wise int4/int8 weight quantization in the layout of ONNX Runtime's `MatMulNBits` (com.microsoft).
//
// W [N, K] (PyTorch Linear layout) is cut along K into blocks of `blockSize`. Per block: scale = (max − min)/(2ᵇ−1),
// zero point zp = round(−min/scale), codes q = clamp(round(w/scale) + zp, 0, 2ᵇ−1), so w ≈ scale·(q − zp).
// int4 codes are packed two per byte, element 2i in the low nibble; int4 zero points likewise per row.
// A 12B-parameter transformer is ≈ 6.4 GB in int4 (plus 1/16 for scales) instead of 48 GB in float32.

import type { QuantizedWeight } from './module.ts';

export type WeightFormat = 'f32' | 'int8' | 'int4';

export function quantizeWeight(w: Float32Array, N: number, K: number, bits: 4 | 8, blockSize = 32): QuantizedWeight {
  if (w.length !== N * K) throw new Error(`quantizeWeight: ${w.length} values, expected ${N}×${K}`);
  if (K % blockSize !== 0) throw new Error(`quantizeWeight: K=${K} is not a multiple of the block size ${blockSize}`);
  const kBlocks = K / blockSize;
  const blob = (blockSize * bits) / 8;
  const maxQ = (1 << bits) - 1;
  const packed = new Uint8Array(N * kBlocks * blob);
  const scales = new Float32Array(N * kBlocks);
  const zpPerRow = Math.ceil((kBlocks * bits) / 8);
  const zeroPoints = new Uint8Array(N * zpPerRow);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const base = n * K + b * blockSize;
      let lo = 0;
      let hi = 0; // the range always includes 0, so 0 is exactly representable
      for (let i = 0; i < blockSize; i++) {
        const v = w[base + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const scale = hi > lo ? (hi - lo) / maxQ : 1;
      const zp = Math.min(maxQ, Math.max(0, Math.round(-lo / scale)));
      const inv = 1 / scale;
      scales[n * kBlocks + b] = scale;
      const out = (n * kBlocks + b) * blob;
      if (bits === 8) {
        for (let i = 0; i < blockSize; i++)
          packed[out + i] = Math.min(maxQ, Math.max(0, Math.round(w[base + i] * inv) + zp));
        zeroPoints[n * zpPerRow + b] = zp;
      } else {
        for (let i = 0; i < blockSize; i += 2) {
          const q0 = Math.min(maxQ, Math.max(0, Math.round(w[base + i] * inv) + zp));
          const q1 = Math.min(maxQ, Math.max(0, Math.round(w[base + i + 1] * inv) + zp));
          packed[out + i / 2] = q0 | (q1 << 4);
        }
        const zi = n * zpPerRow + (b >> 1);
        zeroPoints[zi] |= b & 1 ? zp << 4 : zp;
      }
    }
  }
  return { bits, blockSize, N, K, packed, scales, zeroPoints };
}

/** The float32 weight a quantized one stands for (tests, error measurements). */
export function dequantizeWeight(q: QuantizedWeight): Float32Array {
  const { N, K, bits, blockSize } = q;
  const kBlocks = K / blockSize;
  const blob = (blockSize * bits) / 8;
  const zpPerRow = Math.ceil((kBlocks * bits) / 8);
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const s = q.scales[n * kBlocks + b];
      const zpByte = q.zeroPoints[n * zpPerRow + (bits === 8 ? b : b >> 1)];
      const zp = bits === 8 ? zpByte : b & 1 ? zpByte >> 4 : zpByte & 15;
      const src = (n * kBlocks + b) * blob;
      for (let i = 0; i < blockSize; i++) {
        const code = bits === 8 ? q.packed[src + i] : (q.packed[src + (i >> 1)] >> ((i & 1) * 4)) & 15;
        w[n * K + b * blockSize + i] = s * (code - zp);
      }
    }
  }
  return w;
}

/** Bytes a weight of N×K takes in a format (codes + scales + zero points). */
export function weightBytes(N: number, K: number, format: WeightFormat, blockSize = 32): number {
  if (format === 'f32') return N * K * 4;
  const bits = format === 'int4' ? 4 : 8;
  const kBlocks = Math.ceil(K / blockSize);
  return (N * K * bits) / 8 + N * kBlocks * 4 + N * Math.ceil((kBlocks * bits) / 8);
}
