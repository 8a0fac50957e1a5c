// Errors that a user can act on: bad input, wrong checkpoint, too little memory. The message names the problem
// and, where there is one, the fix. The CLI prints these without a stack trace.
export class UserError extends Error {
  override name = 'UserError';
}

/** A name read from an input file (a tensor name, a file name, a key), as quoted in a message: cut at `max` chars. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A short text for a value read from an input file, to quote in an error message: JSON for small values
 * (`[8,4]`, `"teleport"`, `null`), cut beyond 3 levels of nesting, 8 items and `max` characters. Never recursive
 * past that depth and never long, so a hostile file (a shape nested 100 000 deep, a 50 MB string) cannot turn
 * the error itself into a stack overflow or a huge message.
 */
export function preview(value: unknown, max = 80): string {
  const text = shortJson(value, 3);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function shortJson(v: unknown, depth: number): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === 'bigint') return `${v}`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (depth === 0) return '[…]';
    const items = v.slice(0, 8).map((x) => shortJson(x, depth - 1));
    return `[${items.join(',')}${v.length > 8 ? `,… (${v.length} items)` : ''}]`;
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    if (depth === 0) return '{…}';
    const items = keys
      .slice(0, 8)
      .map((k) => `${shortJson(k, 0)}:${shortJson((v as Record<string, unknown>)[k], depth - 1)}`);
    return `{${items.join(',')}${keys.length > 8 ? ',…' : ''}}`;
  }
  return typeof v;
}
