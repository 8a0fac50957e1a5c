// Errors the service answers with a status code. Every error response has the same shape, `{ "error": "..." }`,
// and the message says what was wrong and, for a limit, which limit (and the option that sets it), so a client
// author can act on it without reading the server's code.

import { UserError } from '../errors.ts';

export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly status: number,
    message: string,
    /** extra response headers, e.g. Retry-After on 429 */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (msg: string) => new ServiceError(400, msg);
export const notFound = (msg: string) => new ServiceError(404, msg);
export const conflict = (msg: string) => new ServiceError(409, msg);
export const tooLarge = (msg: string) => new ServiceError(413, msg);

/** The status for an error thrown by library code: a UserError is the client's mistake (400), anything else ours. */
export function statusOf(err: unknown): number {
  if (err instanceof ServiceError) return err.status;
  if (err instanceof UserError) return 400;
  return 500;
}
