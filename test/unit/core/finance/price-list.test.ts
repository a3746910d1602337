/**
 * The price table refreshed from the AWS Price List (core/finance/price-list.ts). The products
 * below are written in the documents `GetProducts` returns (product attributes, OnDemand terms
 * with price dimensions, prices as decimal strings), for eu-west-1, whose usage types carry the
 * `EU-` prefix (not `EUW1-`: the Regions of S3's early years have short prefixes); the prices are
 * eu-west-1's, not us-east-1's, so a figure left unrefreshed shows.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkPriceTable, DEFAULT_PRICES } from '#core/finance/price-table.ts';
import { productsFromGetProducts, productsFromOfferFile, refreshedPriceTable } from '#core/finance/price-list.ts';

type Band = [begin: string, end: string, usd: string];
let skus = 0;

function product(service: string, usagetype: string, unit: string, bands: Band[], regionCode = 'eu-west-1') {
  const sku = `SKU${String(++skus).padStart(12, '0')}`;
  const term = `${sku}.JRTCKXETXF`;
  return {
    sku,
    document: {
      product: { productFamily: unit === 'GB-Mo' ? 'Storage' : 'API Request', attributes: { regionCode, servicecode: service, usagetype, location: 'EU (Ireland)' }, sku },
      serviceCode: service,
      terms: {
        OnDemand: {
          [term]: {
            offerTermCode: 'JRTCKXETXF',
            sku,
            effectiveDate: '2026-11-01T00:00:00Z',
            priceDimensions: Object.fromEntries(
              bands.map(([beginRange, endRange, usd], i) => [`${term}.RATE${i}`, { unit, beginRange, endRange, description: `${usagetype} ${beginRange}-${endRange}`, appliesTo: [], pricePerUnit: { USD: usd } }]),
            ),
            termAttributes: {},
          },
        },
      },
      version: '20261101000000',
      publicationDate: '2026-11-01T00:00:00Z',
    },
  };
}

const one = (usd: string): Band[] => [['0', 'Inf', usd]];
const EU = [
  product('AmazonS3', 'EU-TimedStorage-ByteHrs', 'GB-Mo', [
    ['0', '51200', '0.0240000000'],
    ['51200', '512000', '0.0230000000'],
    ['512000', 'Inf', '0.0220000000'],
  ]),
  product('AmazonS3', 'EU-TimedStorage-SIA-ByteHrs', 'GB-Mo', one('0.0131000000')),
  product('AmazonS3', 'EU-TimedStorage-ZIA-ByteHrs', 'GB-Mo', one('0.0105000000')),
  product('AmazonS3', 'EU-TimedStorage-GIR-ByteHrs', 'GB-Mo', one('0.0050000000')),
  product('AmazonS3', 'EU-TimedStorage-GlacierByteHrs', 'GB-Mo', one('0.0040000000')),
  product('AmazonS3GlacierDeepArchive', 'EU-TimedStorage-GDA-ByteHrs', 'GB-Mo', one('0.0011000000')),
  product('AmazonS3', 'EU-Requests-Tier1', 'Requests', one('0.0000053000')),
  product('AmazonS3', 'EU-Requests-Tier2', 'Requests', one('0.0000004200')),
  product('AmazonS3', 'EU-Requests-SIA-Tier1', 'Requests', one('0.0000100000')),
  product('AmazonS3', 'EU-Requests-SIA-Tier2', 'Requests', one('0.0000010000')),
  product('AmazonS3', 'EU-Retrieval-SIA', 'GB', one('0.0100000000')),
  product('AmazonS3GlacierDeepArchive', 'EU-Requests-GDA-Tier1', 'Requests', one('0.0000500000')),
  // Another Region's product with the same code, which must not win.
  product('AmazonS3', 'USE2-TimedStorage-SIA-ByteHrs', 'GB-Mo', one('0.0125000000'), 'us-east-2'),
  // Two different prices for one code: ambiguous, so not taken.
  product('AmazonS3', 'EU-Requests-GIR-Tier1', 'Requests', one('0.0000200000')),
  product('AmazonS3', 'EU-Requests-GIR-Tier1', 'Requests', one('0.0000210000')),
];
const priceList = EU.map((p) => JSON.stringify(p.document));

describe('Price table refreshed from the AWS Price List', () => {
  const { table, refreshed, kept } = refreshedPriceTable(DEFAULT_PRICES, 'eu-west-1', productsFromGetProducts(priceList), '2026-12-02');
  const s3 = table.s3.storageClasses;

  it("takes each storage class's monthly price from its usage type, with Standard's volume bands, in the Region asked for", () => {
    expect(s3.STANDARD.storageGbMonthTiers).toEqual([
      { fromGb: 0, toGb: 51200, price: 0.024 },
      { fromGb: 51200, toGb: 512000, price: 0.023 },
      { fromGb: 512000, toGb: null, price: 0.022 },
    ]);
    expect(s3.STANDARD.storageGbMonth).toBe(0.024);
    expect([s3.STANDARD_IA.storageGbMonth, s3.ONEZONE_IA.storageGbMonth, s3.GLACIER_IR.storageGbMonth, s3.GLACIER.storageGbMonth, s3.DEEP_ARCHIVE.storageGbMonth]).toEqual([0.0131, 0.0105, 0.005, 0.004, 0.0011]);
    expect(table.region).toBe('eu-west-1');
    expect(table.asOf.awsPriceList).toBe('2026-12-02');
  });

  it('converts per-request prices to the table’s per-1,000 figures, and retrieval per GB', () => {
    expect([s3.STANDARD.putPer1000, s3.STANDARD.getPer1000, s3.STANDARD_IA.putPer1000, s3.STANDARD_IA.getPer1000, s3.DEEP_ARCHIVE.putPer1000]).toEqual([0.0053, 0.00042, 0.01, 0.001, 0.05]);
    expect(s3.STANDARD_IA.retrievalPerGb).toMatchObject({ standard: 0.01 });
  });

  it('keeps, and reports, every figure the Price List does not give unambiguously', () => {
    const reasons = Object.fromEntries(kept.map((k) => [k.field, k.reason]));
    expect(reasons['s3.storageClasses.GLACIER_IR.putPer1000']).toBe('2 different prices for Requests-GIR-Tier1');
    expect(s3.GLACIER_IR.putPer1000).toBe(DEFAULT_PRICES.s3.storageClasses.GLACIER_IR.putPer1000);
    expect(reasons['s3.storageClasses.GLACIER.putPer1000']).toMatch(/no AmazonS3 product with usage type Requests-GLACIER-Tier1/);
    expect(refreshed).not.toContain('s3.storageClasses.GLACIER.putPer1000');
    expect(refreshed).toContain('s3.storageClasses.STANDARD_IA.storageGbMonth');
    // What the refresh never reads is listed every time, so no figure stays us-east-1's unsaid.
    for (const field of ['s3.storageClasses.GLACIER.transitionPer1000', 's3.storageClasses.DEEP_ARCHIVE.retrievalPerGb', 's3.storageClasses.INTELLIGENT_TIERING']) {
      expect(reasons[field], field).toMatch(/not read from the Price List/);
    }
    // Every field is either refreshed or reported as kept.
    expect(new Set([...refreshed, ...kept.map((k) => k.field)]).size).toBe(refreshed.length + kept.length);
  });

  it('names every price of S3 and HealthImaging it leaves as shipped: each is refreshed or listed', () => {
    const prices: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (typeof value === 'number' && /Per|GbMonth/.test(path)) prices.push(path);
      else if (value && typeof value === 'object' && !path.endsWith('.sources')) for (const [key, inner] of Object.entries(value)) walk(inner, `${path}.${key}`);
    };
    // Prices, not rules (limits such as restore throughput).
    walk(table.s3.storageClasses, 's3.storageClasses');
    walk((table.s3 as { features?: unknown }).features, 's3.features'); // in the file, not in the model's type
    walk(table.healthImaging, 'healthImaging');
    expect(prices.length).toBeGreaterThan(40);
    const covered = [...refreshed, ...kept.map((k) => k.field)];
    const unsaid = prices.filter((path) => !covered.some((field) => path === field || path.startsWith(`${field}.`)));
    expect(unsaid).toEqual([]);
  });

  it('leaves the serverless figures and the base table alone, and stays a table the model accepts', () => {
    expect(table.lambda).toEqual(DEFAULT_PRICES.lambda);
    expect(table.dynamodb).toEqual(DEFAULT_PRICES.dynamodb);
    expect(DEFAULT_PRICES.s3.storageClasses.STANDARD.storageGbMonth).toBe(0.023);
    expect(DEFAULT_PRICES.region).toBe('us-east-1');
    expect(() => checkPriceTable(JSON.parse(JSON.stringify(table)))).not.toThrow();
  });

  it('reads the bulk offer file (products and terms by SKU) to the same products', () => {
    const offer = {
      products: Object.fromEntries(EU.map((p) => [p.sku, p.document.product])),
      terms: { OnDemand: Object.fromEntries(EU.map((p) => [p.sku, p.document.terms.OnDemand])) },
    };
    expect(productsFromOfferFile(offer)).toEqual(productsFromGetProducts(priceList));
  });

  it('is written by npm run prices:refresh from offer files, with what it kept listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-prices-'));
    for (const service of ['AmazonS3', 'AmazonS3GlacierDeepArchive']) {
      const mine = EU.filter((p) => p.document.serviceCode === service);
      writeFileSync(
        join(dir, `${service}.json`),
        JSON.stringify({ offerCode: service, products: Object.fromEntries(mine.map((p) => [p.sku, p.document.product])), terms: { OnDemand: Object.fromEntries(mine.map((p) => [p.sku, p.document.terms.OnDemand])) } }),
      );
    }
    const root = join(import.meta.dirname, '..', '..', '..', '..');
    const out = join(dir, 'prices-eu-west-1.json');
    const { stdout } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'refresh-prices.ts'), '--region', 'eu-west-1', '--offer-file', dir, '--out', out], { cwd: root });
    const written = JSON.parse(readFileSync(out, 'utf8')) as typeof table;
    expect(written.region).toBe('eu-west-1');
    expect(written.s3.storageClasses.DEEP_ARCHIVE.storageGbMonth).toBe(0.0011);
    expect(written.s3.storageClasses.STANDARD.storageGbMonthTiers).toEqual(table.s3.storageClasses.STANDARD.storageGbMonthTiers);
    expect(stdout).toContain('s3.storageClasses.GLACIER_IR.putPer1000: 2 different prices for Requests-GIR-Tier1');
  }, 60_000);

  it('refuses a missing offer file in one line, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-prices-'));
    const root = join(import.meta.dirname, '..', '..', '..', '..');
    const out = join(dir, 'prices.json');
    const failed = await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'refresh-prices.ts'), '--region', 'eu-west-1', '--offer-file', join(dir, 'nowhere'), '--out', out], { cwd: root }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr.trim()).toBe(`cannot read the AmazonS3 offer from --offer-file ${join(dir, 'nowhere')}: ENOENT`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
