/**
 * The Cognito pre-token-generation trigger (V3_0), run as the local Lambda host runs every
 * function, against the clients table in dynalite: it adds the client's tenant claim, and
 * refuses (so Cognito issues no token) a client with no tenant or an invalid one.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTenantKey } from '#core/identity/client-tenant-key.ts';
import type { PreTokenGenerationV3Event } from '#handlers/identity/add-tenant-claim.ts';
import { system } from '#infra/system.ts';
import { dynamoFor } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

/** A V3_0 client-credentials event as Cognito sends it (the fields the trigger reads, and a few it must keep). */
const event = (clientId: string) =>
  ({
    version: '3',
    triggerSource: 'TokenGeneration_ClientCredentials',
    region: 'us-east-1',
    userPoolId: 'us-east-1_example',
    userName: clientId,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId },
    request: { userAttributes: {}, scopes: ['strata/dicom.read'], groupConfiguration: {} },
    response: { claimsAndScopeOverrideDetails: null },
  }) as PreTokenGenerationV3Event & Record<string, unknown>;

describe('The tenant-claim token trigger (Cognito pre-token generation V3_0)', () => {
  let runtime: TestRuntime;
  const invoke = (clientId: string) => runtime.lambdas.invoke(system.api.tokenTrigger, event(clientId)) as Promise<PreTokenGenerationV3Event>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const db = dynamoFor(runtime);
    const put = (clientId: string, tenant: string) => {
      const key = clientTenantKey(clientId);
      return db.send(new PutItemCommand({ TableName: runtime.names.table('clients'), Item: { pk: { S: key.pk }, sk: { S: key.sk }, tenant: { S: tenant } } }));
    };
    await put('pacs-of-hospital-a', 'hospital-a');
    await put('misconfigured', 'Hospital#A');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('adds the tenant of the app client to its access token, and nothing else', async () => {
    const result = await invoke('pacs-of-hospital-a');
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({ accessTokenGeneration: { claimsToAddOrOverride: { tenant: 'hospital-a' } } });
    expect(result.triggerSource).toBe('TokenGeneration_ClientCredentials');
  });

  it('fails, so Cognito issues no token, for a client without a tenant or with an invalid one', async () => {
    await expect(invoke('unknown-client')).rejects.toThrow(/has no tenant/);
    await expect(invoke('misconfigured')).rejects.toThrow(/has no tenant/);
  });
});
