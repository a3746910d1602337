/**
 * The data plane, derived from the one declaration (infra/system.ts): the routes it serves are
 * the declared STOW-RS routes and the whole-resource WADO-RS routes (studies, series,
 * instances), with their declared scopes; its grants are the grants of the functions that
 * serve those routes. Both the local runtime and the CDK stack read this.
 */
import { system } from '#infra/system.ts';
import type { GrantDeclaration, RouteDeclaration } from '#infra/system-types.ts';

/** WADO-RS resources that are whole instances (not metadata, frames, bulk data or renderings). */
const WHOLE_RESOURCE = /^\/dicom-web\/studies\/\{study\}(\/series\/\{series\}(\/instances\/\{instance\})?)?$/;

export function dataPlaneRoutes(routes: readonly RouteDeclaration[] = system.routes): RouteDeclaration[] {
  return routes.filter(
    (route) => (route.method === 'POST' && route.function === 'storeInstances') || (route.method === 'GET' && route.function === 'retrieve' && WHOLE_RESOURCE.test(route.path)),
  );
}

/** The grants of the functions behind the data plane's routes, each once. */
export function dataPlaneGrants(): GrantDeclaration[] {
  const functions = new Set(dataPlaneRoutes().map((route) => route.function));
  return [...functions].flatMap((name) => [...system.functions[name as keyof typeof system.functions].grants]);
}

/** What API Gateway's 413 adds: where a request too large for Lambda goes (same paths, any size). */
export const dataPlaneDirections = (dataPlaneBaseUrl: string) =>
  `Large STOW-RS requests and WADO-RS retrievals of whole studies, series or instances go to the data plane, same paths, no size limit: ${dataPlaneBaseUrl}`;
