/**
 * A DELETE interleaved with a legal hold, and with a STOW of the very bytes it removes, at the
 * exact points a reviewer reached by timing (docs/deletion.md, "Races"). The interleavings are
 * made deterministic here by running the deletion step and the STOW service in this process and
 * acting at the point between two of their writes:
 * - a hold placed after an instance's hold check, before its batch's transaction, must keep the
 *   instance (entry and bytes) and count it as kept;
 * - a push that finds its bytes already stored, whose bytes and entry a DELETE then removes
 *   before the push indexes them, must leave a servable instance, not an entry over a delete
 *   marker — archived bytes too;
 * - a push that lands while the DELETE's step is under way, which the DELETE then removes, stays
 *   deleted: the orphan sweep does not bring it back.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { instanceObjectKey } from '#core/index-keys.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

/** What the point between two writes does, once: set by a test, cleared when it runs. */
type Act = (() => Promise<void>) | undefined;
const interleave: { afterHoldCheck?: Act; afterBytesFound?: Act; beforeIndexing?: Act; beforeWithdrawal?: Act } = {};

/**
 * Set by a test: every instance PutObject fails as S3 does when it cannot take the write; the
 * next `heads` HeadObjects of instance objects fail so too; every index write fails.
 */
const s3Down = { puts: false, heads: 0, index: false };
/**
 * Set by a test: the next instance PutObject waits for `put.release` once it has told `put.arrived`;
 * the next Query of a study's series fails as DynamoDB does when throttled.
 */
const gate: { put?: { arrived: () => void; release: Promise<void> } | undefined; failSeriesQuery?: boolean } = {};
const internalError = () => Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });

/** Runs what a test set for this point, once (it may set it again). */
async function reach(point: keyof typeof interleave): Promise<void> {
  const act = interleave[point];
  interleave[point] = undefined;
  await act?.();
}

vi.mock('#services/holds/holds-covering.ts', async (original) => {
  const actual = await original<typeof import('#services/holds/holds-covering.ts')>();
  return {
    ...actual,
    isHeld: async (target: Parameters<typeof actual.isHeld>[0]) => {
      const held = await actual.isHeld(target);
      await reach('afterHoldCheck');
      return held;
    },
  };
});
vi.mock('#adapters/object-store.ts', async (original) => {
  const actual = await original<typeof import('#adapters/object-store.ts')>();
  return {
    ...actual,
    putInstanceObject: async (...args: Parameters<typeof actual.putInstanceObject>) => {
      if (s3Down.puts) throw internalError();
      const waiting = gate.put;
      if (waiting) {
        gate.put = undefined;
        waiting.arrived();
        await waiting.release;
      }
      const written = await actual.putInstanceObject(...args);
      if (written === 'exists') await reach('afterBytesFound');
      return written;
    },
    headInstanceObject: async (key: string) => {
      if (s3Down.heads > 0) {
        s3Down.heads--;
        throw internalError();
      }
      return actual.headInstanceObject(key);
    },
  };
});

vi.mock('#adapters/index-store.ts', async (original) => {
  const actual = await original<typeof import('#adapters/index-store.ts')>();
  return {
    ...actual,
    storeInstanceRecords: async (...args: Parameters<typeof actual.storeInstanceRecords>) => {
      if (s3Down.index) throw internalError();
      return actual.storeInstanceRecords(...args);
    },
  };
});

vi.mock('#adapters/search-store.ts', async (original) => {
  const actual = await original<typeof import('#adapters/search-store.ts')>();
  return {
    ...actual,
    seriesOfStudy: async (...args: Parameters<typeof actual.seriesOfStudy>) => {
      if (gate.failSeriesQuery) {
        gate.failSeriesQuery = false;
        throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      }
      return actual.seriesOfStudy(...args);
    },
  };
});

// Called once a push has seen its bytes hidden twice, just before it takes its entry back.
vi.mock('#services/deletion/withdraw-entries.ts', async (original) => {
  const actual = await original<typeof import('#services/deletion/withdraw-entries.ts')>();
  return {
    ...actual,
    withdrawEntries: async (...args: Parameters<typeof actual.withdrawEntries>) => {
      await reach('beforeWithdrawal');
      return actual.withdrawEntries(...args);
    },
  };
});

// Called once the push has looked at the bytes it found, just before it indexes them.
vi.mock('#services/holds/hold-at-ingest.ts', async (original) => {
  const actual = await original<typeof import('#services/holds/hold-at-ingest.ts')>();
  return {
    ...actual,
    holdsAtIngest: async (...args: Parameters<typeof actual.holdsAtIngest>) => {
      const holds = await actual.holdsAtIngest(...args);
      await reach('beforeIndexing');
      return holds;
    },
  };
});

const { deleteStep } = await import('#services/deletion/delete-instances.ts');
const { continueDeletion } = await import('#services/deletion/continue-deletion.ts');
const { storeInstances } = await import('#services/store-instances.ts');
const { setRegistration } = await import('#adapters/holds/hold-store.ts');
const { sweepOrphansPage } = await import('#services/maintenance/sweep-orphans.ts');
const { Keys } = await import('#core/index-keys.ts');

type Dataset = Record<string, { Value?: unknown[] }>;
const accept = { Accept: 'multipart/related; type="application/dicom"' };

describe('DELETE racing a legal hold and a re-push', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    // The mocked modules are this thread's: the handlers run here, not in worker threads.
    runtime = await startTestRuntime({ lambdaWorkers: 0 });
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  /** A deletion of the study as its request records it, before any step. */
  async function recordDeletion(study: string, instances: number): Promise<string> {
    const id = randomUUID();
    const at = runtime.clock.now().toISOString();
    await DynamoDBDocumentClient.from(dynamoFor(runtime)).send(
      new PutCommand({
        TableName: runtime.names.table('index'),
        Item: {
          ...{ pk: `T#${TEST_TENANT}#DELETION#${id}`, sk: 'DELETION', gsi3pk: `T#${TEST_TENANT}#DELETING`, gsi3sk: `${at}#${id}`, tenant: TEST_TENANT },
          ...{ id, scope: { tenant: TEST_TENANT, study }, status: 'DELETING', requestedAt: at, requestedBy: 'strata-tests', instances },
          ...{ progress: { deleted: 0, kept: 0, countsDrifted: false }, updatedAt: at, attempts: 1 },
        },
      }),
    );
    return id;
  }

  it('keeps, bytes and entry, an instance whose bytes went just before a hold on its study was placed', { timeout: 120_000 }, async () => {
    const study = '2.25.84101';
    const files = [1, 2, 3].map((i) => synthesize('CT_small.dcm', { study, series: `${study}.1`, sop: `${study}.1.${i}`, patientId: 'RACE-HOLD-PID' }));
    expect((await stow(runtime.url, files)).status).toBe(200);
    const id = await recordDeletion(study, 3);
    // The first instance passes its hold check; then the hold is placed (registered on the study,
    // as POST /holds does at once), before the batch's transaction. The other two see the hold.
    interleave.afterHoldCheck = () => setRegistration(Keys.heldStudy(TEST_TENANT, study), 'race-hold', true);
    const now = runtime.clock.now();
    const step = await deleteStep({ id, scope: { tenant: TEST_TENANT, study }, progress: { deleted: 0, kept: 0, countsDrifted: false } }, { now, clock: () => now, timeLeftMs: () => 60_000, reserveMs: 0 });
    expect(step.progress).toMatchObject({ deleted: 0, kept: 3 });
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ deleted: 0, kept: 3 });
    // Every instance is still indexed, and served byte for byte (the first one's delete marker is gone).
    const found = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as Dataset[];
    expect(found).toHaveLength(3);
    for (const [i, file] of files.entries()) {
      const answer = await fetch(`${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.${i + 1}`, { headers: accept });
      expect(answer.status).toBe(200);
      expect((await answer.arrayBuffer()).byteLength).toBeGreaterThan(file.length);
    }
    const metadata = await fetch(`${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1/metadata`);
    expect(metadata.status).toBe(200);
  });

  // Before the push looks at the bytes it found (it must not call them "another hash"), and after;
  // and bytes in Deep Archive, which no server-side copy can read.
  it.each([
    ['before the push checks the bytes it found', 'afterBytesFound', '2.25.84102', undefined],
    ['after the push checked the bytes it found, before it indexes them', 'beforeIndexing', '2.25.84103', undefined],
    ['in Deep Archive, after the push checked them', 'beforeIndexing', '2.25.84104', 'DEEP_ARCHIVE'],
  ] as const)('leaves a re-pushed instance served, not indexed over a delete marker, when a DELETE removed it %s', { timeout: 120_000 }, async (_, point, study, storageClass) => {
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: 'RACE-REPUSH-PID' };
    const file = synthesize('CT_small.dcm', uids);
    expect((await stow(runtime.url, [file])).status).toBe(200);
    if (storageClass) {
      const key = instanceObjectKey({ tenant: TEST_TENANT, ...uids }, sha256(file));
      expect((await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key, storageClass }) })).status).toBe(200);
      await runtime.events.idle();
    }
    const instance = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    // The re-push finds its bytes stored; then a DELETE of the instance runs to its end (bytes
    // delete-marked, entry removed, tombstone), before the push writes its index entry.
    interleave[point] = async () => {
      expect((await fetch(instance, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(instance, { headers: accept })).status).toBe(410);
    };
    const result = await storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: file }], {
      tenant: TEST_TENANT,
      studyInUrl: undefined,
      serviceUrl: `${runtime.url}/dicom-web`,
      now: runtime.clock.now(),
    });
    expect(interleave[point]).toBeUndefined(); // the DELETE ran in between
    // The push was acknowledged as stored (not refused as "another hash"), so it is served.
    expect(result.status).toBe(200);
    expect(result.body['00081198']).toBeUndefined(); // no Failed SOP Sequence
    const answer = await fetch(instance, { headers: accept });
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).includes(file)).toBe(true);
    expect((await fetch(`${instance}/metadata`)).status).toBe(200);
  });

  it('takes back the entry of a re-push that cannot write its bytes again after a DELETE hid them: reported failed, the DELETE stands, pushing again stores it', { timeout: 120_000 }, async () => {
    const study = '2.25.84109';
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: 'RACE-UNDO-PID' };
    const file = synthesize('CT_small.dcm', uids);
    const other = synthesize('CT_small.dcm', { ...uids, series: `${study}.2`, sop: `${study}.2.1` });
    expect((await stow(runtime.url, [file, other])).status).toBe(200);
    const instance = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    // The DELETE removes the instance (and its series) after the push looked at its bytes; then S3 refuses writes.
    interleave.beforeIndexing = async () => {
      expect((await fetch(instance, { method: 'DELETE' })).status).toBe(204);
      s3Down.puts = true;
    };
    const result = await storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: file }], {
      tenant: TEST_TENANT,
      studyInUrl: undefined,
      serviceUrl: `${runtime.url}/dicom-web`,
      now: runtime.clock.now(),
    });
    s3Down.puts = false;
    expect(interleave.beforeIndexing).toBeUndefined();
    // Reported failed, and nothing of it left indexed: no entry over the delete marker, no empty series, counts right.
    expect(result.body['00081198']?.Value).toHaveLength(1);
    expect((await fetch(instance, { headers: accept })).status).toBe(410);
    const series = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/series`)).json()) as Dataset[];
    expect(series.map((s) => s['0020000E']?.Value?.[0])).toEqual([`${study}.2`]);
    const studies = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study}`)).json()) as Dataset[];
    expect(studies[0]?.['00201208']?.Value).toEqual([1]);
    // Pushed again, it is stored and served.
    expect((await stow(runtime.url, [file])).status).toBe(200);
    const answer = await fetch(instance, { headers: accept });
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).includes(file)).toBe(true);
    const again = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study}`)).json()) as Dataset[];
    expect(again[0]?.['00201208']?.Value).toEqual([2]);
  });

  /**
   * Case G: a re-push indexes bytes a DELETE then hides, S3 refuses its rewrite, and a third push
   * writes the same bytes between the take-back's look and its withdrawal (finding the entry
   * there: acknowledged as unchanged). `meanwhile` runs right after that third push.
   */
  async function thirdPushDuringTakeBack(study: string, patientId: string, meanwhile = () => {}) {
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId };
    const file = synthesize('CT_small.dcm', uids);
    const other = synthesize('CT_small.dcm', { ...uids, series: `${study}.2`, sop: `${study}.2.1` });
    expect((await stow(runtime.url, [file, other])).status).toBe(200);
    const instance = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    const push = () => storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: file }], { tenant: TEST_TENANT, studyInUrl: undefined, serviceUrl: `${runtime.url}/dicom-web`, now: runtime.clock.now() });
    interleave.beforeIndexing = async () => {
      expect((await fetch(instance, { method: 'DELETE' })).status).toBe(204);
      s3Down.puts = true;
    };
    let third: Awaited<ReturnType<typeof push>> | undefined;
    interleave.beforeWithdrawal = async () => {
      s3Down.puts = false;
      third = await push();
      meanwhile();
    };
    const first = await push();
    s3Down.puts = false;
    expect(interleave.beforeWithdrawal).toBeUndefined();
    expect(first.body['00081198']?.Value).toHaveLength(1);
    expect(third?.status).toBe(200);
    expect(third?.body['00081198']).toBeUndefined();
    // That push, acknowledged, stays served.
    const answer = await fetch(instance, { headers: accept });
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).includes(file)).toBe(true);
    const studies = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study}`)).json()) as Dataset[];
    expect(studies[0]?.['00201208']?.Value).toEqual([2]);
  }

  it('gives the entry back when another push writes the same bytes between the take-back\'s look and the withdrawal: that push, acknowledged, stays served', { timeout: 120_000 }, async () => {
    await thirdPushDuringTakeBack('2.25.84111', 'RACE-THIRD-PID');
  });

  it('gives the entry back also when the withdrawal fails after removing it (a throttled Query while settling the series)', { timeout: 120_000 }, async () => {
    // The entry's transaction commits; settling its series then fails.
    await thirdPushDuringTakeBack('2.25.84113', 'RACE-THIRD-FAIL-PID', () => (gate.failSeriesQuery = true));
    expect(gate.failSeriesQuery).toBe(false); // the failure happened
  });

  it('never takes back an entry another push of the same bytes wrote over its own since (a later ingest)', { timeout: 120_000 }, async () => {
    const study = '2.25.84114';
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: 'RACE-OVERWRITTEN-PID' };
    const file = synthesize('CT_small.dcm', uids);
    const newer = synthesize('CT_small.dcm', { ...uids, instanceNumber: 7 });
    const other = synthesize('CT_small.dcm', { ...uids, series: `${study}.2`, sop: `${study}.2.1` });
    expect((await stow(runtime.url, [file, other])).status).toBe(200);
    const instance = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    const push = (bytes: Buffer, now: Date) => storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: bytes }], { tenant: TEST_TENANT, studyInUrl: undefined, serviceUrl: `${runtime.url}/dicom-web`, now });
    const t0 = runtime.clock.now().getTime();
    // B finds the bytes stored and looks (there), then waits before indexing.
    let releaseB!: () => void;
    const bWaits = new Promise<void>((resolve) => (releaseB = resolve));
    let bArrived!: () => void;
    const bAtIndexing = new Promise<void>((resolve) => (bArrived = resolve));
    interleave.beforeIndexing = async () => {
      bArrived();
      await bWaits;
    };
    const b = push(file, new Date(t0 + 2_000));
    await bAtIndexing;
    // P (ingested first): a DELETE between its look and its index write, then S3 refuses P's rewrite.
    interleave.beforeIndexing = async () => {
      expect((await fetch(instance, { method: 'DELETE' })).status).toBe(204);
      s3Down.puts = true;
    };
    let c: Awaited<ReturnType<typeof push>> | undefined;
    let releasePut!: () => void;
    interleave.beforeWithdrawal = async () => {
      s3Down.puts = false;
      // C replaces P's entry with other bytes; B then replaces C's with the first bytes (a later
      // ingest than P's), finds them hidden, and its rewrite waits until P has decided.
      c = await push(newer, new Date(t0 + 1_000));
      const atPut = new Promise<void>((arrived) => (gate.put = { arrived, release: new Promise<void>((release) => (releasePut = release)) }));
      releaseB();
      await atPut;
    };
    const p = await push(file, new Date(t0));
    releasePut();
    const bResult = await b;
    expect(p.body['00081198']?.Value).toHaveLength(1);
    // Both stored, each as the new current version of the instance (202: a warning, no failure).
    for (const stored of [c!, bResult]) {
      expect(stored.status).toBe(202);
      expect(stored.body['00081198']).toBeUndefined();
    }
    const answer = await fetch(instance, { headers: accept });
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).includes(file)).toBe(true);
  });

  it('keeps the entry when S3 only fails to answer the look after indexing: bytes stored by an attempt whose index write failed are served once indexed', { timeout: 120_000 }, async () => {
    const study = '2.25.84110';
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: 'RACE-TRANSIENT-PID' };
    const file = synthesize('CT_small.dcm', uids);
    const push = () => storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: file }], { tenant: TEST_TENANT, studyInUrl: undefined, serviceUrl: `${runtime.url}/dicom-web`, now: runtime.clock.now() });
    // A first attempt stores the bytes, then its index write fails: an orphan, as the sweep or a re-push finds it.
    s3Down.index = true;
    expect((await push()).body['00081198']?.Value).toHaveLength(1);
    s3Down.index = false;
    // Indexing it again, the look after indexing meets one S3 error (no 404): nothing says the bytes are hidden.
    interleave.beforeIndexing = async () => {
      s3Down.heads = 1;
    };
    const result = await push();
    expect(s3Down.heads).toBe(0);
    expect(result.body['00081198']?.Value).toHaveLength(1); // reported failed: the push could not confirm its bytes
    const instance = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    const answer = await fetch(instance, { headers: accept });
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).includes(file)).toBe(true);
  });

  it('keeps deleted a push that landed while the deletion step ran, which the step then removed: the orphan sweep leaves its bytes', { timeout: 120_000 }, async () => {
    const study = '2.25.84105';
    const uids = [1, 2].map((i) => ({ study, series: `${study}.1`, sop: `${study}.1.${i}`, patientId: 'RACE-SWEEP-PID' }));
    const files = uids.map((ids) => synthesize('CT_small.dcm', ids));
    expect((await stow(runtime.url, files)).status).toBe(200);
    const id = await recordDeletion(study, 2);
    // At the second instance's hold check, the first one's bytes are delete-marked and its entry
    // not yet removed: a complete re-push of the first one then writes its bytes again.
    interleave.afterHoldCheck = async () => {
      interleave.afterHoldCheck = async () => {
        expect((await stow(runtime.url, [files[0]!])).status).toBe(200);
      };
    };
    expect(await continueDeletion(TEST_TENANT, id, { now: runtime.clock.now(), clock: () => runtime.clock.now(), timeLeftMs: () => 60_000, requestId: 'test' })).toEqual({ complete: true });
    expect(interleave.afterHoldCheck).toBeUndefined();
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'COMPLETED', deleted: 2, kept: 0 });
    const study410 = () => fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: accept });
    expect((await study410()).status).toBe(410);
    // The sweep, past the orphan age, finds the re-pushed bytes without an entry: left, not indexed.
    let state: Awaited<ReturnType<typeof sweepOrphansPage>> | undefined;
    const later = new Date(runtime.clock.now().getTime() + 3_600_000);
    do state = await sweepOrphansPage(TEST_TENANT, state ?? {}, later, () => 60_000);
    while (state.cursor);
    const key = instanceObjectKey({ tenant: TEST_TENANT, ...uids[0]! }, sha256(files[0]!));
    expect(state.indexed).not.toContain(key);
    expect(state.unindexable).toContainEqual({ key, reason: expect.stringMatching(/deleted .* after it was stored/) });
    expect((await study410()).status).toBe(410);
  });

  it('keeps deleted such a push also when the deletion kept another instance (Object Lock): its tombstone is written all the same', { timeout: 120_000 }, async () => {
    const study = '2.25.84108';
    const uids = [`${study}.1.1`, `${study}.1.2`, `${study}.2.1`].map((sop) => ({ study, series: sop.slice(0, -2), sop, patientId: 'RACE-KEPT-PID' }));
    const files = uids.map((ids) => synthesize('CT_small.dcm', ids));
    expect((await stow(runtime.url, files)).status).toBe(200);
    // Series 2's instance is under an S3 legal hold (Object Lock): the deletion keeps it.
    const lockedKey = instanceObjectKey({ tenant: TEST_TENANT, ...uids[2]! }, sha256(files[2]!));
    await s3For(runtime).send(new PutObjectLegalHoldCommand({ Bucket: runtime.names.bucket('archive'), Key: lockedKey, LegalHold: { Status: 'ON' } }));
    const id = await recordDeletion(study, 3);
    interleave.afterHoldCheck = async () => {
      interleave.afterHoldCheck = async () => {
        expect((await stow(runtime.url, [files[0]!])).status).toBe(200);
      };
    };
    expect(await continueDeletion(TEST_TENANT, id, { now: runtime.clock.now(), clock: () => runtime.clock.now(), timeLeftMs: () => 60_000, requestId: 'test' })).toEqual({ complete: true });
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'PARTLY_KEPT', deleted: 2, kept: 1 });
    let state: Awaited<ReturnType<typeof sweepOrphansPage>> | undefined;
    do state = await sweepOrphansPage(TEST_TENANT, state ?? {}, new Date(runtime.clock.now().getTime() + 3_600_000), () => 60_000);
    while (state.cursor);
    const key = instanceObjectKey({ tenant: TEST_TENANT, ...uids[0]! }, sha256(files[0]!));
    expect(state.indexed).not.toContain(key);
    expect(state.unindexable).toContainEqual({ key, reason: expect.stringMatching(/deleted .* after it was stored/) });
    // What went answers 410, what was kept is served.
    const instance = (ids: (typeof uids)[number]) => `${runtime.url}/dicom-web/studies/${study}/series/${ids.series}/instances/${ids.sop}`;
    expect((await fetch(instance(uids[0]!), { headers: accept })).status).toBe(410);
    expect((await fetch(instance(uids[2]!), { headers: accept })).status).toBe(200);
    await s3For(runtime).send(new PutObjectLegalHoldCommand({ Bucket: runtime.names.bucket('archive'), Key: lockedKey, LegalHold: { Status: 'OFF' } }));
  });

  it('runs a deletion step that outlasts a minute once, to its end: the local Step Functions give a Task no 60 s limit AWS does not', { timeout: 300_000 }, async () => {
    const study = '2.25.84106';
    const files = [1, 2, 3].map((i) => synthesize('CT_small.dcm', { study, series: `${study}.1`, sop: `${study}.1.${i}`, patientId: 'RACE-SLOW-PID' }));
    expect((await stow(runtime.url, files)).status).toBe(200);
    const id = await recordDeletion(study, 3);
    // Each instance's hold check takes 22 s: the one step takes over 66 s.
    let checks = 0;
    const slow = async () => {
      checks++;
      await new Promise((resolve) => setTimeout(resolve, 22_000));
      interleave.afterHoldCheck = slow;
    };
    interleave.afterHoldCheck = slow;
    const arn = runtime.stepFunctions.arnOf('deletion');
    runtime.stepFunctions.startExecution(arn, JSON.stringify({ tenant: TEST_TENANT, id }), `slow-${id}`);
    await runtime.stepFunctions.idle();
    interleave.afterHoldCheck = undefined;
    const execution = runtime.stepFunctions.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:slow-${id}`);
    expect(execution.status).toBe('SUCCEEDED');
    // One attempt of one step: none timed out and was left running beside its retry.
    expect(execution.history.filter((event) => event.type === 'TaskScheduled')).toHaveLength(1);
    expect(execution.history.filter((event) => event.type === 'TaskFailed')).toEqual([]);
    // Done when the execution is.
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'COMPLETED', deleted: 3, kept: 0 });
    expect(checks).toBe(3);
  });

  it('keeps deleted a push the first of several deletion steps removed, even when the sweep runs before the last step', { timeout: 120_000 }, async () => {
    const study = '2.25.84107';
    const uids = [`${study}.1.1`, `${study}.1.2`, `${study}.2.1`].map((sop) => ({ study, series: sop.slice(0, -2), sop, patientId: 'RACE-STEPS-PID' }));
    const files = uids.map((ids) => synthesize('CT_small.dcm', ids));
    expect((await stow(runtime.url, files)).status).toBe(200);
    const id = await recordDeletion(study, 3);
    // At .1.2's hold check, .1.1's bytes are delete-marked and its entry still there: a complete
    // re-push of it writes its bytes again; series 1's batch then removes its entry. The step's time
    // ends there, before series 2.
    let pushed = false;
    interleave.afterHoldCheck = async () => {
      interleave.afterHoldCheck = async () => {
        expect((await stow(runtime.url, [files[0]!])).status).toBe(200);
        pushed = true;
      };
    };
    const context = { clock: () => runtime.clock.now(), timeLeftMs: () => (pushed ? 0 : 60_000), reserveMs: 1_000 };
    const first = await deleteStep({ id, scope: { tenant: TEST_TENANT, study }, progress: { deleted: 0, kept: 0, countsDrifted: false } }, { ...context, now: runtime.clock.now() });
    expect(first).toMatchObject({ complete: false, progress: { deleted: 2 } });
    const key = instanceObjectKey({ tenant: TEST_TENANT, ...uids[0]! }, sha256(files[0]!));
    const sweep = async () => {
      let state: Awaited<ReturnType<typeof sweepOrphansPage>> | undefined;
      do state = await sweepOrphansPage(TEST_TENANT, state ?? {}, new Date(runtime.clock.now().getTime() + 3_600_000), () => 60_000);
      while (state.cursor);
      return state;
    };
    // The deletion is under way (no tombstone yet): the sweep leaves the bytes.
    const during = await sweep();
    expect(during.indexed).not.toContain(key);
    expect(during.unindexable).toContainEqual({ key, reason: 'a deletion of it is under way: left until it ends' });
    // The last step ends it; the sweep then reports the bytes as deleted after they were stored.
    pushed = false;
    expect(await continueDeletion(TEST_TENANT, id, { ...context, now: runtime.clock.now(), requestId: 'test' })).toEqual({ complete: true });
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'COMPLETED', deleted: 3 });
    const after = await sweep();
    expect(after.indexed).not.toContain(key);
    expect(after.unindexable).toContainEqual({ key, reason: expect.stringMatching(/deleted .* after it was stored/) });
    expect((await fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: accept })).status).toBe(410);
  });
});
