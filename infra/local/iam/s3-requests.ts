/**
 * What an S3 REST request asks IAM for (path-style URLs, as the local SDK clients send them):
 * the action and resource of each operation, from the Service Authorization Reference.
 */
import type { IncomingMessage } from 'node:http';
import type { Request } from './policy.ts';

export interface S3Call {
  bucket: string;
  /** Absent for bucket-level operations. */
  key?: string;
  requests: Request[];
  /** A read of one object whose absence S3 reports as 404 only to callers with s3:ListBucket. */
  readsObject: boolean;
}

const OBJECT_SUBRESOURCES: Record<string, { GET?: string; PUT?: string; DELETE?: string }> = {
  'legal-hold': { GET: 's3:GetObjectLegalHold', PUT: 's3:PutObjectLegalHold' },
  retention: { GET: 's3:GetObjectRetention', PUT: 's3:PutObjectRetention' },
  tagging: { GET: 's3:GetObjectTagging', PUT: 's3:PutObjectTagging', DELETE: 's3:DeleteObjectTagging' },
  acl: { GET: 's3:GetObjectAcl', PUT: 's3:PutObjectAcl' },
  attributes: { GET: 's3:GetObjectAttributes' },
};

export function s3Call(req: IncomingMessage): S3Call | undefined {
  const url = new URL(req.url ?? '/', 'http://local');
  const [, bucket, ...rest] = url.pathname.split('/');
  if (!bucket) return undefined; // ListBuckets: no function is granted it
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
    const action =
      method === 'POST' && q.has('delete') ? 's3:DeleteObject' // DeleteObjects: s3:DeleteObject on each key
      : q.has('uploads') ? 's3:ListBucketMultipartUploads'
      : q.has('versions') ? 's3:ListBucketVersions'
      : q.has('location') ? 's3:GetBucketLocation'
      : method === 'GET' || method === 'HEAD' ? 's3:ListBucket'
      : `s3:${method}Bucket${[...q.keys()][0] ?? ''}`;
    return { bucket, requests: [{ action, resource: action === 's3:DeleteObject' ? `${bucketArn}/*` : bucketArn }], readsObject: false };
  }
  const key = decodePath(rest.join('/'));
  const objectArn = `${bucketArn}/${key}`;
  const one = (action: string, readsObject = false): S3Call => ({ bucket, key, requests: [{ action, resource: objectArn }], readsObject });
  for (const [name, actions] of Object.entries(OBJECT_SUBRESOURCES)) {
    if (!q.has(name)) continue;
    const action = actions[method as keyof typeof actions];
    return one(action ?? `s3:${method}Object${name}`, method === 'GET');
  }
  if (method === 'POST' && q.has('restore')) return one('s3:RestoreObject');
  if (q.has('uploadId')) {
    if (method === 'DELETE') return one('s3:AbortMultipartUpload');
    if (method === 'GET') return one('s3:ListMultipartUploadParts');
    return one('s3:PutObject'); // UploadPart, CompleteMultipartUpload
  }
  if (method === 'POST' && q.has('uploads')) return one('s3:PutObject');
  // A request naming a version needs the version's own action (Service Authorization Reference).
  if (method === 'GET' || method === 'HEAD') return one(q.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', true);
  // A version's own DELETE (permanent) is a separate permission from a delete marker's.
  if (method === 'DELETE') return one(q.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject');
  if (method === 'PUT') {
    const source = req.headers['x-amz-copy-source'];
    const call = one('s3:PutObject');
    if (typeof source === 'string') {
      const [path = '', sourceQuery = ''] = source.split('?');
      const from = decodePath(path.replace(/^\//, ''));
      call.requests.push({ action: new URLSearchParams(sourceQuery).has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', resource: `arn:aws:s3:::${from}` });
    }
    return call;
  }
  return one(`s3:${method}Object`);
}

/** A percent-encoded path, or itself when it is not valid percent-encoding (S3 then refuses the request). */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
