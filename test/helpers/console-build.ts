/** Vitest global setup: the console's static files, built once before the tests when missing or stale. */
import { resolve } from 'node:path';
import { ensureConsoleBuilt } from '#infra/console/build.ts';

export default async function setup(): Promise<void> {
  await ensureConsoleBuilt(resolve(import.meta.dirname, '../..'));
}
