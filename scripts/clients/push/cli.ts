/**
 * `strata-push` (`npm run push -- …`): pushes folders and files of DICOM to a Strata archive and
 * says what became of each (docs/ingest.md). Exit status 0 when every DICOM file is stored or
 * already present, 2 when any was refused or could not be sent, 1 for a usage error.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { API_BODY_BYTES, pushFiles, type FileReport } from './engine.ts';
import { progressFor } from './progress.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { scan } from './scan.ts';
import { summaryTable, Tally } from './tally.ts';

export const HELP = `usage: strata-push [options] <folder-or-file>…   (npm run push -- …)
Stores DICOM Part 10 files in a Strata archive: walks folders (with or without DICOMDIR), skips what
is not DICOM, sends study by study, and resumes: what the archive already holds (same SOP Instance
UID and SHA-256) is not sent again. Ends with a summary table; exit status 2 if anything was refused
or not sent.

  --url URL          the archive's DICOMweb root (default $STRATA_URL/dicom-web, else http://127.0.0.1:$PORT/dicom-web,
                     PORT as for npm start, 8080 by default)
  --data-url URL     the data plane's DICOMweb root, for files over ~4 MB ($STRATA_DATA_URL; locally
                     the API's port + 1 by default)
  --token TOKEN      access token with scope dicom.write (default $STRATA_TOKEN); locally:
                     export STRATA_TOKEN=$(npm run -s token -- --tenant demo --scopes dicom.read,dicom.write | tail -1)
  --presigned-over SIZE
                     files larger than SIZE (e.g. 1GiB, 500MB, bytes) go straight to S3 through a presigned
                     upload (POST /dicom-web/uploads), even with a data plane; without a data plane every file
                     over the API's ~4 MB goes that way (default 1GiB)
  --part-concurrency N
                     parts of one presigned upload in flight (default 4)
  --concurrency N    requests in flight (default 4)
  --batch N          files per API request (default 20; bodies stay under ~4 MB)
  --no-resume        send everything without asking the archive first
  --report FILE      append one JSON line per file (path, UIDs, outcome, reason)
  --attempts N       attempts per request on network errors, 5xx, 429 and 503 (default ${DEFAULT_RETRY.attempts})`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'data-url': { type: 'string' },
        token: { type: 'string' },
        concurrency: { type: 'string' },
        'presigned-over': { type: 'string' },
        'part-concurrency': { type: 'string' },
        batch: { type: 'string' },
        'no-resume': { type: 'boolean' },
        report: { type: 'string' },
        attempts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!positionals.length) {
    console.error(HELP);
    return 1;
  }
  // Like `npm run clock`: the same PORT as the `npm start` it talks to.
  const url = values.url ?? (process.env.STRATA_URL ? `${process.env.STRATA_URL}/dicom-web` : `http://127.0.0.1:${process.env.PORT ?? 8080}/dicom-web`);
  const token = values.token ?? process.env.STRATA_TOKEN;
  if (!token) {
    console.error(`no access token: pass --token or set STRATA_TOKEN\n\n${HELP}`);
    return 1;
  }
  const numbers = { concurrency: values.concurrency, batch: values.batch, attempts: values.attempts, 'part-concurrency': values['part-concurrency'] };
  for (const [name, value] of Object.entries(numbers)) {
    if (value !== undefined && !(Number.isInteger(Number(value)) && Number(value) > 0)) {
      console.error(`--${name} must be a positive integer`);
      return 1;
    }
  }

  const presignedOver = parseSize(values['presigned-over'] ?? '1GiB');
  if (presignedOver === undefined) {
    console.error('--presigned-over must be a size: bytes, or a number with KB, MB, GB, KiB, MiB or GiB');
    return 1;
  }

  const started = Date.now();
  const scanned = await scan(positionals);
  const tally = new Tally();
  const bytes = scanned.files.reduce((total, file) => total + file.size, 0);
  const progress = progressFor(process.stdout, tally, started);
  const log = (line: string) => (process.stdout.isTTY ? process.stdout.write(`\r\x1b[K${line}\n`) : console.log(line));
  console.log(`${scanned.files.length} DICOM file(s), ${(bytes / 1e6).toFixed(1)} MB${scanned.skipped.length ? `; ${scanned.skipped.length} other file(s) skipped` : ''}`);
  const result = await pushFiles(scanned, {
    url,
    dataUrl: values['data-url'] ?? process.env.STRATA_DATA_URL ?? localDataPlane(url),
    token,
    concurrency: Number(values.concurrency ?? 4),
    batchFiles: Number(values.batch ?? 20),
    apiBodyBytes: API_BODY_BYTES,
    presignedOver,
    partConcurrency: Number(values['part-concurrency'] ?? 4),
    resume: !values['no-resume'],
    retry: { ...DEFAULT_RETRY, attempts: Number(values.attempts ?? DEFAULT_RETRY.attempts) },
    ...(values.report ? { onFile: (report: FileReport) => appendFileSync(values.report!, `${JSON.stringify(report)}\n`) } : {}),
    onEvent: (event) => progress.update(event),
    log,
  }, tally);
  progress.done();
  console.log(summaryTable(result, (Date.now() - started) / 1000));
  return result.refusedCount || result.notSentCount ? 2 : 0;
}

/** Locally the data plane listens on the API's port + 1 (`npm start`); elsewhere it must be named. */
export function localDataPlane(url: string): string | undefined {
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname) || !parsed.port) return undefined;
  parsed.port = String(Number(parsed.port) + 1);
  return parsed.href.replace(/\/$/, '');
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `1GiB`, `500MB`, `4194304` → bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : undefined;
}
