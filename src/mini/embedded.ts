// Where the shipped model lies on disk (Node only: a page fetches its files instead, src/browser/mini.ts).
import { fileURLToPath } from 'node:url';

/** The shipped model folder. */
export const EMBEDDED_MODEL = fileURLToPath(new URL('../../models/kontext-mini', import.meta.url));
