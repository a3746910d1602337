/**
 * What the archive already holds of a study, for a push that resumes: each instance's SOP
 * Instance UID and the SHA-256 of its stored bytes, from QIDO-RS with Strata's private
 * (0009,1001) attribute (lambdas/core/qido/private-attributes.ts). A file whose UID is there
 * with its own hash is not sent again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { INSTANCE_SHA256_TAG } from '#core/qido/private-attributes.ts';
import { withRetries, type RetryPolicy } from './retry.ts';

const PAGE = 1000; // QIDO's largest page

export interface Connection {
  url: string;
  token: string;
  retry: RetryPolicy;
}

/** SOP Instance UID → SHA-256 of the current stored version (undefined when the archive does not say). */
export async function storedInstances(study: string, connection: Connection): Promise<Map<string, string | undefined>> {
  const held = new Map<string, string | undefined>();
  for (let offset = 0; ; offset += PAGE) {
    const url = `${connection.url}/studies/${encodeURIComponent(study)}/instances?includefield=${INSTANCE_SHA256_TAG}&limit=${PAGE}&offset=${offset}`;
    const attempt = await withRetries(() => fetch(url, { headers: { Accept: 'application/dicom+json', Authorization: `Bearer ${connection.token}` } }), connection.retry);
    if ('error' in attempt) throw attempt.error;
    const { response } = attempt;
    if (response.status === 204 || response.status === 404) return held;
    if (!response.ok) throw new Error(`QIDO of the study answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const text = await response.text();
    const page = (text ? JSON.parse(text) : []) as Record<string, { Value?: string[] }>[];
    for (const match of page) {
      const sop = match['00080018']?.Value?.[0];
      if (sop) held.set(sop, match[INSTANCE_SHA256_TAG]?.Value?.[0]);
    }
    if (page.length < PAGE) return held;
  }
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
