/**
 * Usage counters: what the index keeps so a month's storage bill can be computed without
 * listing anything (docs/finance.md). Every change to a stored object — ingest, a tier change,
 * a restored copy appearing or expiring, a delete — becomes signed deltas on counters keyed by
 * tenant × tier × modality, added atomically (DynamoDB ADD) in the same transaction as the index
 * write that records the change, so a duplicate push or a replayed event, which that write
 * refuses, counts nothing twice. Pure: the caller passes times and sizes.
 *
 * Storage is metered as S3 meters it, in byte-hours: a change at time t adds its bytes × the
 * hours left in t's month to that month, and the bytes held at a month's start count every hour
 * of it (report.ts adds the two).
 */
import { DEFAULT_PRICES, isStorageTier, type PriceTable, type StorageTier } from './price-table.ts';
import { billableBytes, earlyDeletionHours } from './s3-cost.ts';
import { HOUR_MS, hoursToMonthEnd } from './units.ts';

/** A storage class, or RESTORED: the temporary copy a restore makes, billed at the Standard rate. */
export type UsageTier = StorageTier | 'RESTORED';
export const isUsageTier = (value: string): value is UsageTier => value === 'RESTORED' || isStorageTier(value);

/** Objects under this size stay on Standard whatever the policy says (docs/lifecycle.md). */
export const SMALL_OBJECT_BYTES = 128 * 1024;

export const COUNTERS = [
  'objects',
  'bytes',
  /** Bytes billed (each object raised to its class minimum). */
  'billable',
  'byteHours',
  'objectHours',
  'puts',
  'transitionsIn',
  'retrievalBytes',
  'retrievalRequests',
  /** Billable bytes × the hours of the minimum duration they left early. */
  'earlyByteHours',
  'ingestedBytes',
  'ingestedObjects',
  'smallIngestedBytes',
  'smallIngestedObjects',
  'deletedBytes',
  'deletedObjects',
] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;

/** The counters a day's history item keeps (the month item keeps them all). */
export const DAILY_COUNTERS: readonly Counter[] = ['objects', 'bytes', 'ingestedBytes', 'ingestedObjects', 'smallIngestedBytes', 'smallIngestedObjects', 'deletedBytes', 'deletedObjects'];
/** The counters the balance (all time) keeps. */
export const BALANCE_COUNTERS: readonly Counter[] = ['objects', 'bytes', 'billable'];

/** A counter item as read back: its dimensions and counters (absent counters are 0). */
export interface CounterRow extends Counters {
  tenant: string;
  tier: UsageTier;
  modality: string;
  month?: string;
  day?: string;
}

export interface UsageDelta {
  tenant: string;
  tier: UsageTier;
  modality: string;
  /** When the change happened (ISO): its month and day, and the byte-hours left in the month. */
  at: string;
  counters: Partial<Counters>;
}

/** One object as the counters see it. */
export interface StoredObject {
  tenant: string;
  /** Modality (0008,0060) of its series; empty counts as UNKNOWN. */
  modality: string;
  size: number;
}

const modalityOf = (modality: string) => modality.trim().toUpperCase() || 'UNKNOWN';
const priced = (tier: UsageTier): StorageTier => (tier === 'RESTORED' ? 'STANDARD' : tier);
const hoursBetween = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / HOUR_MS);

/** The object held in `tier` from `at` on (sign +1) or no longer from `at` (sign -1). */
function holding(object: StoredObject, tier: UsageTier, at: string, sign: 1 | -1, prices: PriceTable): UsageDelta {
  const billable = billableBytes(prices, priced(tier), object.size);
  const hours = hoursToMonthEnd(at);
  return {
    tenant: object.tenant,
    tier,
    modality: modalityOf(object.modality),
    at,
    counters: { objects: sign, bytes: sign * object.size, billable: sign * billable, byteHours: sign * billable * hours, objectHours: sign * hours },
  };
}

/** A new object written to Standard (one PUT). */
export function ingested(object: StoredObject, at: string, prices = DEFAULT_PRICES): UsageDelta[] {
  const delta = holding(object, 'STANDARD', at, 1, prices);
  const small = object.size <= SMALL_OBJECT_BYTES;
  Object.assign(delta.counters, {
    puts: 1,
    ingestedBytes: object.size,
    ingestedObjects: 1,
    ...(small ? { smallIngestedBytes: object.size, smallIngestedObjects: 1 } : {}),
  });
  return [delta];
}

/** Leaving `tier` at `at`, having entered it at `since`: with the early-deletion hours if it left before the minimum. */
function leaving(object: StoredObject, tier: StorageTier, since: string, at: string, prices: PriceTable): UsageDelta {
  const delta = holding(object, tier, at, -1, prices);
  const early = earlyDeletionHours(prices, tier, hoursBetween(since, at));
  if (early > 0) delta.counters.earlyByteHours = billableBytes(prices, tier, object.size) * early;
  return delta;
}

/** A lifecycle transition from `from` (entered at `since`) to `to` at `at` (one transition request). */
export function tierChanged(object: StoredObject, from: StorageTier, to: StorageTier, since: string, at: string, prices = DEFAULT_PRICES): UsageDelta[] {
  const arriving = holding(object, to, at, 1, prices);
  arriving.counters.transitionsIn = 1;
  return [leaving(object, from, since, at, prices), arriving];
}

/** A restored copy of an archived object, readable from `at` (one restore request and its bytes, at the archive tier). */
export function restoreCompleted(object: StoredObject, archiveTier: StorageTier, at: string, prices = DEFAULT_PRICES): UsageDelta[] {
  return [
    holding(object, 'RESTORED', at, 1, prices),
    { tenant: object.tenant, tier: archiveTier, modality: modalityOf(object.modality), at, counters: { retrievalBytes: object.size, retrievalRequests: 1 } },
  ];
}

/** The restored copy gone (expired, or with its object). */
export const restoredCopyGone = (object: StoredObject, at: string, prices = DEFAULT_PRICES): UsageDelta[] => [holding(object, 'RESTORED', at, -1, prices)];

/** The object deleted from `tier` (entered at `since`); its restored copy too when it had one. */
export function deleted(object: StoredObject, tier: StorageTier, since: string, at: string, hadRestoredCopy: boolean, prices = DEFAULT_PRICES): UsageDelta[] {
  const gone = leaving(object, tier, since, at, prices);
  Object.assign(gone.counters, { deletedBytes: object.size, deletedObjects: 1 });
  return [gone, ...(hadRestoredCopy ? restoredCopyGone(object, at, prices) : [])];
}
