/**
 * `npm run push -- <file|folder>…`: sends DICOM files to a Strata archive with STOW-RS,
 * in requests of at most --batch files and ~8 MB, and prints what was stored or refused.
 * It authenticates with the bearer token of --token or STRATA_TOKEN (a dicom.write token:
 * `npm run token` locally, the Cognito token endpoint on AWS).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const HELP = `usage: npm run push -- [--url URL] [--token TOKEN] [--batch N] <file-or-folder>…
Stores DICOM Part 10 files through STOW-RS (default URL http://127.0.0.1:8080/dicom-web).
The access token (scope dicom.write) comes from --token or the STRATA_TOKEN environment variable;
locally: export STRATA_TOKEN=$(npm run -s token -- --tenant demo --scopes dicom.read,dicom.write | tail -1)`;

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(args.length === 0 ? 1 : 0);
}
let url = process.env.STRATA_URL ? `${process.env.STRATA_URL}/dicom-web` : 'http://127.0.0.1:8080/dicom-web';
let batch = 20;
let token = process.env.STRATA_TOKEN;
const paths: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--url') url = args[++i]!;
  else if (args[i] === '--batch') batch = Number(args[++i]);
  else if (args[i] === '--token') token = args[++i];
  else paths.push(args[i]!);
}

if (!token) {
  console.error(`no access token: pass --token or set STRATA_TOKEN\n\n${HELP}`);
  process.exit(1);
}

function* files(path: string): Generator<string> {
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path).sort()) yield* files(join(path, entry));
  else yield path;
}

const MAX_BYTES = 4 * 1024 * 1024; // stays under Lambda's 6 MB once API Gateway base64-encodes it
const queue = paths.flatMap((p) => [...files(p)]);
const reasonName: Record<number, string> = {
  0x0110: 'processing failure',
  0x0122: 'SOP class not supported',
  0xa700: 'out of resources',
  0xa900: 'does not match its SOP class',
  0xa901: 'study UID differs from the URL',
  0xc000: 'cannot understand',
};
let stored = 0;
let warned = 0;
const refusedBy = new Map<string, number>();
let unanswered = 0;

/** The `part N refused: …` explanations of Strata's Warning header, by part number (1-based). */
function refusalsByPart(warning: string | null): Map<number, string> {
  const byPart = new Map<number, string>();
  for (const match of (warning ?? '').matchAll(/299 [^ ]+ "part (\d+) refused: ([^"]*)"/g)) byPart.set(Number(match[1]), match[2]!);
  return byPart;
}

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
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
      Authorization: `Bearer ${token}`,
    },
  });
  const text = await response.text();
  let result: Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }> = {};
  try {
    result = JSON.parse(text);
  } catch {
    console.error(`${response.status} for ${group.length} file(s), not stored: ${text.slice(0, 300)}`);
    unanswered += group.length;
    continue;
  }
  if (!result['00081199'] && !result['00081198']) {
    // Not a Store Instances Response (a wrong URL, 413, 503…): nothing in this request is known stored.
    console.error(`${response.status} for ${group.length} file(s), not stored: ${text.slice(0, 300)}`);
    unanswered += group.length;
    continue;
  }
  const ok = result['00081199']?.Value ?? [];
  const bad = result['00081198']?.Value ?? [];
  // Identical files in one request are stored once: whatever was not refused was stored.
  stored += group.length - bad.length;
  warned += ok.filter((item) => item['00081196']?.Value?.length).length;
  const explanations = refusalsByPart(response.headers.get('warning'));
  for (const item of bad) {
    const code = Number(item['00081197']?.Value?.[0]);
    const label = `0x${code.toString(16).toUpperCase().padStart(4, '0')} ${reasonName[code] ?? ''}`.trim();
    refusedBy.set(label, (refusedBy.get(label) ?? 0) + 1);
  }
  for (const [part, why] of explanations) console.log(`refused ${group[part - 1]?.name ?? `part ${part}`}: ${why}`);
  if (bad.length > explanations.size) console.log(`${bad.length - explanations.size} more refused in this request (reasons ${bad.map((b) => '0x' + Number(b['00081197']?.Value?.[0]).toString(16).toUpperCase()).join(', ')})`);
  console.log(`${response.status} ${group.length} file(s): ${group.length - bad.length} stored, ${bad.length} refused`);
}
const refused = [...refusedBy.values()].reduce((a, b) => a + b, 0);
const reasons = [...refusedBy].map(([label, count]) => `${count} ${label}`).join(', ');
console.log(`done: ${stored} stored (${warned} with a warning), ${refused} refused${refused ? ` (${reasons})` : ''}${unanswered ? `, ${unanswered} not answered` : ''}`);
process.exit(refused || unanswered ? 2 : 0);
