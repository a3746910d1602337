import { Readable, Transform } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const HOUR = 3_600_000;

async function errorOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error('expected the S3 call to fail');
}

describe('S3 fidelity layer in front of s3rver', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('stores a streamed (aws-chunked) upload byte for byte and returns its SHA-256 on request', async () => {
    const bytes = Buffer.alloc(1_048_576 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'streamed.bin', Body: Readable.from([bytes.subarray(0, 300_000), bytes.subarray(300_000)]), ContentLength: bytes.length }));

    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'streamed.bin', ChecksumMode: 'ENABLED' }));
    const stored = Buffer.from(await object.Body!.transformToByteArray());
    expect(stored.length).toBe(bytes.length);
    expect(sha256(stored)).toBe(sha256(bytes));
    expect(object.ChecksumSHA256).toBe(Buffer.from(sha256(bytes), 'hex').toString('base64'));
  });

  it('refuses a body whose declared checksum does not match, storing nothing', async () => {
    const wrong = Buffer.from(sha256(Buffer.from('other'))).toString('base64');
    const error = await errorOf(s3.send(new PutObjectCommand({ Bucket, Key: 'bad-digest.bin', Body: Buffer.from('payload'), ChecksumSHA256: wrong })));
    expect(error.$metadata.httpStatusCode).toBe(400);
    const missing = await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'bad-digest.bin' })));
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('honours If-None-Match: * so an existing object is never overwritten', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'once.bin', Body: Buffer.from('first'), IfNoneMatch: '*' }));
    const error = await errorOf(s3.send(new PutObjectCommand({ Bucket, Key: 'once.bin', Body: Buffer.from('second'), IfNoneMatch: '*' })));
    expect(error.$metadata.httpStatusCode).toBe(412);
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'once.bin' }));
    expect(await object.Body!.transformToString()).toBe('first');
  });

  it('gates GLACIER objects behind RestoreObject and makes them readable after the simulated delay', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'cold.bin', Body: Buffer.from('frozen bytes'), StorageClass: 'GLACIER' }));

    const refused = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'cold.bin' })));
    expect(refused.$metadata.httpStatusCode).toBe(403);
    expect(refused.name).toBe('InvalidObjectState');

    const restore = await s3.send(new RestoreObjectCommand({ Bucket, Key: 'cold.bin', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } }));
    expect(restore.$metadata.httpStatusCode).toBe(202);
    const ongoing = await s3.send(new HeadObjectCommand({ Bucket, Key: 'cold.bin' }));
    expect(ongoing.Restore).toBe('ongoing-request="true"');
    const again = await errorOf(s3.send(new RestoreObjectCommand({ Bucket, Key: 'cold.bin', RestoreRequest: { Days: 2 } })));
    expect(again.name).toBe('RestoreAlreadyInProgress');
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'cold.bin' })))).name).toBe('InvalidObjectState');

    runtime.clock.advance(5 * HOUR + 1000);
    const restored = await s3.send(new HeadObjectCommand({ Bucket, Key: 'cold.bin' }));
    expect(restored.Restore).toMatch(/^ongoing-request="false", expiry-date=".+GMT"$/);
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'cold.bin' }));
    expect(await object.Body!.transformToString()).toBe('frozen bytes');

    runtime.clock.advance(3 * 24 * HOUR);
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'cold.bin' })))).name).toBe('InvalidObjectState');
  });

  it('gates DEEP_ARCHIVE objects too, with its own restore delay (Standard: 12 hours)', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'deeper.bin', Body: Buffer.from('deeper'), StorageClass: 'DEEP_ARCHIVE' }));
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'deeper.bin' })))).name).toBe('InvalidObjectState');
    await s3.send(new RestoreObjectCommand({ Bucket, Key: 'deeper.bin', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Standard' } } }));
    runtime.clock.advance(5 * HOUR + 1000); // a GLACIER restore would be done by now
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'deeper.bin' })))).name).toBe('InvalidObjectState');
    runtime.clock.advance(7 * HOUR);
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: 'deeper.bin' }));
    expect(await object.Body!.transformToString()).toBe('deeper');
  });

  it('refuses a streamed upload whose trailing checksum does not match its data, storing nothing', async () => {
    // A client-side fault: one data byte changes after the SDK has hashed it into the trailer.
    const corrupting = s3For(runtime);
    corrupting.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: Readable };
        if (request.body instanceof Readable) {
          let seen = 0;
          request.body = request.body.pipe(
            new Transform({
              transform(chunk: Buffer, _encoding, done) {
                const copy = Buffer.from(chunk);
                const at = 100 - seen; // inside the first chunk's data, past its size line
                if (at >= 0 && at < copy.length) copy[at] = copy[at]! ^ 0xff;
                seen += chunk.length;
                done(null, copy);
              },
            }),
          );
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'corruptAfterChecksum' },
    );
    const bytes = Buffer.alloc(70_000, 7);
    const error = await errorOf(corrupting.send(new PutObjectCommand({ Bucket, Key: 'torn.bin', Body: Readable.from([bytes]), ContentLength: bytes.length })));
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.name).toBe('BadDigest');
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'torn.bin' })))).$metadata.httpStatusCode).toBe(404);
  });

  it('refuses Expedited retrieval from DEEP_ARCHIVE and restores of objects that are not archived', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'deep.bin', Body: Buffer.from('deep'), StorageClass: 'DEEP_ARCHIVE' }));
    const expedited = await errorOf(s3.send(new RestoreObjectCommand({ Bucket, Key: 'deep.bin', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } })));
    expect(expedited.$metadata.httpStatusCode).toBe(400);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'hot.bin', Body: Buffer.from('hot') }));
    const notArchived = await errorOf(s3.send(new RestoreObjectCommand({ Bucket, Key: 'hot.bin', RestoreRequest: { Days: 1 } })));
    expect(notArchived.name).toBe('InvalidObjectState');
  });

  it('refuses to delete a version under legal hold until the hold is released; a plain DELETE only hides it', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'held.bin', Body: Buffer.from('evidence') }));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'held.bin', LegalHold: { Status: 'ON' } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'held.bin' }));
    expect(head.ObjectLockLegalHoldStatus).toBe('ON');

    const byVersion = await errorOf(s3.send(new DeleteObjectCommand({ Bucket, Key: 'held.bin', VersionId: put.VersionId })));
    expect([byVersion.$metadata.httpStatusCode, byVersion.name]).toEqual([403, 'AccessDenied']);
    // Versioned, as in AWS: an overwrite is a new version and a plain DELETE a delete marker; the held version stays.
    await s3.send(new PutObjectCommand({ Bucket, Key: 'held.bin', Body: Buffer.from('tampered') }));
    expect((await s3.send(new DeleteObjectCommand({ Bucket, Key: 'held.bin' }))).DeleteMarker).toBe(true);
    const kept = await s3.send(new GetObjectCommand({ Bucket, Key: 'held.bin', VersionId: put.VersionId }));
    expect(await kept.Body!.transformToString()).toBe('evidence');

    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'held.bin', VersionId: put.VersionId, LegalHold: { Status: 'OFF' } }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'held.bin', VersionId: put.VersionId }));
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'held.bin', VersionId: put.VersionId })))).$metadata.httpStatusCode).toBe(404);
  });

  it('keeps COMPLIANCE retention until its date on the local clock, and refuses to shorten it', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'retained.bin', Body: Buffer.from('kept') }));
    const until = new Date(runtime.clock.now().getTime() + 10 * 24 * HOUR);
    await s3.send(new PutObjectRetentionCommand({ Bucket, Key: 'retained.bin', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } }));
    const VersionId = put.VersionId;
    expect((await errorOf(s3.send(new DeleteObjectCommand({ Bucket, Key: 'retained.bin', VersionId })))).$metadata.httpStatusCode).toBe(403);
    const shorten = s3.send(new PutObjectRetentionCommand({ Bucket, Key: 'retained.bin', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(until.getTime() - HOUR) } }));
    expect((await errorOf(shorten)).$metadata.httpStatusCode).toBe(403);

    runtime.clock.advance(11 * 24 * HOUR);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'retained.bin', VersionId }));
  });

  it('round-trips object tags', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tagged.bin', Body: Buffer.from('x') }));
    await s3.send(new PutObjectTaggingCommand({ Bucket, Key: 'tagged.bin', Tagging: { TagSet: [{ Key: 'modality', Value: 'MG' }, { Key: 'retention', Value: 'P10Y' }] } }));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged.bin' }));
    expect(tags.TagSet).toEqual(expect.arrayContaining([{ Key: 'modality', Value: 'MG' }, { Key: 'retention', Value: 'P10Y' }]));
  });

  it('changes a storage class in place with CopyObject, keeping the metadata', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'moved.bin', Body: Buffer.from('m'), Metadata: { origin: 'test' } }));
    await s3.send(new CopyObjectCommand({ Bucket, Key: 'moved.bin', CopySource: `${Bucket}/moved.bin`, StorageClass: 'STANDARD_IA' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'moved.bin' }));
    expect(head.StorageClass).toBe('STANDARD_IA');
    expect(head.Metadata?.origin).toBe('test');
  });

  it('delivers a lifecycle storage-class change to the event handler, which updates the index', async () => {
    expect((await stow(runtime.url, [fixture(CT_SMALL.file)])).status).toBe(200);
    const id = { tenant: 'default', study: CT_SMALL.study, series: CT_SMALL.series, sop: CT_SMALL.sop };

    const response = await fetch(`${runtime.url}/_local/s3/transition`, {
      method: 'POST',
      body: JSON.stringify({ bucket: 'archive', key: instanceObjectKey(id, sha256(fixture(CT_SMALL.file))), storageClass: 'GLACIER' }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await runtime.events.idle();

    const delivery = runtime.events.deliveries.find((d) => d.detailType === 'Object Storage Class Changed' && d.key === instanceObjectKey(id, sha256(fixture(CT_SMALL.file))));
    expect(delivery).toMatchObject({ function: 'onObjectEvent', ok: true });
    const key = Keys.instance(id);
    const item = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: key.pk }, sk: { S: key.sk } } }));
    expect(item.Item?.storageClass?.S).toBe('GLACIER');

    // The retrieve path now sees a cold instance: 503 with Retry-After, not an error page.
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(wado.status).toBe(503);
    expect(wado.headers.get('retry-after')).toBeTruthy();
  });

  it('lists and pages keys in S3\'s byte order when one UID is a prefix of another (1.2 and 1.2.3)', async () => {
    // s3rver walks directories, so its order (and its paging) put t/1.2/… before t/1.2-x/… and t/1.2.3/….
    const keys = ['order/1.2/a.dcm', 'order/1.2.3/a.dcm', 'order/1.2/b.dcm', 'order/1.20/a.dcm', 'order/1.2-x/a.dcm'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
    const expected = ['order/1.2-x/a.dcm', 'order/1.2.3/a.dcm', 'order/1.2/a.dcm', 'order/1.2/b.dcm', 'order/1.20/a.dcm'];
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'order/', MaxKeys: 2, ContinuationToken: token }));
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(listed).toEqual(expected);
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'order/', Delimiter: '/' }));
    expect((grouped.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['order/1.2-x/', 'order/1.2.3/', 'order/1.2/', 'order/1.20/']);
    const versions: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'order/', MaxKeys: 2, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      versions.push(...(page.Versions ?? []).map((o) => o.Key!));
      [keyMarker, versionMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextVersionIdMarker] : [undefined, undefined];
    } while (keyMarker);
    expect(versions).toEqual(expected);
  });
  it('refuses a presigned URL whose query or signature was changed (403 SignatureDoesNotMatch), and one past its X-Amz-Expires on the local clock (403 Request has expired)', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'presigned/a.bin', Body: 'first' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'presigned/b.bin', Body: 'second' }));
    const signingDate = runtime.clock.now(); // the archive signs on its clock (adapters/clock.ts)
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'presigned/a.bin' }), { expiresIn: 3600, signingDate });
    const fetched = await fetch(url);
    expect([fetched.status, await fetched.text()]).toEqual([200, 'first']);
    const refusal = async (changed: string) => {
      const response = await fetch(changed);
      const body = await response.text();
      return [response.status, /<Code>([^<]+)<\/Code>/.exec(body)?.[1]];
    };
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    expect(await refusal(url.replace('presigned/a.bin', 'presigned/b.bin'))).toEqual([403, 'SignatureDoesNotMatch']); // another object
    expect(await refusal(url.replace('X-Amz-Expires=3600', 'X-Amz-Expires=7200'))).toEqual([403, 'SignatureDoesNotMatch']); // a longer life
    expect(await refusal(`${url}&response-content-type=text%2Fhtml`)).toEqual([403, 'SignatureDoesNotMatch']); // an added parameter
    expect(await refusal(url.replace(`X-Amz-Signature=${signature}`, `X-Amz-Signature=${flipped}`))).toEqual([403, 'SignatureDoesNotMatch']);
    const otherSecret = new S3Client({ endpoint: runtime.s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' } });
    expect(await refusal(await getSignedUrl(otherSecret, new GetObjectCommand({ Bucket, Key: 'presigned/a.bin' }), { expiresIn: 3600, signingDate }))).toEqual([403, 'SignatureDoesNotMatch']);
    // Presigned writes are checked the same way: an UploadPart URL works as signed, not for another part.
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'presigned/parts.bin' }));
    const partUrl = await getSignedUrl(s3, new UploadPartCommand({ Bucket, Key: 'presigned/parts.bin', UploadId: upload.UploadId, PartNumber: 1 }), { expiresIn: 3600, signingDate });
    expect((await fetch(partUrl.replace('partNumber=1', 'partNumber=2'), { method: 'PUT', body: 'part' })).status).toBe(403);
    expect((await fetch(partUrl, { method: 'PUT', body: 'part' })).status).toBe(200);

    // One hour and a minute later on the local clock (real time has hardly moved): expired.
    const advanced = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+61m' }) });
    expect(advanced.status).toBe(200);
    const expired = await fetch(url);
    const body = await expired.text();
    expect([expired.status, /<Code>([^<]+)<\/Code>/.exec(body)?.[1], /<Message>([^<]+)<\/Message>/.exec(body)?.[1]]).toEqual([403, 'AccessDenied', 'Request has expired']);
    expect(body).toContain('<X-Amz-Expires>3600</X-Amz-Expires>');
    // A URL signed now (on the moved clock) works again.
    const fresh = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'presigned/a.bin' }), { expiresIn: 60, signingDate: runtime.clock.now() });
    expect((await fetch(fresh)).status).toBe(200);
  });

  it('lists multipart uploads in progress under a prefix, aborts one (204, its parts gone, then 404 NoSuchUpload), and never lists a completed one', async () => {
    const open = async (Prefix: string) => ((await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix }))).Uploads ?? []).map((u) => [u.Key, u.UploadId]);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mpu/cut.bin' }));
    const uploadId = created.UploadId!;
    await s3.send(new UploadPartCommand({ Bucket, Key: 'mpu/cut.bin', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('a part') }));
    const elsewhere = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'other-mpu/x.bin' }));

    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'mpu/' }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['mpu/cut.bin', uploadId]]);
    // Initiated is the local clock's time of creation (this file's clock is moved by other tests).
    expect(Math.abs(listed.Uploads![0]!.Initiated!.getTime() - runtime.clock.now().getTime())).toBeLessThan(60_000);
    expect(await open('other-mpu/')).toEqual([['other-mpu/x.bin', elsewhere.UploadId]]);

    const aborted = await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mpu/cut.bin', UploadId: uploadId }));
    expect(aborted.$metadata.httpStatusCode).toBe(204);
    expect(await open('mpu/')).toEqual([]);
    const again = await errorOf(s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mpu/cut.bin', UploadId: uploadId })));
    expect([again.$metadata.httpStatusCode, again.name]).toEqual([404, 'NoSuchUpload']);
    // A part sent after the abort finds no upload (s3rver would quietly recreate it, and it would be listed again).
    const late = await errorOf(s3.send(new UploadPartCommand({ Bucket, Key: 'mpu/cut.bin', UploadId: uploadId, PartNumber: 2, Body: Buffer.from('late') })));
    expect([late.$metadata.httpStatusCode, late.name]).toEqual([404, 'NoSuchUpload']);
    expect(await open('mpu/')).toEqual([]);
    const traversal = await errorOf(s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mpu/cut.bin', UploadId: '../../archive' })));
    expect([traversal.$metadata.httpStatusCode, traversal.name]).toEqual([404, 'NoSuchUpload']);

    const whole = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mpu/whole.bin' }));
    const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'mpu/whole.bin', UploadId: whole.UploadId, PartNumber: 1, Body: Buffer.from('whole') }));
    expect(await open('mpu/')).toEqual([['mpu/whole.bin', whole.UploadId]]);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mpu/whole.bin', UploadId: whole.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await open('mpu/')).toEqual([]);
    const completedAbort = await errorOf(s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mpu/whole.bin', UploadId: whole.UploadId })));
    expect([completedAbort.$metadata.httpStatusCode, completedAbort.name]).toEqual([404, 'NoSuchUpload']);
    expect((await s3.send(new GetObjectCommand({ Bucket, Key: 'mpu/whole.bin' })).then((o) => o.Body!.transformToString()))).toBe('whole');
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'other-mpu/x.bin', UploadId: elsewhere.UploadId }));
  });
});
