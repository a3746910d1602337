/**
 * What deleting objects saves per month: the finance cost model's storage cost of each object
 * (core/finance/s3-cost.ts: the 128 KB minimum of the IA classes, the archive classes' 8 KB at
 * the Standard rate and 32 KB at their own, the first Standard band), over the shipped price table.
 */
import { DEFAULT_PRICES, isStorageTier } from '#core/finance/price-table.ts';
import { billableBytes, monthlyStorageCost as storageCost } from '#core/finance/s3-cost.ts';

export interface StoredObjectCost {
  bytes: number;
  /** S3 storage class (STANDARD when unknown). */
  tier: string;
}

/** Dollars per month that storing these objects costs (so deleting them saves). */
export function monthlyStorageCost(objects: Iterable<StoredObjectCost>): number {
  let dollars = 0;
  for (const { bytes, tier } of objects) {
    const known = isStorageTier(tier) ? tier : 'STANDARD';
    dollars += storageCost(known, { bytes, objects: 1, billable: billableBytes(DEFAULT_PRICES, known, bytes) }, DEFAULT_PRICES);
  }
  return dollars;
}

export const PRICE_SOURCE = `${DEFAULT_PRICES.region} S3 storage prices as of ${DEFAULT_PRICES.asOf.s3PricingPageSnapshot}`;
