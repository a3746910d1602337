/**
 * Cognito pre-token-generation trigger (event version V3_0, which alone reaches
 * client-credentials tokens; the user pool needs the Essentials feature plan): adds the
 * `tenant` claim of the app client to its access token. A client with no tenant gets no token
 * (the trigger fails, so Cognito refuses the token request): fail closed.
 */
import middy from '@middy/core';
import { ForbiddenError } from '#core/errors.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { tenantClaimOf } from '#services/identity/tenant-claim.ts';

/** The parts of the V3_0 event this trigger reads and writes. */
export interface PreTokenGenerationV3Event {
  triggerSource: string;
  callerContext: { clientId: string };
  response: {
    claimsAndScopeOverrideDetails?: { accessTokenGeneration?: { claimsToAddOrOverride?: Record<string, string> } } | null;
  };
}

export const handler = middy(async (event: PreTokenGenerationV3Event): Promise<PreTokenGenerationV3Event> => {
  const clientId = event.callerContext.clientId;
  let tenant: string;
  try {
    tenant = await tenantClaimOf(clientId);
  } catch (error) {
    if (error instanceof ForbiddenError) logger.warn('token refused: the app client has no valid tenant', { clientId, triggerSource: event.triggerSource });
    throw error;
  }
  event.response.claimsAndScopeOverrideDetails = { accessTokenGeneration: { claimsToAddOrOverride: { tenant } } };
  return event;
});
