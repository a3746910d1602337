import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '#core/errors.ts';
import { callerOf, resourceScopeOf, tenantOf } from '#middleware/caller.ts';

/** An event as API Gateway's Cognito authorizer passes it: claims as strings, or no authorizer at all. */
const event = (claims: Record<string, string> | undefined, query: Record<string, string[]> = {}, path: Record<string, string> = {}) =>
  ({
    requestContext: { authorizer: claims ? { claims } : null },
    multiValueQueryStringParameters: query,
    pathParameters: path,
  }) as unknown as APIGatewayProxyEvent;
const claims = (scope: string, tenant?: string) => ({ client_id: 'c1', scope, ...(tenant === undefined ? {} : { tenant }) });

describe('callerOf and tenantOf: the tenant comes from the verified token only', () => {
  it('reads client, tenant and unprefixed scopes from the claims', () => {
    expect(callerOf(event(claims('strata/dicom.read strata/admin', 'hospital-a')))).toEqual({ clientId: 'c1', tenant: 'hospital-a', scopes: ['dicom.read', 'admin'] });
  });

  it('refuses a request without claims (401) and a token without a valid tenant (403), never defaulting', () => {
    expect(() => callerOf(event(undefined))).toThrow(UnauthorizedError);
    expect(() => callerOf(event(claims('strata/dicom.read')))).toThrow(ForbiddenError);
    for (const tenant of ['', 'A', 'a#b', 'a/b', '-a', 'x'.repeat(64)]) expect(() => callerOf(event(claims('strata/dicom.read', tenant))), tenant).toThrow(ForbiddenError);
  });

  it('lets only the admin scope name another tenant with ?tenant=, and refuses anyone else who tries', () => {
    expect(tenantOf(event(claims('strata/dicom.read', 'a')))).toBe('a');
    expect(() => tenantOf(event(claims('strata/dicom.read', 'a'), { tenant: ['b'] }))).toThrow(ForbiddenError);
    expect(tenantOf(event(claims('strata/dicom.read strata/admin', 'a'), { tenant: ['b'] }))).toBe('b');
    expect(() => tenantOf(event(claims('strata/admin', 'a'), { tenant: ['b', 'c'] }))).toThrow(BadRequestError);
    expect(() => tenantOf(event(claims('strata/admin', 'a'), { tenant: ['T#x'] }))).toThrow(BadRequestError);
  });

  it('counts only Strata\'s own scopes: another resource server\'s admin, or a bare one, names no tenant', () => {
    expect(callerOf(event(claims('strata/dicom.read other/admin admin x/strata/admin', 'a'))).scopes).toEqual(['dicom.read']);
    for (const foreign of ['other/admin', 'admin', 'strata-evil/admin', 'x/strata/admin']) {
      expect(() => tenantOf(event(claims(`strata/dicom.read ${foreign}`, 'a'), { tenant: ['b'] })), foreign).toThrow(ForbiddenError);
    }
  });

  it('builds the resource scope from the path and the caller\'s tenant', () => {
    expect(resourceScopeOf(event(claims('strata/dicom.read', 'a'), {}, { study: '1.2', series: '1.2.3' }))).toEqual({ tenant: 'a', study: '1.2', series: '1.2.3', sop: undefined });
  });
});
