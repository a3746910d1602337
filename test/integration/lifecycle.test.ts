/**
 * Acceptance of image lifecycle on the local runtime: a synthetic archive ingested at
 * simulated dates, the clock advanced, and each study found in the tier its policy class
 * says — through the index (QIDO InstanceAvailability, the instance item) and through S3
 * HeadObject. The local S3 holds the same compiled rules as the CDK bucket.
 */
import { GetBucketLifecycleConfigurationCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { compileLifecycleRules } from '#infra/lifecycle/compile-rules.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { system } from '#infra/system.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

interface Study {
  name: string;
  bytes: Buffer;
  id: InstanceIdentity;
}

let serial = 0;
/** One instance of a new study; SC_rgb_jpeg_dcmd is ~197 KB (over the 128 KB floor), CT_small ~39 KB (under). */
function study(name: string, options: { modality: string; patientAge?: string; studyDate?: string; small?: boolean }): Study {
  serial += 1;
  const uids = { study: `1.2.826.0.1.3680043.10.1137.${serial}`, series: `1.2.826.0.1.3680043.10.1137.${serial}.1`, sop: `1.2.826.0.1.3680043.10.1137.${serial}.1.1` };
  const bytes = synthesize(options.small ? 'CT_small.dcm' : 'SC_rgb_jpeg_dcmd.dcm', {
    ...uids,
    modality: options.modality,
    studyDate: options.studyDate ?? '20300101',
    patientId: `P${serial}`,
    extra: options.patientAge ? { '00101010': ['AS', options.patientAge] } : {},
  });
  return { name, bytes, id: { tenant: 'default', ...uids } };
}

describe('Image lifecycle on the local clock', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;
  const objectKey = (s: Study) => instanceObjectKey(s.id, sha256(s.bytes));

  const adult = study('adult CT', { modality: 'CT', patientAge: '045Y' });
  const mammogram = study('mammogram', { modality: 'MG', patientAge: '052Y' });
  const child = study('pediatric CT', { modality: 'CT', patientAge: '008Y' });
  const small = study('small CT', { modality: 'CT', patientAge: '045Y', small: true });
  const legacy = study('migrated study', { modality: 'CT', studyDate: '20010101' });
  const pinned = study('research study', { modality: 'CT', patientAge: '060Y' });
  const later = study('study ingested 100 days later', { modality: 'CT', patientAge: '070Y' });

  async function advance(spec: string): Promise<{ lifecycle: { examined: number; transitioned: number } }> {
    const response = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: spec }) });
    expect(response.status).toBe(200);
    return (await response.json()) as { lifecycle: { examined: number; transitioned: number } };
  }

  async function tiers(studies: Study[]): Promise<Record<string, { s3: string; index: string; availability: string }>> {
    const out: Record<string, { s3: string; index: string; availability: string }> = {};
    for (const s of studies) {
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: objectKey(s) }));
      const key = Keys.instance(s.id);
      const item = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: key.pk }, sk: { S: key.sk } } }));
      const qido = await fetch(`${runtime.url}/dicom-web/studies/${s.id.study}/instances`, { headers: { Accept: 'application/dicom+json' } });
      const [instance] = (await qido.json()) as { '00080056'?: { Value: string[] } }[];
      out[s.name] = { s3: head.StorageClass ?? 'STANDARD', index: item.Item?.storageClass?.S ?? '?', availability: instance?.['00080056']?.Value[0] ?? '?' };
    }
    return out;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('holds the same lifecycle rules as the CDK bucket: those compiled from the declared policy', async () => {
    const { Rules = [] } = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
    const held = Rules.map((rule) => ({
      id: rule.ID,
      tag: { key: rule.Filter?.And?.Tags?.[0]?.Key, value: rule.Filter?.And?.Tags?.[0]?.Value },
      objectSizeGreaterThan: rule.Filter?.And?.ObjectSizeGreaterThan,
      transitions: rule.Transitions?.map((t) => ({ days: t.Days, storageClass: t.StorageClass })),
    }));
    expect(held).toEqual(compileLifecycleRules(loadPolicy(system.buckets.archive.lifecyclePolicy)));
  });

  it('tags each object at ingest with the policy class and version that placed it', async () => {
    for (const s of [adult, mammogram, child, small, legacy, pinned]) expect((await stow(runtime.url, [s.bytes])).status, s.name).toBe(200);
    const classOf = async (s: Study) => (await s3.send(new GetObjectTaggingCommand({ Bucket, Key: objectKey(s) }))).TagSet;
    expect(await classOf(adult)).toEqual(expect.arrayContaining([{ Key: 'strata-policy-class', Value: 'clinical' }, { Key: 'strata-policy-version', Value: String(loadPolicy().version) }]));
    expect(await classOf(mammogram)).toContainEqual({ Key: 'strata-policy-class', Value: 'mammography' });
    expect(await classOf(child)).toContainEqual({ Key: 'strata-policy-class', Value: 'pediatric' });
    expect(await classOf(legacy)).toContainEqual({ Key: 'strata-policy-class', Value: 'legacy' });
    // A research pin re-tags the study's objects (what the re-classification workflow will do).
    await s3.send(new PutObjectTaggingCommand({ Bucket, Key: objectKey(pinned), Tagging: { TagSet: [{ Key: 'strata-policy-class', Value: 'pinned' }] } }));
  });

  it('moves each study along its schedule as the clock advances, in S3 and in the index alike', async () => {
    const moved = await advance('+100d');
    expect(moved.lifecycle.transitioned).toBe(4);
    expect((await stow(runtime.url, [later.bytes])).status).toBe(200);
    expect(await tiers([adult, mammogram, child, small, legacy, pinned, later])).toEqual({
      'adult CT': { s3: 'GLACIER_IR', index: 'GLACIER_IR', availability: 'ONLINE' },
      mammogram: { s3: 'STANDARD_IA', index: 'STANDARD_IA', availability: 'ONLINE' },
      'pediatric CT': { s3: 'STANDARD_IA', index: 'STANDARD_IA', availability: 'ONLINE' },
      'small CT': { s3: 'STANDARD', index: 'STANDARD', availability: 'ONLINE' },
      'migrated study': { s3: 'DEEP_ARCHIVE', index: 'DEEP_ARCHIVE', availability: 'OFFLINE' },
      'research study': { s3: 'STANDARD', index: 'STANDARD', availability: 'ONLINE' },
      'study ingested 100 days later': { s3: 'STANDARD', index: 'STANDARD', availability: 'ONLINE' },
    });

    await advance('+2y');
    await advance('+2y');
    expect(await tiers([adult, mammogram, child, small, legacy, pinned, later])).toEqual({
      'adult CT': { s3: 'DEEP_ARCHIVE', index: 'DEEP_ARCHIVE', availability: 'OFFLINE' },
      // Mammography and pediatric priors stay instantly retrievable.
      mammogram: { s3: 'GLACIER_IR', index: 'GLACIER_IR', availability: 'ONLINE' },
      'pediatric CT': { s3: 'GLACIER_IR', index: 'GLACIER_IR', availability: 'ONLINE' },
      'small CT': { s3: 'STANDARD', index: 'STANDARD', availability: 'ONLINE' },
      'migrated study': { s3: 'DEEP_ARCHIVE', index: 'DEEP_ARCHIVE', availability: 'OFFLINE' },
      'research study': { s3: 'STANDARD', index: 'STANDARD', availability: 'ONLINE' },
      'study ingested 100 days later': { s3: 'DEEP_ARCHIVE', index: 'DEEP_ARCHIVE', availability: 'OFFLINE' },
    });
    const changes = runtime.events.deliveries.filter((d) => d.detailType === 'Object Storage Class Changed');
    expect(changes.every((d) => d.ok)).toBe(true);
  });

  it('keeps the index in step with restores: a restored copy is ONLINE until it expires', async () => {
    const { RestoreObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.send(new RestoreObjectCommand({ Bucket, Key: objectKey(adult), RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } }));
    await advance('+13h');
    expect((await tiers([adult]))['adult CT']!.availability).toBe('ONLINE');
    await advance('+3d');
    expect((await tiers([adult]))['adult CT']!.availability).toBe('OFFLINE');
  });
});
