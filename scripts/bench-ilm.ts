/**
 * `npm run bench:ilm`: evaluates the lifecycle policy (policies/lifecycle.yaml) over synthetic
 * studies and prints the rate, then states what re-classifying objects costs in Step Functions
 * transitions and S3 requests, priced from /work/shared/docs/aws-prices-us-east-1.json
 * (figures copied below with their source, so the script runs anywhere).
 *
 * The cost part is a model of the planned re-classification workflow (a Map over pages of
 * 1,000 keys, one Lambda task per page that re-tags each object), not a measurement: that
 * workflow is not built yet (docs/lifecycle.md).
 */
import { decide, type InstanceFacts } from '#core/lifecycle/evaluate.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
if (args.includes('--help')) {
  console.log('usage: npm run bench:ilm -- [--studies 1000000] [--objects 100000] [--page 25] [--objects-per-study 100]');
  process.exit(0);
}
const STUDIES = numberArg('--studies', 1_000_000);
const OBJECTS = numberArg('--objects', 100_000);
/** Studies per page of the reclassify workflow (lambdas/services/lifecycle/reclassify.ts PAGE_SIZE) and objects per study, assumed. */
const PAGE = numberArg('--page', 25);
const OBJECTS_PER_STUDY = numberArg('--objects-per-study', 100);

// ---- policy evaluation rate ----------------------------------------------------------------

/** A small deterministic generator (mulberry32), so runs compare. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'MG', 'NM', 'PT', 'XA', 'SR'];
const BODY_PARTS = ['CHEST', 'HEAD', 'ABDOMEN', 'BREAST', 'KNEE', 'SPINE'];
const DAY = 86_400_000;
const now = new Date('2031-01-01T00:00:00Z');
const next = random(42);
const facts: InstanceFacts[] = Array.from({ length: STUDIES }, () => {
  const ingested = now.getTime() - Math.floor(next() * 8 * 365) * DAY;
  const studyLag = next() < 0.05 ? Math.floor(next() * 20 * 365) * DAY : 0; // 5 % migrated from older archives
  return {
    tenant: next() < 0.5 ? 'north' : 'south',
    facility: `Hospital ${Math.floor(next() * 20)}`,
    modality: MODALITIES[Math.floor(next() * MODALITIES.length)],
    sopClass: '1.2.840.10008.5.1.4.1.1.2',
    bodyPart: BODY_PARTS[Math.floor(next() * BODY_PARTS.length)],
    patientAgeDays: Math.floor(next() * 95 * 365),
    studyDate: new Date(ingested - studyLag).toISOString().slice(0, 10),
    ingestedAt: new Date(ingested).toISOString(),
    ...(next() < 0.01 ? { pins: ['research' as const] } : {}),
  };
});

const policy = loadPolicy();
const byClass = new Map<string, number>();
const byTier = new Map<string, number>();
const started = process.hrtime.bigint();
for (const f of facts) {
  const decision = decide(policy, f, now);
  byClass.set(decision.policyClass, (byClass.get(decision.policyClass) ?? 0) + 1);
  byTier.set(decision.tier, (byTier.get(decision.tier) ?? 0) + 1);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const share = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / STUDIES).toFixed(1)} %`).join(', ');
console.log(`policy v${policy.version}: ${STUDIES.toLocaleString('en-US')} studies decided in ${seconds.toFixed(2)} s = ${Math.round(STUDIES / seconds).toLocaleString('en-US')} studies/s`);
console.log(`  classes: ${share(byClass)}`);
console.log(`  tiers on ${now.toISOString().slice(0, 10)}: ${share(byTier)}`);

// ---- re-classification cost model ---------------------------------------------------------

/** us-east-1, from aws-prices-us-east-1.json (S3 page 2025-10-19; Step Functions/Lambda from its sources). */
const PRICE = {
  sfnPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 1.33334e-5,
  s3ListPer1000: 0.005,
  /** PutObjectTagging and GetObjectTagging are PUT- and GET-class requests; priced at STANDARD's rates here. */
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  /** The worst case, if tagging requests on archived objects are billed at DEEP_ARCHIVE's PUT rate. */
  s3PutPer1000DeepArchive: 0.05,
};
// The built workflow (statemachines/reclassify.asl.json) pages by studies: NextPage, a Map over the page's
// studies (one ReclassifyStudy task each), Tally and a Choice per page; a start and a Done per run.
const studies = Math.ceil(OBJECTS / OBJECTS_PER_STUDY);
const pages = Math.ceil(studies / PAGE);
const transitions = 2 + pages * 4 + studies * 2;
const lambdaInvocations = studies + pages * 2;
const lambdaGbSeconds = studies * 0.128 /* GB */ * 2; /* s per study of 100 objects at 16 tag requests in flight, assumed */
const cost = {
  sfn: transitions * PRICE.sfnPerTransition,
  lambda: lambdaInvocations * PRICE.lambdaPerRequest + lambdaGbSeconds * PRICE.lambdaArmPerGbSecond,
  getTags: (OBJECTS * PRICE.s3GetPer1000) / 1000,
  putTags: (OBJECTS * PRICE.s3PutPer1000) / 1000,
};
const total = Object.values(cost).reduce((a, b) => a + b, 0);
const usd = (n: number) => `$${n.toFixed(4)}`;
console.log(`\nre-classifying ${OBJECTS.toLocaleString('en-US')} objects in ${studies.toLocaleString('en-US')} studies (the reclassify workflow: ${pages} pages of ${PAGE} studies, a Map per page; every object re-tagged, the worst case):`);
console.log(`  Step Functions: ${transitions} state transitions = ${usd(cost.sfn)} (one execution per object would be ≥ ${(OBJECTS * 3).toLocaleString('en-US')} = ${usd(OBJECTS * 3 * PRICE.sfnPerTransition)})`);
console.log(`  Lambda: ${lambdaInvocations} invocations, ~${Math.round(lambdaGbSeconds)} GB-s = ${usd(cost.lambda)}`);
console.log(`  S3: ${OBJECTS.toLocaleString('en-US')} GetObjectTagging + ${OBJECTS.toLocaleString('en-US')} PutObjectTagging = ${usd(cost.getTags + cost.putTags)} (index reads: one Query per study)`);
console.log(`  total ≈ ${usd(total)} (if tagging archived objects is billed at DEEP_ARCHIVE's PUT rate: +${usd((OBJECTS * (PRICE.s3PutPer1000DeepArchive - PRICE.s3PutPer1000)) / 1000)})`);
console.log('  moving objects back to a warmer tier (a pin on archived bytes) is extra: a restore plus a COPY per object.');
