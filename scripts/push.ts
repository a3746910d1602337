/**
 * `npm run push -- <file|folder>…`: sends DICOM files to a Strata archive with STOW-RS,
 * in requests of at most --batch files and ~8 MB, and prints what was stored or refused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const HELP = `usage: npm run push -- [--url URL] [--batch N] <file-or-folder>…
Stores DICOM Part 10 files through STOW-RS (default URL http://127.0.0.1:8080/dicom-web).`;

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(args.length === 0 ? 1 : 0);
}
let url = process.env.STRATA_URL ? `${process.env.STRATA_URL}/dicom-web` : 'http://127.0.0.1:8080/dicom-web';
let batch = 20;
const paths: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--url') url = args[++i]!;
  else if (args[i] === '--batch') batch = Number(args[++i]);
  else paths.push(args[i]!);
}

function* files(path: string): Generator<string> {
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path).sort()) yield* files(join(path, entry));
  else yield path;
}

const MAX_BYTES = 4 * 1024 * 1024; // stays under Lambda's 6 MB once API Gateway base64-encodes it
const queue = paths.flatMap((p) => [...files(p)]);
let stored = 0;
let failed = 0;
while (queue.length) {
  const group: { name: string; bytes: Buffer }[] = [];
  let size = 0;
  while (queue.length && group.length < batch) {
    const bytes = readFileSync(queue[0]!);
    if (group.length && size + bytes.length > MAX_BYTES) break;
    group.push({ name: queue.shift()!, bytes });
    size += bytes.length;
  }
  const boundary = `strata-push-${Date.now()}`;
  const body = Buffer.concat([
    ...group.flatMap(({ bytes }) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), bytes, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const response = await fetch(`${url}/studies`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
  });
  const text = await response.text();
  let result: Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }> = {};
  try {
    result = JSON.parse(text);
  } catch {
    console.error(`${response.status}: ${text.slice(0, 300)}`);
  }
  const ok = result['00081199']?.Value?.length ?? 0;
  const bad = result['00081198']?.Value ?? [];
  stored += ok;
  failed += group.length - ok;
  console.log(`${response.status} ${group.length} file(s): ${ok} stored${bad.length ? `, ${bad.length} refused (reasons ${bad.map((b) => '0x' + Number(b['00081197']?.Value?.[0]).toString(16).toUpperCase()).join(', ')})` : ''}`);
  if (response.headers.get('warning')) console.log(`  warning: ${response.headers.get('warning')}`);
}
console.log(`done: ${stored} stored, ${failed} not stored`);
process.exit(failed ? 2 : 0);
