/**
 * `npm run prices:refresh -- --region eu-west-1 [--out FILE] [--offer-file DIR_OR_FILE]`: writes
 * the cost model's price table for a Region from the AWS Price List (docs/finance.md, "Prices").
 *
 * The Price List bulk API serves each service's offer per Region without credentials
 * (`https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<service>/current/<region>/index.json`);
 * the S3 figures come from the AmazonS3 and AmazonS3GlacierDeepArchive offers. With
 * `--offer-file` the offers are read from files downloaded beforehand (one file, or a folder
 * with `<service>.json`), for a machine without Internet access. The base is the shipped
 * us-east-1 table; what the Price List does not give stays its figure and is listed.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PRICE_LIST_SERVICES, productsFromOfferFile, refreshedPriceTable, type PriceListProduct } from '#core/finance/price-list.ts';
import { checkPriceTable, DEFAULT_PRICES } from '#core/finance/price-table.ts';

const { values: args } = parseArgs({
  options: {
    region: { type: 'string' },
    out: { type: 'string' },
    'offer-file': { type: 'string' },
    endpoint: { type: 'string', default: process.env.STRATA_PRICE_LIST_URL ?? 'https://pricing.us-east-1.amazonaws.com' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help || !args.region) {
  console.log(`usage: npm run prices:refresh -- --region REGION [--out FILE] [--offer-file FILE_OR_DIR]
Writes the price table for REGION (default file prices-REGION.json) from the AWS Price List bulk API, or
from offer files downloaded beforehand (a folder holding AmazonS3.json and AmazonS3GlacierDeepArchive.json).`);
  process.exit(args.help ? 0 : 2);
}
const region = args.region;
if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
  console.error(`not a Region: ${region}`);
  process.exit(2);
}

async function offerOf(service: string): Promise<unknown> {
  const file = args['offer-file'];
  if (file) {
    // A missing or unreadable file is the operator's typo, not a crash: one line, exit 2.
    try {
      const path = statSync(file).isDirectory() ? join(file, `${service}.json`) : file;
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      const reason = error instanceof SyntaxError ? `not JSON (${error.message})` : ((error as NodeJS.ErrnoException).code ?? String(error));
      console.error(`cannot read the ${service} offer from --offer-file ${file}: ${reason}`);
      process.exit(2);
    }
  }
  const url = `${args.endpoint}/offers/v1.0/aws/${service}/current/${region}/index.json`;
  const response = await fetch(url).catch((error: unknown) => {
    console.error(`cannot reach the Price List (${url}): ${String(error)}; download the offers and pass --offer-file`);
    process.exit(1);
  });
  if (!response.ok) {
    console.error(`${url}: ${response.status} ${response.statusText}`);
    process.exit(1);
  }
  return response.json();
}

const products: PriceListProduct[] = [];
for (const service of PRICE_LIST_SERVICES) products.push(...productsFromOfferFile((await offerOf(service)) as Parameters<typeof productsFromOfferFile>[0]));
const { table, refreshed, kept } = refreshedPriceTable(DEFAULT_PRICES, region, products, new Date().toISOString().slice(0, 10));
checkPriceTable(JSON.parse(JSON.stringify(table)), `prices for ${region}`);
const out = args.out ?? `prices-${region}.json`;
writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`);
console.log(`${out}: ${refreshed.length} S3 figures from the Price List for ${region} (${products.length} products read)`);
if (kept.length) {
  console.log(`${kept.length} kept from the shipped us-east-1 table:`);
  for (const { field, reason } of kept) console.log(`  ${field}: ${reason}`);
}
console.log('Serverless figures (Lambda, API Gateway, DynamoDB, Step Functions, KMS, EventBridge) are the shipped us-east-1 ones.');
