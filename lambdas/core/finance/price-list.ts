/**
 * A price table refreshed from the AWS Price List (docs/finance.md, "Prices"): the S3 figures the
 * cost model reads, taken from the products of one Region — as `GetProducts` of the Price List
 * Query API answers them (AWS mode, credentials) or as the bulk offer file
 * (`…/offers/v1.0/aws/<service>/current/<region>/index.json`, downloaded without credentials)
 * holds them. Pure: the products come in, a table and what was and was not refreshed go out.
 *
 * Products are matched by usage type (AWS's billing codes, the same ones Cost Explorer groups
 * by; outside us-east-1 they carry a Region prefix such as `EU-`) and service. A figure the
 * Price List does not give unambiguously (none, or several prices for one code) keeps the
 * base table's value and is reported, never guessed: the operator sees what is still the
 * shipped us-east-1 figure.
 */
import type { PriceTable, StorageTier, VolumeBand } from './price-table.ts';

export interface PriceDimension {
  unit: string;
  usd: number;
  beginRange: number;
  endRange: number | null;
}

export interface PriceListProduct {
  serviceCode: string;
  usageType: string;
  attributes: Record<string, string>;
  /** On-demand price dimensions (tiers of one rate, or one dimension). */
  dimensions: PriceDimension[];
}

interface RawDimension {
  unit?: string;
  pricePerUnit?: { USD?: string };
  beginRange?: string;
  endRange?: string;
}
type RawTerms = Record<string, { priceDimensions?: Record<string, RawDimension> }>;
interface RawProduct {
  productFamily?: string;
  attributes?: Record<string, string>;
}

const dimensionsOf = (terms: RawTerms | undefined): PriceDimension[] =>
  Object.values(terms ?? {}).flatMap((term) =>
    Object.values(term.priceDimensions ?? {}).map((d) => ({
      unit: d.unit ?? '',
      usd: Number(d.pricePerUnit?.USD),
      beginRange: Number(d.beginRange ?? 0),
      endRange: d.endRange === undefined || d.endRange === 'Inf' ? null : Number(d.endRange),
    })),
  );

const productOf = (product: RawProduct | undefined, terms: RawTerms | undefined): PriceListProduct | undefined => {
  const attributes = product?.attributes ?? {};
  if (!attributes.usagetype || !attributes.servicecode) return undefined;
  return { serviceCode: attributes.servicecode, usageType: attributes.usagetype, attributes, dimensions: dimensionsOf(terms).filter((d) => Number.isFinite(d.usd)) };
};

/** The products of `GetProducts` answers (`PriceList`: one JSON document per product). */
export function productsFromGetProducts(priceList: readonly string[]): PriceListProduct[] {
  return priceList.flatMap((text) => {
    const entry = JSON.parse(text) as { product?: RawProduct; terms?: { OnDemand?: RawTerms } };
    return [productOf(entry.product, entry.terms?.OnDemand)].filter((p): p is PriceListProduct => p !== undefined);
  });
}

/** The products of a bulk offer file (`products` by SKU, `terms.OnDemand` by SKU). */
export function productsFromOfferFile(offer: { products?: Record<string, RawProduct>; terms?: { OnDemand?: Record<string, RawTerms> } }): PriceListProduct[] {
  return Object.entries(offer.products ?? {}).flatMap(([sku, product]) => [productOf(product, offer.terms?.OnDemand?.[sku])].filter((p): p is PriceListProduct => p !== undefined));
}

/** Where each storage class's figures are in the Price List: its services and usage types. */
const S3_CODES: Record<Exclude<StorageTier, 'INTELLIGENT_TIERING'>, { service: string; storage: string; put: string; get: string; retrieval?: string }> = {
  STANDARD: { service: 'AmazonS3', storage: 'TimedStorage-ByteHrs', put: 'Requests-Tier1', get: 'Requests-Tier2' },
  STANDARD_IA: { service: 'AmazonS3', storage: 'TimedStorage-SIA-ByteHrs', put: 'Requests-SIA-Tier1', get: 'Requests-SIA-Tier2', retrieval: 'Retrieval-SIA' },
  ONEZONE_IA: { service: 'AmazonS3', storage: 'TimedStorage-ZIA-ByteHrs', put: 'Requests-ZIA-Tier1', get: 'Requests-ZIA-Tier2', retrieval: 'Retrieval-ZIA' },
  GLACIER_IR: { service: 'AmazonS3', storage: 'TimedStorage-GIR-ByteHrs', put: 'Requests-GIR-Tier1', get: 'Requests-GIR-Tier2', retrieval: 'Retrieval-GIR' },
  GLACIER: { service: 'AmazonS3', storage: 'TimedStorage-GlacierByteHrs', put: 'Requests-GLACIER-Tier1', get: 'Requests-GLACIER-Tier2' },
  DEEP_ARCHIVE: { service: 'AmazonS3GlacierDeepArchive', storage: 'TimedStorage-GDA-ByteHrs', put: 'Requests-GDA-Tier1', get: 'Requests-GDA-Tier2' },
};

/**
 * Figures the refresh does not take from the Price List — S3's whose usage types are shared or
 * split across tiers and services (transitions as `Requests-Tier3/4` by operation, restores by
 * tier under several codes, Intelligent-Tiering per access tier), S3 features the cost model
 * does not price, and HealthImaging's — listed with every refresh so the operator sees they are
 * still the shipped us-east-1 figures. (The serverless services' are named on the last line.)
 */
const NOT_REFRESHED: RefreshedPrices['kept'] = [
  ...(['STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const).map((tier) => ({
    field: `s3.storageClasses.${tier}.transitionPer1000`,
    reason: 'lifecycle transition prices are not read from the Price List',
  })),
  ...(['GLACIER', 'DEEP_ARCHIVE'] as const).flatMap((tier) => [
    { field: `s3.storageClasses.${tier}.retrievalPerGb`, reason: 'restore prices (per tier) are not read from the Price List' },
    { field: `s3.storageClasses.${tier}.retrievalRequestPer1000`, reason: 'restore prices (per tier) are not read from the Price List' },
  ]),
  { field: 's3.storageClasses.INTELLIGENT_TIERING', reason: 'Intelligent-Tiering (priced per access tier) is not read from the Price List' },
  { field: 's3.storageClasses.GLACIER.provisionedCapacityUnitPerMonth', reason: 'provisioned retrieval capacity is not read from the Price List (the cost model does not use it)' },
  { field: 's3.features', reason: 'data transfer, replication, Batch Operations, inventory and checksum prices are not read from the Price List (the cost model does not use them)' },
  { field: 'healthImaging', reason: 'AWS HealthImaging (the comparison in bench:finance) is another service: not read from the Price List' },
];

/** The Price List services a refresh needs (for `GetProducts`' ServiceCode). */
export const PRICE_LIST_SERVICES = ['AmazonS3', 'AmazonS3GlacierDeepArchive'] as const;

/** A usage type with or without its Region prefix (`EU-TimedStorage-ByteHrs`). */
const isUsage = (usageType: string, code: string) => usageType === code || new RegExp(`^[A-Z]+[0-9]*-${code.replace(/[-]/g, '\\-')}$`).test(usageType);

export interface RefreshedPrices {
  table: PriceTable;
  /** `s3.storageClasses.<TIER>.<field>` refreshed from the Price List. */
  refreshed: string[];
  /** Figures kept from the base table, with why. */
  kept: { field: string; reason: string }[];
}

/**
 * The base table with every S3 figure the Price List gives for `region` replaced, dated `asOf`
 * (`asOf.awsPriceList`). Serverless figures (Lambda, API Gateway, DynamoDB, …) are kept.
 */
export function refreshedPriceTable(base: PriceTable, region: string, products: readonly PriceListProduct[], asOf: string): RefreshedPrices {
  const table = structuredClone(base);
  const refreshed: string[] = [];
  const kept: RefreshedPrices['kept'] = [];
  const regional = products.filter((p) => !p.attributes.regionCode || p.attributes.regionCode === region);

  /** The single set of dimensions for a code, or why there is none. */
  const lookup = (service: string, code: string, unit: RegExp): PriceDimension[] | string => {
    const matches = regional.filter((p) => p.serviceCode === service && isUsage(p.usageType, code)).map((p) => p.dimensions.filter((d) => unit.test(d.unit)));
    const distinct = new Map(matches.filter((d) => d.length > 0).map((d) => [JSON.stringify(d), d]));
    if (distinct.size === 0) return `no ${service} product with usage type ${code} in ${unit.source}`;
    if (distinct.size > 1) return `${distinct.size} different prices for ${code}`;
    return [...distinct.values()][0]!;
  };
  const single = (field: string, service: string, code: string, unit: RegExp, set: (usd: number) => void) => {
    const found = lookup(service, code, unit);
    if (typeof found === 'string') kept.push({ field, reason: found });
    else if (found.length !== 1) kept.push({ field, reason: `${code} is priced in ${found.length} volume bands` });
    else {
      set(found[0]!.usd);
      refreshed.push(field);
    }
  };

  for (const [tier, codes] of Object.entries(S3_CODES) as [keyof typeof S3_CODES, (typeof S3_CODES)[keyof typeof S3_CODES]][]) {
    const prices = table.s3.storageClasses[tier];
    const field = (name: string) => `s3.storageClasses.${tier}.${name}`;
    if (tier === 'STANDARD') {
      const bands = lookup(codes.service, codes.storage, /^GB-Mo$/);
      if (typeof bands === 'string') kept.push({ field: field('storageGbMonthTiers'), reason: bands });
      else {
        const sorted: VolumeBand[] = [...bands].sort((a, b) => a.beginRange - b.beginRange).map((d) => ({ fromGb: d.beginRange, toGb: d.endRange, price: d.usd }));
        prices.storageGbMonthTiers = sorted;
        prices.storageGbMonth = sorted[0]!.price;
        refreshed.push(field('storageGbMonthTiers'), field('storageGbMonth'));
      }
    } else {
      single(field('storageGbMonth'), codes.service, codes.storage, /^GB-Mo$/, (usd) => (prices.storageGbMonth = usd));
    }
    // The Price List prices requests one by one; the table per 1,000.
    single(field('putPer1000'), codes.service, codes.put, /^Requests$/, (usd) => (prices.putPer1000 = round(usd * 1000)));
    single(field('getPer1000'), codes.service, codes.get, /^Requests$/, (usd) => (prices.getPer1000 = round(usd * 1000)));
    if (codes.retrieval) single(field('retrievalPerGb.standard'), codes.service, codes.retrieval, /^GB$/, (usd) => (prices.retrievalPerGb = { ...prices.retrievalPerGb, standard: usd }));
  }
  kept.push(...NOT_REFRESHED);
  table.region = region;
  table.asOf = { ...table.asOf, awsPriceList: asOf };
  return { table, refreshed, kept };
}

/** Per-request prices times 1,000 without binary-fraction noise (0.0000004 × 1000). */
const round = (n: number) => Number(n.toPrecision(12));
