/**
 * `npm run bench:memory`: does the local runtime return to its baseline? Runs the runtime in a
 * child process started with --expose-gc, drives identical rounds of STOW-RS (new instances and
 * new versions of one SOP instance) and WADO-RS / QIDO-RS against it, and after each round
 * asks the child to collect garbage and report its memory. A heap that keeps growing after
 * collection over identical rounds is a leak; RSS alone also counts what V8 keeps reserved.
 *
 * `--snapshots DIR` also writes a heap snapshot after the first and the last round, to compare
 * in Chrome DevTools (Memory → Comparison).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { authorizeFetchesTo } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const HELP = `usage: npm run bench:memory -- [options]
  --rounds N      identical rounds (4)
  --instances N   new instances per round, in one new study (100)
  --versions N    new versions of one SOP instance per round (200)
  --concurrency N parallel STOW requests (4)
  --repeat        every round pushes and reads round 1's instances again (idempotent: no new data),
                  which tells growth per request from growth with stored data
  --snapshots DIR write heap snapshots of the runtime after the first and last round`;

interface Options {
  rounds: number;
  instances: number;
  versions: number;
  concurrency: number;
  repeat: boolean;
  snapshots?: string;
}

interface Sample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  maxRss: number;
  /** Linux: resident pages that are file-backed (the node binary, LevelDB's mmapped tables: reclaimable) vs anonymous. */
  rssFile: number;
  rssAnon: number;
}

/** RssFile and RssAnon from /proc/self/status (0 where there is no /proc). */
function rssSplit(): { rssFile: number; rssAnon: number } {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssFile: kb('RssFile'), rssAnon: kb('RssAnon') };
}

type ChildRequest = { type: 'sample' } | { type: 'snapshot'; file: string };

// ---- the child: the runtime, answering memory requests over IPC --------------------------

async function runChild(): Promise<void> {
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const runtime = await startLocalRuntime({ port: 0, dataDir: process.env.STRATA_DATA_DIR!, log: () => {} });
  const collect = async () => {
    // Two passes with a turn of the event loop between, so finalizers and weak callbacks run.
    for (let i = 0; i < 2; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  process.on('message', (request: ChildRequest) => {
    void (async () => {
      await collect();
      if (request.type === 'snapshot') process.send!({ file: writeHeapSnapshot(request.file) });
      else process.send!({ ...process.memoryUsage(), maxRss: process.resourceUsage().maxRSS * 1024, ...rssSplit() } satisfies Sample);
    })();
  });
  process.on('disconnect', () => void runtime.stop().then(() => process.exit(0)));
  process.send!({ url: runtime.url });
}

// ---- the parent: the workload and the report ---------------------------------------------

function parseOptions(argv: string[]): Options {
  const options: Options = { rounds: 4, instances: 100, versions: 200, concurrency: 4, repeat: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (name === 'help' || name === 'h') {
      console.log(HELP);
      process.exit(0);
    }
    if (name === 'repeat') {
      options.repeat = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${HELP}`);
    if (name === 'snapshots') options.snapshots = value;
    else if (name in options && Number.isInteger(Number(value)) && Number(value) > 0) (options as unknown as Record<string, number>)[name] = Number(value);
    else throw new Error(`bad option --${name} ${value}\n${HELP}`);
  }
  return options;
}

const RUN = String(Date.now() % 100000).padStart(5, '0');
const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** Same lengths as the values patched in, and none a prefix of another. */
const PLACEHOLDERS = { study: `2.25.3${RUN}99999`, series: `2.25.3${RUN}88888.1`, sop: `2.25.3${RUN}77777.1.999999`, version: 'V99999999' };

/** One CT instance whose UIDs and a comment are fixed-width placeholders, patched per copy. */
function template(): Buffer {
  return synthesize('CT_small.dcm', { ...PLACEHOLDERS, extra: { '00204000': ['LT', PLACEHOLDERS.version] } });
}

function instance(base: Buffer, values: { study: string; series: string; sop: string; version: string }): Buffer {
  let text = base.toString('latin1');
  for (const [name, placeholder] of Object.entries(PLACEHOLDERS)) text = text.replaceAll(placeholder, values[name as keyof typeof values]);
  return Buffer.from(text, 'latin1');
}

async function stowOne(base: string, file: Buffer): Promise<number> {
  const boundary = 'memory-rounds';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const response = await fetch(`${base}/dicom-web/studies`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** One round: a new study of `instances` instances plus `versions` versions of one new SOP, then reads of both. */
async function round(base: string, file: Buffer, n: number, options: Options): Promise<{ stored: number; failed: number; bytesRead: number }> {
  const study = `2.25.3${RUN}${pad(n, 5)}`;
  const series = `${study}.1`;
  const uploads = [
    ...Array.from({ length: options.instances }, (_, i) => ({ study, series, sop: `${series}.${pad(i, 6)}`, version: 'V00000000' })),
    ...Array.from({ length: options.versions }, (_, v) => ({ study, series, sop: `${series}.999999`, version: `V${pad(v, 8)}` })),
  ];
  let stored = 0;
  let failed = 0;
  // Versions of one SOP go one at a time, as successive pushes would.
  const [distinct, versions] = [uploads.slice(0, options.instances), uploads.slice(options.instances)];
  const push = async (values: (typeof uploads)[number]) => {
    if ((await stowOne(base, instance(file, values))) < 300) stored++;
    else failed++;
  };
  await inParallel(distinct, options.concurrency, push);
  await inParallel(versions, 1, push);

  let bytesRead = 0;
  const read = async (path: string, accept?: string) => {
    const response = await fetch(`${base}/dicom-web${path}`, accept ? { headers: { Accept: accept } } : {});
    bytesRead += (await response.arrayBuffer()).byteLength;
    if (!response.ok) console.error(`GET ${path}: ${response.status}`);
  };
  await read(`/studies/${study}`, 'multipart/related; type="application/dicom"; transfer-syntax=*');
  await read(`/studies/${study}`);
  await read(`/studies/${study}/metadata`);
  await read(`/studies/${study}/series/${series}/instances/${series}.999999/frames/1`);
  await read(`/studies?StudyInstanceUID=${study}`);
  return { stored, failed, bytesRead };
}

async function runParent(options: Options): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-memory-'));
  const child = fork(new URL(import.meta.url).pathname, process.argv.slice(2), {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, STRATA_MEMORY_CHILD: '1', STRATA_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(request?: ChildRequest) =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the runtime exited (${code})`));
      child.once('exit', exited);
      child.once('message', (reply) => {
        child.off('exit', exited);
        resolve(reply as T);
      });
      if (request) child.send(request);
    });
  // Ctrl-C still stops the runtime and removes its data.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      child.once('exit', () => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(130);
      });
      if (child.connected) child.disconnect();
    });
  }
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1).padStart(8);
  const line = (label: string, s: Sample, extra = '') =>
    console.log(`${label.padEnd(10)}${mb(s.rss)}${mb(s.heapUsed)}${mb(s.heapTotal)}${mb(s.external)}${mb(s.arrayBuffers)}${mb(s.maxRss)}${mb(s.rssFile)}${mb(s.rssAnon)}  ${extra}`);
  try {
    const { url } = await ask<{ url: string }>();
    // Requests carry a token signed with the runtime's local key, as every client's do.
    await authorizeFetchesTo(url, await LocalIdentity.open(dataDir));
    const file = template();
    console.log(`${options.rounds} rounds of ${options.instances} ${options.repeat ? 'identical' : 'new'} instances + ${options.versions} versions of one SOP (${(file.length / 1024).toFixed(0)} KB each), then WADO/QIDO reads; memory after gc, MB`);
    console.log(`${'after'.padEnd(10)}${'rss'.padStart(8)}${'heap'.padStart(8)}${'heapTot'.padStart(8)}${'external'.padStart(8)}${'arrBuf'.padStart(8)}${'peakRss'.padStart(8)}${'rssFile'.padStart(8)}${'rssAnon'.padStart(8)}`);
    const baseline = await ask<Sample>({ type: 'sample' });
    line('start', baseline);
    let last = baseline;
    let first = baseline;
    for (let n = 1; n <= options.rounds; n++) {
      const started = performance.now();
      const result = await round(url, file, options.repeat ? 1 : n, options);
      last = await ask<Sample>({ type: 'sample' });
      if (n === 1) first = last;
      line(`round ${n}`, last, `${result.stored} stored, ${result.failed} refused, ${(result.bytesRead / 1024 / 1024).toFixed(1)} MB read, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      if (options.snapshots && (n === 1 || n === options.rounds)) {
        const { file: snapshot } = await ask<{ file: string }>({ type: 'snapshot', file: join(options.snapshots, `runtime-round-${n}.heapsnapshot`) });
        console.log(`          heap snapshot: ${snapshot}`);
      }
    }
    const growth = (from: Sample) => `heap ${mb(last.heapUsed - from.heapUsed).trim()} MB, rss ${mb(last.rss - from.rss).trim()} MB`;
    console.log(`growth since start: ${growth(baseline)}; from round 1 to round ${options.rounds}: ${growth(first)}`);
  } finally {
    if (child.connected) child.disconnect();
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.env.STRATA_MEMORY_CHILD) await runChild();
else await runParent(parseOptions(process.argv.slice(2)));
