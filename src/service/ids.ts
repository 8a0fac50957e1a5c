// Path parameters are checked against the exact shape of what they name before anything uses them. This is the
// service's defence against path traversal: a job id must be a UUID, an image hash 64 hex digits, a session name
// the store's pattern. '../x', its URL-encoded form '%2e%2e%2fx' (the router decodes parameters) and absolute
// paths ('/etc/passwd', encoded '%2Fetc%2Fpasswd') all fail the pattern, so no file outside the data folder is
// ever named, let alone opened. (Image files are named by the hash the service computed; session and job ids only
// ever reach SQLite, as bound parameters.)

import { isImageHash } from '../session/images.ts';
import { badRequest } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** the session store's pattern (src/session/store.ts) */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Quote what the client sent, shortened, for an error message. */
const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

export function jobId(s: string): string {
  if (!UUID.test(s))
    throw badRequest(`${quote(s)} is not a job id (job ids are lower-case UUIDs, as returned when a job is submitted)`);
  return s;
}

export function imageHash(s: string): string {
  if (!isImageHash(s))
    throw badRequest(`${quote(s)} is not an image hash (64 lower-case hex digits: the SHA-256 of the PNG)`);
  return s;
}

export function sessionId(s: string): string {
  if (!SESSION_ID.test(s))
    throw badRequest(
      `${quote(s)} is not a session name (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit)`,
    );
  return s;
}
