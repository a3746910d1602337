/**
 * The local S3's lifecycle engine: applies each bucket's lifecycle rules (the same compiled
 * rules the CDK bucket carries) on the local clock. S3 evaluates rules about once a day; the
 * local runtime evaluates them whenever the clock is moved (`npm run clock -- +2y`), so a demo
 * archive walks through its tiers, each move emitting `Object Storage Class Changed`.
 */
import type { ServerResponse } from 'node:http';
import type { CompiledLifecycleRule } from '#infra/lifecycle/compile-rules.ts';
import { dueStorageClass } from './lifecycle-rules.ts';
import { decodeXmlText, type Target } from './proxy-context.ts';
import type { FidelityProxyOptions } from './proxy-context.ts';
import { escapeXml, readAll, sendUpstream, sendXml, sendXmlError } from './upstream.ts';
import { internalHeaders } from './internal-headers.ts';
import { currentObject } from './versions.ts';

export interface LifecycleRun {
  examined: number;
  transitioned: number;
}

/** What the engine needs of the fidelity proxy (its state and a transition), not the proxy itself. */
export interface LifecycleTarget {
  readonly options: Pick<FidelityProxyOptions, 'clock' | 'upstream' | 'state'>;
  transition(bucket: string, key: string, storageClass: string): Promise<'transitioned' | 'no-such-key'>;
}

/** One pass over every bucket with rules; objects due for a colder class are moved. */
export async function applyLifecycle(proxy: LifecycleTarget, rulesByBucket: ReadonlyMap<string, readonly CompiledLifecycleRule[]>): Promise<LifecycleRun> {
  const run: LifecycleRun = { examined: 0, transitioned: 0 };
  const now = proxy.options.clock.now();
  for (const [bucket, rules] of rulesByBucket) {
    if (!rules.length) continue;
    for await (const { key, lastModified } of listKeys(proxy.options.upstream, bucket)) {
      run.examined += 1;
      // Transitions apply to current versions (noncurrent-version rules are not simulated).
      const state = currentObject(proxy.options.state.get(bucket, key));
      if (!state?.tags || state.size === undefined) continue; // untagged objects match no compiled rule
      const target = dueStorageClass(rules, {
        storageClass: state.storageClass ?? 'STANDARD',
        createdAt: new Date(state.createdAt ?? lastModified),
        size: state.size,
        tags: state.tags,
      }, now);
      if (target && (await proxy.transition(bucket, key, target)) === 'transitioned') run.transitioned += 1;
    }
  }
  return run;
}

/** Every key of a bucket, from s3rver directly (ListObjects v1 pages by marker). */
async function* listKeys(upstream: URL, bucket: string): AsyncGenerator<{ key: string; lastModified: string }> {
  let marker = '';
  for (;;) {
    const query = new URLSearchParams({ 'max-keys': '1000', ...(marker ? { marker } : {}) });
    const answer = await sendUpstream(upstream, { method: 'GET', path: `/${bucket}?${query}`, headers: internalHeaders() });
    const xml = (await readAll(answer)).toString('utf8');
    if (answer.statusCode !== 200) throw new Error(`listing ${bucket} for lifecycle failed: ${xml.slice(0, 200)}`);
    const entries = [...xml.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<LastModified>([^<]*)<\/LastModified>[\s\S]*?<\/Contents>/g)];
    for (const entry of entries) yield { key: decodeXmlText(entry[1]!), lastModified: entry[2]! };
    if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !entries.length) return;
    marker = decodeXmlText(entries.at(-1)![1]!);
  }
}

/** GetBucketLifecycleConfiguration: the rules the bucket holds, in S3's XML. */
export function getBucketLifecycle(res: ServerResponse, target: Target, rules: readonly CompiledLifecycleRule[] | undefined): void {
  if (!rules?.length) return sendXmlError(res, 404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', { BucketName: target.bucket });
  const xml = rules.map((rule) =>
    `<Rule><ID>${escapeXml(rule.id)}</ID><Filter><And><ObjectSizeGreaterThan>${rule.objectSizeGreaterThan}</ObjectSizeGreaterThan>` +
    `<Tag><Key>${escapeXml(rule.tag.key)}</Key><Value>${escapeXml(rule.tag.value)}</Value></Tag></And></Filter><Status>Enabled</Status>` +
    rule.transitions.map((t) => `<Transition><Days>${t.days}</Days><StorageClass>${t.storageClass}</StorageClass></Transition>`).join('') +
    `</Rule>`).join('');
  sendXml(res, 200, `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${xml}</LifecycleConfiguration>`);
}
