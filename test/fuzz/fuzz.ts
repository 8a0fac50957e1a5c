// Shared setup of the property-based tests (fast-check). `npm test` runs each property with its base number of
// cases and a fixed seed, so a run is repeatable; `npm run fuzz` (test/fuzz/run.ts) sets KONTEXT_FUZZ_SCALE to
// multiply the numbers and a fresh seed, and KONTEXT_FUZZ_REPORT to a file where each property appends its count
// and time. A failure prints the seed and the shrunk counterexample: keep it as a regression example.
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import { UserError } from '../../src/errors.ts';

const SCALE = Number(process.env.KONTEXT_FUZZ_SCALE ?? 1);
const SEED = process.env.KONTEXT_FUZZ_SEED !== undefined ? Number(process.env.KONTEXT_FUZZ_SEED) : 20240611;
const REPORT = process.env.KONTEXT_FUZZ_REPORT;

/** The number of cases for a property: `base` in `npm test`, scaled up by `npm run fuzz`. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * SCALE));
}

/**
 * Check a property over `base` (scaled) cases. `timeout` bounds each async case (a hang fails the property and is
 * shrunk like any other failure).
 */
export async function check<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  base: number,
  opts: { timeout?: number } = {},
): Promise<void> {
  const numRuns = runs(base);
  const t0 = performance.now();
  tally = {};
  await fc.assert(property as fc.IAsyncProperty<Ts>, {
    numRuns,
    seed: SEED,
    plugins: opts.timeout ? [fc.timeout(opts.timeout)] : [],
  });
  const ms = performance.now() - t0;
  if (REPORT)
    appendFileSync(
      REPORT,
      `${JSON.stringify({ name, runs: numRuns, ms: Math.round(ms), seed: SEED, outcomes: tally })}\n`,
    );
}

let tally: Record<string, number> = {};

/** Count what a case gave ('valid', 'refused', ...), for the report of `npm run fuzz` (is a property vacuous?). */
export function outcome(kind: string): void {
  tally[kind] = (tally[kind] ?? 0) + 1;
}

/**
 * The allowed failures: a UserError (or another class named in `also`) with a message. Anything else (a TypeError
 * from reading a field of undefined, a RangeError from a stack overflow or an allocation, a plain Error from a
 * failed internal assumption) is rethrown, failing the property.
 */
export function expectDocumentedError(err: unknown, also: (new (...a: never[]) => Error)[] = []): void {
  if ((err instanceof UserError || also.some((c) => err instanceof c)) && (err as Error).message.length > 0) {
    // messages quote input values shortened (errors.ts preview): a hostile header cannot make a huge message
    expect((err as Error).message.length).toBeLessThan(4000);
    return;
  }
  throw err;
}

/** Run `fn`; returns its value, or undefined after checking that it failed with a documented error. */
export async function valueOrDocumentedError<T>(
  fn: () => T | Promise<T>,
  also: (new (...a: never[]) => Error)[] = [],
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    expectDocumentedError(err, also);
    return undefined;
  }
}

/** JSON text of a value that JSON.parse accepts but naive recursive code does not: nested `depth` levels. */
export const deepArrayText = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/**
 * Raw JSON texts of hostile field values: anything JSON, numbers past 2^53 or below 0, fractions, -0, huge
 * exponents, names of Object.prototype members, very deep nesting, long strings.
 */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.json({ maxDepth: 3 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1e15',
      '1e400',
      '-1',
      '-0',
      '0.5',
      '9007199254740993',
      '18446744073709551616',
      'null',
      'true',
      '""',
      '[]',
      '{}',
    ),
  },
  // names of Object.prototype's members: a lookup table indexed by a string from a file finds them too
  {
    weight: 1,
    arbitrary: fc.constantFrom('"constructor"', '"__proto__"', '"toString"', '"hasOwnProperty"', '"valueOf"'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 120_000 }).map(deepArrayText) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000 }).map((n) => JSON.stringify('x'.repeat(n))) },
);

export { fc };
