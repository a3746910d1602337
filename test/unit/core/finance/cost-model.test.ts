import { describe, expect, it } from 'vitest';
import { checkPriceTable, DEFAULT_PRICES as P, PriceTableError } from '#core/finance/price-table.ts';
import {
  bandedPrice,
  billableBytes,
  earlyDeletionCharge,
  getCharge,
  monthlyStorageCost,
  putCharge,
  retrievalCharge,
  storageCharges,
  storagePrice,
  transitionCharge,
} from '#core/finance/s3-cost.ts';
import { apiGatewayCost, dynamoDbCost, eventBridgeCost, kmsCost, lambdaCost, lambdaGbSeconds, stepFunctionsCost, writeUnits } from '#core/finance/serverless-cost.ts';
import { BYTES_PER_GB, cents, gbMonths, hoursInMonth, hoursToMonthEnd } from '#core/finance/units.ts';

const GB = BYTES_PER_GB;
const KB = 1024;

describe('AWS worked examples (S3 FAQ, "How will I be charged and billed", us-east-1)', () => {
  it('storage: 100 GB for 15 days then 100 TB for 16 days of March = 52,900 GB-months = $1,215.00', () => {
    const byteHours = 107_374_182_400 * 15 * 24 + 109_951_162_777_600 * 16 * 24;
    expect(byteHours).toBeCloseTo(42_259_901_212_262_400, -3);
    expect(hoursInMonth('2026-03')).toBe(744);
    const gbMo = gbMonths(byteHours, '2026-03');
    expect(gbMo).toBeCloseTo(52_900, 6);
    expect(cents(storagePrice(P, 'STANDARD', gbMo))).toBe(1215.0);
    // the two bands the example names: 51,200 GB × $0.023 = $1,177.60 and 1,700 GB × $0.022 = $37.40
    expect(cents(bandedPrice(P.s3.storageClasses.STANDARD.storageGbMonthTiers!, 51_200))).toBe(1177.6);
  });

  it('requests: 310,000 PUTs = $1.55 and 620,000 GETs = $0.25', () => {
    expect(cents(putCharge(P, 'STANDARD', 310_000))).toBe(1.55);
    expect(cents(getCharge(P, 'STANDARD', 620_000))).toBe(0.25);
  });

  it('data retrieval: 300 GB of Standard-IA = $3.00', () => {
    expect(cents(retrievalCharge(P, 'STANDARD_IA', 'standard', 300 * GB, 0))).toBe(3.0);
  });
});

describe('S3 billing rules', () => {
  it('prices Standard in volume bands: 50 TB at $0.023, the next 450 TB at $0.022, the rest at $0.021', () => {
    expect(storagePrice(P, 'STANDARD', 600_000)).toBeCloseTo(51_200 * 0.023 + 460_800 * 0.022 + 88_000 * 0.021, 6);
    expect(storagePrice(P, 'STANDARD', 100)).toBeCloseTo(2.3, 9);
    // the other classes have one price
    expect(storagePrice(P, 'GLACIER_IR', 600_000)).toBeCloseTo(600_000 * 0.004, 6);
  });

  it('bands apply to the month total of Standard across holdings, shared in proportion', () => {
    const [a, b] = storageCharges(P, [
      { tier: 'STANDARD', gbMonths: 40_000, objectMonths: 0 },
      { tier: 'STANDARD', gbMonths: 40_000, objectMonths: 0 },
    ]);
    const total = 51_200 * 0.023 + 28_800 * 0.022;
    expect(a!.storage + b!.storage).toBeCloseTo(total, 6);
    expect(a!.storage).toBeCloseTo(total / 2, 6);
  });

  it('bills IA, One Zone-IA and Glacier IR at least 128 KB per object, the others their size', () => {
    expect(billableBytes(P, 'STANDARD_IA', 16 * KB)).toBe(128 * KB);
    expect(billableBytes(P, 'ONEZONE_IA', 16 * KB)).toBe(128 * KB);
    expect(billableBytes(P, 'GLACIER_IR', 100 * KB)).toBe(128 * KB);
    expect(billableBytes(P, 'GLACIER_IR', 200 * KB)).toBe(200 * KB);
    expect(billableBytes(P, 'STANDARD', 16 * KB)).toBe(16 * KB);
    expect(billableBytes(P, 'DEEP_ARCHIVE', 16 * KB)).toBe(16 * KB);
    // 1,000 reports of 16 KB a month: Standard-IA bills 1,000 × 128 KB
    expect(monthlyStorageCost('STANDARD_IA', { bytes: 1000 * 16 * KB, objects: 1000, billable: 1000 * 128 * KB }, P)).toBeCloseTo(((1000 * 128 * KB) / GB) * 0.0125, 12);
  });

  it('adds 8 KB at the Standard rate and 32 KB at the class rate per object in Glacier Flexible Retrieval and Deep Archive', () => {
    const objects = 1_000_000;
    const data = (objects * 1024 * KB) / GB;
    const deep = monthlyStorageCost('DEEP_ARCHIVE', { bytes: objects * 1024 * KB, objects }, P);
    expect(deep).toBeCloseTo(data * 0.00099 + ((objects * 8 * KB) / GB) * 0.023 + ((objects * 32 * KB) / GB) * 0.00099, 9);
    const flexible = monthlyStorageCost('GLACIER', { bytes: 0, objects }, P);
    expect(flexible).toBeCloseTo(((objects * 8 * KB) / GB) * 0.023 + ((objects * 32 * KB) / GB) * 0.0036, 9);
    // no overhead elsewhere
    expect(monthlyStorageCost('GLACIER_IR', { bytes: 0, objects }, P)).toBe(0);
  });

  it('charges the rest of the minimum storage duration when bytes leave early (30 d IA, 90 d Glacier IR/Flexible, 180 d Deep Archive)', () => {
    expect(earlyDeletionCharge(P, 'GLACIER', GB, 60)).toBeCloseTo(0.0036, 12); // 30 days left of 90, a 30-day month
    expect(earlyDeletionCharge(P, 'GLACIER_IR', GB, 10)).toBeCloseTo((80 / 30) * 0.004, 12);
    expect(earlyDeletionCharge(P, 'STANDARD_IA', GB, 29)).toBeCloseTo((1 / 30) * 0.0125, 12);
    expect(earlyDeletionCharge(P, 'DEEP_ARCHIVE', GB, 90)).toBeCloseTo((90 / 30) * 0.00099, 12);
    expect(earlyDeletionCharge(P, 'DEEP_ARCHIVE', GB, 180)).toBe(0);
    expect(earlyDeletionCharge(P, 'STANDARD', GB, 0)).toBe(0);
  });

  it('charges lifecycle transitions per object at the destination rate', () => {
    expect(transitionCharge(P, 'DEEP_ARCHIVE', 100_000)).toBeCloseTo(5, 9);
    expect(transitionCharge(P, 'GLACIER_IR', 100_000)).toBeCloseTo(2, 9);
    expect(transitionCharge(P, 'STANDARD_IA', 100_000)).toBeCloseTo(1, 9);
    expect(() => transitionCharge(P, 'STANDARD', 1)).toThrow(/do not transition into STANDARD/);
  });

  it('charges PUT and GET by class', () => {
    expect(putCharge(P, 'DEEP_ARCHIVE', 1000)).toBeCloseTo(0.05, 12);
    expect(getCharge(P, 'GLACIER_IR', 1000)).toBeCloseTo(0.01, 12);
    expect(getCharge(P, 'STANDARD_IA', 1000)).toBeCloseTo(0.001, 12);
  });

  it('charges retrievals per GB and per request by restore tier', () => {
    expect(retrievalCharge(P, 'DEEP_ARCHIVE', 'bulk', 1000 * GB, 1000)).toBeCloseTo(1000 * 0.0025 + 0.025, 9);
    expect(retrievalCharge(P, 'DEEP_ARCHIVE', 'standard', 1000 * GB, 1000)).toBeCloseTo(20 + 0.1, 9);
    expect(retrievalCharge(P, 'GLACIER', 'expedited', 10 * GB, 1000)).toBeCloseTo(0.3 + 10, 9);
    expect(retrievalCharge(P, 'GLACIER', 'bulk', 1000 * GB, 1000)).toBe(0);
    expect(retrievalCharge(P, 'GLACIER_IR', 'standard', 10 * GB, 0)).toBeCloseTo(0.3, 12);
    expect(() => retrievalCharge(P, 'DEEP_ARCHIVE', 'expedited', GB, 1)).toThrow(/no expedited retrieval/);
  });

  it('meters storage in byte-hours: a change adds its bytes × the hours left in its month', () => {
    expect(hoursToMonthEnd('2026-03-16T00:00:00.000Z')).toBe(16 * 24);
    expect(hoursToMonthEnd('2026-02-28T23:00:00.000Z')).toBe(1);
    expect(hoursInMonth('2028-02')).toBe(29 * 24);
    // 100 GB added on the 16th of March: 100 × 384 / 744 GB-months
    expect(gbMonths(100 * GB * hoursToMonthEnd('2026-03-16T00:00:00.000Z'), '2026-03')).toBeCloseTo((100 * 384) / 744, 9);
  });
});

describe('serverless running costs', () => {
  it('Lambda arm64: $0.20 per million requests and $0.0000133334 per GB-second, banded', () => {
    expect(lambdaGbSeconds(1_000_000, 128, 100)).toBe(12_500);
    expect(lambdaCost(P, { invocations: 1_000_000, gbSeconds: 12_500 })).toBeCloseTo(0.2 + 12_500 * 0.0000133334, 9);
    expect(lambdaCost(P, { invocations: 0, gbSeconds: 8e9 })).toBeCloseTo(7.5e9 * 0.0000133334 + 0.5e9 * 0.0000120001, 3);
  });

  it('API Gateway: REST $3.50 per million for the first 333 million then $2.80; HTTP $1.00', () => {
    expect(apiGatewayCost(P, { requests: 1e6, api: 'rest' })).toBeCloseTo(3.5, 9);
    expect(apiGatewayCost(P, { requests: 400e6, api: 'rest' })).toBeCloseTo(333 * 3.5 + 67 * 2.8, 6);
    expect(apiGatewayCost(P, { requests: 1e6, api: 'http' })).toBeCloseTo(1, 9);
  });

  it('DynamoDB on demand: $0.625 per million writes, $0.125 per million reads, storage past 25 GB at $0.25', () => {
    expect(dynamoDbCost(P, { writeUnits: 1e6, readUnits: 1e6, storageGbMonths: 30 })).toBeCloseTo(0.625 + 0.125 + 5 * 0.25, 9);
    expect(dynamoDbCost(P, { writeUnits: 0, readUnits: 0, storageGbMonths: 20 })).toBe(0);
    expect(writeUnits(2.5 * 1024, true)).toBe(6);
  });

  it('Step Functions: $0.025 per 1,000 transitions after 4,000 free; KMS $0.03 per 10,000 after 20,000 free; EventBridge: AWS service events free, custom $1 per million', () => {
    expect(stepFunctionsCost(P, { transitions: 10_000, applyFreeTier: true })).toBeCloseTo(0.15, 12);
    expect(stepFunctionsCost(P, { transitions: 10_000 })).toBeCloseTo(0.25, 12);
    expect(kmsCost(P, { requests: 30_000, applyFreeTier: true })).toBeCloseTo(0.03, 12);
    expect(kmsCost(P, { requests: 0, keys: 2 })).toBe(2);
    expect(eventBridgeCost(P, { awsServiceEvents: 1e6, customEvents: 0 })).toBe(0);
    expect(eventBridgeCost(P, { awsServiceEvents: 0, customEvents: 1e6 })).toBe(1);
  });
});

describe('the price table', () => {
  it('is dated and sourced', () => {
    expect(P.region).toBe('us-east-1');
    expect(P.asOf.s3PricingPageSnapshot).toBe('2025-10-19');
  });

  it('refuses a table that lacks a figure, naming it', () => {
    const table = structuredClone(P) as unknown as { s3: { storageClasses: { DEEP_ARCHIVE: Record<string, unknown> } } };
    delete table.s3.storageClasses.DEEP_ARCHIVE.putPer1000;
    expect(() => checkPriceTable(table, 'eu-west-1.json')).toThrow(PriceTableError);
    expect(() => checkPriceTable(table, 'eu-west-1.json')).toThrow(/eu-west-1.json lacks 1 figure.*s3.storageClasses.DEEP_ARCHIVE.putPer1000/);
  });
});
