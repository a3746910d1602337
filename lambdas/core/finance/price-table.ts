/**
 * The dated price table the cost model reads (prices/aws-prices-us-east-1.json, compiled from
 * AWS's pricing pages and Price List with a source and an as-of date per figure). Another
 * Region's table of the same shape is written from the AWS Price List by `npm run prices:refresh`
 * (price-list.ts) and deployed by importing it here instead (docs/finance.md); `checkPriceTable`
 * refuses one that lacks a figure the model needs, naming it, rather than pricing it as zero.
 */
import usEast1 from './prices/aws-prices-us-east-1.json' with { type: 'json' };

/** The S3 storage classes the model prices (INTELLIGENT_TIERING is priced at its Frequent tier). */
export type StorageTier = 'STANDARD' | 'INTELLIGENT_TIERING' | 'STANDARD_IA' | 'ONEZONE_IA' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
export const STORAGE_TIERS: readonly StorageTier[] = ['STANDARD', 'INTELLIGENT_TIERING', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];
export const isStorageTier = (value: string): value is StorageTier => (STORAGE_TIERS as readonly string[]).includes(value);

export type RestoreTier = 'expedited' | 'standard' | 'bulk';

export interface VolumeBand {
  fromGb: number;
  toGb: number | null;
  price: number;
}

export interface StorageClassPrices {
  storageGbMonth: number;
  storageGbMonthTiers?: VolumeBand[];
  minDays: number;
  minBillableBytes: number;
  overheadBytesStandard: number;
  overheadBytesClassRate: number;
  transitionPer1000: number | null;
  putPer1000: number;
  getPer1000: number;
  retrievalPerGb: Partial<Record<RestoreTier, number | null>> | null;
  retrievalRequestPer1000: Partial<Record<RestoreTier, number | null>> | null;
}

export interface PriceTable {
  region: string;
  currency: string;
  asOf: Record<string, string>;
  s3: { storageClasses: Record<StorageTier, StorageClassPrices> };
  lambda: { requestPerMillion: number; durationPerGbSecond: { arm64: { fromGbS: number; toGbS: number | null; price: number }[] } };
  apigw: { restPerMillion: Record<string, number | boolean>[]; httpPerMillion: Record<string, number | boolean>[] };
  dynamodb: {
    onDemand: { standard: { wruPerMillion: number; rruPerMillion: number } };
    storageGbMonth: { standard: number; standardFreeGbMonth: number };
  };
  sfn: { standardPer1000Transitions: number; standardFreeTransitionsPerMonth: number };
  kms: { customerManagedKeyPerMonth: number; symmetricRequestsPer10000: number; freeRequestsPerMonth: number };
  eventBridge: { customEventsPerMillion: number; awsServiceEventsPerMillion: number };
  healthImaging: { storageGbMonth: { frequentAccess: number; archiveInstantAccess: number }; apiPer1000Requests: number; minDays: number; minBillableBytesPerImageSet: number };
}

export class PriceTableError extends Error {
  override name = 'PriceTableError';
}

const REQUIRED_NUMBERS = [
  'lambda.requestPerMillion',
  'dynamodb.onDemand.standard.wruPerMillion',
  'dynamodb.onDemand.standard.rruPerMillion',
  'dynamodb.storageGbMonth.standard',
  'dynamodb.storageGbMonth.standardFreeGbMonth',
  'sfn.standardPer1000Transitions',
  'sfn.standardFreeTransitionsPerMonth',
  'kms.symmetricRequestsPer10000',
  'kms.freeRequestsPerMonth',
  'kms.customerManagedKeyPerMonth',
  'eventBridge.customEventsPerMillion',
  'eventBridge.awsServiceEventsPerMillion',
  'healthImaging.storageGbMonth.frequentAccess',
  'healthImaging.storageGbMonth.archiveInstantAccess',
  'healthImaging.apiPer1000Requests',
  ...STORAGE_TIERS.flatMap((tier) =>
    ['minDays', 'minBillableBytes', 'overheadBytesStandard', 'overheadBytesClassRate', 'putPer1000', 'getPer1000'].map((field) => `s3.storageClasses.${tier}.${field}`),
  ),
  ...STORAGE_TIERS.filter((tier) => tier !== 'INTELLIGENT_TIERING').map((tier) => `s3.storageClasses.${tier}.storageGbMonth`),
];

const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);

/** The table, if every figure the model reads is there; else an error listing what is missing. */
export function checkPriceTable(table: unknown, name = 'price table'): PriceTable {
  const missing = REQUIRED_NUMBERS.filter((path) => typeof at(table, path) !== 'number');
  if (!Array.isArray(at(table, 'lambda.durationPerGbSecond.arm64'))) missing.push('lambda.durationPerGbSecond.arm64');
  if (!Array.isArray(at(table, 's3.storageClasses.STANDARD.storageGbMonthTiers'))) missing.push('s3.storageClasses.STANDARD.storageGbMonthTiers');
  for (const path of ['apigw.restPerMillion', 'apigw.httpPerMillion']) if (!Array.isArray(at(table, path))) missing.push(path);
  if (typeof at(table, 'region') !== 'string' || typeof at(table, 'asOf') !== 'object') missing.push('region/asOf');
  if (missing.length) throw new PriceTableError(`${name} lacks ${missing.length} figure(s) the cost model needs: ${missing.join(', ')}`);
  const checked = table as PriceTable;
  // Intelligent-Tiering's own storage price is per access tier: the model bills its Frequent tier.
  const it = checked.s3.storageClasses.INTELLIGENT_TIERING as StorageClassPrices & { accessTiers?: { FREQUENT?: { storageGbMonth?: number } } };
  if (typeof it.storageGbMonth !== 'number') it.storageGbMonth = it.accessTiers?.FREQUENT?.storageGbMonth ?? checked.s3.storageClasses.STANDARD.storageGbMonth;
  return checked;
}

/** us-east-1, shipped with Strata (asOf inside the file). */
export const DEFAULT_PRICES: PriceTable = checkPriceTable(structuredClone(usEast1), 'aws-prices-us-east-1.json');
