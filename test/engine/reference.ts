// Plain-JS reference implementations of the engine's ops, in float64, written the obvious way (loops over
// indices). Tests compare ORT's results against these on random inputs.

export interface Nd {
  shape: number[];
  data: Float64Array;
}

export const nd = (shape: number[], data?: ArrayLike<number>): Nd => ({
  shape,
  data: data ? Float64Array.from(data) : new Float64Array(shape.reduce((a, b) => a * b, 1)),
});

export function strides(shape: number[]): number[] {
  const s = Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function unravel(i: number, shape: number[]): number[] {
  const idx = Array(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

function ravel(idx: number[], shape: number[]): number {
  let o = 0;
  for (let k = 0; k < shape.length; k++) o = o * shape[k] + idx[k];
  return o;
}

/** Value of `a` at a (broadcast) index of an output of rank `idx.length`. */
function at(a: Nd, idx: number[]): number {
  const lead = idx.length - a.shape.length;
  let o = 0;
  for (let k = 0; k < a.shape.length; k++) o = o * a.shape[k] + (a.shape[k] === 1 ? 0 : idx[k + lead]);
  return a.data[o];
}

export function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

export function map2(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcast(a.shape, b.shape);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    o.data[i] = f(at(a, idx), at(b, idx));
  }
  return o;
}

export const map = (a: Nd, f: (x: number) => number): Nd => ({ shape: [...a.shape], data: a.data.map(f) });

export function matmul(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const o = nd([...batch, m, n]);
  const nb = batch.reduce((p, q) => p * q, 1);
  const A = { shape: [...a.shape.slice(0, -2), 1], data: a.data };
  void A;
  for (let bi = 0; bi < nb; bi++) {
    const bidx = unravel(bi, batch);
    const offA = (() => {
      const lead = bidx.length - (a.shape.length - 2);
      let o2 = 0;
      for (let q = 0; q < a.shape.length - 2; q++) o2 = o2 * a.shape[q] + (a.shape[q] === 1 ? 0 : bidx[q + lead]);
      return o2 * m * k;
    })();
    const offB = (() => {
      const lead = bidx.length - (b.shape.length - 2);
      let o2 = 0;
      for (let q = 0; q < b.shape.length - 2; q++) o2 = o2 * b.shape[q] + (b.shape[q] === 1 ? 0 : bidx[q + lead]);
      return o2 * k * n;
    })();
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[offA + i * k + p] * b.data[offB + p * n + j];
        o.data[bi * m * n + i * n + j] = s;
      }
  }
  return o;
}

export function reduce(
  a: Nd,
  axes: number[],
  init: number,
  f: (acc: number, x: number) => number,
  fin = (x: number, _n: number) => x,
): Nd {
  const ax = axes.map((d) => (d < 0 ? d + a.shape.length : d));
  const shape = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const o = nd(shape);
  o.data.fill(init);
  const count = ax.reduce((p, d) => p * a.shape[d], 1);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, k) => (ax.includes(k) ? 0 : v));
    const j = ravel(idx, shape);
    o.data[j] = f(o.data[j], a.data[i]);
  }
  o.data = o.data.map((x) => fin(x, count));
  return o;
}

export const sum = (a: Nd, axes: number[]) => reduce(a, axes, 0, (s, x) => s + x);
export const mean = (a: Nd, axes: number[]) =>
  reduce(
    a,
    axes,
    0,
    (s, x) => s + x,
    (s, n) => s / n,
  );
export const max = (a: Nd, axes: number[]) => reduce(a, axes, -Infinity, Math.max);

export function softmax(a: Nd): Nd {
  const m = max(a, [-1]);
  const e = map2(a, m, (x, y) => Math.exp(x - y));
  return map2(e, sum(e, [-1]), (x, s) => x / s);
}

export function layerNorm(a: Nd, eps: number, w?: Nd, b?: Nd): Nd {
  const mu = mean(a, [-1]);
  const xc = map2(a, mu, (x, m) => x - m);
  const v = mean(
    map(xc, (x) => x * x),
    [-1],
  );
  let y = map2(xc, v, (x, s) => x / Math.sqrt(s + eps));
  if (w) y = map2(y, w, (x, s) => x * s);
  if (b) y = map2(y, b, (x, s) => x + s);
  return y;
}

export function rmsNorm(a: Nd, scale: Nd, eps: number): Nd {
  const ms = mean(
    map(a, (x) => x * x),
    [-1],
  );
  return map2(
    map2(a, ms, (x, s) => x / Math.sqrt(s + eps)),
    scale,
    (x, s) => x * s,
  );
}

export function groupNorm(a: Nd, G: number, w: Nd, b: Nd, eps: number): Nd {
  const [B, C] = a.shape;
  const inner = a.data.length / B / G;
  const y = layerNorm({ shape: [B, G, inner], data: a.data }, eps);
  const r = [C, ...a.shape.slice(2).map(() => 1)];
  return map2(
    map2({ shape: a.shape, data: y.data }, { shape: r, data: w.data }, (x, s) => x * s),
    { shape: r, data: b.data },
    (x, s) => x + s,
  );
}

export function transpose(a: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => a.shape[p]);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    const src = Array(perm.length);
    for (const [k, p] of perm.entries()) src[p] = idx[k];
    o.data[i] = a.data[ravel(src, a.shape)];
  }
  return o;
}

export function concat(xs: Nd[], axis: number): Nd {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    let k = 0;
    while (idx[axis] >= xs[k].shape[axis]) idx[axis] -= xs[k++].shape[axis];
    o.data[i] = xs[k].data[ravel(idx, xs[k].shape)];
  }
  return o;
}

export function slice(a: Nd, axis: number, start: number, end: number, step = 1): Nd {
  const shape = [...a.shape];
  shape[axis] = Math.ceil((end - start) / step);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    idx[axis] = start + idx[axis] * step;
    o.data[i] = a.data[ravel(idx, a.shape)];
  }
  return o;
}

export function gather(a: Nd, indices: number[], idxShape: number[], axis: number): Nd {
  const shape = [...a.shape.slice(0, axis), ...idxShape, ...a.shape.slice(axis + 1)];
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape);
    const ii = ravel(idx.slice(axis, axis + idxShape.length), idxShape);
    const src = [...idx.slice(0, axis), indices[ii], ...idx.slice(axis + idxShape.length)];
    o.data[i] = a.data[ravel(src, a.shape)];
  }
  return o;
}

export function expand(a: Nd, shape: number[]): Nd {
  return map2(a, nd(shape), (x) => x);
}

export function pad(a: Nd, pads: number[], value = 0): Nd {
  const r = a.shape.length;
  const shape = a.shape.map((d, i) => d + pads[i] + pads[i + r]);
  const o = nd(shape);
  for (let i = 0; i < o.data.length; i++) {
    const idx = unravel(i, shape).map((v, k) => v - pads[k]);
    o.data[i] = idx.every((v, k) => v >= 0 && v < a.shape[k]) ? a.data[ravel(idx, a.shape)] : value;
  }
  return o;
}

export function conv2d(x: Nd, w: Nd, b: Nd | null, stride: number, pads: number[], dil = 1): Nd {
  const [B, C, H, W] = x.shape;
  const [O, , kh, kw] = w.shape;
  const Ho = Math.floor((H + pads[0] + pads[2] - dil * (kh - 1) - 1) / stride) + 1;
  const Wo = Math.floor((W + pads[1] + pads[3] - dil * (kw - 1) - 1) / stride) + 1;
  const o = nd([B, O, Ho, Wo]);
  for (let bb = 0; bb < B; bb++)
    for (let oc = 0; oc < O; oc++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let s = b ? b.data[oc] : 0;
          for (let c = 0; c < C; c++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const y = i * stride + p * dil - pads[0];
                const z = j * stride + q * dil - pads[1];
                if (y >= 0 && y < H && z >= 0 && z < W)
                  s += x.data[((bb * C + c) * H + y) * W + z] * w.data[((oc * C + c) * kh + p) * kw + q];
              }
          o.data[((bb * O + oc) * Ho + i) * Wo + j] = s;
        }
  return o;
}

export function upsample2x(x: Nd): Nd {
  const [B, C, H, W] = x.shape;
  const o = nd([B, C, 2 * H, 2 * W]);
  for (let i = 0; i < o.data.length; i++) {
    const [b, c, y, z] = unravel(i, o.shape);
    o.data[i] = x.data[((b * C + c) * H + (y >> 1)) * W + (z >> 1)];
  }
  return o;
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc approximation). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/** Flux apply_rope: pairs (x[2m], x[2m+1]) times 2x2 matrices pe[..., L, D/2, 2, 2]. */
export function rope(x: Nd, pe: Nd): Nd {
  const D = x.shape[x.shape.length - 1];
  const L = x.shape[x.shape.length - 2];
  const o = nd(x.shape);
  const peRows = pe.data.length / (L * (D / 2) * 4); // broadcast over leading dims of pe (here 1)
  void peRows;
  for (let i = 0; i < x.data.length; i += 2) {
    const l = Math.floor(i / D) % L;
    const m = (i % D) / 2;
    const base = (l * (D / 2) + m) * 4;
    const [a, b, c, d] = [pe.data[base], pe.data[base + 1], pe.data[base + 2], pe.data[base + 3]];
    o.data[i] = a * x.data[i] + b * x.data[i + 1];
    o.data[i + 1] = c * x.data[i] + d * x.data[i + 1];
  }
  return o;
}

export function attention(q: Nd, k: Nd, v: Nd): Nd {
  const D = q.shape[q.shape.length - 1];
  const r = q.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  const s = map(matmul(q, transpose(k, perm)), (x) => x / Math.sqrt(D));
  return matmul(softmax(s), v);
}
