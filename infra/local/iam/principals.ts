/**
 * Local access key ids: one per declared function (`LOCALFN<name>`), and the process's own key
 * (`S3RVER`, what dynalite and s3rver accept) for tests, scripts and the runtime, which is
 * unrestricted. The endpoints read the key id from the SigV4 Authorization header (or a
 * presigned URL's X-Amz-Credential) and put the process key back before the emulator sees it.
 */
import type { IncomingMessage } from 'node:http';

export const UNRESTRICTED_ACCESS_KEY_ID = 'S3RVER';
const FUNCTION_KEY_PREFIX = 'LOCALFN';

export const accessKeyIdOf = (functionName: string) => `${FUNCTION_KEY_PREFIX}${functionName}`;

/** The caller of a request: a function's name, or `undefined` for the unrestricted key. */
export function callerOf(req: IncomingMessage): string | undefined {
  const key = accessKeyIdIn(req);
  return key?.startsWith(FUNCTION_KEY_PREFIX) ? key.slice(FUNCTION_KEY_PREFIX.length) : undefined;
}

/** Replaces a function's key id by the process key, as the emulators expect it. */
export function restoreProcessKey(req: IncomingMessage): void {
  const authorization = req.headers.authorization;
  if (authorization) req.headers.authorization = authorization.replace(/Credential=[^/,\s]+\//, `Credential=${UNRESTRICTED_ACCESS_KEY_ID}/`);
  if (req.url?.includes('X-Amz-Credential=')) req.url = req.url.replace(/X-Amz-Credential=[^%&/]+(%2F|\/)/i, `X-Amz-Credential=${UNRESTRICTED_ACCESS_KEY_ID}$1`);
}

function accessKeyIdIn(req: IncomingMessage): string | undefined {
  const header = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
  if (header) return header;
  const query = /[?&]X-Amz-Credential=([^%&/]+)/i.exec(req.url ?? '')?.[1];
  return query;
}
