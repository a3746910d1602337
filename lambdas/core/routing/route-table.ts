/**
 * Matches request paths to the declared routes the way API Gateway REST resources do:
 * literal segments win over `{param}` segments, `{param+}` takes the rest of the path. The local
 * gateway and the data plane route with it, so both planes match a path alike.
 */

/** What routing needs of a route; the caller's own route type comes back in the match. */
export interface Route {
  method: string;
  path: string;
}

export interface RouteMatch<R extends Route = Route> {
  route: R;
  pathParameters: Record<string, string>;
}

interface CompiledRoute<R extends Route> {
  route: R;
  segments: string[];
  specificity: number[];
}

export class RouteTable<R extends Route> {
  private readonly compiled: CompiledRoute<R>[];

  constructor(routes: readonly R[]) {
    this.compiled = routes.map((route) => {
      const segments = route.path.split('/').filter(Boolean);
      return { route, segments, specificity: segments.map((s) => (s.startsWith('{') ? (s.endsWith('+}') ? 0 : 1) : 2)) };
    });
  }

  /** The best route for a method and path; `undefined` when none (API Gateway answers 403/404). */
  match(method: string, path: string): RouteMatch<R> | undefined {
    const parts = path.split('/').filter(Boolean);
    let best: { match: RouteMatch<R>; specificity: number[] } | undefined;
    for (const candidate of this.compiled) {
      if (candidate.route.method !== method) continue;
      const pathParameters = matchSegments(candidate.segments, parts);
      if (!pathParameters) continue;
      if (!best || compare(candidate.specificity, best.specificity) > 0) {
        best = { match: { route: candidate.route, pathParameters }, specificity: candidate.specificity };
      }
    }
    return best?.match;
  }

  /** Whether any route serves this path (for CORS preflight). */
  hasPath(path: string): boolean {
    const parts = path.split('/').filter(Boolean);
    return this.compiled.some((candidate) => matchSegments(candidate.segments, parts) !== undefined);
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.startsWith('{') && segment.endsWith('+}')) {
      if (i >= parts.length) return undefined;
      parameters[segment.slice(1, -2)] = parts.slice(i).join('/');
      return parameters;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith('{')) parameters[segment.slice(1, -1)] = part;
    else if (segment !== part) return undefined;
  }
  return segments.length === parts.length ? parameters : undefined;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? -1) - (b[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}
