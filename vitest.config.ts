import { defineConfig } from 'vitest/config';

// Native addons (onnxruntime-node, sharp) are safest in forked workers; two workers match the 2-core CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
