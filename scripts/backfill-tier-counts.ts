/**
 * `npm run backfill:tier-counts -- --tenant <t> --table <index table> --bucket <archive bucket>`:
 * the one-off tier backfill (docs/lifecycle.md, "Cold counts of studies archived before the tier
 * events") for one tenant, page by page, with the operator's AWS credentials (the same SDK calls
 * the functions make: Query/GetItem/TransactWriteItems/UpdateItem on the index, HeadObject and,
 * for a corrected class, GetObjectTagging on the archive). Prints each page's progress and the totals; safe to run again (it then corrects nothing).
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { tenant: { type: 'string' }, table: { type: 'string' }, bucket: { type: 'string' }, policy: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || !values.tenant) {
  console.log('usage: npm run backfill:tier-counts -- --tenant <tenant> [--table <index table>] [--bucket <archive bucket>] [--policy <policy file>]  (default: TABLE_INDEX, BUCKET_ARCHIVE, LIFECYCLE_POLICY or policies/lifecycle.yaml)');
  process.exit(values.help ? 0 : 1);
}
if (values.table) process.env.TABLE_INDEX = values.table;
if (values.bucket) process.env.BUCKET_ARCHIVE = values.bucket;
// The policy dates each corrected class by its rule's schedule (core/lifecycle/class-entered.ts), as the functions receive it.
if (!process.env.LIFECYCLE_POLICY) {
  const { loadPolicy } = await import('#infra/lifecycle/load-policy.ts');
  process.env.LIFECYCLE_POLICY = JSON.stringify(loadPolicy(values.policy));
}
// Imported after the environment names the table and bucket (the adapters read it when called).
const { backfillTierCountsPage, emptyReport } = await import('#services/lifecycle/backfill-tier-counts.ts');

let report = emptyReport();
do {
  report = await backfillTierCountsPage(values.tenant, report, new Date());
  console.log(`${report.studies} studies, ${report.instances} instances: ${report.classesCorrected} classes and ${report.countsCorrected} counts corrected`);
} while (report.cursor);
if (report.busy.length) console.log(`changed while counted (run again): ${report.busy.join(', ')}`);
