// Row operations on host tensors of any dtype, the only arithmetic a checkpoint conversion needs: the diffusers
// layout splits fused matrices into row blocks (q/k/v, the single-block MLP input) and swaps the two halves of the
// final modulation (../shared/docs/kontext-reference.md §3.3). "Row" = index along the first dimension.
import { allocHost, numel, type HostTensor } from '../engine/dtype.ts';

function rowSize(t: HostTensor): number {
  if (t.shape.length === 0) throw new Error('row operation on a 0-d tensor');
  return numel(t.shape.slice(1));
}

/** Concatenate along the first dimension. All parts must have the same dtype and trailing dimensions. */
export function concatRows(parts: HostTensor[], what = 'concatRows'): HostTensor {
  if (parts.length === 0) throw new Error(`${what}: nothing to concatenate`);
  const [first] = parts;
  const tail = first.shape.slice(1);
  let rows = 0;
  for (const p of parts) {
    if (p.dtype !== first.dtype) throw new Error(`${what}: dtypes differ (${first.dtype} and ${p.dtype})`);
    if (p.shape.length !== first.shape.length || p.shape.slice(1).some((d, i) => d !== tail[i])) {
      throw new Error(`${what}: shapes [${first.shape}] and [${p.shape}] differ beyond the first dimension`);
    }
    rows += p.shape[0];
  }
  const shape = [rows, ...tail];
  const data = allocHost(first.dtype, numel(shape));
  let at = 0;
  for (const p of parts) {
    (data as Uint8Array).set(p.data as Uint8Array, at); // same array type for the same dtype
    at += p.data.length;
  }
  return { dtype: first.dtype, shape, data };
}

/** Rows [start, start + count) as a new tensor (a copy). */
export function sliceRows(t: HostTensor, start: number, count: number): HostTensor {
  const r = rowSize(t);
  if (start < 0 || count < 0 || start + count > t.shape[0])
    throw new RangeError(`sliceRows: rows [${start}, ${start + count}) outside [0, ${t.shape[0]})`);
  return { dtype: t.dtype, shape: [count, ...t.shape.slice(1)], data: t.data.slice(start * r, (start + count) * r) };
}

/** Split into consecutive row blocks of the given sizes (which must add up to the row count). */
export function splitRows(t: HostTensor, sizes: number[]): HostTensor[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== t.shape[0])
    throw new RangeError(`splitRows: sizes [${sizes}] add up to ${total}, tensor has ${t.shape[0]} rows`);
  let at = 0;
  return sizes.map((n) => {
    const part = sliceRows(t, at, n);
    at += n;
    return part;
  });
}

/** [a; b] → [b; a] for two equal row halves (BFL [shift; scale] ↔ diffusers [scale; shift]). */
export function swapHalves(t: HostTensor): HostTensor {
  const rows = t.shape[0];
  if (rows % 2 !== 0) throw new RangeError(`swapHalves: ${rows} rows cannot be split into two halves`);
  return concatRows(splitRows(t, [rows / 2, rows / 2]).reverse());
}

/** The same data under another shape with the same number of elements (no copy). */
export function reshape(t: HostTensor, shape: number[]): HostTensor {
  if (numel(shape) !== t.data.length)
    throw new RangeError(`reshape: [${t.shape}] has ${t.data.length} elements, [${shape}] needs ${numel(shape)}`);
  return { dtype: t.dtype, shape: shape.slice(), data: t.data };
}
