/**
 * The child of `npm run bench:presigned`: indexes one staged object with the presigned-upload
 * indexer (as the Lambda function would, with the runtime's environment inherited from the
 * parent) in a tenant of its own, so the copy into the archive layout really happens, and prints
 * one JSON line: status, the header's ranged reads, the hash pass's reads (the whole object once),
 * RSS at start and peak (process.resourceUsage().maxRSS).
 */
import { hashStagedObject } from '#services/ingest/hash-staged-object.ts';
import { indexUploadedObject, noReads } from '#services/ingest/index-uploaded-object.ts';

const [key, sha256, size] = process.argv.slice(2) as [string, string, string];
const rssBeforeMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
// The hash pass alone first (its throughput), then the indexer as the function runs it (which hashes again).
const hashStarted = performance.now();
await hashStagedObject(key, Number(size), { requests: 0, bytes: 0 });
const hashSeconds = (performance.now() - hashStarted) / 1000;
const reads = noReads();
const started = performance.now();
const result = await indexUploadedObject({ key, sha256, size: Number(size) }, { tenant: 'bench-indexer', studyInUrl: undefined, serviceUrl: 'http://127.0.0.1/dicom-web', now: new Date() }, reads);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ status: result?.status, requests: reads.header.requests, bytes: reads.header.bytes, hashRequests: reads.hash.requests, hashedBytes: reads.hash.bytes, hashSeconds, rssBeforeMb, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), seconds }));
