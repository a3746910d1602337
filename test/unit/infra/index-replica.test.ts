/**
 * The index table's DR copy (infra/constructs/metadata-index.ts, docs/dr.md "The index's copy"):
 * opted into by `-c indexReplicaKeyArn=`, the declared index becomes a global table with a replica
 * in the key's Region, each replica with its own customer-managed key, PITR and deletion
 * protection, retained, under the same logical id as the regional table it replaces by import;
 * without the setting, the regional table as before.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetadataIndex, type IndexReplica } from '#infra/constructs/metadata-index.ts';
import { system } from '#infra/system.ts';
import { synth } from '#test/helpers/synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const ACCOUNT = '123456789012';
const REPLICA_KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
/** A synth with cdk-nag takes ~10 s alone, minutes on a loaded machine. */
const SYNTH_TIMEOUT_MS = 300_000;

/** The index table alone in a stack of the primary's account and Region: its resources by logical id. */
function indexIn(replica?: IndexReplica): { resources: Record<string, Resource>; keyId: string } {
  const stack = new Stack(new App(), 'Primary', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key');
  new MetadataIndex(stack, 'Table-index', { declaration: system.tables.index!, key, ...(replica ? { replica } : {}) });
  return { resources: Template.fromStack(stack).toJSON().Resources as Record<string, Resource>, keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey) };
}

const tables = (resources: Record<string, Resource>) => Object.entries(resources).filter(([, r]) => r.Type.startsWith('AWS::DynamoDB::'));

describe('The index table\'s DR copy (CDK)', () => {
  it('is a global table with a replica in the key\'s Region, each replica with its own key, PITR and deletion protection, retained', () => {
    const { resources, keyId } = indexIn({ keyArn: REPLICA_KEY });
    const [[, table]] = tables(resources) as [[string, Resource]];
    expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    const replicas = table.Properties.Replicas as Record<string, unknown>[];
    expect(replicas.map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-west-2']);
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
    }
    const keyOf = (region: string) => (replicas.find((r) => r.Region === region)!.SSESpecification as { KMSMasterKeyId: unknown }).KMSMasterKeyId;
    expect(keyOf('us-west-2')).toBe(REPLICA_KEY);
    expect(keyOf('us-east-1')).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    // The declaration's keys, indexes and TTL, as the regional table has them.
    expect((table.Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map((g) => g.IndexName)).toEqual(['gsi1', 'gsi2', 'gsi3']);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: system.tables.index!.timeToLiveAttribute, Enabled: true });
    expect(table.Properties.TableName).toBeUndefined();
  });

  it('keeps the regional table\'s logical id (the import moves the table over: it is never replaced), and takes the existing name to import', () => {
    const regional = tables(indexIn().resources);
    expect(regional.map(([, r]) => [r.Type, r.DeletionPolicy])).toEqual([['AWS::DynamoDB::Table', 'Retain']]);
    expect(regional[0]![1].Properties.DeletionProtectionEnabled).toBe(true);
    const global = tables(indexIn({ keyArn: REPLICA_KEY, tableName: 'Strata-TableindexTable-ABC' }).resources);
    expect(global.map(([id]) => id)).toEqual(regional.map(([id]) => id));
    expect(global[0]![1].Properties.TableName).toBe('Strata-TableindexTable-ABC');
    // The import step: the table as it is (its own Region only, its key), PITR and deletion protection kept.
    const importing = tables(indexIn({ keyArn: REPLICA_KEY, tableName: 'Strata-TableindexTable-ABC', importing: true }).resources);
    expect(importing.map(([id, r]) => [id, r.Type, r.DeletionPolicy])).toEqual([[regional[0]![0], 'AWS::DynamoDB::GlobalTable', 'Retain']]);
    const [only] = importing[0]![1].Properties.Replicas as Record<string, unknown>[];
    expect((importing[0]![1].Properties.Replicas as unknown[]).length).toBe(1);
    expect([only!.Region, only!.DeletionProtectionEnabled, only!.PointInTimeRecoverySpecification]).toEqual(['us-east-1', true, { PointInTimeRecoveryEnabled: true }]);
  });

  it('refuses a key of the stack\'s own Region, of another account, or not a KMS key', () => {
    expect(() => indexIn({ keyArn: REPLICA_KEY.replace('us-west-2', 'us-east-1') })).toThrow(/a Region other than the stack's/);
    expect(() => indexIn({ keyArn: REPLICA_KEY.replace(`:${ACCOUNT}:`, ':210987654321:') })).toThrow(/replicas stay in its account/);
    expect(() => indexIn({ keyArn: 'arn:aws:s3:::a-bucket' })).toThrow(/expected a KMS key ARN/);
  });

  describe('in the app', () => {
    let resources: Record<string, Resource>;
    beforeAll(() => {
      // cdk-nag's packs pass with the global table (the synth throws on a finding).
      resources = synth(system, { indexReplicaKeyArn: REPLICA_KEY, dataPlane: 'false' }).template.toJSON().Resources as Record<string, Resource>;
    }, SYNTH_TIMEOUT_MS);

    it('replicates the declared index only (clients and audit stay regional), and the functions\' grants name the same table', () => {
      const dynamo = tables(resources);
      const global = dynamo.filter(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable');
      expect(global.map(([id]) => id)).toEqual([expect.stringMatching(/^TableindexTable/)]);
      expect(dynamo.filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').map(([id]) => /^Table([a-z]+)Table/.exec(id)?.[1]).sort()).toEqual(['audit', 'clients']);
      const [indexId] = global[0]!;
      const others = JSON.stringify(Object.entries(resources).filter(([id]) => id !== indexId));
      expect(others).toContain(`"Fn::GetAtt":["${indexId}","Arn"]`);
    });
  });
});
