/**
 * The local gateway's CORS answers agree with the synthesized template for the same
 * `allowedOrigins`: preflights (API Gateway's MOCK integration, read from the template's
 * response parameters and CDK's response template), API Gateway's own error responses, and the
 * functions' responses (their STRATA_ALLOWED_ORIGINS).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, PROJECT_ROOT } from '#infra/app.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

const VIEWER = 'https://viewer.example';
const PACS = 'https://pacs.example';
const STRANGER = 'https://evil.example';
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-max-age', 'access-control-expose-headers', 'vary'];

function templateFor(allowedOrigins: string[]): Resources {
  const { context } = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...context, allowedOrigins: allowedOrigins.join(','), 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(buildApp(app).primary).toJSON().Resources as Resources;
}

/** The resource id of an API path (`/dicom-web/studies`) in the template. */
function resourceIdOf(resources: Resources, path: string): string {
  const pathOf = (id: string): string => {
    const r = resources[id];
    if (!r || r.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${r.Properties.ParentId.Ref ? pathOf(r.Properties.ParentId.Ref) : ''}/${r.Properties.PathPart}`;
  };
  const id = Object.keys(resources).find((key) => pathOf(key) === path);
  if (!id) throw new Error(`no resource ${path}`);
  return id;
}

/** What API Gateway answers a preflight from `origin` with, read from the template's MOCK integration. */
function templatePreflight(resources: Resources, path: string, origin: string): { status: number; headers: Record<string, string> } {
  const id = resourceIdOf(resources, path);
  const method = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod === 'OPTIONS' && r.Properties.ResourceId.Ref === id)!;
  const [response] = method.Properties.Integration.IntegrationResponses as { StatusCode: string; ResponseParameters: Record<string, string>; ResponseTemplates?: Record<string, string> }[];
  const headers = staticHeaders(response!.ResponseParameters, 'method.response.header.');
  // CDK's response template: `#if($origin == "a" || …) #set(…Access-Control-Allow-Origin = $origin)`.
  const template = response!.ResponseTemplates?.['application/json'] ?? '';
  const overridden = [...template.matchAll(/\$origin == "([^"]+)"/g)].map(([, o]) => o);
  if (overridden.includes(origin) && template.includes('responseOverride.header.Access-Control-Allow-Origin = $origin')) headers['access-control-allow-origin'] = origin;
  return { status: Number(response!.StatusCode), headers };
}

/** Static header values of a template (`'value'` literals). */
function staticHeaders(parameters: Record<string, string>, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (!key.startsWith(prefix)) continue;
    expect(value).toMatch(/^'.*'$/);
    headers[key.slice(prefix.length).toLowerCase()] = value.slice(1, -1);
  }
  return headers;
}

const corsOf = (headers: Headers) => Object.fromEntries(CORS_HEADERS.flatMap((name) => (headers.has(name) ? [[name, headers.get(name)!]] : [])));

describe.each([
  { name: 'several allowed origins', allowedOrigins: [VIEWER, PACS] },
  { name: 'one allowed origin', allowedOrigins: [VIEWER] },
])('CORS with $name: the local gateway answers as the template does', ({ allowedOrigins }) => {
  let runtime: TestRuntime;
  let resources: Resources;
  beforeAll(async () => {
    resources = templateFor(allowedOrigins);
    runtime = await startTestRuntime({ allowedOrigins });
  }, 240_000); // a synth with cdk-nag takes a minute on a loaded machine
  afterAll(() => runtime?.dispose());

  it.each([VIEWER, PACS, STRANGER])('answers a preflight from %s with the template\'s status and headers', async (origin) => {
    for (const path of ['/dicom-web/studies', '/dicom-web/studies/{study}/series/{series}']) {
      const expected = templatePreflight(resources, path, origin);
      const response = await fetch(`${runtime.url}${path.replace('{study}', '1.2.3').replace('{series}', '4.5')}`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'DELETE' },
      });
      expect(response.status).toBe(expected.status);
      expect(corsOf(response.headers)).toEqual(expected.headers);
    }
  });

  it('lists the declared methods and headers and a 10-minute max age in the preflight', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies`, { method: 'OPTIONS', headers: { Origin: VIEWER } });
    expect(response.headers.get('access-control-allow-methods')?.split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    expect(response.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['Authorization', 'Content-Type']));
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('gives API Gateway\'s own error responses the template\'s CORS headers', async () => {
    const noRoute = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::GatewayResponse' && r.Properties.ResponseType === 'MISSING_AUTHENTICATION_TOKEN')!;
    const expected = staticHeaders(noRoute.Properties.ResponseParameters, 'gatewayresponse.header.');
    for (const origin of [VIEWER, STRANGER]) {
      const response = await fetch(`${runtime.url}/no-such-route`, { headers: { Origin: origin } });
      expect(response.status).toBe(404);
      expect(corsOf(response.headers)).toEqual(expected);
    }
  });

  it('runs the functions with the template\'s STRATA_ALLOWED_ORIGINS: an allowed origin is named, a refused one is not', async () => {
    const health = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('Liveness'))!;
    expect(health.Properties.Environment.Variables.STRATA_ALLOWED_ORIGINS).toBe(allowedOrigins.join(','));
    const allowed = await fetch(`${runtime.url}/health`, { headers: { Origin: allowedOrigins.at(-1)! } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(allowedOrigins.at(-1));
    expect(allowed.headers.get('vary')).toContain('Origin');
    const refused = await fetch(`${runtime.url}/health`, { headers: { Origin: STRANGER } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
