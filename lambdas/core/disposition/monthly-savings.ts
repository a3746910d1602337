/**
 * What deleting objects saves per month, from S3's published storage prices. A stand-in for
 * the finance cost model (its own issue): kept to this one pure function over a copy of
 * `aws-prices-us-east-1.json` (prices/), so the cost model can replace it without touching
 * the workflow. Billing rules applied (from that file): GB = 2^30 bytes; IA and Glacier IR bill
 * at least 128 KB per object; Glacier and Deep Archive add 8 KB at the Standard rate and 32 KB
 * at their own per object; the first price tier of each class (the conservative, higher one).
 */
import prices from './prices/aws-prices-us-east-1.json' with { type: 'json' };

export interface StoredObjectCost {
  bytes: number;
  /** S3 storage class (STANDARD when unknown). */
  tier: string;
}

interface ClassPrice {
  storageGbMonth: number | null;
  minBillableBytes: number;
  overheadBytesStandard: number;
  overheadBytesClassRate: number;
  accessTiers?: { FREQUENT?: { storageGbMonth: number } };
}

const GB = 2 ** 30;
const classes = prices.s3.storageClasses as unknown as Record<string, ClassPrice>;
const standardRate = classes.STANDARD!.storageGbMonth!;

/** Price per GB-month of a class; Intelligent-Tiering at its Frequent rate (the most it may cost). */
function rateOf(tier: string): number {
  const price = classes[tier] ?? classes.STANDARD!;
  return price.storageGbMonth ?? price.accessTiers?.FREQUENT?.storageGbMonth ?? standardRate;
}

/** Dollars per month that storing these objects costs (so deleting them saves). */
export function monthlyStorageCost(objects: Iterable<StoredObjectCost>): number {
  let dollars = 0;
  for (const { bytes, tier } of objects) {
    const price = classes[tier] ?? classes.STANDARD!;
    dollars += (Math.max(bytes, price.minBillableBytes) + price.overheadBytesClassRate) / GB * rateOf(tier);
    dollars += price.overheadBytesStandard / GB * standardRate;
  }
  return dollars;
}

/** The price list's region and date, printed with every figure. */
export const PRICE_SOURCE = `${prices.region} S3 storage prices as of ${prices.asOf.s3PricingPageSnapshot}`;
