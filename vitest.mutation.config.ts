import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant: the unit tests, without the two that
 * synthesize the whole CDK app (seconds per run, and the IAM derivation has its own unit test).
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/infra/stack.test.ts', 'test/unit/infra/cli-synth.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
