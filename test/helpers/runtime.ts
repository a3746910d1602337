/** Boots the local runtime for an integration test: random ports, a fresh data directory, no retry waits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '#infra/local/runtime.ts';

export interface TestRuntime extends LocalRuntime {
  /** Stops the runtime and deletes its data. */
  dispose(): Promise<void>;
  /** Stops and starts again on the same data directory and ports. */
  restart(): Promise<TestRuntime>;
}

export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-test-'));
  const log = process.env.STRATA_TEST_VERBOSE ? (message: string) => console.error(message) : () => {};
  const runtime = await startLocalRuntime({ port: 0, retryIntervalMs: 0, log, ...options, dataDir });
  const port = Number(new URL(runtime.url).port);
  return Object.assign(runtime, {
    async dispose() {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await runtime.stop();
      return startTestRuntime({ ...options, dataDir, port, servicePorts: runtime.servicePorts });
    },
  });
}
