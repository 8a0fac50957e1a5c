// 2×2 patchify between latents and transformer tokens (../shared/docs/kontext-reference.md §6.4; BFL sampling.py
// `prepare`, `unpack`):   pack:   "b c (h ph) (w pw) -> b (h w) (c ph pw)",  ph = pw = 2
//
// For the latent z[b, c, y, x] with y = 2·r + ph, x = 2·q + pw:
//   token   t = r·(W/2) + q      (row-major over the token grid)
//   feature f = c·4 + ph·2 + pw  (channel-major: the 4 pixels of a patch are adjacent)
// so a 16-channel latent gives 64 features per token (the transformer's in_channels).

/** Arrays that can be packed: f32 values, or bf16/f16 bit patterns (the permutation does not look at values). */
export type PackArray = Float32Array | Uint16Array;

function like<T extends PackArray>(x: T, n: number): T {
  return new (x.constructor as new (n: number) => T)(n);
}

function check(what: string, len: number, B: number, C: number, H: number, W: number): void {
  if (H % 2 !== 0 || W % 2 !== 0) {
    throw new RangeError(
      `${what}: latent size ${H}×${W} must be even on both sides (images must be multiples of 16 pixels)`,
    );
  }
  if (len !== B * C * H * W)
    throw new RangeError(`${what}: array has ${len} elements, [${B}, ${C}, ${H}, ${W}] needs ${B * C * H * W}`);
}

/** [B, C, H, W] latent → [B, (H/2)(W/2), 4C] tokens. */
export function pack<T extends PackArray>(latent: T, B: number, C: number, H: number, W: number): T {
  check('pack', latent.length, B, C, H, W);
  const h = H / 2;
  const w = W / 2;
  const F = 4 * C;
  const out = like(latent, latent.length);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        const r = y >> 1;
        const ph = y & 1;
        const src = ((b * C + c) * H + y) * W;
        for (let x = 0; x < W; x++) {
          const t = r * w + (x >> 1);
          out[(b * h * w + t) * F + c * 4 + ph * 2 + (x & 1)] = latent[src + x];
        }
      }
    }
  }
  return out;
}

/** [B, (H/2)(W/2), 4C] tokens → [B, C, H, W] latent (BFL `unpack` with H, W the latent size). */
export function unpack<T extends PackArray>(tokens: T, B: number, C: number, H: number, W: number): T {
  check('unpack', tokens.length, B, C, H, W);
  const h = H / 2;
  const w = W / 2;
  const F = 4 * C;
  const out = like(tokens, tokens.length);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        const r = y >> 1;
        const ph = y & 1;
        const dst = ((b * C + c) * H + y) * W;
        for (let x = 0; x < W; x++) {
          const t = r * w + (x >> 1);
          out[dst + x] = tokens[(b * h * w + t) * F + c * 4 + ph * 2 + (x & 1)];
        }
      }
    }
  }
  return out;
}

/** The token grid (rows, cols) of an image of height×width pixels: the latent is 8× smaller, the patch 2× again. */
export function tokenGrid(height: number, width: number): [rows: number, cols: number] {
  return [Math.ceil(height / 16), Math.ceil(width / 16)];
}
