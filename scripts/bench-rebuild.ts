/**
 * `npm run bench:rebuild [-- --instances 1000] [--concurrency 1,4]`: the index rebuild's throughput (docs/dr.md).
 * A fresh local archive gets N instances (minimal objects, 10 studies, by STOW-RS), its index
 * table is dropped, and `npm run rebuild-index`'s runner rebuilds it, once per concurrency given
 * (the table dropped again before each); prints versions/s and checks that the study list answers
 * as before. Half the studies are under legal holds (one per patient), so the rate includes giving
 * them back from the bucket's hold ledger (marking every held instance); the holds listing must
 * answer as before too. The figure feeds the RTO in docs/dr.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoFor } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime } from '#test/helpers/runtime.ts';
import { minimal } from '#test/helpers/synthetic.ts';

const at = process.argv.indexOf('--instances');
const instances = at >= 0 ? Number(process.argv[at + 1]) : 1000;
const concurrencyAt = process.argv.indexOf('--concurrency');
const concurrencies = (concurrencyAt >= 0 ? process.argv[concurrencyAt + 1]! : '1').split(',').map(Number);
const STUDIES = 10;
const PER_REQUEST = 50;
/** Patients (one study each) placed under a legal hold before the table is dropped. */
const HELD = 5;

const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-rebuild-'));
let runtime = await startTestRuntime({ dataDir });
try {
  const uid = (...parts: number[]) => `1.2.826.0.1.3680043.8.498.9.${parts.join('.')}`;
  const seeding = Date.now();
  for (let from = 0; from < instances; from += PER_REQUEST) {
    const files = [];
    for (let n = from; n < Math.min(instances, from + PER_REQUEST); n++) {
      const study = n % STUDIES;
      files.push(minimal({ study: uid(study), series: uid(study, 1), sop: uid(study, 1, n), patientId: `P${study}`, patientName: `BENCH^${study}`, studyDate: '20240101', modality: 'OT' }));
    }
    for (const study of new Set(files.map((_, i) => (from + i) % STUDIES))) {
      const ofStudy = files.filter((_, i) => (from + i) % STUDIES === study);
      const { status } = await stow(runtime.url, ofStudy, `/dicom-web/studies/${uid(study)}`);
      if (status !== 200 && status !== 202) throw new Error(`STOW answered ${status}`);
    }
  }
  console.log(`seeded ${instances} instances in ${STUDIES} studies in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
  const studiesBefore = await (await fetch(`${runtime.url}/dicom-web/studies?includefield=all`)).text();
  for (let patient = 0; patient < HELD; patient++) {
    const placed = await fetch(`${runtime.url}/holds`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ matter: 'bench', reason: 'bench', scope: { patient: { id: `P${patient}` } } }) });
    if (placed.status !== 201) throw new Error(`POST /holds answered ${placed.status}`);
  }
  await runtime.stepFunctions.idle();
  const holdsBefore = await (await fetch(`${runtime.url}/holds`)).text();

  const { runRebuild, summary } = await import('./dr/rebuild-runner.ts');
  for (const concurrency of concurrencies) {
    await dynamoFor(runtime).send(new DeleteTableCommand({ TableName: runtime.names.table('index') }));
    runtime = await runtime.restart();
    // The restart starts the scheduled workflows (on an empty index: nothing to do); let them end first.
    await runtime.stepFunctions.idle();
    const run = await runRebuild({ concurrency, now: () => runtime.clock.now(), out: process.stderr });
    console.log(summary(run));
    const studiesAfter = await (await fetch(`${runtime.url}/dicom-web/studies?includefield=all`)).text();
    const holdsAfter = await (await fetch(`${runtime.url}/holds`)).text();
    console.log(
      `rebuild, concurrency ${concurrency} (${run.workers} worker(s)): ${run.state.examined} versions in ${run.seconds.toFixed(1)} s = ${(run.state.examined / run.seconds).toFixed(1)} versions/s` +
        ` (${run.ledgerSeconds.toFixed(1)} s of it giving back ${run.ledgers.holds.restored} holds); study list ${studiesAfter === studiesBefore ? 'identical' : 'DIFFERENT'}, holds ${holdsAfter === holdsBefore ? 'identical' : 'DIFFERENT'} after`,
    );
  }
} finally {
  await runtime.dispose();
  rmSync(dataDir, { recursive: true, force: true });
}
