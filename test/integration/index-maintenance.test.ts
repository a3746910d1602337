/**
 * Index maintenance (statemachines/index-maintenance.asl.json): the orphan sweep indexes archive
 * objects the index does not know, or reports them; the count reconciliation recomputes study
 * and series counts from the instance items and reports what it corrected.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
interface Report {
  sweep: { examined: number; tooRecent: number; indexedAsCurrent: number; indexedAsEarlierVersion: number; indexed: string[]; unindexable: { key: string; reason: string }[] };
  reconcile: { studiesChecked: number; corrections: number; corrected: { study: string; series?: string; field: string; was: unknown; now: unknown }[]; busy: string[] };
}

const tenant = 'default';
const STUDY = '2.25.82001';
const uids = (series: number, n: number) => ({ study: STUDY, series: `${STUDY}.${series}`, sop: `${STUDY}.${series}.${n}` });

describe('Index maintenance: orphan sweep and count reconciliation', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle(); // the run every start makes
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', uids(1, 1)), synthesize('CT_small.dcm', uids(1, 2)), synthesize('CT_small.dcm', uids(2, 1))])).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  async function maintain(): Promise<Report> {
    const started = await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { location } = (await started.json()) as { location: string };
    await runtime.stepFunctions.idle();
    const view = (await (await fetch(location)).json()) as { status: string; output: Report };
    expect(view.status).toBe('SUCCEEDED');
    return view.output;
  }
  /** Bytes stored as STOW stores them, with no index entry: what a crash between the two leaves. */
  async function putOrphan(bytes: Buffer, id: { study: string; series: string; sop: string }, ingestedAt: Date, owner = tenant): Promise<string> {
    const key = instanceObjectKey({ tenant: owner, ...id }, sha256(bytes));
    await s3For(runtime).send(
      new PutObjectCommand({
        Bucket: runtime.names.bucket('archive'),
        Key: key,
        Body: bytes,
        Metadata: { 'strata-tenant': owner, 'strata-study': id.study, 'strata-series': id.series, 'strata-sop': id.sop, 'strata-sha256': sha256(bytes), 'strata-ingested-at': ingestedAt.toISOString() },
      }),
    );
    return key;
  }
  const studyCounts = async () => {
    const [study] = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${STUDY}`, { headers: { Accept: 'application/dicom+json' } })).json()) as Dataset[];
    const series = (await (await fetch(`${runtime.url}/dicom-web/studies/${STUDY}/series`, { headers: { Accept: 'application/dicom+json' } })).json()) as Dataset[];
    return {
      instances: study!['00201208']?.Value?.[0],
      series: study!['00201206']?.Value?.[0],
      perSeries: Object.fromEntries(series.map((s) => [s['0020000E']!.Value![0], s['00201209']?.Value?.[0]])),
    };
  };
  const served = async (id: { study: string; series: string; sop: string }) => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    if (response.status !== 200) return response.status;
    return sha256(multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!)[0]!.body);
  };

  it('leaves objects younger than a few minutes alone (a STOW may still be indexing them)', async () => {
    const key = await putOrphan(synthesize('CT_small.dcm', uids(2, 2)), uids(2, 2), runtime.clock.now());
    const report = await maintain();
    expect(report.sweep.tooRecent).toBeGreaterThanOrEqual(1);
    expect(report.sweep.indexed).not.toContain(key);
    expect(await served(uids(2, 2))).toBe(404);
  });

  it('indexes older orphans through STOW: new instances with their counts, late earlier versions without displacing the current one', async () => {
    const before = new Date(runtime.clock.now().getTime() - 3_600_000);
    const earlier = synthesize('CT_small.dcm', { ...uids(1, 1), instanceNumber: 77 });
    const earlierKey = await putOrphan(earlier, uids(1, 1), before);
    const garbage = Buffer.from('not a DICOM file at all');
    const garbageKey = await putOrphan(garbage, uids(3, 1), before);
    runtime.clock.advance(10 * 60_000);

    const report = await maintain();
    expect(report.sweep.indexedAsCurrent).toBe(1); // the orphan of the first test
    expect(report.sweep.indexedAsEarlierVersion).toBe(1);
    expect(report.sweep.indexed).toContain(earlierKey);
    expect(report.sweep.unindexable).toEqual([{ key: garbageKey, reason: expect.stringContaining('failure reason') }]);
    expect(await served(uids(2, 2))).toBe(sha256(synthesize('CT_small.dcm', uids(2, 2))));
    expect(await served(uids(1, 1))).toBe(sha256(synthesize('CT_small.dcm', uids(1, 1))));
    expect(await studyCounts()).toEqual({ instances: 4, series: 2, perSeries: { [uids(1, 1).series]: 2, [uids(2, 1).series]: 2 } });
    expect(report.reconcile.corrections).toBe(0);

    // Nothing is left to do: a second run indexes nothing and reports the same object.
    runtime.clock.advance(1000);
    const again = await maintain();
    expect(again.sweep.indexedAsCurrent + again.sweep.indexedAsEarlierVersion).toBe(0);
    expect(again.sweep.unindexable.map((u) => u.key)).toEqual([garbageKey]);
  });

  it('recomputes counts from the instance items and reports each correction', async () => {
    const db = dynamoFor(runtime);
    const TableName = runtime.names.table('index');
    const key = (k: { pk: string; sk: string }) => ({ pk: { S: k.pk }, sk: { S: k.sk } });
    await db.send(new UpdateItemCommand({ TableName, Key: key(Keys.study(tenant, STUDY)), UpdateExpression: 'SET nInstances = :n, nSeries = :s', ExpressionAttributeValues: { ':n': { N: '25' }, ':s': { N: '3' } } }));
    await db.send(new UpdateItemCommand({ TableName, Key: key(Keys.series(tenant, STUDY, uids(1, 1).series)), UpdateExpression: 'SET nInstances = :n', ExpressionAttributeValues: { ':n': { N: '9' } } }));
    await db.send(new DeleteItemCommand({ TableName, Key: key(Keys.series(tenant, STUDY, uids(2, 1).series)) }));
    await db.send(new UpdateItemCommand({ TableName, Key: key(Keys.series(tenant, STUDY, '2.25.99')), UpdateExpression: 'SET nInstances = :n', ExpressionAttributeValues: { ':n': { N: '5' } } }));

    runtime.clock.advance(1000);
    const report = await maintain();
    expect(report.reconcile.busy).toEqual([]);
    expect(report.reconcile.corrected).toEqual(
      expect.arrayContaining([
        { study: STUDY, field: 'nInstances', was: 25, now: 4 },
        { study: STUDY, field: 'nSeries', was: 3, now: 2 },
        { study: STUDY, series: uids(1, 1).series, field: 'nInstances', was: 9, now: 2 },
        { study: STUDY, series: uids(2, 1).series, field: 'series', was: 'missing', now: 2 },
        { study: STUDY, series: '2.25.99', field: 'series', was: 5, now: 'removed (no instances)' },
      ]),
    );
    expect(report.reconcile.corrections).toBe(report.reconcile.corrected.length);
    expect(await studyCounts()).toEqual({ instances: 4, series: 2, perSeries: { [uids(1, 1).series]: 2, [uids(2, 1).series]: 2 } });

    runtime.clock.advance(1000);
    expect((await maintain()).reconcile.corrections).toBe(0);
  });

  it('walks every study, page after page', async () => {
    const others = Array.from({ length: 30 }, (_, i) => synthesize('SC_rgb_small_odd.dcm', { study: `2.25.82100.${i}`, series: `2.25.82100.${i}.1`, sop: `2.25.82100.${i}.1.1` }));
    expect((await stow(runtime.url, others)).status).toBe(200);
    runtime.clock.advance(1000);
    const report = await maintain();
    expect(report.reconcile.studiesChecked).toBe(31);
    expect(report.reconcile.corrections).toBe(0);
  });

  it('does not bring back an instance deleted after its orphaned bytes were stored', async () => {
    const id = uids(4, 1);
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', id)])).status).toBe(200);
    const leftover = await putOrphan(synthesize('CT_small.dcm', { ...id, instanceNumber: 5 }), id, new Date(runtime.clock.now().getTime() - 60_000));
    runtime.clock.advance(1000);
    expect((await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}`, { method: 'DELETE' })).status).toBe(204);
    runtime.clock.advance(10 * 60_000);

    const report = await maintain();
    expect(report.sweep.unindexable).toContainEqual({ key: leftover, reason: expect.stringContaining('was deleted') });
    expect(await served(id)).toBe(410);
  });

  it('on its schedule covers every tenant that holds anything; a tenant\'s own run reports its own objects only', async () => {
    const other = 'maintenance-b';
    const asOther = await runtime.authorization(other);
    const stored = { study: '2.25.82200', series: '2.25.82200.1', sop: '2.25.82200.1.1' };
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', stored)], '/dicom-web/studies', asOther)).status).toBe(200);
    const orphan = { ...stored, sop: '2.25.82200.1.2' };
    const orphanKey = await putOrphan(synthesize('CT_small.dcm', orphan), orphan, new Date(runtime.clock.now().getTime() - 3_600_000), other);
    runtime.clock.advance(10 * 60_000);

    // The default tenant's administrator: B's orphan is neither indexed nor named.
    const own = await maintain();
    expect(JSON.stringify(own)).not.toContain('2.25.82200');

    // What EventBridge's schedule starts: no tenant in the input.
    const machine = runtime.stepFunctions.arnOf('indexMaintenance');
    const { executionArn } = runtime.stepFunctions.startExecution(machine, '{}', 'scheduled-test');
    await runtime.stepFunctions.idle();
    const run = runtime.stepFunctions.describeExecution(executionArn);
    expect(run.status).toBe('SUCCEEDED');
    // Counts per tenant, no keys: the state stays small whatever the number of tenants.
    const { reports } = JSON.parse(run.output!) as { reports: { tenant: string; sweep: Record<string, number>; reconcile: Record<string, number> }[] };
    expect(reports.map((r) => r.tenant)).toEqual([tenant, other]);
    expect(run.output).not.toContain(orphanKey);
    expect(reports.find((r) => r.tenant === other)).toMatchObject({ sweep: { indexedAsCurrent: 1, indexedAsEarlierVersion: 0 }, reconcile: { studiesChecked: 1 } });
    expect(reports.find((r) => r.tenant === tenant)).toMatchObject({ sweep: { indexedAsCurrent: 0, indexedAsEarlierVersion: 0 } });
    const servedToOther = await fetch(`${runtime.url}/dicom-web/studies/${orphan.study}/series/${orphan.series}/instances/${orphan.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*', ...asOther },
    });
    expect(servedToOther.status).toBe(200);
  });
});
