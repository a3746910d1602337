/**
 * `npm run dr-audit -- [--local | --table T --replica-bucket B] [--tenant ID] [--grace SECONDS]`:
 * compares the primary index with the DR replica (lambdas/services/dr/replica-audit.ts,
 * docs/dr.md) — missing replicas, extra objects, checksum mismatches, the oldest unreplicated
 * version's age — for one tenant or every tenant with data; records each replica confirmed on its
 * instance. Prints the report; exits 1 when a replica is missing, corrupted or extra. The same
 * service runs as the scheduled DR audit workflow (statemachines/dr-audit.asl.json), which also
 * publishes the figures the DR alarms watch.
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run dr-audit -- --table INDEX_TABLE --replica-bucket DR_BUCKET [--region R] [--tenant ID] [--grace 900]
       npm run dr-audit -- --local [--tenant ID] [--grace 900]
--grace: versions unreplicated for less than this many seconds are pending, not missing (default 900: RTC's 15 minutes).
--local audits the local archive in STRATA_DATA_DIR (default .strata) against its local replica; stop npm start first.`);
  process.exit(0);
}
const graceSeconds = Number(option('grace') ?? 900);
let replicaBucket = option('replica-bucket');
let stop = async () => {};
let now = () => new Date();
if (args.includes('--local')) {
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { system } = await import('#infra/system.ts');
  const runtime = await startLocalRuntime({ dataDir: process.env.STRATA_DATA_DIR ?? '.strata', port: 0, log: () => {} });
  stop = runtime.stop;
  now = () => runtime.clock.now();
  replicaBucket = runtime.names.bucket(system.replication.replica);
} else {
  const table = option('table');
  if (!table || !replicaBucket) {
    console.error('--table and --replica-bucket are required (or --local); --help explains');
    process.exit(2);
  }
  Object.assign(process.env, { TABLE_INDEX: table, ...(option('region') ? { AWS_REGION: option('region') } : {}) });
}
const { auditReplicaPage, emptyAuditState } = await import('#services/dr/replica-audit.ts');
const { tenantsToMaintain } = await import('#services/maintenance/tenants-to-maintain.ts');
let damaged = false;
try {
  for (const tenant of await tenantsToMaintain(option('tenant'))) {
    let state = emptyAuditState();
    while (!state.done) state = await auditReplicaPage(tenant, state, now(), { replicaBucket: replicaBucket!, graceSeconds });
    console.log(
      `${tenant}: ${state.studies} studies, ${state.versions} versions; confirmed ${state.confirmed} (${state.newlyConfirmed} newly), pending ${state.pending}, ` +
        `missing ${state.missingCount}, checksum mismatches ${state.mismatchedCount}, extra ${state.extraCount}; oldest unreplicated ${state.oldestUnreplicatedSeconds} s`,
    );
    for (const m of state.missing) console.log(`  missing   ${m.key} (unreplicated for ${m.ageSeconds} s)`);
    for (const m of state.mismatched) console.log(`  mismatch  ${m.key} (recorded ${m.recorded}, replica ${m.replica ?? 'no checksum'})`);
    for (const key of state.extra) console.log(`  extra     ${key}`);
    damaged ||= state.missingCount + state.mismatchedCount + state.extraCount > 0;
  }
  process.exitCode = damaged ? 1 : 0;
} finally {
  await stop();
}
