/**
 * The console's built files on disk: in the function's bundle in AWS (copied at synth), in the
 * project locally (infra/console/build.ts writes them). A file that is not there is `undefined`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `file` is already checked to stay inside `folder` (core/console/static-files.ts). */
export async function readStaticFile(folder: string, file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(folder, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
