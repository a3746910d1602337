/**
 * `npm run disposition -- --dry-run` starts a disposition run (docs/disposition.md), waits for
 * its report and prints the summary (studies, bytes per tier, monthly saving) and the run's id;
 * `npm run disposition -- --approve <id>` approves that report as an administrator
 * (`--reject <id>`, `--status <id>`, `--report <id> [--csv]` likewise); `--resume <id>` resumes a FAILED
 * run where it stopped.
 * Token: STRATA_TOKEN (scopes ilm.admin and admin), else one signed with the local runtime's key
 * (STRATA_DATA_DIR, default .strata) for `--tenant` (default: default).
 */
import { resolve } from 'node:path';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';

const USAGE = `usage: npm run disposition -- --dry-run | --approve <id> | --reject <id> | --resume <id> | --status <id> | --report <id> [--csv]
  [--tenant default] [--url http://127.0.0.1:8080]  (STRATA_TOKEN, or a local token from STRATA_DATA_DIR)`;

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(args.length === 0 ? 1 : 0);
}
const base = option('--url') ?? process.env.STRATA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const tenant = option('--tenant') ?? 'default';
const token =
  process.env.STRATA_TOKEN ??
  (await (await LocalIdentity.open(resolve(process.env.STRATA_DATA_DIR ?? '.strata'))).issue({ tenant, scopes: ['ilm.admin', ADMIN_SCOPE], clientId: 'npm-run-disposition', ttlSeconds: 900 }));

async function call(method: string, path: string, accept = 'application/json'): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, accept } }).catch((error: unknown) => {
    console.error(`cannot reach the archive at ${base} (is npm start running?): ${String(error)}`);
    process.exit(1);
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a CSV report
  }
  if (!response.ok) {
    console.error(`${response.status}: ${String(json.message ?? json.error ?? text)}`);
    process.exit(1);
  }
  return { status: response.status, text, json };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(3)} GiB`;

function printSummary(run: Record<string, unknown>): void {
  const s = run.summary as Record<string, unknown> & { bytesByTier: Record<string, number>; studiesByTier: Record<string, number>; sparedBy: Record<string, number> };
  console.log(`disposition ${String(run.id)}: ${String(run.status)} (policy version ${String(run.policyVersion)}, evaluated at ${String(run.evaluatedAt)})`);
  const failure = run.failure as { phase: string; error: string; cause: string; at: string } | undefined;
  if (failure) console.log(`  FAILED in ${failure.phase} at ${failure.at}: ${failure.error}: ${failure.cause}
  remove the cause, then: npm run disposition -- --resume ${String(run.id)}`);
  console.log(`  examined ${String(s.examined)} studies: ${String(s.eligible)} would be deleted, ${String(s.spared)} spared by a safety net, ${String(s.retained)} still within retention`);
  for (const [net, count] of Object.entries(s.sparedBy)) console.log(`    spared (${net}): ${count}`);
  console.log(`  would delete ${String(s.instances)} instances, ${gib(Number(s.bytes))}:`);
  for (const [tier, bytes] of Object.entries(s.bytesByTier)) console.log(`    ${tier.padEnd(20)} ${String(s.studiesByTier[tier] ?? 0).padStart(7)} studies  ${gib(bytes)}`);
  console.log(`  monthly saving: $${Number(s.monthlySavingUsd).toFixed(2)} (${String(s.priceSource)})`);
  console.log(`  report: ${base}/dispositions/${String(run.id)}?format=csv (or json); approve with: npm run disposition -- --approve ${String(run.id)}`);
}

if (args.includes('--dry-run')) {
  const started = await call('POST', '/dispositions');
  const id = String(started.json.id);
  const deadline = Date.now() + 15 * 60_000;
  let run = (await call('GET', `/dispositions/${id}`)).json;
  while (run.status === 'EVALUATING' && !run.summary && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 500));
    run = (await call('GET', `/dispositions/${id}`)).json;
  }
  if (!run.summary) {
    console.error(`disposition ${id} has no report yet (status ${String(run.status)}); follow it with --status ${id}`);
    process.exit(1);
  }
  printSummary(run);
  console.log(id);
} else if (option('--approve') || option('--reject')) {
  const id = (option('--approve') ?? option('--reject'))!;
  const answer = await call('POST', `/dispositions/${id}/${option('--approve') ? 'approve' : 'reject'}`);
  console.log(`disposition ${id}: ${String(answer.json.status)}`);
} else if (option('--resume')) {
  const id = option('--resume')!;
  const answer = await call('POST', `/dispositions/${id}/resume`);
  console.log(`disposition ${id}: ${String(answer.json.status)} (resumed)`);
} else if (option('--status')) {
  const run = (await call('GET', `/dispositions/${option('--status')}`)).json;
  if (run.summary) printSummary(run);
  else console.log(JSON.stringify(run, null, 2));
} else if (option('--report')) {
  const csv = args.includes('--csv');
  console.log((await call('GET', `/dispositions/${option('--report')}?format=${csv ? 'csv' : 'json'}`)).text);
} else {
  console.error(USAGE);
  process.exit(1);
}
