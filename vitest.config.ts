import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests boot the whole local runtime (dynalite, s3rver, HTTP);
    // two cores: keep file parallelism modest.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Handlers log JSON per request through Powertools; tests keep only errors.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
