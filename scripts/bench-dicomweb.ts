/**
 * `npm run bench:dicomweb`: pushes a synthetic population with STOW-RS, then measures QIDO-RS
 * per query shape (latency and DynamoDB read units) and WADO-RS retrieval, against a local
 * Strata runtime started in a child process (or --url), and the same against --peer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { fixture } from '#test/helpers/dicom.ts';
import { authorizeFetchesTo } from '#test/helpers/runtime.ts';

dcmjs.log.setLevel('error');

if (process.argv.includes('--data-plane')) {
  // One large request through the data plane instead of the population benchmark.
  const { benchDataPlane } = await import('./bench-data-plane.ts');
  await benchDataPlane(process.argv.slice(2).filter((arg) => arg !== '--data-plane'));
  process.exit(0);
}

const HELP = `usage: npm run bench:dicomweb -- [options]
  --studies N       studies to create (50)
  --series N        series per study (2)
  --instances N     instances per series (50)
  --size KB         pixel data per instance (512)
  --concurrency N   parallel STOW requests (4)
  --batch N         instances per STOW request (7, stays under API Gateway's limits)
  --url URL         DICOMweb base of a running Strata, with the token in STRATA_TOKEN (default: start one in a child process)
  --peer URL        DICOMweb base of another server to measure the same way (e.g. Orthanc; another Strata
                    with its token in STRATA_PEER_TOKEN)
  --peer-pid PID    the peer's process id, to report its CPU time per instance and per MB as for the local runtime
  --queries N       repetitions per QIDO shape (30)
  --phases LIST     which of stow,qido,wado,meta to run (all; e.g. profile STOW alone, then --phases wado,meta
                    against the same --url with the same --run)
  --run ID          the 5-digit run id in every UID (default: from the clock; fix it to measure reads of an earlier STOW)
  --data-plane      instead: one large STOW-RS and WADO-RS through the data plane
                    (--mb N total, 1024; --instance-mb N, 64): MB/s and peak RSS
The runtime started here inherits the environment: STRATA_LAMBDA_WORKERS=N|auto runs its handlers in worker threads.`;

interface Options {
  studies: number;
  series: number;
  instances: number;
  size: number;
  concurrency: number;
  batch: number;
  url?: string;
  peer?: string;
  queries: number;
  phases: Set<string>;
  run?: string;
  peerPid?: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { studies: 50, series: 2, instances: 50, size: 512, concurrency: 4, batch: 7, queries: 30, phases: new Set(PHASES) };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (name === 'help' || name === 'h') {
      console.log(HELP);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (name === 'url' || name === 'peer') options[name] = value.replace(/\/$/, '');
    else if (name === 'run') options.run = value.padStart(5, '0');
    else if (name === 'peer-pid') options.peerPid = Number(value);
    else if (name === 'phases') {
      options.phases = new Set(value.split(','));
      const unknown = [...options.phases].filter((phase) => !PHASES.includes(phase));
      if (unknown.length) throw new Error(`unknown phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
    }
    else if (name in options) (options as unknown as Record<string, number>)[name] = Number(value);
    else throw new Error(`unknown option --${name}\n${HELP}`);
  }
  return options;
}

// ---- synthetic population -----------------------------------------------------------------
// One template instance is written with dcmjs; each instance is a copy with its identifiers
// patched in place (fixed-width values), so generating data does not dominate the client.

const PHASES = ['stow', 'qido', 'wado', 'meta'];
let RUN = String(Date.now() % 100000).padStart(5, '0');
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const studyUid = (s: number) => `2.25.1${RUN}${pad(s, 4)}`;
const seriesUid = (s: number, se: number) => `${studyUid(s)}.1${pad(se, 2)}`;
const sopUid = (s: number, se: number, i: number) => `${seriesUid(s, se)}.1${pad(i, 4)}`;

interface Ids {
  s: number;
  se: number;
  i: number;
}

function* population(options: Options): Generator<Ids> {
  for (let s = 0; s < options.studies; s++) for (let se = 0; se < options.series; se++) for (let i = 0; i < options.instances; i++) yield { s, se, i };
}

/** Placeholder → value for one instance; every value has its placeholder's length. */
function fields(ids: Ids): Record<string, string> {
  return {
    [studyUid(9999)]: studyUid(ids.s),
    [seriesUid(9999, 99)]: seriesUid(ids.s, ids.se),
    [sopUid(9999, 99, 9999)]: sopUid(ids.s, ids.se, ids.i),
    'BENCH9^PATIENT9999': `BENCH${ids.s % 10}^PATIENT${pad(ids.s, 4)}`,
    BP9999: `BP${pad(ids.s, 4)}`,
    BA9999: `BA${pad(ids.s, 4)}`,
    '20249999': `2024${pad((ids.s % 12) + 1, 2)}${pad((ids.s % 28) + 1, 2)}`,
    XX: ids.se % 2 ? 'MR' : 'CT',
    '99': pad(ids.se + 1, 2),
    '9999': pad(ids.i + 1, 4),
  };
}

function buildTemplate(sizeKb: number): { bytes: Buffer; offsets: Map<string, number[]> } {
  const source = fixture('CT_small.dcm');
  const file = dcmjs.data.DicomMessage.readFile(source.buffer.slice(source.byteOffset, source.byteOffset + source.length) as ArrayBuffer);
  const placeholders = fields({ s: 9999, se: 99, i: 9999 });
  const set = (tag: string, vr: string, value: unknown) => (file.dict[tag] = { vr, Value: [value] });
  const side = Math.max(1, Math.floor(Math.sqrt((sizeKb * 1024) / 2)));
  const pixels = new Uint16Array(side * side);
  for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 31) & 0xfff;
  set('0020000D', 'UI', studyUid(9999));
  set('0020000E', 'UI', seriesUid(9999, 99));
  set('00080018', 'UI', sopUid(9999, 99, 9999));
  file.meta['00020003'] = { vr: 'UI', Value: [sopUid(9999, 99, 9999)] };
  set('00100010', 'PN', { Alphabetic: 'BENCH9^PATIENT9999' });
  set('00100020', 'LO', 'BP9999');
  set('00080050', 'SH', 'BA9999');
  set('00080020', 'DA', '20249999');
  set('00080060', 'CS', 'XX');
  set('00200011', 'IS', '99');
  set('00200013', 'IS', '9999');
  set('00280010', 'US', side);
  set('00280011', 'US', side);
  file.dict['7FE00010'] = { vr: 'OW', Value: [pixels.buffer] };
  const bytes = Buffer.from(file.write());
  const header = bytes.subarray(0, bytes.length - pixels.byteLength); // never patch inside pixel data
  const offsets = new Map<string, number[]>();
  for (const placeholder of Object.keys(placeholders)) {
    const found: number[] = [];
    // Short placeholders ('99', 'XX') are only patched where they are a whole value.
    for (let at = header.indexOf(placeholder); at >= 0; at = header.indexOf(placeholder, at + 1)) {
      const length = placeholder.length % 2 ? placeholder.length + 1 : placeholder.length;
      const declared = header.readUInt16LE(at - 2);
      if (declared === length) found.push(at);
    }
    if (!found.length) throw new Error(`placeholder ${placeholder} not found in the template`);
    offsets.set(placeholder, found);
  }
  return { bytes, offsets };
}

let template: ReturnType<typeof buildTemplate> | undefined;

function instance(ids: Ids, sizeKb: number): Buffer {
  template ??= buildTemplate(sizeKb);
  const bytes = Buffer.from(template.bytes);
  for (const [placeholder, value] of Object.entries(fields(ids))) {
    for (const at of template.offsets.get(placeholder)!) bytes.write(value, at, 'latin1');
  }
  return bytes;
}

// ---- measurement helpers ------------------------------------------------------------------

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/**
 * Each worker sends whole studies, as parallel modalities or routers do: worker k pushes
 * studies k, k+C, k+2C… in requests of `batch` instances.
 */
interface StowResult {
  instances: number;
  bytes: number;
  seconds: number;
  failed: number;
  /**
   * The second half of the run, from the request that completed half the instances: the
   * server's cold starts (handler modules loading, in one or more threads) are behind it.
   */
  steady: { instances: number; seconds: number; cpuSeconds: number };
}

async function stowAll(base: string, options: Options, pid: number | undefined): Promise<StowResult> {
  const ids = [...population(options)];
  let bytes = 0;
  let failed = 0;
  let stored = 0;
  let half: { stored: number; at: number; cpu: number } | undefined;
  const started = performance.now();
  const worker = async (k: number) => {
    const mine = ids.filter((id) => id.s % options.concurrency === k);
    for (let next = 0; next < mine.length; next += options.batch) {
      const group = mine.slice(next, next + options.batch);
      const files = group.map((id) => instance(id, options.size));
      const boundary = `bench-${k}-${next}`;
      const body = Buffer.concat([
        ...files.flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
      bytes += files.reduce((sum, f) => sum + f.length, 0);
      const response = await fetch(`${base}/studies`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
      });
      const text = await response.text();
      if (response.status !== 200) {
        failed += group.length;
        if (failed <= options.batch) console.error(`  STOW ${response.status}: ${text.slice(0, 200)}`);
      }
      stored += group.length;
      if (!half && stored * 2 >= ids.length) half = { stored, at: performance.now(), cpu: cpuSeconds(pid) };
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, k) => worker(k)));
  const ended = performance.now();
  const steady = { instances: ids.length - half!.stored, seconds: (ended - half!.at) / 1000, cpuSeconds: cpuSeconds(pid) - half!.cpu };
  return { instances: ids.length, bytes, seconds: (ended - started) / 1000, failed, steady };
}

interface ShapeResult {
  shape: string;
  p50: number;
  p95: number;
  matches: number;
  readUnits: number | undefined;
}

async function qidoShapes(base: string, options: Options): Promise<ShapeResult[]> {
  const s = Math.floor(options.studies / 2);
  const study = studyUid(s);
  // Lists of SOP Instance UIDs: across the population ~9,000 bytes of them (a request line any gateway
  // accepts; Node's limit is 16 KB), and every instance of one series.
  const everySop: string[] = [];
  for (let n = 0, bytes = 0; n < options.studies * options.series * options.instances; n++) {
    const uid = sopUid(Math.floor(n / (options.series * options.instances)), Math.floor(n / options.instances) % options.series, n % options.instances);
    if ((bytes += uid.length + 1) > 9_000) break;
    everySop.push(uid);
  }
  const inSeries = Array.from({ length: options.instances }, (_, i) => sopUid(s, 0, i));
  const shapes: [string, string][] = [
    ['study by StudyInstanceUID', `/studies?StudyInstanceUID=${study}`],
    ['studies by PatientID', `/studies?PatientID=BP${pad(s, 4)}`],
    ['studies by AccessionNumber', `/studies?AccessionNumber=BA${pad(s, 4)}`],
    ['studies by PatientName prefix', `/studies?PatientName=BENCH${s % 10}*&limit=25`],
    ['studies by StudyDate range', '/studies?StudyDate=20240301-20240630&limit=25'],
    ['study list (no filter, limit 25)', '/studies?limit=25'],
    ['series of a study', `/studies/${study}/series`],
    ['instances of a series', `/studies/${study}/series/${seriesUid(s, 0)}/instances`],
    ['instance by SOPInstanceUID', `/instances?SOPInstanceUID=${sopUid(s, 0, 0)}`],
    [`instances by a list of ${everySop.length} SOP UIDs`, `/instances?SOPInstanceUID=${everySop.join(',')}`],
    [`instances of a series by ${inSeries.length} SOP UIDs`, `/studies/${study}/series/${seriesUid(s, 0)}/instances?SOPInstanceUID=${inSeries.join(',')}`],
  ];
  const results: ShapeResult[] = [];
  for (const [shape, path] of shapes) {
    const times: number[] = [];
    let matches = 0;
    let readUnits: number | undefined;
    for (let q = 0; q < options.queries; q++) {
      const started = performance.now();
      const response = await fetch(`${base}${path}`, { headers: { Accept: 'application/dicom+json' } });
      const text = await response.text();
      times.push(performance.now() - started);
      matches = response.status === 200 && text ? (JSON.parse(text) as unknown[]).length : 0;
      const units = response.headers.get('x-strata-read-units');
      if (units !== null) readUnits = Number(units);
    }
    results.push({ shape, p50: percentile(times, 50), p95: percentile(times, 95), matches, readUnits });
  }
  return results;
}

async function wadoStudies(base: string, options: Options): Promise<{ studies: number; bytes: number; seconds: number; p50: number; instanceP50: number }> {
  const count = Math.min(10, options.studies);
  const times: number[] = [];
  let bytes = 0;
  const started = performance.now();
  for (let s = 0; s < count; s++) {
    const t = performance.now();
    const response = await fetch(`${base}/studies/${studyUid(s)}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    bytes += (await response.arrayBuffer()).byteLength;
    times.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  const instanceTimes: number[] = [];
  for (let i = 0; i < options.queries; i++) {
    const t = performance.now();
    const s = i % count;
    const response = await fetch(`${base}/studies/${studyUid(s)}/series/${seriesUid(s, 0)}/instances/${sopUid(s, 0, 0)}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    await response.arrayBuffer();
    instanceTimes.push(performance.now() - t);
  }
  return { studies: count, bytes, seconds, p50: percentile(times, 50), instanceP50: percentile(instanceTimes, 50) };
}

/** Series metadata (WADO-RS `…/series/{uid}/metadata`): what viewers fetch before any pixels. */
async function seriesMetadata(base: string, options: Options): Promise<{ p50: number; p95: number; attributes: number }> {
  const count = Math.min(10, options.studies);
  const times: number[] = [];
  let attributes = 0;
  for (let q = 0; q < options.queries; q++) {
    const s = q % count;
    const started = performance.now();
    const response = await fetch(`${base}/studies/${studyUid(s)}/series/${seriesUid(s, q % options.series)}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    const text = await response.text();
    times.push(performance.now() - started);
    attributes = response.status === 200 ? (JSON.parse(text) as unknown[]).length : 0;
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), attributes };
}

/** The four headline figures of one server, for the side-by-side table. */
interface Summary {
  stowPerSecond: number;
  /** CPU time (user + system) the server process spent per stored instance, when its pid is known. */
  stowCpuMsPerInstance: number;
  /** The same over the second half of the STOW (after the cold starts). */
  stowSteadyPerSecond: number;
  stowSteadyCpuMsPerInstance: number;
  wadoCpuMsPerMb: number;
  wadoMbPerSecond: number;
  metadataP50: number;
  qidoP50: number;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere or
 * without a pid. On a shared machine throughput follows the load; CPU per unit of work does not.
 */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ, which /proc reports times in (100 on every common kernel build). */
const CLOCK_TICKS = 100;

async function measure(name: string, base: string, options: Options, pid?: number): Promise<Summary> {
  console.log(`\n== ${name}: ${base}`);
  const summary: Summary = { stowPerSecond: NaN, stowCpuMsPerInstance: NaN, stowSteadyPerSecond: NaN, stowSteadyCpuMsPerInstance: NaN, wadoCpuMsPerMb: NaN, wadoMbPerSecond: NaN, metadataP50: NaN, qidoP50: NaN };
  if (options.phases.has('stow')) {
    const cpu = cpuSeconds(pid);
    const stow = await stowAll(base, options, pid);
    summary.stowCpuMsPerInstance = ((cpuSeconds(pid) - cpu) * 1000) / stow.instances;
    summary.stowSteadyPerSecond = stow.steady.instances / stow.steady.seconds;
    summary.stowSteadyCpuMsPerInstance = (stow.steady.cpuSeconds * 1000) / stow.steady.instances;
    const mb = stow.bytes / 1024 / 1024;
    console.log(
      `STOW  ${stow.instances} instances (${mb.toFixed(0)} MB) in ${stow.seconds.toFixed(1)} s: ` +
        `${(stow.instances / stow.seconds).toFixed(1)} instances/s, ${(mb / stow.seconds).toFixed(1)} MB/s` +
        (stow.failed ? `, ${stow.failed} NOT stored` : '') +
        (pid ? `; server CPU ${summary.stowCpuMsPerInstance.toFixed(1)} ms per instance` : ''),
    );
    // Figures of refused requests (a missing token answers fast) would read as a fast server.
    if (stow.failed) {
      console.error(`${name}: ${stow.failed} of ${stow.instances} instances were not stored; its figures do not measure storing`);
      process.exitCode = 1;
    }
    // One request holds every instance when the run is that small: it has no second half.
    if (stow.steady.instances)
      console.log(
        `      second half: ${summary.stowSteadyPerSecond.toFixed(1)} instances/s` +
          (pid ? `; server CPU ${summary.stowSteadyCpuMsPerInstance.toFixed(1)} ms per instance` : ''),
      );
    summary.stowPerSecond = stow.instances / stow.seconds;
  }
  if (options.phases.has('qido')) {
    console.log('QIDO  shape                              p50 ms   p95 ms  matches  read units');
    const shapes = await qidoShapes(base, options);
    for (const r of shapes) {
      console.log(
        `      ${r.shape.padEnd(34)} ${r.p50.toFixed(1).padStart(7)} ${r.p95.toFixed(1).padStart(8)} ${String(r.matches).padStart(8)}  ${r.readUnits === undefined ? '-' : r.readUnits.toFixed(1)}`,
      );
    }
    // The median of the shapes' medians: one figure for "a typical query".
    summary.qidoP50 = percentile(shapes.map((r) => r.p50), 50);
  }
  if (options.phases.has('wado')) {
    const cpu = cpuSeconds(pid);
    const wado = await wadoStudies(base, options);
    const wadoMb = wado.bytes / 1024 / 1024;
    summary.wadoCpuMsPerMb = ((cpuSeconds(pid) - cpu) * 1000) / wadoMb;
    console.log(
      `WADO  ${wado.studies} studies (${wadoMb.toFixed(0)} MB) in ${wado.seconds.toFixed(1)} s: ${(wadoMb / wado.seconds).toFixed(1)} MB/s, ` +
        `study p50 ${wado.p50.toFixed(0)} ms, instance p50 ${wado.instanceP50.toFixed(1)} ms` +
        (pid ? `; server CPU ${summary.wadoCpuMsPerMb.toFixed(1)} ms per MB (all WADO requests)` : ''),
    );
    summary.wadoMbPerSecond = wadoMb / wado.seconds;
  }
  if (options.phases.has('meta')) {
    const metadata = await seriesMetadata(base, options);
    console.log(`META  series metadata (${metadata.attributes} instances): p50 ${metadata.p50.toFixed(1)} ms, p95 ${metadata.p95.toFixed(1)} ms`);
    summary.metadataP50 = metadata.p50;
  }
  return summary;
}

/** Strata beside the peer; the ratio is always "Strata relative to the peer", > 1 meaning Strata is better. */
function printComparison(strata: Summary, peer: Summary): void {
  const rows: [string, number, number, 'higher' | 'lower', number][] = [
    ['STOW instances/s', strata.stowPerSecond, peer.stowPerSecond, 'higher', 1],
    ['STOW server CPU ms/instance', strata.stowCpuMsPerInstance, peer.stowCpuMsPerInstance, 'lower', 1],
    ['STOW 2nd half instances/s', strata.stowSteadyPerSecond, peer.stowSteadyPerSecond, 'higher', 1],
    ['STOW 2nd half CPU ms/instance', strata.stowSteadyCpuMsPerInstance, peer.stowSteadyCpuMsPerInstance, 'lower', 1],
    ['WADO study MB/s', strata.wadoMbPerSecond, peer.wadoMbPerSecond, 'higher', 1],
    ['WADO server CPU ms/MB', strata.wadoCpuMsPerMb, peer.wadoCpuMsPerMb, 'lower', 1],
    ['series metadata p50 ms', strata.metadataP50, peer.metadataP50, 'lower', 1],
    ['QIDO p50 ms (median of shapes)', strata.qidoP50, peer.qidoP50, 'lower', 1],
  ];
  console.log('\n== side by side (ratio: Strata vs peer, ≥ 1.00× means Strata is at least as good)');
  console.log(`${'figure'.padEnd(32)} ${'Strata'.padStart(9)} ${'peer'.padStart(9)} ${'ratio'.padStart(8)}`);
  for (const [label, ours, theirs, better, digits] of rows) {
    const ratio = better === 'higher' ? ours / theirs : theirs / ours;
    // NaN: not measured (a CPU figure without the peer's --peer-pid, or a phase left out).
    const shown = (value: number, text: string) => (Number.isNaN(value) ? '-' : text);
    console.log(
      `${label.padEnd(32)} ${shown(ours, ours.toFixed(digits)).padStart(9)} ${shown(theirs, theirs.toFixed(digits)).padStart(9)} ${shown(ratio, `${ratio.toFixed(2)}×`).padStart(8)}`,
    );
  }
}

async function startLocal(): Promise<{ base: string; child: ChildProcess; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: { ...process.env, PORT: String(port), STRATA_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'ERROR', UV_THREADPOOL_SIZE: '16' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) {
        // Every request to the runtime carries a token signed with its local key.
        await authorizeFetchesTo(base, await LocalIdentity.open(dataDir));
        return { base: `${base}/dicom-web`, child, dataDir };
      }
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the local runtime did not start');
}

const options = parseOptions(process.argv.slice(2));
if (options.run) RUN = options.run;
console.log(
  `population: ${options.studies} studies × ${options.series} series × ${options.instances} instances of ~${options.size} KB; ` +
    `STOW ${options.batch} instances/request, ${options.concurrency} in parallel; ${options.queries} queries per shape; run ${RUN}`,
);
let local: Awaited<ReturnType<typeof startLocal>> | undefined;
try {
  if (!options.url) local = await startLocal();
  else if (process.env.STRATA_TOKEN) await authorizeFetchesTo(new URL(options.url).origin, process.env.STRATA_TOKEN);
  if (options.peer && process.env.STRATA_PEER_TOKEN) await authorizeFetchesTo(new URL(options.peer).origin, process.env.STRATA_PEER_TOKEN);
  const strata = await measure(options.url ? 'target' : 'Strata (local runtime)', options.url ?? local!.base, options, local?.child.pid);
  if (options.peer) printComparison(strata, await measure('peer', options.peer, options, options.peerPid));
} finally {
  if (local) {
    local.child.kill('SIGTERM');
    await new Promise((resolve) => local!.child.once('exit', resolve));
    rmSync(local.dataDir, { recursive: true, force: true });
  }
}
