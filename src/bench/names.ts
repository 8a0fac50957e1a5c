// Output file names from row keys. A key may hold any character, so it is sanitised to letters, digits, - _ . ;
// that alone would map 'a/b' and 'a_b' to the same file and one row's output would silently replace another's.
// A key that sanitising changed gets a short hash of the key itself, and every name is checked against those
// already given out in the run (case-insensitively, for macOS and Windows file systems).

import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';

/** Long keys are cut (file names are limited to 255 bytes); the hash keeps them apart. */
const MAX_STEM = 96;

export function shortHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class OutputNames {
  private readonly taken = new Set<string>();

  /**
   * File names for one row: `${stem}${suffix}.png` for each suffix ('' for one output, '_t1'..'_t5' for turns),
   * all new in this run. The stem is the key itself when it is already a safe file name.
   */
  claim(key: string, suffixes: readonly string[] = ['']): string[] {
    const clean = key.replace(/[^A-Za-z0-9._-]/g, '_');
    const hashed = `${clean.slice(0, MAX_STEM)}-${shortHash(key)}`;
    const plain = clean === key && clean.length <= MAX_STEM && clean !== '' && !clean.startsWith('.');
    for (const stem of plain ? [clean, hashed] : [hashed]) {
      const names = suffixes.map((s) => `${stem}${s}.png`);
      if (names.some((n) => this.taken.has(n.toLowerCase()))) continue;
      for (const n of names) this.taken.add(n.toLowerCase());
      return names;
    }
    // two keys with the same 8-hex-digit hash and the same clean form: never silently share a file
    throw new UserError(
      `row '${key}': no unused output file name (tried ${plain ? `${clean} and ` : ''}${hashed}); ` +
        `rename the key in metadata.jsonl`,
    );
  }
}
