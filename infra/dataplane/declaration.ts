/**
 * The data plane, derived from the one declaration (infra/system.ts): the routes it serves are
 * the declared STOW-RS routes and the whole-resource WADO-RS routes (studies, series,
 * instances), with their declared scopes; its grants are the grants of the functions that
 * serve those routes. Both the local runtime and the CDK stack read this.
 */
import { system } from '#infra/system.ts';
import type { ApiDeclaration, GrantDeclaration, RouteDeclaration, SystemDeclaration } from '#infra/system-types.ts';

/** WADO-RS resources that are whole instances (not metadata, frames, bulk data or renderings). */
const WHOLE_RESOURCE = /^\/dicom-web\/studies\/\{study\}(\/series\/\{series\}(\/instances\/\{instance\})?)?$/;

export function dataPlaneRoutes(routes: readonly RouteDeclaration[] = system.routes): RouteDeclaration[] {
  return routes.filter(
    (route) => (route.method === 'POST' && route.function === 'storeInstances') || (route.method === 'GET' && route.function === 'retrieve' && WHOLE_RESOURCE.test(route.path)),
  );
}

/** The functions whose routes the data plane serves, each once. */
export function dataPlaneFunctions(declaration: SystemDeclaration = system): string[] {
  return [...new Set(dataPlaneRoutes(declaration.routes).map((route) => route.function))];
}

/** The grants of the functions behind the data plane's routes. */
export function dataPlaneGrants(declaration: SystemDeclaration = system): GrantDeclaration[] {
  return dataPlaneFunctions(declaration).flatMap((name) => [...declaration.functions[name]!.grants]);
}

/** What the service reads as config.dataPlane.routes: each route's method, path and scope. */
export function dataPlaneRouteEnvironment(declaration: SystemDeclaration = system): string {
  return JSON.stringify(dataPlaneRoutes(declaration.routes).map(({ method, path, scope }) => ({ method, path, ...(scope ? { scope } : {}) })));
}

/** What API Gateway's 413 adds: where a request too large for Lambda goes (same paths, any size). */
export const dataPlaneDirections = (dataPlaneBaseUrl: string) =>
  `Large STOW-RS requests and WADO-RS retrievals of whole studies, series or instances go to the data plane, same paths, no size limit: ${dataPlaneBaseUrl}`;

/** The API as declared, its 413 naming the data plane at `dataPlaneUrl` (the CDK stack's and the local runtime's). */
export function apiWithDataPlane(api: ApiDeclaration, dataPlaneUrl: string): ApiDeclaration {
  const directions = dataPlaneDirections(`${dataPlaneUrl}/dicom-web`);
  return { ...api, requestTooLargeMessage: `${api.requestTooLargeMessage} ${directions}`, largeRequestDirections: directions };
}
