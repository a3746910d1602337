/**
 * `GET /console/…`: the console's static files (public; they hold no data — the page asks for a
 * token and reads the API with it). The page gets a `<base href>` naming where it is served, so
 * its relative asset URLs hold under any stage prefix. Not audited: no caller, nothing disclosed.
 */
import { CONSOLE_SECURITY_HEADERS, cacheControlOf, consoleFileOf, INDEX_FILE, mediaTypeOf, withBaseHref } from '#core/console/static-files.ts';
import { NotFoundError } from '#core/errors.ts';
import { readStaticFile } from '#adapters/console/static-file-store.ts';
import { config } from '#lambdas/config.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { pathParameter, publicBaseUrl } from '#middleware/http-request.ts';

export const handler = httpHandler(async (event) => {
  const file = consoleFileOf(pathParameter(event, 'path'));
  const bytes = await readStaticFile(config.staticFilesDir(), file);
  if (!bytes) {
    throw new NotFoundError(file === INDEX_FILE ? 'the console is not built (npm start, npm test and npm run synth build it: infra/console/build.ts)' : `no console file ${file}`);
  }
  // The path part only: the page's origin is whatever the browser used.
  const base = `${new URL(publicBaseUrl(event)).pathname.replace(/\/$/, '')}/console/`;
  const body = file === INDEX_FILE ? Buffer.from(withBaseHref(bytes.toString('utf8'), base)) : bytes;
  return {
    statusCode: 200,
    headers: { 'Content-Type': mediaTypeOf(file), 'Cache-Control': cacheControlOf(file), ...CONSOLE_SECURITY_HEADERS },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
});
