// @ts-check
/**
 * Mutation testing (StrykerJS, `npm run test:mutation`): the pure core, the IAM derivation and
 * the local S3 fidelity layer's gating and checksum code, against the unit tests only
 * (vitest.mutation.config.ts). Per-test coverage runs each mutant against the tests that reach
 * it. Slices: `npm run test:mutation -- --mutate 'lambdas/core/qido/**'`. See docs/mutation-testing.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  // A static mutant (module-level constant) needs every related test file re-imported per mutant:
  // minutes each on shared cores. `--ignoreStatic false` includes them.
  ignoreStatic: true,
  mutate: [
    'lambdas/core/**/*.ts',
    '!lambdas/core/**/*.d.ts',
    'infra/constructs/grants.ts',
    'infra/system-env.ts',
    'infra/local/s3/restore-policy.ts',
    'infra/local/s3/aws-chunked.ts',
    'infra/local/s3/object-lock.ts',
    'infra/local/s3/storage-classes.ts',
  ],
  // Two cores shared with other work.
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
