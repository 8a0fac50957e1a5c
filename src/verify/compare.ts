// What a parity check reports per output, and the error measure: max|ours − reference| / max|reference|.

export interface OutputResult {
  name: string;
  relErr: number;
  /** why an output failed when there is no number to show (a missing file or tensor, a bad config) */
  note?: string;
}

export function maxRelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    num = d > num || Number.isNaN(d) ? d : num;
    den = Math.max(den, Math.abs(ref[i]));
  }
  return Number.isNaN(num) ? Infinity : den === 0 ? num : num / den;
}

/** An output that could not be computed: it fails under any tolerance and says why. */
export function broken(name: string, note: string): OutputResult {
  return { name, relErr: Infinity, note };
}
