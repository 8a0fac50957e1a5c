// Where the shared reference fixtures live: ../shared/fixtures/flux-reference beside the repository
// (CI has them there).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = resolve(REPO, '../shared/fixtures/flux-reference');
/** The text-encoder fixtures (tiny CLIP and T5, CLIP tokenizer golden ids, full-size key lists). */
export const TEXT_FIXTURES = resolve(REPO, '../shared/fixtures/text-encoders');
