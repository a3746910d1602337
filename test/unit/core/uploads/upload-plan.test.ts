import { describe, expect, it } from 'vitest';
import { completedParts, MAX_OBJECT_BYTES, MAX_PARTS, MIN_PART_BYTES, partCountOf, partRange, partSizeFor, partUrlsPerFile, planUpload } from '#core/uploads/upload-plan.ts';
import { fileOutcome, uploadView, type UploadFileRecord, type UploadRecord } from '#core/uploads/upload-record.ts';
import { storeResponse } from '#core/dicomweb/store-response.ts';
import { uploadObjectKey, uploadOfObjectKey, stagingObjectKey } from '#core/index-keys.ts';

const MiB = 1024 * 1024;

describe('a presigned upload plan', () => {
  it('cuts every file up to 5 TiB into at most 10,000 parts of at least 5 MiB, in whole MiB', () => {
    for (const size of [1, 5 * MiB, 8 * MiB + 1, 78 * 1024 * MiB, 100 * 1024 * MiB, MAX_OBJECT_BYTES]) {
      const part = partSizeFor(size);
      expect(part % MiB, String(size)).toBe(0);
      expect(part).toBeGreaterThanOrEqual(MIN_PART_BYTES);
      expect(partCountOf(size, part)).toBeLessThanOrEqual(MAX_PARTS);
    }
    expect(partSizeFor(50 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(MAX_OBJECT_BYTES)).toBe(525 * MiB);
    expect(partCountOf(MAX_OBJECT_BYTES, 525 * MiB)).toBe(9987);
    expect(partCountOf(1, 8 * MiB)).toBe(1);
  });

  it('checks the request and says what is wrong', () => {
    expect(planUpload({ files: [{ size: 20 * MiB, sha256: 'AB'.repeat(32), name: 'a.dcm' }] })).toEqual([
      { file: 1, name: 'a.dcm', size: 20 * MiB, sha256: 'ab'.repeat(32), partSize: 8 * MiB, parts: 3 },
    ]);
    expect(() => planUpload({})).toThrow(/at least one file/);
    expect(() => planUpload({ files: [{ size: 0 }] })).toThrow(/files\[0\]\.size/);
    expect(() => planUpload({ files: [{ size: 1.5 }] })).toThrow(/whole number/);
    expect(() => planUpload({ files: [{ size: MAX_OBJECT_BYTES + 1 }] })).toThrow(/5 TiB/);
    expect(() => planUpload({ files: [{ size: 10, sha256: 'zz' }] })).toThrow(/64 hex digits/);
    // The declaration is optional at any size: the indexer hashes every object's bytes, declared or not.
    expect(planUpload({ files: [{ size: 11 * 1024 * MiB }] })[0]).toMatchObject({ size: 11 * 1024 * MiB, sha256: undefined });
    expect(() => planUpload({ files: Array.from({ length: 1001 }, () => ({ size: 1 })) })).toThrow(/at most 1000 files/);
  });

  it('refuses each malformed declaration with the message naming the field, and takes each limit exactly', () => {
    const refused: [unknown, RegExp][] = [
      [null, /at least one file/],
      [{ files: [] }, /at least one file/],
      [{ files: 'a.dcm' }, /at least one file/],
      [{ files: [null] }, /^files\[0\] must be an object$/],
      [{ files: [{ size: 1 }, 'a.dcm'] }, /^files\[1\] must be an object$/],
      // The SHA-256 a client declares is the one the indexer must find: exactly 64 hex digits, nothing around them.
      [{ files: [{ size: 1, sha256: 'a'.repeat(63) }] }, /^files\[0\]\.sha256 must be 64 hex digits/],
      [{ files: [{ size: 1, sha256: `x${'a'.repeat(64)}` }] }, /64 hex digits/],
      [{ files: [{ size: 1, sha256: `${'a'.repeat(64)}x` }] }, /64 hex digits/],
      [{ files: [{ size: 1, sha256: 'g'.repeat(64) }] }, /64 hex digits/],
      [{ files: [{ size: 1, sha256: 64 }] }, /64 hex digits/],
      [{ files: [{ size: 1, sha256: ['a'.repeat(64)] }] }, /64 hex digits/], // a list whose text would pass
      [{ files: [{ size: 1, name: 7 }] }, /^files\[0\]\.name must be a string of at most 1,024 characters$/],
      [{ files: [{ size: 1, name: 'n'.repeat(1025) }] }, /name must be a string/],
    ];
    for (const [body, message] of refused) expect(() => planUpload(body), JSON.stringify(body)?.slice(0, 80)).toThrow(message);
    // The limits themselves are allowed.
    expect(planUpload({ files: [{ size: MAX_OBJECT_BYTES, name: 'n'.repeat(1024), sha256: '0123456789abcdefABCDEF'.padEnd(64, '0') }] })[0]).toMatchObject({
      size: MAX_OBJECT_BYTES,
      name: 'n'.repeat(1024),
      sha256: '0123456789abcdefabcdef'.padEnd(64, '0'),
    });
    expect(planUpload({ files: Array.from({ length: 1000 }, () => ({ size: 1 })) })).toHaveLength(1000);
  });

  it('names the parts one may ask URLs for: from 1 to the last part, 1 to 1,000 at a time', () => {
    expect(partRange(10, 1, 1)).toEqual({ first: 1, last: 1 });
    expect(partRange(10, 10, 1)).toEqual({ first: 10, last: 10 });
    expect(partRange(3000, 1, 1000)).toEqual({ first: 1, last: 1000 });
    expect(partRange(3000, 2001, 1000)).toEqual({ first: 2001, last: 3000 });
    for (const [first, count] of [[0, 1], [1.5, 1], [Number.NaN, 1], [1, 1001], [1, 0.5], [1, -1]] as const) {
      expect(() => partRange(10, first, count), `${first} ${count}`).toThrow(/must be/);
    }
  });

  it('gives each file a share of the part URLs one answer carries, and more on request within its parts', () => {
    expect(partUrlsPerFile(planUpload({ files: [{ size: 1 }] }))).toBe(1000);
    expect(partUrlsPerFile(planUpload({ files: Array.from({ length: 1000 }, () => ({ size: 1 })) }))).toBe(1);
    expect(partUrlsPerFile(planUpload({ files: Array.from({ length: 3 }, () => ({ size: 1 })) }))).toBe(333);
    expect(partRange(10, 8, 5)).toEqual({ first: 8, last: 10 });
    expect(() => partRange(10, 11, 1)).toThrow(/from 1 to 10/);
    expect(() => partRange(10, 1, 0)).toThrow(/count/);
  });

  it('takes the completed parts in order, each once, all of them', () => {
    expect(completedParts({ parts: [{ partNumber: 2, etag: '"b"' }, { partNumber: 1, etag: '"a"' }] }, 2)).toEqual([
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: '"b"' },
    ]);
    expect(() => completedParts({ parts: [{ partNumber: 1, etag: '"a"' }] }, 2)).toThrow(/list each of 1\.\.2 once/);
    expect(() => completedParts({ parts: [{ partNumber: 1, etag: '"a"' }, { partNumber: 1, etag: '"a"' }] }, 2)).toThrow(/once/);
    expect(() => completedParts({ parts: [{ partNumber: 1 }] }, 1)).toThrow(/etag/);
    expect(() => completedParts(null, 1)).toThrow(/^the body must be \{"parts"/);
    expect(() => completedParts({ parts: [null] }, 1)).toThrow(/^parts\[0\] must have a partNumber/);
    expect(() => completedParts({ parts: [{ etag: '"a"' }] }, 1)).toThrow(/^parts\[0\] must have a partNumber/);
    expect(() => completedParts({ parts: [{ partNumber: 1, etag: '' }] }, 1)).toThrow(/^parts\[0\] must have/);
    expect(() => completedParts({ parts: [{ partNumber: 1, etag: 5 }] }, 1)).toThrow(/^parts\[0\] must have/);
  });

  it('keys its objects under the uploads prefix, and reads the upload back from the key only', () => {
    const key = uploadObjectKey('acme', '0b6e4a3e-5f0c-4f7e-9a53-6a1c1b1e2f10', 12);
    expect(key).toBe('staging/uploads/acme/0b6e4a3e-5f0c-4f7e-9a53-6a1c1b1e2f10/12.dcm');
    expect(uploadOfObjectKey(key)).toEqual({ tenant: 'acme', upload: '0b6e4a3e-5f0c-4f7e-9a53-6a1c1b1e2f10', file: 12 });
    // A streamed STOW part's staging key (even of a tenant called "uploads") is not an upload's.
    expect(uploadOfObjectKey(stagingObjectKey('uploads', '0b6e4a3e-5f0c-4f7e-9a53-6a1c1b1e2f10'))).toBeUndefined();
    expect(uploadOfObjectKey('staging/uploads/acme/not-an-id/1.dcm')).toBeUndefined();
    expect(uploadOfObjectKey('acme/studies/1/series/2/instances/3/x.dcm')).toBeUndefined();
  });
});

describe('an upload report', () => {
  const upload: UploadRecord = { id: 'u', tenant: 't', clientId: 'c', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z', files: 3, serviceUrl: 'https://x/dicom-web' };
  const file = (n: number, rest: Partial<UploadFileRecord>): UploadFileRecord => ({ file: n, size: 10, partSize: 8 * MiB, parts: 1, key: `k${n}`, multipartUploadId: 'm', state: 'uploading', ...rest });
  const retrieveUrl = 'https://x/dicom-web/studies/1.2/series/1.2.3/instances/1.2.3.4';

  it('reads a file\'s outcome from the Store Instances Response the indexer made for it', () => {
    const stored = storeResponse([{ sopClassUID: '1.1', sopInstanceUID: '1.2.3.4', retrieveUrl, warningReason: 0xb00e }], [], undefined);
    expect(fileOutcome({ body: stored.body, warnings: ['new version'], study: '1.2' }, { headerRead: { requests: 1, bytes: 65536 }, hashRead: { requests: 2, bytes: 9 * MiB } })).toEqual({
      state: 'stored-with-warning',
      result: { sopClassUID: '1.1', sopInstanceUID: '1.2.3.4', studyInstanceUID: '1.2', retrieveUrl, warningReason: 0xb00e, reason: 'new version', headerRead: { requests: 1, bytes: 65536 }, hashRead: { requests: 2, bytes: 9 * MiB } },
    });
    const refused = storeResponse([], [{ sopClassUID: '', sopInstanceUID: '', failureReason: 0xc000 }], undefined);
    expect(fileOutcome({ body: refused.body, warnings: ['not DICOM'] })).toMatchObject({ state: 'refused', result: { failureReason: 0xc000, reason: 'not DICOM', sopInstanceUID: undefined } });
  });

  it('answers per file, pending until indexed, refused once expired, with the STOW response of those finished', () => {
    const files = [
      file(2, { state: 'uploaded' }),
      file(1, { state: 'stored', result: { sopClassUID: '1.1', sopInstanceUID: '1.2.3.4', studyInstanceUID: '1.2', retrieveUrl } }),
      file(3, { state: 'uploading', name: 'c.dcm' }),
    ];
    const before = uploadView(upload, files, new Date('2026-01-01T12:00:00Z'));
    expect(before.status).toBe('pending');
    expect(before.files.map((f) => [f.file, f.status, f.stage])).toEqual([[1, 'stored', undefined], [2, 'pending', 'uploaded'], [3, 'pending', 'uploading']]);
    expect(before.response?.status).toBe(200);
    expect(before.response?.body['00081190']).toEqual({ vr: 'UR', Value: ['https://x/dicom-web/studies/1.2'] });
    const after = uploadView(upload, files, new Date('2026-01-02T00:00:00Z'));
    expect(after.counts).toEqual({ pending: 1, stored: 1, 'stored-with-warning': 0, refused: 1 });
    expect(after.files[2]).toMatchObject({ status: 'refused', failureReason: 0x0110, name: 'c.dcm' });
    expect(after.response?.status).toBe(202);
    expect(uploadView(upload, [file(1, {})], new Date('2026-01-01T01:00:00Z')).response).toBeUndefined();
  });
});
