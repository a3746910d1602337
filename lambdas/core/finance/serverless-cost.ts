/**
 * The running costs of the serverless parts, per month of usage: Lambda (requests and arm64
 * GB-seconds, banded), API Gateway requests (REST or HTTP, banded per million), DynamoDB
 * on-demand request units and storage (25 GB-months free), Step Functions standard
 * transitions (4,000 free), KMS requests (20,000 free) and keys, EventBridge events (S3's own
 * events to the default bus are free; custom events are not). Pure, in dollars, unrounded.
 */
import type { PriceTable } from './price-table.ts';

/** Lambda on arm64 (every Strata function's architecture). */
export function lambdaCost(prices: PriceTable, usage: { invocations: number; gbSeconds: number }): number {
  let duration = 0;
  for (const band of prices.lambda.durationPerGbSecond.arm64) {
    if (usage.gbSeconds <= band.fromGbS) break;
    duration += ((band.toGbS === null ? usage.gbSeconds : Math.min(usage.gbSeconds, band.toGbS)) - band.fromGbS) * band.price;
  }
  return (usage.invocations / 1e6) * prices.lambda.requestPerMillion + duration;
}

/** GB-seconds of `invocations` calls lasting `ms` each at `memoryMb` (billed per 1 ms). */
export const lambdaGbSeconds = (invocations: number, memoryMb: number, ms: number): number => invocations * (memoryMb / 1024) * (Math.ceil(ms) / 1000);

/**
 * API Gateway's per-million bands as the price table writes them: `firstMillions`, then
 * `nextMillions` (each band's width), then `overMillions`.
 */
function bandedPerMillion(bands: readonly Record<string, number | boolean>[], requests: number): number {
  let millions = requests / 1e6;
  let dollars = 0;
  for (const band of bands) {
    const width = typeof band.firstMillions === 'number' ? band.firstMillions : typeof band.nextMillions === 'number' ? band.nextMillions : Infinity;
    const here = Math.min(millions, width);
    dollars += here * Number(band.price);
    millions -= here;
    if (millions <= 0) break;
  }
  return dollars;
}

export function apiGatewayCost(prices: PriceTable, usage: { requests: number; api: 'rest' | 'http' }): number {
  return bandedPerMillion(usage.api === 'rest' ? prices.apigw.restPerMillion : prices.apigw.httpPerMillion, usage.requests);
}

/** On-demand capacity, Standard table class. */
export function dynamoDbCost(prices: PriceTable, usage: { writeUnits: number; readUnits: number; storageGbMonths: number }): number {
  const d = prices.dynamodb;
  return (
    (usage.writeUnits / 1e6) * d.onDemand.standard.wruPerMillion +
    (usage.readUnits / 1e6) * d.onDemand.standard.rruPerMillion +
    Math.max(0, usage.storageGbMonths - d.storageGbMonth.standardFreeGbMonth) * d.storageGbMonth.standard
  );
}

/** DynamoDB write units of one write of `bytes` (1 per KB started; transactional writes count twice). */
export const writeUnits = (bytes: number, transactional = false): number => Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
/** Read units of one read of `bytes` (1 per 4 KB started; eventually consistent reads count half). */
export const readUnits = (bytes: number, consistent = true): number => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** Standard workflows: each state transition, after the monthly free ones (`applyFreeTier`). */
export function stepFunctionsCost(prices: PriceTable, usage: { transitions: number; applyFreeTier?: boolean }): number {
  const free = usage.applyFreeTier ? prices.sfn.standardFreeTransitionsPerMonth : 0;
  return (Math.max(0, usage.transitions - free) / 1000) * prices.sfn.standardPer1000Transitions;
}

export function kmsCost(prices: PriceTable, usage: { requests: number; keys?: number; applyFreeTier?: boolean }): number {
  const free = usage.applyFreeTier ? prices.kms.freeRequestsPerMonth : 0;
  return (Math.max(0, usage.requests - free) / 10_000) * prices.kms.symmetricRequestsPer10000 + (usage.keys ?? 0) * prices.kms.customerManagedKeyPerMonth;
}

export function eventBridgeCost(prices: PriceTable, usage: { awsServiceEvents: number; customEvents: number }): number {
  return (usage.awsServiceEvents / 1e6) * prices.eventBridge.awsServiceEventsPerMillion + (usage.customEvents / 1e6) * prices.eventBridge.customEventsPerMillion;
}

/** What one operation of the archive uses of each service (modelled, see docs/finance.md). */
export interface OperationProfile {
  apiRequests: number;
  lambdaInvocations: number;
  lambdaMemoryMb: number;
  lambdaMs: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  stepTransitions: number;
  kmsRequests: number;
  awsServiceEvents: number;
  customEvents: number;
}

export interface OperationCost {
  apiGateway: number;
  lambda: number;
  dynamoDb: number;
  stepFunctions: number;
  kms: number;
  eventBridge: number;
  total: number;
}

/** The marginal serverless cost of `count` operations of one profile (no free tiers: they are the account's). */
export function operationCost(prices: PriceTable, profile: OperationProfile, count = 1): OperationCost {
  const lines = {
    apiGateway: apiGatewayCost(prices, { requests: profile.apiRequests * count, api: 'rest' }),
    lambda: lambdaCost(prices, { invocations: profile.lambdaInvocations * count, gbSeconds: lambdaGbSeconds(profile.lambdaInvocations * count, profile.lambdaMemoryMb, profile.lambdaMs) }),
    dynamoDb: dynamoDbCost(prices, { writeUnits: profile.dynamoWriteUnits * count, readUnits: profile.dynamoReadUnits * count, storageGbMonths: 0 }),
    stepFunctions: stepFunctionsCost(prices, { transitions: profile.stepTransitions * count }),
    kms: kmsCost(prices, { requests: profile.kmsRequests * count }),
    eventBridge: eventBridgeCost(prices, { awsServiceEvents: profile.awsServiceEvents * count, customEvents: profile.customEvents * count }),
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
