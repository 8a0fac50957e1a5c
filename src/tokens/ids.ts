// Position ids of the token sequence: 3 RoPE axes (index, row, column) per token
// (../shared/docs/kontext-reference.md §6.5, §6.7).
//
//   text tokens            (0, 0, 0)
//   target (noisy) image   (0, r, c)   r, c = token row/column, row-major
//   context image          (1, r, c)   the same spatial coordinates as the target, told apart by the first axis
//
// Only one context image is official. For several, two community layouts exist (§6.7):
//   'offset' (ComfyUI's default, the one that works with the released weights): every image has index 1 and is
//            placed beside or below the previous ones on the (row, col) plane, so images do not share positions.
//   'index'  image i gets index i (1, 2, 3, ...) and no offset; only useful for a model trained that way.
// With one context image both layouts give (1, r, c), the BFL ids.
//
// All ids are float32 (the reference's dtype; integers are exact there). Arrays are [N, 3] flattened, one batch
// element; use `repeatBatch` for B > 1.

/** A token grid: rows × cols tokens (a latent of 2·rows × 2·cols, an image of 16·rows × 16·cols pixels). */
export interface Grid {
  rows: number;
  cols: number;
}

/** Where a context image sits: its RoPE index and the offset of its first token on the (row, col) plane. */
export interface Placement extends Grid {
  index: number;
  rowOffset: number;
  colOffset: number;
}

export type ContextLayout = 'index' | 'offset';

function gridIds(g: Placement): Float32Array {
  const out = new Float32Array(g.rows * g.cols * 3);
  for (let r = 0, k = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++, k += 3) {
      out[k] = g.index;
      out[k + 1] = r + g.rowOffset;
      out[k + 2] = c + g.colOffset;
    }
  }
  return out;
}

function checkGrid(g: Grid, what: string): void {
  if (!(Number.isInteger(g.rows) && Number.isInteger(g.cols) && g.rows > 0 && g.cols > 0)) {
    throw new RangeError(`${what}: token grid must be positive integers, got ${g.rows}×${g.cols}`);
  }
}

/** Ids (0, r, c) of the target image tokens, [rows·cols, 3]. */
export function targetIds(rows: number, cols: number): Float32Array {
  checkGrid({ rows, cols }, 'targetIds');
  return gridIds({ rows, cols, index: 0, rowOffset: 0, colOffset: 0 });
}

/** Ids of text tokens: all zeros, [n, 3]. */
export function textIds(n: number): Float32Array {
  return new Float32Array(n * 3);
}

/**
 * Where each context image goes under a layout. 'offset' follows ComfyUI (comfy/ldm/flux/model.py): keeping the
 * extent (h, w) of what is placed so far, an image goes to the right of it (column offset w) if it is "taller"
 * there — rows + h > cols + w — else below it (row offset h); then h, w grow to cover it. ComfyUI works in latent
 * pixels and halves the offsets; with even latents that is exactly this computation in tokens.
 */
export function contextPlacements(grids: Grid[], layout: ContextLayout = 'offset'): Placement[] {
  let h = 0;
  let w = 0;
  return grids.map((g, i) => {
    checkGrid(g, `context image ${i}`);
    if (layout === 'index') return { ...g, index: i + 1, rowOffset: 0, colOffset: 0 };
    let rowOffset = 0;
    let colOffset = 0;
    if (g.rows + h > g.cols + w) colOffset = w;
    else rowOffset = h;
    h = Math.max(h, g.rows + rowOffset);
    w = Math.max(w, g.cols + colOffset);
    return { ...g, index: 1, rowOffset, colOffset };
  });
}

/** Ids of all context images' tokens, concatenated in order, [Σ rows·cols, 3]. */
export function contextIds(grids: Grid[], layout: ContextLayout = 'offset'): Float32Array {
  const parts = contextPlacements(grids, layout).map(gridIds);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** [N, 3] → [B, N, 3] (every batch element has the same ids). */
export function repeatBatch(ids: Float32Array, batch: number): Float32Array {
  const out = new Float32Array(ids.length * batch);
  for (let b = 0; b < batch; b++) out.set(ids, b * ids.length);
  return out;
}
