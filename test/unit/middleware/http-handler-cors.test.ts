import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** The middleware as a function deployed with STRATA_ALLOWED_ORIGINS (read once at cold start). */
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

async function handlerWith(origins: string | undefined, response: { statusCode: number; headers?: Record<string, string>; body: string } | 'not found'): Promise<Handler> {
  vi.resetModules();
  if (origins !== undefined) vi.stubEnv('STRATA_ALLOWED_ORIGINS', origins);
  const { httpHandler } = await import('#middleware/http-handler.ts');
  const { NotFoundError } = await import('#core/errors.ts'); // the module instance the middleware sees
  return httpHandler(async () => {
    if (response === 'not found') throw new NotFoundError('no such study');
    return { ...response, headers: { ...response.headers } }; // a fresh response per request, as a handler builds it
  }) as unknown as Handler;
}

const call = (handler: Handler, origin?: string) =>
  handler({ httpMethod: 'GET', resource: '/x', headers: origin ? { origin } : {}, requestContext: { requestId: 'r' } } as unknown as APIGatewayProxyEvent, { awsRequestId: 'r' } as Context);

describe('Handler responses follow the configured CORS origins', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('answers * when no origins are configured (the default)', async () => {
    const result = await call(await handlerWith(undefined, { statusCode: 200, body: '' }), 'https://anyone.example');
    expect(result.headers?.['Access-Control-Allow-Origin']).toBe('*');
  });

  it('names an allowed origin, refuses others, keeps the handler\'s own Vary, on success and on error', async () => {
    const ok = await handlerWith('https://viewer.example,https://pacs.example', { statusCode: 200, headers: { Vary: 'Accept-Encoding' }, body: '' });
    const allowed = await call(ok, 'https://pacs.example');
    expect(allowed.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'https://pacs.example', Vary: 'Accept-Encoding, Origin' });
    const other = await call(ok, 'https://evil.example');
    expect(other.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    const failing = await handlerWith('https://viewer.example', 'not found');
    const error = await call(failing, 'https://viewer.example');
    expect(error.statusCode).toBe(404);
    expect(error.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'https://viewer.example', Vary: 'Origin' });
  });
});
