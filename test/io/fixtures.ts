// Where the reference fixtures live: ../shared/fixtures/flux-reference relative to the repository root (also on CI).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/flux-reference');
export const fixture = (name: string): string => path.join(fixturesDir, name);
