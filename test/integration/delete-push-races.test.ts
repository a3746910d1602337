/**
 * A DELETE interleaved with a legal hold, and with a STOW of the very bytes it removes, at the
 * exact points a reviewer reached by timing (docs/deletion.md, "Races"). The interleavings are
 * made deterministic here by running the deletion step and the STOW service in this process and
 * acting at the point between two of their writes:
 * - a hold placed after an instance's hold check, before its batch's transaction, must keep the
 *   instance (entry and bytes) and count it as kept;
 * - a push that finds its bytes already stored, whose bytes and entry a DELETE then removes
 *   before the push indexes them, must leave a servable instance, not an entry over a delete marker.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoFor } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

/** What the point between two writes does, once: set by a test, cleared when it runs. */
type Act = (() => Promise<void>) | undefined;
const interleave: { afterHoldCheck?: Act; afterBytesFound?: Act; beforeIndexing?: Act } = {};

vi.mock('#services/holds/holds-covering.ts', async (original) => {
  const actual = await original<typeof import('#services/holds/holds-covering.ts')>();
  return {
    ...actual,
    isHeld: async (target: Parameters<typeof actual.isHeld>[0]) => {
      const held = await actual.isHeld(target);
      const act = interleave.afterHoldCheck;
      interleave.afterHoldCheck = undefined;
      await act?.();
      return held;
    },
  };
});
vi.mock('#adapters/object-store.ts', async (original) => {
  const actual = await original<typeof import('#adapters/object-store.ts')>();
  return {
    ...actual,
    putInstanceObject: async (...args: Parameters<typeof actual.putInstanceObject>) => {
      const written = await actual.putInstanceObject(...args);
      const act = written === 'exists' ? interleave.afterBytesFound : undefined;
      if (act) interleave.afterBytesFound = undefined;
      await act?.();
      return written;
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
      const act = interleave.beforeIndexing;
      interleave.beforeIndexing = undefined;
      await act?.();
      return holds;
    },
  };
});

const { deleteStep } = await import('#services/deletion/delete-instances.ts');
const { storeInstances } = await import('#services/store-instances.ts');
const { setRegistration } = await import('#adapters/holds/hold-store.ts');
const { Keys } = await import('#core/index-keys.ts');

type Dataset = Record<string, { Value?: unknown[] }>;
const accept = { Accept: 'multipart/related; type="application/dicom"' };

describe('DELETE racing a legal hold and a re-push', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
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

  // Before the push looks at the bytes it found (it must not call them "another hash"), and after.
  it.each([
    ['before the push checks the bytes it found', 'afterBytesFound', '2.25.84102'],
    ['after the push checked the bytes it found, before it indexes them', 'beforeIndexing', '2.25.84103'],
  ] as const)('leaves a re-pushed instance served, not indexed over a delete marker, when a DELETE removed it %s', { timeout: 120_000 }, async (_, point, study) => {
    const uids = { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: 'RACE-REPUSH-PID' };
    const file = synthesize('CT_small.dcm', uids);
    expect((await stow(runtime.url, [file])).status).toBe(200);
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
});
