import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'native-runner/**/*.test.ts', 'src-renderer/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'test/e2e/**'],
    environment: 'node',
    // Native addons (better-sqlite3, onnxruntime-node) are safest in separate processes.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
