import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the console (Vite) once before any test when it is missing or stale: the local
    // runtime serves it and the synth copies it (infra/console/build.ts).
    globalSetup: ['test/helpers/console-build.ts'],
    // Integration tests boot the whole local runtime (dynalite, s3rver, HTTP);
    // two cores: keep file parallelism modest.
    maxWorkers: 2,
    testTimeout: 60_000,
    // Hooks boot runtimes: on a loaded machine (a full run beside other work) one start took over 60 s.
    hookTimeout: 180_000,
    // Handlers log JSON per request through Powertools; tests keep only errors.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
