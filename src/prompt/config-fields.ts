// Checks for the fields of a text encoder's configuration as read from a file (config.json, a fixture's JSON):
// each failure names the field, what it must be, and the value found.

import { UserError } from '../errors.ts';

export function requirePositiveIntegers(o: Record<string, unknown>, fields: readonly string[], where: string): void {
  for (const f of fields) {
    if (!Number.isInteger(o[f]) || (o[f] as number) <= 0)
      throw new UserError(`${where}: ${f} must be a positive integer, got ${JSON.stringify(o[f])}`);
  }
}

export function requirePositiveNumber(o: Record<string, unknown>, field: string, where: string): void {
  const v = o[field];
  if (typeof v !== 'number' || !(v > 0))
    throw new UserError(`${where}: ${field} must be a positive number, got ${JSON.stringify(v)}`);
}
