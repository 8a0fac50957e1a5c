// WebGPU tests run where the provider starts (CI installs lavapipe) and elsewhere check only the error path.
import { expect } from 'vitest';

/** The provider could not start: `message` must be the one-line error `pattern` describes; say what was skipped. */
export function webgpuMissing(message: unknown, pattern: RegExp): void {
  expect(String(message)).toMatch(pattern);
  console.warn('WebGPU provider unavailable here (no Vulkan driver): only the error path was checked');
}
