/**
 * The data plane in the local runtime: the same service as on Fargate
 * (lambdas/handlers/data-plane/server.ts), on its own port, against the same emulators, with
 * no size limit.
 *
 * Authorization: the runtime passes the local gateway's verifier as `authorize` (runtime.ts), so
 * both local planes check the same tokens, scopes and tenant claim.
 */
import { createDataPlaneServer, type Authorize } from '#handlers/data-plane/server.ts';
import { dataPlaneRoutes } from '#infra/dataplane/declaration.ts';

export function localDataPlane(options: { authorize: Authorize; spoolBytes?: number | undefined }) {
  return createDataPlaneServer({ routes: dataPlaneRoutes(), authorize: options.authorize, spoolBytes: options.spoolBytes });
}
