/**
 * No patient data or DICOM identifiers in logs or in workflow execution histories (issue 9
 * point 8): an integration scenario runs with the functions logging at INFO and starts every
 * workflow (prior prefetch on STOW, a fixity audit that finds damage, index maintenance, a
 * DELETE that outgrows its request, a legal hold placed and released, a discovery export, a
 * restore of an archived study, re-classifications, a disposition dry run); every log line and
 * each execution's full history (input, every state's input and output, every task's input and
 * result, the final output, errors and causes: what AWS keeps for 90 days) is scanned for each
 * fixture's Study/Series/SOP Instance UIDs, patient names, IDs and birth dates.
 */
import dcmjs from 'dcmjs';
import { PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { system } from '#infra/system.ts';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, fixtureNames, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const IDENTIFYING = ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'PatientName', 'PatientID', 'PatientBirthDate', 'OtherPatientIDs'];

/** Every identifying value of the fixtures (too short or too generic values would match anything). */
function identifiersOfFixtures(): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of fixtureNames()) {
    const bytes = fixture(name);
    let dataset: Record<string, unknown>;
    try {
      const { dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { ignoreErrors: true });
      dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict) as Record<string, unknown>;
    } catch {
      continue; // unreadable fixtures are refused before anything is read from them
    }
    for (const keyword of IDENTIFYING) {
      for (const value of [dataset[keyword]].flat()) {
        const text = typeof value === 'object' && value ? String((value as { Alphabetic?: string }).Alphabetic ?? '') : String(value ?? '');
        for (const variant of [text, text.replace(/\^+/g, ' ').trim()]) if (variant.trim().length >= 6) found.set(variant.trim(), `${keyword} of ${name}`);
      }
    }
  }
  return found;
}

describe('Logs and workflow failures carry no identifiers', () => {
  let runtime: TestRuntime;
  const lines: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };

  beforeAll(async () => {
    // Handlers log at INFO as in production (the suite otherwise keeps only errors).
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    // Powertools writes JSON lines to process.stdout/stderr: keep them for the scan.
    const capture = ((chunk: unknown) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    // A DELETE with no time to spare hands its deletion to the deletion workflow at once.
    runtime = await startTestRuntime({ log: (message) => lines.push(message), functionTimeoutSeconds: { deleteResources: 8 } });
  }, 120_000);
  afterAll(async () => {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    await runtime?.dispose();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const advance = async (spec: string) => {
    expect((await call('POST', '/_local/clock', { advance: spec })).status).toBe(200);
    await runtime.events.idle();
    await runtime.stepFunctions.settled();
  };

  it('logs and records no fixture identifier through a whole scenario', async () => {
    const names = fixtureNames();
    for (let i = 0; i < names.length; i += 8) await stow(runtime.url, names.slice(i, i + 8).map(fixture));
    const identifiers = identifiersOfFixtures();
    expect(identifiers.size).toBeGreaterThan(50);
    const patientId = [...identifiers].find(([, what]) => what.startsWith('PatientID'))![0];

    for (const query of ['studies?PatientName=*', `studies?PatientID=${encodeURIComponent(patientId)}`, `studies/${CT_SMALL.study}/series`, `studies/${CT_SMALL.study}/instances`]) {
      // Only the logging matters here: a refused query (400) logs too.
      expect((await fetch(`${runtime.url}/dicom-web/${query}`)).status).toBeLessThan(500);
    }
    expect((await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}/metadata`)).status).toBe(200);
    expect((await fetch(`${runtime.url}/dicom-web/studies/9.9.9.9/metadata`)).status).toBe(404);

    // A fixity audit that finds an instance changed behind the archive (a workflow failure with a cause).
    const s3 = s3For(runtime);
    const bucket = runtime.names.bucket('archive');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const key = listed.Contents!.find((o) => o.Key!.includes(CT_SMALL.sop) && o.Key!.endsWith('.dcm'))!.Key!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('not the stored bytes') }));
    const audit = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body: JSON.stringify({ studyInstanceUID: CT_SMALL.study }) });
    expect(audit.status).toBe(202);
    // A failing task: every read of another study's series fails (503), the task throws until its retries run
    // out, and its error (name, message, stack trace: Lambda's error document) is kept as a TaskFailed cause.
    const [, failingStudy, failingSeries] = /^default\/studies\/([^/]+)\/series\/([^/]+)\//.exec(listed.Contents!.find((o) => !o.Key!.includes(CT_SMALL.study) && o.Key!.endsWith('.dcm'))!.Key!)!;
    expect((await call('POST', '/_local/s3/faults', { keyPrefix: `default/studies/${failingStudy}/series/${failingSeries}/`, status: 503, code: 'SlowDown' })).status).toBe(200);
    expect((await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body: JSON.stringify({ studyInstanceUID: failingStudy }) })).status).toBe(202);
    await runtime.stepFunctions.idle();
    expect((await call('DELETE', '/_local/s3/faults')).status).toBe(200);
    expect((await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST', body: '{}' })).status).toBeLessThan(300);
    await runtime.stepFunctions.idle();
    const deleted = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}/series/${CT_SMALL.series}/instances/${CT_SMALL.sop}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    await runtime.events.idle();

    const studies = ((await (await fetch(`${runtime.url}/dicom-web/studies`)).json()) as { '0020000D': { Value: [string] }; '00201208': { Value: [number] } }[])
      .map((study) => ({ uid: study['0020000D'].Value[0], instances: study['00201208'].Value[0] }))
      .filter((study) => study.uid !== CT_SMALL.study);
    // A study of several instances deleted with no time to spare: answered 202, the deletion workflow finishes it.
    const large = studies.find((study) => study.instances > 1)!;
    expect((await fetch(`${runtime.url}/dicom-web/studies/${large.uid}`, { method: 'DELETE' })).status).toBe(202);
    await runtime.stepFunctions.idle();

    // Another study of the fixtures: held, exported, archived and restored, re-classified.
    const other = studies.find((study) => study.uid !== large.uid)!.uid;
    const hold = await call('POST', '/holds', { matter: 'scan', reason: 'scan', scope: { study: other } });
    expect(hold.status).toBe(201);
    await runtime.stepFunctions.idle();
    const exported = await call('POST', '/exports', { hold: hold.json.id });
    expect(exported.status).toBe(202);
    await runtime.stepFunctions.settled();
    expect((await call('POST', `/holds/${String(hold.json.id)}/release`, {})).status).toBeLessThan(300);
    await runtime.stepFunctions.settled();
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents!.filter((o) => o.Key!.includes(other) && o.Key!.endsWith('.dcm'));
    for (const object of objects) expect((await call('POST', '/_local/s3/transition', { bucket: 'archive', key: object.Key, storageClass: 'DEEP_ARCHIVE' })).status).toBe(200);
    expect((await call('POST', '/restores', { study: other })).status).toBeLessThan(300);
    await advance('+13h');
    expect((await call('POST', '/admin/reclassifications', { all: true })).status).toBeLessThan(300);
    expect((await call('POST', '/admin/reclassifications', { study: other, pins: [] })).status).toBeLessThan(300);
    const disposition = await call('POST', '/dispositions');
    expect(disposition.status).toBeLessThan(300);
    await runtime.stepFunctions.settled();
    expect((await call('POST', `/dispositions/${String(disposition.json.id)}/reject`)).status).toBe(200);
    await runtime.stepFunctions.settled();

    // The daily whole-archive sweeps (not run at the local runtime's start), as their schedules start them.
    for (const stateMachine of ['drAudit', 'fixitySweep']) expect((await call('POST', '/_local/schedules', { stateMachine, wait: true })).status).toBe(200);

    // Everything AWS keeps of each execution: its input and output, every state's input and output, every task's, errors and causes.
    const histories: string[] = [];
    const started = new Set<string>();
    for (const machine of Object.keys(system.stateMachines)) {
      for (const execution of runtime.stepFunctions.listExecutions(runtime.stepFunctions.arnOf(machine))) {
        const record = runtime.stepFunctions.describeExecution(execution.executionArn);
        started.add(machine);
        histories.push(`${machine} ${record.status} input ${record.input} output ${record.output ?? ''} ${record.error ?? ''} ${record.cause ?? ''}`);
        for (const event of record.history) histories.push(`${machine} ${event.type} ${event.state ?? ''} ${event.input ?? ''} ${event.output ?? ''} ${event.error ?? ''} ${event.cause ?? ''}`);
      }
    }
    // Every workflow of the declaration ran to its end (only the audits of the damaged study and of the unreadable series fail), and the history holds what the states passed.
    const unsuccessful = Object.keys(system.stateMachines).flatMap((machine) =>
      runtime.stepFunctions.listExecutions(runtime.stepFunctions.arnOf(machine)).filter((e) => e.status !== 'SUCCEEDED').map((e) => `${machine} ${e.status} ${e.error ?? ''}`),
    );
    expect(unsuccessful.sort()).toEqual(['fixityAudit FAILED FixityIncomplete', 'fixityAudit FAILED FixityMismatch']);
    // The failing task's error reached the history as AWS keeps it: its name, and the error document with its trace.
    // (The disposition's rejection is a TaskFailed too, but a SendTaskFailure's own error and cause, not a Lambda's.)
    const failed = histories.filter((text) => /^fixityAudit TaskFailed /.test(text));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((text) => !text.includes('TransientStorageError') || !text.includes('"trace":['))).toEqual([]);
    expect([...started].sort()).toEqual(Object.keys(system.stateMachines).sort());
    expect(histories.some((text) => text.includes('FixityMismatch'))).toBe(true);
    expect(histories.filter((text) => / (StateEntered|TaskScheduled) /.test(text)).length).toBeGreaterThan(20);
    expect(lines.some((line) => line.includes('"level":"INFO"'))).toBe(true);

    const hits = [...identifiers].flatMap(([value, what]) =>
      [...lines.map((line) => ['log', line] as const), ...histories.map((text) => ['workflow', text] as const)]
        .filter(([, text]) => text.includes(value))
        .map(([where, text]) => `${what} in ${where}: ${text.slice(0, 300)}`),
    );
    expect(hits).toEqual([]);

    // Each reference item expires (DynamoDB TTL, epoch seconds) a workflow's year plus 90 days after it was written.
    const [reference] = /ref:[A-Za-z0-9_-]{32}/.exec(histories.join(' '))!;
    const item = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: `T#default#REF#${reference}` }, sk: { S: 'REF' } } }));
    const expires = Number(item.Item?.ttl?.N);
    expect(expires).toBeGreaterThan(Date.now() / 1000 + 454 * 86_400);
    expect(expires).toBeLessThan(Date.now() / 1000 + 460 * 86_400);
  }, 480_000); // every fixture pushed and every workflow: minutes on a loaded machine
});
