/**
 * S3's billing rules, one function each (S3 pricing page and FAQ; figures from the price table):
 * volume-banded Standard storage, the 128 KB minimum billable size of the IA classes and Glacier
 * Instant Retrieval, the 40 KB per-object overhead of Glacier Flexible Retrieval and Deep Archive
 * (8 KB at the Standard rate, 32 KB at the class's), minimum storage durations (leaving early is
 * billed as if kept), lifecycle transition, PUT and GET requests, and retrievals per GB and per
 * request by restore tier. Pure and in dollars, unrounded: round once, on the total.
 */
import type { PriceTable, RestoreTier, StorageClassPrices, StorageTier, VolumeBand } from './price-table.ts';
import { BYTES_PER_GB } from './units.ts';

const classOf = (prices: PriceTable, tier: StorageTier): StorageClassPrices => prices.s3.storageClasses[tier];

/** Bytes billed for one object of `size` bytes in `tier`, overhead aside (the IA and Glacier IR minimum). */
export const billableBytes = (prices: PriceTable, tier: StorageTier, size: number): number => Math.max(size, classOf(prices, tier).minBillableBytes);

/** Per-object overhead, split by the rate it is billed at (Glacier Flexible Retrieval, Deep Archive). */
export function overheadBytes(prices: PriceTable, tier: StorageTier): { atStandardRate: number; atClassRate: number } {
  const c = classOf(prices, tier);
  return { atStandardRate: c.overheadBytesStandard, atClassRate: c.overheadBytesClassRate };
}

/** The price of `gbMonths` spread over volume bands (each band's GB at its own price). */
export function bandedPrice(bands: readonly VolumeBand[], gbMonths: number): number {
  let dollars = 0;
  for (const band of bands) {
    if (gbMonths <= band.fromGb) break;
    const top = band.toGb === null ? gbMonths : Math.min(gbMonths, band.toGb);
    dollars += (top - band.fromGb) * band.price;
  }
  return dollars;
}

/**
 * The storage charge of one class for `gbMonths` GB-months. Standard (and Intelligent-Tiering's
 * Frequent tier) is banded on the account's month total, so call it once with the total.
 */
export function storagePrice(prices: PriceTable, tier: StorageTier, gbMonths: number): number {
  const c = classOf(prices, tier);
  return c.storageGbMonthTiers ? bandedPrice(c.storageGbMonthTiers, gbMonths) : gbMonths * c.storageGbMonth;
}

/** What objects held in `tier` for a month bill, as GB-months per rate (data, and overhead at both rates). */
export interface TierHolding {
  tier: StorageTier;
  /** GB-months of billable bytes (each object's size raised to the class minimum). */
  gbMonths: number;
  /** Object-months (objects × the share of the month they were held): the overhead's base. */
  objectMonths: number;
}

export interface StorageCharge {
  tier: StorageTier;
  /** The class's own storage, its share of the Standard bands included. */
  storage: number;
  /** The overhead: 8 KB at Standard + 32 KB at the class's rate per archived object. */
  overhead: number;
}

/**
 * The month's storage charges of several holdings. Standard GB-months — Standard's own and the
 * archived objects' 8 KB — are priced on their sum through the volume bands, then shared out in
 * proportion, so two holdings cost together what the bill says, not what each would alone.
 */
export function storageCharges(prices: PriceTable, holdings: readonly TierHolding[]): StorageCharge[] {
  const standardGb = (h: TierHolding) =>
    (h.tier === 'STANDARD' || h.tier === 'INTELLIGENT_TIERING' ? h.gbMonths : 0) + (h.objectMonths * overheadBytes(prices, h.tier).atStandardRate) / BYTES_PER_GB;
  const totalStandardGb = holdings.reduce((sum, h) => sum + standardGb(h), 0);
  const standardDollars = storagePrice(prices, 'STANDARD', totalStandardGb);
  const perStandardGb = totalStandardGb > 0 ? standardDollars / totalStandardGb : 0;
  return holdings.map((h) => {
    const banded = h.tier === 'STANDARD' || h.tier === 'INTELLIGENT_TIERING';
    const overheadAtStandard = (h.objectMonths * overheadBytes(prices, h.tier).atStandardRate) / BYTES_PER_GB;
    const overheadAtClass = (h.objectMonths * overheadBytes(prices, h.tier).atClassRate) / BYTES_PER_GB;
    return {
      tier: h.tier,
      storage: banded ? h.gbMonths * perStandardGb : storagePrice(prices, h.tier, h.gbMonths),
      overhead: overheadAtStandard * perStandardGb + storagePrice(prices, h.tier, overheadAtClass),
    };
  });
}

/**
 * The monthly storage cost of objects kept a whole month in `tier`: the function the
 * disposition workflow's saving uses (what deleting them saves each month). `billable` is the
 * sum of the objects' billable bytes (billableBytes per object) when some may be under the
 * class minimum; without it, `bytes` is taken as already at or above it. Priced on these bytes
 * alone (the first Standard band for less than 50 TB).
 */
export function monthlyStorageCost(tier: StorageTier, objects: { bytes: number; objects: number; billable?: number }, prices: PriceTable): number {
  const holding = { tier, gbMonths: (objects.billable ?? objects.bytes) / BYTES_PER_GB, objectMonths: objects.objects };
  const [charge] = storageCharges(prices, [holding]);
  return charge!.storage + charge!.overhead;
}

/**
 * The early-deletion charge of bytes that left `tier` (deleted, overwritten or transitioned)
 * after `daysStored` days: the storage of the rest of the class's minimum duration, in
 * GB-months of a `daysInMonth`-day month (S3 bills it in the month the object leaves).
 */
export function earlyDeletionCharge(prices: PriceTable, tier: StorageTier, billable: number, daysStored: number, daysInMonth = 30): number {
  const remainingDays = Math.max(0, classOf(prices, tier).minDays - daysStored);
  return storagePrice(prices, tier, ((billable / BYTES_PER_GB) * remainingDays) / daysInMonth);
}

/** Remaining hours of the minimum duration of `tier` for an object that entered it `hoursStored` hours ago. */
export const earlyDeletionHours = (prices: PriceTable, tier: StorageTier, hoursStored: number): number => Math.max(0, classOf(prices, tier).minDays * 24 - hoursStored);

/** Lifecycle transition requests into `tier` (billed per object moved, at the destination's rate). */
export function transitionCharge(prices: PriceTable, tier: StorageTier, objects: number): number {
  const rate = classOf(prices, tier).transitionPer1000;
  if (rate === null) throw new RangeError(`objects do not transition into ${tier}`);
  return (objects / 1000) * rate;
}

/** PUT/COPY/POST/LIST requests on `tier`. */
export const putCharge = (prices: PriceTable, tier: StorageTier, requests: number): number => (requests / 1000) * classOf(prices, tier).putPer1000;
/** GET/SELECT and other requests on `tier`. */
export const getCharge = (prices: PriceTable, tier: StorageTier, requests: number): number => (requests / 1000) * classOf(prices, tier).getPer1000;

/**
 * Reading bytes back: per GB retrieved and per restore request, by restore tier (Glacier
 * Flexible Retrieval, Deep Archive), or per GB read (IA classes, Glacier IR: their one rate is
 * listed as `standard`). Refused where AWS offers no such restore (Deep Archive Expedited).
 */
export function retrievalCharge(prices: PriceTable, tier: StorageTier, restoreTier: RestoreTier, bytes: number, requests: number): number {
  const c = classOf(prices, tier);
  const perGb = c.retrievalPerGb === null ? 0 : c.retrievalPerGb[restoreTier];
  const perRequest = c.retrievalRequestPer1000 === null ? 0 : c.retrievalRequestPer1000[restoreTier] ?? 0;
  if (perGb === null || (c.retrievalPerGb !== null && perGb === undefined)) throw new RangeError(`${tier} has no ${restoreTier} retrieval`);
  if (perRequest === null) throw new RangeError(`${tier} has no ${restoreTier} retrieval`);
  return ((perGb ?? 0) * bytes) / BYTES_PER_GB + (requests / 1000) * perRequest;
}
