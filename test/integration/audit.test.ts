/**
 * The audit trail end to end: one request of each audited kind, then `GET /audit` finds each
 * with its actor, tenant, patient and outcome; failures are recorded as failures; the hash
 * chains survive concurrent writers and expose a record altered or removed in the table.
 */
import { DeleteItemCommand, DeleteTableCommand, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoFor } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

interface Row {
  kind: string;
  eventId: string;
  action: string;
  outcome: number;
  status: number;
  route: string;
  tenant: string;
  actor: { clientId: string; tenant: string; admin: boolean; acrossTenants: boolean };
  sourceIp: string;
  patientId?: string;
  studies: string[];
  query?: string;
  detail?: Record<string, string | number>;
  shard: number;
  seq: number;
}

/** The test runtime's default token: client strata-tests of the default tenant, with every scope (admin included). */
const CALLER = { clientId: 'strata-tests', tenant: 'default' };
const PATIENT = 'AUDIT-PID-1';
const STUDY = '2.25.7100';
const SERIES = '2.25.7100.1';
const SOPS = ['2.25.7100.1.1', '2.25.7100.1.2'];
const FILES = SOPS.map((sop) => synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, patientId: PATIENT }));

describe('The audit trail', () => {
  let runtime: TestRuntime;
  let started: string;
  const instanceUrl = (sop: string) => `${runtime.url}/dicom-web/studies/${STUDY}/series/${SERIES}/instances/${sop}`;
  const audit = async (query: string) => {
    const response = await fetch(`${runtime.url}/audit?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { records: Row[]; next?: string };
  };
  const verification = async () => (await (await fetch(`${runtime.url}/audit/verification`)).json()) as { intact: boolean; problems: { shard: number; seq: number; problem: string }[]; shards: { records: number }[] };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    started = runtime.clock.now().toISOString();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('records one event of each kind, found by patient with actor, tenant, patient and outcome', async () => {
    expect((await stow(runtime.url, FILES)).status).toBe(200);
    expect((await fetch(`${runtime.url}/dicom-web/studies?PatientID=${PATIENT}`)).status).toBe(200);
    const any = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
    expect((await fetch(instanceUrl(SOPS[0]!), { headers: any })).status).toBe(200);
    expect((await fetch(`${instanceUrl(SOPS[0]!)}/metadata`)).status).toBe(200);
    expect((await fetch(`${instanceUrl(SOPS[0]!)}/frames/1`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } })).status).toBe(200);
    expect((await fetch(`${instanceUrl(SOPS[0]!)}/rendered`, { headers: { Accept: 'image/png' } })).status).toBe(200);
    const fixity = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body: JSON.stringify({ studyInstanceUID: STUDY }) });
    expect(fixity.status).toBe(202);
    expect((await fetch(instanceUrl(SOPS[1]!), { method: 'DELETE' })).status).toBe(204);

    const { records } = await audit(`patient=${PATIENT}`);
    const seen = records.filter((r) => r.kind !== 'auditLogUsed').map((r) => [r.kind, r.eventId, r.action, r.route]);
    expect(seen).toEqual([
      ['store', '110104', 'C', 'POST /dicom-web/studies'],
      ['query', '110112', 'E', 'GET /dicom-web/studies'],
      ['retrieve', '110104', 'R', 'GET /dicom-web/studies/{study}/series/{series}/instances/{instance}'],
      ['retrieve', '110104', 'R', 'GET /dicom-web/studies/{study}/series/{series}/instances/{instance}/metadata'],
      ['retrieve', '110104', 'R', 'GET /dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/{frames}'],
      ['retrieve', '110104', 'R', 'GET /dicom-web/studies/{study}/series/{series}/instances/{instance}/rendered'],
      ['adminWorkflow', '110100', 'E', 'POST /admin/fixity-audits'],
      // The deletion's completion (docs/deletion.md), recorded before the request's own record.
      ['deleteInstances', '110103', 'D', 'DELETE deletion/completed'],
      ['deleteInstances', '110103', 'D', 'DELETE /dicom-web/studies/{study}/series/{series}/instances/{instance}'],
    ]);
    const completion = records.find((r) => r.route === 'DELETE deletion/completed')!;
    expect(completion.actor).toMatchObject({ clientId: CALLER.clientId, tenant: CALLER.tenant });
    expect(completion).toMatchObject({ patientId: PATIENT, studies: [STUDY], outcome: 0 });
    for (const record of records.filter((r) => r.kind !== 'auditLogUsed' && r !== completion)) {
      expect(record.actor).toEqual({ ...CALLER, admin: true, acrossTenants: false });
      expect(record.tenant).toBe(CALLER.tenant);
      expect(record.patientId).toBe(PATIENT);
      // A query names the patient it asked for, not the studies it found (the query, not its results).
      expect(record.studies).toEqual(record.kind === 'query' ? [] : [STUDY]);
      expect(record.outcome).toBe(0);
      expect(record.sourceIp).toMatch(/127\.0\.0\.1|::1/);
    }
    const query = records.find((r) => r.kind === 'query')!;
    expect(query.query).toBe(`PatientID=${PATIENT}`);
    expect(records.find((r) => r.kind === 'deleteInstances' && r !== completion)!.detail).toEqual({ instancesDeleted: 1, instancesKept: 0 });
    expect(completion.detail).toEqual({ deletion: expect.any(String), instancesDeleted: 1, instancesKept: 0 });
  });

  it('records a refused request with a failure outcome and no patient it cannot know', async () => {
    expect((await fetch(`${runtime.url}/dicom-web/studies/2.25.7199/metadata`)).status).toBe(404);
    const { records } = await audit(`from=${started}`);
    const missing = records.find((r) => r.studies.includes('2.25.7199'))!;
    expect(missing).toMatchObject({ kind: 'retrieve', status: 404, outcome: 4, tenant: CALLER.tenant, actor: { clientId: CALLER.clientId } });
    expect(missing.patientId).toBeUndefined();
  });

  it('keeps an administrator\'s refused cross-tenant request in the trail of the tenant it named', async () => {
    expect((await fetch(`${runtime.url}/dicom-web/studies/2.25.7198/metadata?tenant=north`)).status).toBe(404);
    const named = (await audit(`from=${started}&tenant=north`)).records.find((r) => r.studies.includes('2.25.7198'));
    expect(named).toMatchObject({ kind: 'retrieve', status: 404, tenant: 'north', actor: { clientId: CALLER.clientId, tenant: CALLER.tenant, acrossTenants: true } });
    expect((await audit(`from=${started}`)).records.some((r) => r.studies.includes('2.25.7198'))).toBe(false);
  });

  it('finds records by client and time range, records its own use, and exports CSV', async () => {
    const byClient = await audit(`client=${CALLER.clientId}&from=${started}`);
    expect(byClient.records.length).toBeGreaterThan(9);
    expect(byClient.records.every((r) => r.actor.clientId === CALLER.clientId)).toBe(true);
    expect(byClient.records.some((r) => r.kind === 'auditLogUsed' && r.eventId === '110101' && r.query?.includes('patient='))).toBe(true);
    const future = new Date(Date.parse(runtime.clock.now().toISOString()) + 3_600_000).toISOString();
    expect((await audit(`from=${future}&to=${future}`)).records).toEqual([]);

    const csv = await fetch(`${runtime.url}/audit?patient=${PATIENT}`, { headers: { Accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^at,tenant,eventId,eventMeaning,action,outcome,status,route,clientId,/);
    const json = await audit(`patient=${PATIENT}`);
    // The CSV request itself was recorded before the JSON one, which then saw it.
    expect(lines.length - 1).toBe(json.records.length - 1);
    expect(lines.filter((line) => line.includes(',110104,'))).toHaveLength(5);
  });

  it('pages through a range without losing or repeating a record', async () => {
    const whole = (await audit(`from=${started}&to=${started.slice(0, 10)}T23:59:59.999Z&limit=1000`)).records;
    const paged: Row[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit(`from=${started}&to=${started.slice(0, 10)}T23:59:59.999Z&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.records);
      cursor = page.next;
    } while (cursor);
    const key = (r: Row) => `${r.shard}/${r.seq}`;
    // Each page request is itself recorded: the paged walk sees the whole walk's records and its own.
    expect(new Set(paged.map(key)).size).toBe(paged.length);
    for (const record of whole) expect(paged.map(key)).toContain(key(record));
    expect((await fetch(`${runtime.url}/audit?cursor=bm90LWEtY3Vyc29y`)).status).toBe(400);
  });

  it('keeps its hash chains intact under concurrent writers', async () => {
    const responses = await Promise.all(Array.from({ length: 24 }, () => fetch(`${runtime.url}/dicom-web/studies?PatientID=${PATIENT}`)));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const result = await verification();
    expect(result.problems).toEqual([]);
    expect(result.intact).toBe(true);
    const total = result.shards.reduce((sum, shard) => sum + shard.records, 0);
    expect(total).toBeGreaterThanOrEqual(24 + 12);
  });

  it('detects a record altered or removed in the table itself', async () => {
    const db = dynamoFor(runtime);
    const TableName = runtime.names.table('audit');
    const { shards } = await verification();
    const shard = shards.findIndex((s) => s.records === Math.max(...shards.map((t) => t.records)));
    const chain = await db.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `T#default#CHAIN#${shard}` } } }));
    const items = chain.Items ?? [];
    expect(items.length).toBeGreaterThan(2);
    const [altered, removed] = [items[0]!, items[1]!];
    // Someone with table access turns a failure into a success, and removes another record.
    await db.send(new UpdateItemCommand({ TableName, Key: { pk: altered.pk!, sk: altered.sk! }, UpdateExpression: 'SET #s = :ok', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':ok': { N: '299' } } }));
    await db.send(new DeleteItemCommand({ TableName, Key: { pk: removed.pk!, sk: removed.sk! } }));
    const result = await verification();
    expect(result.intact).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { shard, seq: Number(altered.seq!.N), problem: 'altered' },
        { shard, seq: Number(removed.seq!.N), problem: 'missing records' },
      ]),
    );
  });

  // Last: it takes the audit table away.
  it('refuses reads it cannot record, and keeps and answers a STOW whose record could not be written', async () => {
    await dynamoFor(runtime).send(new DeleteTableCommand({ TableName: runtime.names.table('audit') }));
    const refused = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}/metadata`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { code: string }).code).toBe('AuditUnavailable');
    expect((await fetch(`${runtime.url}/dicom-web/studies?PatientID=${PATIENT}`)).status).toBe(503);

    const sop = '2.25.7100.1.3';
    const stored = await stow(runtime.url, [synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, patientId: PATIENT })]);
    expect(stored.status).toBe(200);
    const item = await dynamoFor(runtime).send(
      new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: `T#default#S#${STUDY}` }, sk: { S: `INST#${SERIES}#${sop}` } } }),
    );
    expect(item.Item?.sha256?.S).toMatch(/^[0-9a-f]{64}$/);
  });
});
