/**
 * The data plane's container entry point (ECS Fargate behind the load balancer; infra/dataplane/).
 * Its routes and scopes come from the system declaration through the environment, its tokens
 * are verified against the user pool, and it stops gracefully when ECS sends SIGTERM: the load
 * balancer has already stopped routing to it, so requests in flight are allowed to finish.
 */
import { cognitoAuthorizer } from '#adapters/identity/cognito-access-tokens.ts';
import { config } from '#lambdas/config.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { exportTraces } from '#lambdas/observability/trace-export.ts';
import { DATA_PLANE_TRACER } from '#lambdas/observability/request-span.ts';
import { createDataPlaneServer } from './server.ts';

// Before the server exists: every request's span goes to X-Ray through the collector sidecar.
const traceEndpoint = config.dataPlane.traceEndpoint();
const traces = traceEndpoint ? exportTraces({ endpoint: traceEndpoint, serviceName: DATA_PLANE_TRACER }) : undefined;

const server = createDataPlaneServer({
  routes: config.dataPlane.routes(),
  authorize: cognitoAuthorizer({ userPoolId: config.dataPlane.userPoolId(), resourceServer: config.dataPlane.resourceServer() }),
  maxConcurrentStows: config.dataPlane.maxConcurrentStows(),
  behindLoadBalancer: config.dataPlane.behindLoadBalancer,
});
server.listen(config.dataPlane.port(), () => logger.info('data plane listening', { port: config.dataPlane.port(), version: config.version }));

process.on('SIGTERM', () => {
  logger.info('SIGTERM: finishing requests in flight');
  server.close(() => {
    // The last requests' spans are still in the batch.
    void (traces?.shutdown() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  server.closeIdleConnections();
});
