import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey } from '#core/index-keys.ts';
import { s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

// One study of three instances in two series, built from a real CT fixture.
const STUDY = '2.25.1001';
const INSTANCES = [
  { study: STUDY, series: '2.25.1001.1', sop: '2.25.1001.1.1' },
  { study: STUDY, series: '2.25.1001.1', sop: '2.25.1001.1.2' },
  { study: STUDY, series: '2.25.1001.2', sop: '2.25.1001.2.1' },
];
const FILES = INSTANCES.map((uids) => synthesize('CT_small.dcm', uids));

interface Audit {
  status: string;
  error?: string;
  output?: { status: string; verified: number; mismatched: string[] };
}

describe('Fixity audit workflow (statemachines/fixity-audit.asl.json) on the local Step Functions', () => {
  let runtime: TestRuntime;
  let minute = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const stored = await stow(runtime.url, FILES);
    expect(stored.status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  /** Starts an audit through the admin route and waits for it; each audit runs a simulated minute later. */
  async function audit(study = STUDY): Promise<Audit & { id: string }> {
    runtime.clock.advance(60_000 * ++minute);
    const started = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body: JSON.stringify({ studyInstanceUID: study }) });
    expect(started.status).toBe(202);
    const { id, location } = (await started.json()) as { id: string; location: string };
    await runtime.stepFunctions.idle();
    const result = (await (await fetch(location)).json()) as Audit;
    return { ...result, id };
  }

  async function history(id: string): Promise<{ type: string | undefined; name: string | undefined }[]> {
    const sfn = new SFNClient({ endpoint: runtime.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const executionArn = `${runtime.stepFunctions.arnOf('fixityAudit').replace(':stateMachine:', ':execution:')}:${id}`;
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    return events.map((e) => ({ type: e.type, name: e.stateEnteredEventDetails?.name }));
  }

  it('succeeds when every instance still matches its recorded SHA-256 (Task → Choice → Map → Task → Choice)', async () => {
    const result = await audit();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ status: 'INTACT', verified: 3, mismatched: [] });
  });

  it('fails with FixityMismatch when stored bytes change behind the archive', async () => {
    const original = FILES[0]!;
    const Key = instanceObjectKey({ tenant: 'default', ...INSTANCES[0]! }, sha256(original));
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    const s3 = s3For(runtime);
    await s3.send(new PutObjectCommand({ Bucket: runtime.names.bucket('archive'), Key, Body: tampered }));

    const result = await audit();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('FixityMismatch');

    await s3.send(new PutObjectCommand({ Bucket: runtime.names.bucket('archive'), Key, Body: original }));
    expect((await audit()).status).toBe('SUCCEEDED');
  });

  it('retries a series whose storage keeps failing, then catches it and reports the audit incomplete', async () => {
    const { study, series } = INSTANCES[2]!;
    // S3 answers 503 SlowDown for every read of the second series (the SDK retries, then the workflow).
    const fault = await fetch(`${runtime.url}/_local/s3/faults`, {
      method: 'POST',
      body: JSON.stringify({ keyPrefix: `default/studies/${study}/series/${series}/`, status: 503, code: 'SlowDown' }),
    });
    expect(fault.status).toBe(200);
    const result = await audit();
    await fetch(`${runtime.url}/_local/s3/faults`, { method: 'DELETE' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('FixityIncomplete');
    const events = await history(result.id);
    expect(events.filter((e) => e.type === 'StateRetried').length).toBe(3);
    expect(events.some((e) => e.type === 'StateCaught')).toBe(true);
  });

  /** How many fixity audits the local Step Functions has run. */
  async function executions(): Promise<number | undefined> {
    const sfn = new SFNClient({ endpoint: runtime.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    return (await sfn.send(new ListExecutionsCommand({ stateMachineArn: runtime.stepFunctions.arnOf('fixityAudit') }))).executions?.length;
  }

  it('refuses bad audit requests with 400 and unknown audit names with 404, starting nothing', async () => {
    const before = await executions();
    for (const body of ['null', '[]', '"2.25.1"', '{', JSON.stringify({ studyInstanceUID: `2.25.${'1'.repeat(62)}` }), JSON.stringify({ studyInstanceUID: '1.2/3.4' })]) {
      const response = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body });
      expect(response.status, body).toBe(400);
    }
    for (const name of ['x'.repeat(200), 'fixity-..', 'arn:aws:states:x']) {
      const response = await fetch(`${runtime.url}/admin/fixity-audits/${encodeURIComponent(name)}`);
      expect(response.status, name).toBe(404);
    }
    expect(await executions()).toBe(before);
  });

  it('answers 404 for a study the tenant does not hold, and starts no audit', async () => {
    const before = await executions();
    const started = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', body: JSON.stringify({ studyInstanceUID: '1.2.3.4.5.6.7.8.9' }) });
    expect(started.status).toBe(404);
    expect(await executions()).toBe(before);
  });
});
