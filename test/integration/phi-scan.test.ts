/**
 * No patient data or DICOM identifiers in logs or workflow failures (issue 9 point 8): an
 * integration scenario (every fixture pushed, broken ones refused, QIDO by name and ID, WADO,
 * DELETE, a fixity audit that finds damage, index maintenance) runs with the functions logging
 * at INFO, and every log line and every workflow execution's error and cause (kept in the local
 * history as AWS keeps them) is scanned for each fixture's Study/Series/SOP Instance UIDs,
 * patient names, IDs and birth dates.
 */
import dcmjs from 'dcmjs';
import { PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { system } from '#infra/system.ts';
import { s3For } from '#test/helpers/aws.ts';
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
    runtime = await startTestRuntime({ log: (message) => lines.push(message) });
  }, 120_000);
  afterAll(async () => {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    await runtime?.dispose();
  });

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
    expect((await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST', body: '{}' })).status).toBeLessThan(300);
    await runtime.stepFunctions.idle();
    const deleted = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}/series/${CT_SMALL.series}/instances/${CT_SMALL.sop}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    await runtime.events.idle();

    // What a workflow says about a failure: the execution's error and cause, and each history event's.
    const failures: string[] = [];
    for (const machine of Object.keys(system.stateMachines)) {
      for (const execution of runtime.stepFunctions.listExecutions(runtime.stepFunctions.arnOf(machine))) {
        const record = runtime.stepFunctions.describeExecution(execution.executionArn);
        failures.push(`${machine} ${record.status} ${record.error ?? ''} ${record.cause ?? ''}`);
        for (const event of record.history) if (event.error || event.cause) failures.push(`${machine} ${event.type} ${event.error ?? ''} ${event.cause ?? ''}`);
      }
    }
    expect(failures.some((text) => text.includes('FixityMismatch'))).toBe(true);
    expect(lines.some((line) => line.includes('"level":"INFO"'))).toBe(true);

    const hits = [...identifiers].flatMap(([value, what]) =>
      [...lines.map((line) => ['log', line] as const), ...failures.map((text) => ['workflow', text] as const)]
        .filter(([, text]) => text.includes(value))
        .map(([where, text]) => `${what} in ${where}: ${text.slice(0, 300)}`),
    );
    expect(hits).toEqual([]);
  }, 240_000); // every fixture pushed and two workflows: minutes on a loaded machine
});
