// The one seeded random source of the project: the synthetic world, parameter initialisation, training noise and
// benchmark inputs all draw from here, never from Math.random, so a (seed, split, index) triple names exactly one
// world sample and a seed names one initialisation on every machine.
//
// mulberry32: 32-bit state, one multiply-xorshift round per draw. Not cryptographic, but well mixed, tiny and fast,
// which is all a procedural scene generator or an initialiser needs. Normals come from pairs of uniforms
// (Box–Muller). (The sampler's initial noise is not drawn here: it reproduces PyTorch's generators, sampling/noise.ts.)

/** Mix any number of 32-bit integers (and strings) into one seed. FNV-1a over the parts, then a murmur finaliser. */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const part of parts) {
    if (typeof part === 'string') {
      for (let i = 0; i < part.length; i++) {
        const c = part.charCodeAt(i);
        mix(c);
        mix(c >>> 8);
      }
      mix(0xfe); // separator, so ('ab','c') and ('a','bc') differ
    } else {
      const v = Math.floor(part);
      const lo = v >>> 0;
      const hi = Math.floor(v / 4294967296) >>> 0; // seeds up to 2^53 keep their high bits
      for (const w of [lo, hi]) {
        mix(w);
        mix(w >>> 8);
        mix(w >>> 16);
        mix(w >>> 24);
      }
      mix(0xff);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform float in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** n standard normal values (Box–Muller over this generator's draws) */
  normals(n: number): Float32Array {
    return randn(n, () => this.next());
  }

  /** uniform integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** uniform float in [lo, hi) */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** a new shuffled copy (Fisher-Yates) */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** a fresh generator whose stream is independent of this one's future draws */
  fork(label: string | number): Rng {
    return new Rng(hashSeed(this.int(0x100000000), label));
  }
}

/** The generator as a plain function of no arguments: uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/**
 * n samples of N(0, scale²) from a uniform generator on [0, 1) such as mulberry32 (Box–Muller: each pair of
 * uniforms gives two independent normals).
 */
export function randn(n: number, r: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - r())) * scale; // 1 − r() is in (0, 1]: log never sees 0
    const theta = 2 * Math.PI * r();
    out[i] = radius * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = radius * Math.sin(theta);
  }
  return out;
}
