// The initial noise of the reference sampler, bit for bit (../shared/docs/kontext-reference.md §7.1).
//
// BFL `get_noise` calls torch.randn(shape, dtype=bfloat16, generator=torch.Generator("cpu").manual_seed(seed)).
// This file reproduces what PyTorch's CPU kernel does for that call (aten/src/ATen/native/cpu/DistributionTemplates.h,
// `normal_fill` / `normal_fill_AVX2`, torch 1.13; checked against fixtures/flux-reference/noise.safetensors):
//
//   1. mt19937 seeded with the low 32 bits of the seed; one 32-bit draw per element.
//   2. Every element first gets a uniform in [0, 1): u = (draw & (2^d - 1)) / 2^d, with d = the mantissa digits of
//      the dtype: d = 8 for bf16 (so only 256 distinct uniforms!), d = 24 for f32.
//   3. Box–Muller in blocks of 16, in place: for j < 8, u1 = 1 − x[j], u2 = x[j+8],
//      r = sqrt(−2 ln u1), θ = 2π u2, x[j] = r cos θ, x[j+8] = r sin θ.
//   4. If numel % 16 ≠ 0, the last 16 elements are re-drawn and transformed again (the tail overlaps a block).
//
// The rounding in step 3 differs by dtype, and both are reproduced exactly:
//   bf16: the locals are c10::BFloat16, and every operator rounds its (float) result to bf16: 1 − u, ln, −2·, sqrt,
//         2π·u2 (computed in double, then → float → bf16), cos, sin, and the product r·cos.
//   f32:  torch runs the AVX2 kernel `normal_fill_16_AVX2`, whose ln/sin/cos are the Cephes polynomials of
//         avx_mathfun.h (not libm), compiled with FMA contraction (GCC's default -ffp-contract=fast). We evaluate the
//         same polynomials in f32 with the same fused multiply-adds. This matches a torch build that dispatches to
//         AVX2 (the fixture's); torch's AVX-512 or non-x86 builds take the scalar libm path and differ in the last bit.
import { f32ToBf16Bits, roundBf16, type HostTensor } from '../engine/dtype.ts';

/**
 * The largest seed with its own noise: the generator keeps the low 32 bits of a seed (as torch's does), so seed
 * 2^32 would give the same noise as seed 0. Callers that take a seed from a user refuse anything above this.
 */
export const MAX_SEED = 2 ** 32 - 1;

// ---------------------------------------------------------------- mt19937 (ATen/core/MT19937RNGEngine.h)
/** The 32-bit Mersenne Twister as torch's CPU generator uses it: `manual_seed(s)` keeps the low 32 bits of s. */
export class MT19937 {
  private readonly state = new Uint32Array(624);
  private index = 624;

  constructor(seed: number | bigint) {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed))
      throw new RangeError(`seed must be an integer, got ${seed}`);
    const s = this.state;
    s[0] = Number(BigInt.asUintN(32, BigInt(seed)));
    for (let j = 1; j < 624; j++) {
      const p = s[j - 1] ^ (s[j - 1] >>> 30);
      s[j] = (Math.imul(1812433253, p) + j) >>> 0;
    }
  }

  /** The next 32-bit output (tempered). */
  nextU32(): number {
    if (this.index >= 624) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let k = 0; k < 624; k++) {
      const y = (s[k] & 0x80000000) | (s[(k + 1) % 624] & 0x7fffffff);
      s[k] = s[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

// ---------------------------------------------------------------- f32 arithmetic helpers
const F = Math.fround;
const fmaView = new DataView(new ArrayBuffer(8));

/**
 * fma(a, b, c) for f32 a, b, c with one rounding to f32, as the hardware instruction. a·b is exact in a double
 * (24 + 24 bits); the double sum s = a·b + c is rounded, so we recover its error e exactly (TwoSum) and, when e ≠ 0,
 * nudge s to an odd last bit in the direction of e ("round to odd") — then rounding s to f32 is the correct rounding
 * of the exact a·b + c.
 */
function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bv = s - p;
  const e = p - (s - bv) + (c - bv);
  if (e === 0 || !Number.isFinite(s)) return F(s);
  fmaView.setFloat64(0, s);
  let hi = fmaView.getUint32(0);
  let lo = fmaView.getUint32(4);
  if ((lo & 1) === 0) {
    if (e > 0 === s > 0)
      lo = (lo + 1) >>> 0; // away from zero: the magnitude bits go up (lo is even: no carry)
    else if (lo === 0) [hi, lo] = [hi - 1, 0xffffffff];
    else lo -= 1;
    fmaView.setUint32(0, hi);
    fmaView.setUint32(4, lo);
    return F(fmaView.getFloat64(0));
  }
  return F(s);
}

// ---------------------------------------------------------------- avx_mathfun.h (Cephes), one lane
// Constants are `float` in the C source: round them to f32 once.
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(F);
const LOG_Q1 = F(-2.1219444e-4);
const LOG_Q2 = F(0.693359375);
const SQRTHF = F(Math.SQRT1_2); // 0.707106781186547524 in the C source: the same double
const MIN_NORM_POS = 2 ** -126;
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** log256_ps: split x = m·2^e with m in [√½, √2), then ln(m) by a degree-9 polynomial and e·ln2 in two parts. */
function logPs(x: number): number {
  if (x <= 0) return NaN;
  f32buf[0] = Math.max(x, MIN_NORM_POS);
  const imm0 = (u32buf[0] >>> 23) - 0x7f;
  u32buf[0] = (u32buf[0] & ~0x7f800000) | 0x3f000000; // keep the mantissa, exponent of 0.5: m in [0.5, 1)
  let m = f32buf[0];
  let e = F(imm0 + 1);
  const small = m < SQRTHF; // then use 2m − 1 and e − 1
  const tmp = small ? m : 0;
  m = F(m - 1);
  e = F(e - (small ? 1 : 0));
  m = F(m + tmp);
  const z = F(m * m);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fma32(y, m, LOG_P[k]); // y·x + p_k, contracted
  y = F(y * m);
  y = fma32(y, z, F(e * LOG_Q1)); // GCC contracts the first operand of the add: fma(y, z, e·q1)
  y = fma32(-z, 0.5, y); // y − z·0.5
  m = F(m + y);
  return fma32(e, LOG_Q2, m); // m + e·q2
}

const DP1 = F(-0.78515625);
// The C source spells these with more digits than a double holds; these are the same doubles, shortest spelling.
const DP2 = F(-2.4187564849853516e-4);
const DP3 = F(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(F);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(F);
const FOPI = F(1.27323954473516); // 4/π

/** sincos256_ps: reduce by multiples of π/4 (in three exact-ish parts), then a sine or cosine polynomial per octant. */
function sincosPs(x0: number): [sin: number, cos: number] {
  const negIn = x0 < 0;
  let x = Math.abs(x0);
  let j = Math.trunc(F(x * FOPI)) | 0; // cvttps: truncation
  j = (j + 1) & ~1; // j = (j + 1) & ~1, as in cephes
  const y = j;
  const swapSignSin = (j & 4) !== 0;
  const polyIsSin = (j & 2) === 0; // octants where the sine comes from the sine polynomial
  x = fma32(y, DP1, x); // x − y·π/4, with π/4 split in three parts
  x = fma32(y, DP2, x);
  x = fma32(y, DP3, x);
  const signCos = (~(j - 2) & 4) !== 0;
  const signSin = negIn !== swapSignSin;
  const z = F(x * x);
  let yc = fma32(COS_P[0], z, COS_P[1]);
  yc = fma32(yc, z, COS_P[2]);
  yc = F(yc * z);
  yc = fma32(yc, z, -F(z * 0.5));
  yc = F(yc + 1);
  let ys = fma32(SIN_P[0], z, SIN_P[1]);
  ys = fma32(ys, z, SIN_P[2]);
  ys = F(ys * z);
  ys = fma32(ys, x, x);
  const s = polyIsSin ? ys : yc;
  const c = polyIsSin ? yc : ys;
  return [signSin ? -s : s, signCos ? -c : c];
}

const TWO_PI_F32 = F(2 * Math.PI);
/** randn's mean; adding it is not a no-op for −0. */
const MEAN = 0;

/**
 * normal_fill_16_AVX2 with mean 0, std 1. The final fmadd(n, std, mean) = n·1 + 0 changes no value but turns −0 into
 * +0 (when u1 = 1, ln u1 = 0 and the radius is −2·0 = −0): hence the explicit `+ MEAN`.
 */
function boxMuller16F32(d: Float32Array, o: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = F(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = F(Math.sqrt(F(-2 * logPs(u1)))); // sqrt is correctly rounded in both
    const [sin, cos] = sincosPs(F(TWO_PI_F32 * u2));
    d[o + j] = F(radius * cos) + MEAN;
    d[o + j + 8] = F(radius * sin) + MEAN;
  }
}

/** normal_fill_16<c10::BFloat16>: every operation's float result rounded to bf16 (libm ln/cos/sin in float). */
function boxMuller16Bf16(d: Float64Array, o: number): void {
  const bf = roundBf16;
  for (let j = 0; j < 8; j++) {
    const u1 = bf(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = bf(Math.sqrt(bf(-2 * bf(F(Math.log(u1))))));
    const theta = bf(F(2 * Math.PI * u2)); // 2.0f * pi<double> * u2 is a double, stored into a bf16 local
    // `radius * cos(theta) * std + mean`: ·1 is exact, and + 0 turns a −0 (radius −2·ln 1 = −0) into +0 as torch does
    d[o + j] = bf(radius * bf(F(Math.cos(theta)))) + MEAN;
    d[o + j + 8] = bf(radius * bf(F(Math.sin(theta)))) + MEAN;
  }
}

/**
 * torch.randn(shape, dtype, generator=torch.Generator('cpu').manual_seed(seed)), bit-exact (see the file comment).
 * Needs at least 16 elements (torch uses another code path below that, which no FLUX noise shape reaches).
 */
export function randn(seed: number | bigint, shape: number[], dtype: 'bf16' | 'f32'): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n) || n < 16) {
    throw new Error(
      `randn: shape [${shape.join(', ')}] has ${n} elements; only tensors of 16 or more elements reproduce torch`,
    );
  }
  const mt = new MT19937(seed);
  if (dtype === 'f32') {
    const d = new Float32Array(n);
    const uniform = () => (mt.nextU32() & 0xffffff) * 2 ** -24; // 24 random bits
    for (let i = 0; i < n; i++) d[i] = uniform();
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16F32(d, i);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) d[i] = uniform();
      boxMuller16F32(d, n - 16);
    }
    return { dtype: 'float32', shape: shape.slice(), data: d };
  }
  const d = new Float64Array(n); // holds bf16 values exactly
  const uniform = () => (mt.nextU32() & 0xff) / 256; // 8 random bits: numeric_limits<BFloat16>::digits = 8
  for (let i = 0; i < n; i++) d[i] = uniform();
  for (let i = 0; i + 16 <= n; i += 16) boxMuller16Bf16(d, i);
  if (n % 16 !== 0) {
    for (let i = n - 16; i < n; i++) d[i] = uniform();
    boxMuller16Bf16(d, n - 16);
  }
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = f32ToBf16Bits(d[i]);
  return { dtype: 'bfloat16', shape: shape.slice(), data: bits };
}

/**
 * The noise of BFL `get_noise(num_samples, height, width, seed)`: bf16 [B, 16, 2·⌈H/16⌉, 2·⌈W/16⌉] for an image of
 * H×W pixels. Note BFL draws all samples of the batch in one randn call (shape [B, ...]).
 */
export function fluxNoise(seed: number | bigint, height: number, width: number, batch = 1): HostTensor {
  return randn(seed, [batch, 16, 2 * Math.ceil(height / 16), 2 * Math.ceil(width / 16)], 'bf16');
}
