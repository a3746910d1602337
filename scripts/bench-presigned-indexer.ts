/**
 * The child of `npm run bench:presigned`: indexes one staged object with the presigned-upload
 * indexer (as the Lambda function would, with the runtime's environment inherited from the
 * parent) in a tenant of its own, so the copy into the archive layout really happens, and prints
 * one JSON line: status, ranged reads, RSS at start and peak (process.resourceUsage().maxRSS).
 */
import { indexUploadedObject, type RangedReads } from '#services/ingest/index-uploaded-object.ts';

const [key, sha256, size] = process.argv.slice(2) as [string, string, string];
const rssBeforeMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
const reads: RangedReads = { requests: 0, bytes: 0 };
const started = performance.now();
const result = await indexUploadedObject({ key, sha256, size: Number(size) }, { tenant: 'bench-indexer', studyInUrl: undefined, serviceUrl: 'http://127.0.0.1/dicom-web', now: new Date() }, reads);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ status: result?.status, ...reads, rssBeforeMb, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), seconds }));
