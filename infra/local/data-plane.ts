/**
 * The data plane in the local runtime: the same service as on Fargate
 * (lambdas/handlers/data-plane/server.ts), on its own port, against the same emulators, with
 * no size limit.
 *
 * Authorization: the local API Gateway passes no authorizer claims yet, so neither does this
 * (callers get the default tenant, as through the gateway). When the gateway verifies tokens,
 * its verifier is the `authorize` passed here — one verifier for both local planes.
 */
import { dataPlaneListener, type Authorize } from '#handlers/data-plane/server.ts';
import { dataPlaneRoutes } from '#infra/dataplane/declaration.ts';

export const openLocally: Authorize = async () => ({ claims: null });

export function localDataPlane(options: { authorize?: Authorize; spoolBytes?: number | undefined } = {}) {
  return dataPlaneListener({ routes: dataPlaneRoutes(), authorize: options.authorize ?? openLocally, spoolBytes: options.spoolBytes });
}
