/** GET /health: liveness, the versions of the running components, and a probe of each backend. */
import { httpHandler } from '#middleware/http-handler.ts';
import { checkHealth } from '#services/health.ts';

export const handler = httpHandler(async () => {
  const { ok, ...health } = await checkHealth();
  return {
    statusCode: ok ? 200 : 503,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify(health),
  };
});
