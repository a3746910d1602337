/**
 * What the last-access tests share: the policy they add a last-access rule to, and their looks
 * at the running archive — the clock, the due checks, an object's tags, a re-classification run.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { instanceObjectKey, type InstanceIdentity } from '#core/index-keys.ts';
import { duePartition } from '#core/lifecycle/last-access.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { dynamoFor, s3For } from './aws.ts';
import { sha256 } from './dicom.ts';
import { TEST_TENANT, type TestRuntime } from './runtime.ts';

const DAY = 86_400_000;

/** `base` with a rule first: a study nobody has read for 400 days goes to long retention ('legacy'). */
export function withLegacyRule(base: LifecyclePolicy): LifecyclePolicy {
  return {
    ...base,
    version: base.version + 1,
    rules: [{ id: 'legacy', description: 'Not read for 400 days', match: { lastAccess: { olderThan: '400d' } }, schedule: ['STANDARD 0d', 'DEEP_ARCHIVE 30d'] }, base.rules.at(-1)!],
  };
}

/** The day (YYYY-MM-DD) that starts after `ms`: when a check due at `ms` is run. */
export const dayAfter = (ms: number) => new Date(Math.ceil(ms / DAY) * DAY).toISOString().slice(0, 10);

/** `runtimeOf`: the test's runtime, once its `beforeAll` has started it. */
export function lastAccessProbe(runtimeOf: () => TestRuntime) {
  const reclassify = () => runtimeOf().stepFunctions.arnOf('reclassify');
  const finished = async (name: string) => {
    const runtime = runtimeOf();
    await runtime.stepFunctions.idle();
    const execution = runtime.stepFunctions.describeExecution(`${reclassify().replace(':stateMachine:', ':execution:')}:${name}`);
    expect(execution.status, execution.error ?? execution.output ?? '').toBe('SUCCEEDED');
    return JSON.parse(execution.output!) as Record<string, number>;
  };
  return {
    /** Moves the local clock (`+31d`, …). */
    advance: async (spec: string) =>
      expect((await fetch(`${runtimeOf().url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: spec }) })).status).toBe(200),
    /** The tenant's due checks, `<day>#<study>`, sorted. */
    checks: async () => {
      const runtime = runtimeOf();
      const { Items } = await dynamoFor(runtime).send(
        new QueryCommand({ TableName: runtime.names.table('index'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: duePartition(TEST_TENANT) } }, ConsistentRead: true }),
      );
      return (Items ?? []).map((item) => item.sk!.S!).sort();
    },
    /** The tags of the instance object `file` stored as `ids`. */
    tagsOf: async (ids: Omit<InstanceIdentity, 'tenant'>, file: Buffer) => {
      const runtime = runtimeOf();
      const key = instanceObjectKey({ tenant: TEST_TENANT, ...ids }, sha256(file));
      const { TagSet } = await s3For(runtime).send(new GetObjectTaggingCommand({ Bucket: runtime.names.bucket('archive'), Key: key }));
      return Object.fromEntries((TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
    },
    /** The output of the re-classification execution `name`, once the workflows are idle; it must have succeeded. */
    finished,
    /** What the daily EventBridge schedule does: start the workflow with no tenant; its output. */
    scheduledRun: async (name: string) => {
      runtimeOf().stepFunctions.startExecution(reclassify(), '{"detail-type":"Scheduled Event"}', name);
      return finished(name);
    },
  };
}
