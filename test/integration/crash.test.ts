/**
 * Crash test (issue 8): the local runtime (`npm start`, infra/local/main.ts) in a child process,
 * killed with SIGKILL in the middle of STOW requests at several points — while objects are
 * written, in the second transaction of one request, while new versions are made current —
 * and started again on the same data. Every acknowledged instance must be served
 * byte-identical after each restart, counts must agree with the instances at once (transactions
 * are all-or-nothing), and after the index maintenance workflow (orphan sweep, reconciliation)
 * every object in the bucket is indexed; pushing everything again doubles nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { PROJECT_ROOT } from '#infra/local/runtime.ts';
import { authorizeFetchesTo, fetchWithoutToken, portBelowEphemeralRange } from '#test/helpers/runtime.ts';
import { multipartBodies, sha256, stowBody } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
interface Instance {
  study: string;
  series: string;
  sop: string;
  bytes: Buffer;
}

const TEMPLATE = 'SC_rgb_small_odd.dcm'; // 1.4 KB: the test is about the index, not the bytes
const batch = (study: string, seriesCount: number, size: number, instanceNumber = 1): Instance[] =>
  Array.from({ length: size }, (_, i) => {
    const uids = { study, series: `${study}.${i % seriesCount}`, sop: `${study}.${i % seriesCount}.${i}` };
    return { ...uids, bytes: synthesize(TEMPLATE, { ...uids, instanceNumber }) };
  });

// 90 instances in 3 series of one study need two transactions (DynamoDB's 100 actions each).
const S1 = batch('2.25.83001', 1, 20);
const S2 = batch('2.25.83002', 3, 30);
const S3 = batch('2.25.83003', 3, 90);
const S1_V2 = S1.slice(0, 5).map((i) => ({ ...i, bytes: synthesize(TEMPLATE, { ...i, instanceNumber: 2 }) }));

class Runtime {
  private process: ChildProcess | undefined;
  private output = '';
  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // node itself (not the tsx CLI, which would leave its child running after a SIGKILL).
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      cwd: PROJECT_ROOT,
      // DATA_PORT 0: the data plane on any free port (PORT+1 may be another test's).
      env: { ...process.env, PORT: String(this.port), DATA_PORT: '0', HOST: '127.0.0.1', STRATA_DATA_DIR: this.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    this.output = '';
    await new Promise<void>((resolve, reject) => {
      const keep = (chunk: Buffer) => {
        this.output = (this.output + chunk.toString()).slice(-200_000);
        if (this.output.includes('Strata is running locally')) resolve();
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('exit', (code) => reject(new Error(`the runtime exited (${code}) before it was ready:\n${this.output}`)));
    });
    // The child created the data directory's signing key; the test client signs with it.
    await authorizeFetchesTo(this.url, await LocalIdentity.open(this.dataDir));
  }

  /** The runtime's error log lines since it started, for failure messages. */
  errors(): string {
    return this.output
      .split('\n')
      .filter((line) => line.includes('"level":"ERROR"') || line.includes('execution '))
      .join('\n');
  }

  kill(): void {
    this.process?.kill('SIGKILL');
  }

  async killed(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }

  async stop(): Promise<void> {
    this.kill();
    await this.killed();
  }
}

/** What each SOP Instance may be served as: the last acknowledged bytes, or bytes pushed after them. */
class Ledger {
  readonly candidates = new Map<string, Set<string>>();
  readonly acknowledged = new Map<string, string>();
  readonly studies = new Set<string>();

  pushed(instances: Instance[]): void {
    for (const i of instances) {
      this.studies.add(i.study);
      const set = this.candidates.get(i.sop) ?? new Set<string>();
      set.add(sha256(i.bytes));
      this.candidates.set(i.sop, set);
    }
  }

  acknowledge(instances: Instance[], referenced: Set<string>): void {
    for (const i of instances) {
      if (!referenced.has(i.sop)) continue;
      this.acknowledged.set(i.sop, sha256(i.bytes));
      this.candidates.set(i.sop, new Set([sha256(i.bytes)]));
    }
  }
}

/** Kills the runtime as soon as the n-th new file appears in a directory the runtime writes. */
function killOnNthFile(runtime: Runtime, directory: string, n: number): FSWatcher {
  const seen = new Set(readdirSync(directory));
  let fresh = 0;
  const watcher = watch(directory, (_, name) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    if (++fresh === n) {
      runtime.kill();
      watcher.close();
    }
  });
  return watcher;
}

/** Every instance object in the bucket, from s3rver's files on disk (independent of the index). */
function objectsOnDisk(dataDir: string): { study: string; sop: string; sha: string }[] {
  const root = join(dataDir, 's3', 'strata-archive');
  const found: { study: string; sop: string; sha: string }[] = [];
  for (const file of readdirSync(root, { recursive: true }) as string[]) {
    const match = /^[^/]+\/studies\/([^/]+)\/series\/[^/]+\/instances\/([^/]+)\/([0-9a-f]{64})\.dcm\._S3rver_object$/.exec(file.split(sep).join('/'));
    if (match) found.push({ study: match[1]!, sop: match[2]!, sha: match[3]! });
  }
  return found;
}

describe('Crash test: SIGKILL mid-STOW, restart, maintenance, re-push', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-crash-'));
  let runtime: Runtime;
  const ledger = new Ledger();
  const kills: string[] = [];

  afterAll(async () => {
    await runtime?.stop();
    globalThis.fetch = fetchWithoutToken;
    if (!process.env.KEEP_CRASH_DIR) rmSync(dataDir, { recursive: true, force: true });
    else console.info(dataDir);
  });

  /** A STOW the runtime may die during; records what was acknowledged. */
  async function push(instances: Instance[]): Promise<{ status: number; json: Dataset } | 'killed'> {
    ledger.pushed(instances);
    const { body, contentType } = stowBody(instances.map((i) => i.bytes));
    try {
      const response = await fetch(`${runtime.url}/dicom-web/studies`, { method: 'POST', body, headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' } });
      const json = (await response.json()) as Dataset;
      const referenced = new Set(((json['00081199']?.Value ?? []) as Dataset[]).map((d) => String(d['00081155']?.Value?.[0])));
      ledger.acknowledge(instances, referenced);
      return { status: response.status, json };
    } catch {
      return 'killed';
    }
  }

  const getJson = async (path: string) => (await (await fetch(`${runtime.url}/dicom-web${path}`, { headers: { Accept: 'application/dicom+json' } })).json()) as Dataset[];
  const servedShas = async (study: string): Promise<Map<string, string>> => {
    const instances = await getJson(`/studies/${study}/instances`);
    const served = new Map<string, string>();
    if (instances.length === 0) return served;
    const response = await fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(response.status).toBe(200);
    const shas = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!).map((p) => sha256(p.body));
    // The study is served in the order QIDO lists its instances (one Query on the same partition).
    instances.forEach((instance, i) => served.set(String(instance['00080018']!.Value![0]), shas[i]!));
    return served;
  };

  /** Acknowledged bytes served unchanged; study and series counts equal to the instances listed. */
  async function verify(): Promise<Map<string, Map<string, string>>> {
    const byStudy = new Map<string, Map<string, string>>();
    for (const study of ledger.studies) {
      const served = await servedShas(study);
      byStudy.set(study, served);
      for (const [sop, sha] of served) expect(ledger.candidates.get(sop), `instance ${sop}`).toContain(sha);
      const instances = await getJson(`/studies/${study}/instances`);
      const perSeries = new Map<string, number>();
      for (const i of instances) perSeries.set(String(i['0020000E']!.Value![0]), (perSeries.get(String(i['0020000E']!.Value![0])) ?? 0) + 1);
      const [summary] = await getJson(`/studies?StudyInstanceUID=${study}`);
      if (instances.length === 0) continue;
      expect(summary!['00201208']?.Value, `instances of ${study}`).toEqual([instances.length]);
      expect(summary!['00201206']?.Value, `series of ${study}`).toEqual([perSeries.size]);
      const series = await getJson(`/studies/${study}/series`);
      expect(Object.fromEntries(series.map((s) => [s['0020000E']!.Value![0], s['00201209']?.Value?.[0]]))).toEqual(Object.fromEntries(perSeries));
    }
    for (const [sop, sha] of ledger.acknowledged) {
      const study = [...byStudy.values()].find((served) => served.has(sop));
      expect(study, `acknowledged instance ${sop} is served`).toBeDefined();
      expect(ledger.candidates.get(sop)).toContain(study!.get(sop));
      if (ledger.candidates.get(sop)!.size === 1) expect(study!.get(sop)).toBe(sha);
    }
    return byStudy;
  }

  async function crashDuring(label: string, instances: Instance[], arm: () => FSWatcher | NodeJS.Timeout): Promise<void> {
    const trigger = arm();
    const outcome = await push(instances);
    if ('close' in trigger) trigger.close();
    else clearTimeout(trigger);
    kills.push(`${label}: ${outcome === 'killed' ? 'killed mid-request' : `answered ${outcome.status} before the kill`}`);
    runtime.kill();
    await runtime.killed();
    await runtime.start();
    await verify();
  }

  it('keeps every acknowledged instance and exact counts through kills at several points', async () => {
    // Restarted on the same port: below the ephemeral range (no outgoing connection can hold it
    // meanwhile) and outside the other tests' runtimes' range (none can bind it while it is down).
    runtime = new Runtime(dataDir, await portBelowEphemeralRange({ from: 10_000, to: 19_999 }));
    await runtime.start();
    const first = await push(S1);
    expect(first).toMatchObject({ status: 200 });

    const journal = join(dataDir, 'dynamodb-transactions');
    const checksums = join(dataDir, 's3-fidelity');
    await crashDuring('while objects are written', S2, () => killOnNthFile(runtime, checksums, 10));
    await crashDuring('in the second transaction of one request', S3, () => killOnNthFile(runtime, journal, 2));
    // A push of new versions: its first transaction is refused (the instances exist), then one replaces each.
    await crashDuring('while new versions are made current', S1_V2, () => killOnNthFile(runtime, journal, 3));
    console.info(`crash points: ${kills.join('; ')}`);
    // Three restarts of a child runtime and four full verifications (every request also appends an audit record).
  }, 240_000);

  it('indexes every stored object after the sweep, with exact counts', async () => {
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+10m' }) })).status).toBe(200);
    const started = await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { location } = (await started.json()) as { location: string };
    let view: {
      status: string;
      output?: {
        sweep: { examined: number; tooRecent: number; alreadyIndexed: number; indexedAsCurrent: number; indexedAsEarlierVersion: number; unindexable: unknown[] };
        reconcile: { corrections: number };
      };
    };
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = (await (await fetch(location)).json()) as typeof view;
    } while (view.status === 'RUNNING');
    expect(view.status, `${JSON.stringify(view)}\n${runtime.errors()}`).toBe('SUCCEEDED');
    console.info(`maintenance: ${JSON.stringify({ ...view.output!.sweep, indexed: undefined })}, ${view.output!.reconcile.corrections} count corrections`);
    expect(view.output!.sweep.unindexable).toEqual([]);
    expect(view.output!.reconcile.corrections).toBe(0); // transactions were all-or-nothing

    // Every object in the bucket was examined and is now in the index.
    const objects = objectsOnDisk(dataDir);
    const { sweep } = view.output!;
    expect(sweep.examined).toBe(objects.length);
    expect(sweep.tooRecent).toBe(0);
    expect(sweep.alreadyIndexed + sweep.indexedAsCurrent + sweep.indexedAsEarlierVersion).toBe(objects.length);

    const byStudy = await verify();
    const versioned = new Map(S1_V2.map((i) => [i.sop, new Set([sha256(i.bytes), sha256(S1.find((o) => o.sop === i.sop)!.bytes)])]));
    for (const object of objects) {
      const served = byStudy.get(object.study)?.get(object.sop);
      expect(served, `object ${object.sop}/${object.sha} is indexed`).toBeDefined();
      // Only a SOP pushed in two versions has an object that is not the current one.
      if (served !== object.sha) expect(versioned.get(object.sop)).toContain(object.sha);
    }
  }, 60_000);

  it('doubles nothing when everything is pushed again', async () => {
    for (const instances of [S2, S3, S1_V2]) {
      const outcome = await push(instances);
      expect(outcome).not.toBe('killed');
      if (outcome === 'killed') return;
      expect(outcome.json['00081198'], runtime.errors()).toBeUndefined();
      expect([200, 202]).toContain(outcome.status);
    }
    const expected = new Map([
      [S1[0]!.study, S1.length],
      [S2[0]!.study, S2.length],
      [S3[0]!.study, S3.length],
    ]);
    const byStudy = await verify();
    for (const [study, count] of expected) expect(byStudy.get(study)?.size, study).toBe(count);
    for (const instance of [...S1.slice(S1_V2.length), ...S1_V2, ...S2, ...S3]) {
      expect([...byStudy.values()].find((s) => s.has(instance.sop))?.get(instance.sop)).toBe(sha256(instance.bytes));
    }
    const objects = objectsOnDisk(dataDir);
    expect(new Set(objects.map((o) => `${o.sop}/${o.sha}`)).size).toBe(objects.length);
    expect(objects.length).toBeLessThanOrEqual(S1.length + S1_V2.length + S2.length + S3.length);
  }, 60_000);

  /** Starts the index maintenance workflow and waits for its end; its final view. */
  async function maintain(): Promise<{ status: string; output?: { sweep: { unindexable: unknown[] }; reconcile: { corrections: number } } }> {
    const started = await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { location } = (await started.json()) as { location: string };
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const view = (await (await fetch(location)).json()) as Awaited<ReturnType<typeof maintain>>;
      if (view.status !== 'RUNNING') return view;
    }
  }

  /** The audit trail's completion records of deletions in a study. */
  async function completionsOf(study: string): Promise<{ studies: string[]; detail?: Record<string, unknown> }[]> {
    const { records } = (await (await fetch(`${runtime.url}/audit?limit=1000`)).json()) as { records: { route: string; studies: string[]; detail?: Record<string, unknown> }[] };
    return records.filter((r) => r.route.endsWith(' deletion/completed') && r.studies.includes(study));
  }

  it('finishes a DELETE killed midway by itself: the maintenance after the restart resumes it, leaving no entry, object or count behind', async () => {
    const doomed = batch('2.25.83004', 2, 40);
    const answer = await fetch(`${runtime.url}/dicom-web/studies`, { method: 'POST', ...stowRequest(doomed) });
    expect(answer.status).toBe(200);
    const url = `${runtime.url}/dicom-web/studies/${doomed[0]!.study}`;
    // Killed in the transaction that removes the second series' entries: the first series' are gone and counted.
    const trigger = killOnNthFile(runtime, join(dataDir, 'dynamodb-transactions'), 2);
    const outcome = await fetch(url, { method: 'DELETE' }).then((r) => r.status, () => 'killed');
    trigger.close();
    runtime.kill();
    await runtime.killed();
    await runtime.start();
    const left = await getJson(`/studies/${doomed[0]!.study}/instances`);
    console.info(`DELETE killed (${outcome}): ${left.length} of ${doomed.length} entries left, ${objectsOnDisk(dataDir).filter((o) => o.study === doomed[0]!.study).length} objects`);
    // Nobody sends it again: once no request or workflow can still be working on it, maintenance carries it on.
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+11m' }) })).status).toBe(200);
    const view = await maintain();
    expect(view.status, runtime.errors()).toBe('SUCCEEDED');
    for (let waited = 0; waited < 60_000 && (await getJson(`/studies?StudyInstanceUID=${doomed[0]!.study}`)).length > 0; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect([404, 410]).toContain((await fetch(url, { headers: { Accept: 'application/dicom+json' } })).status);
    expect(await getJson(`/studies?StudyInstanceUID=${doomed[0]!.study}`)).toEqual([]);
    expect(objectsOnDisk(dataDir).filter((o) => o.study === doomed[0]!.study)).toEqual([]);
    // Counted exactly, and audited: what the killed request removed is not lost from the count.
    for (let waited = 0; waited < 60_000 && (await completionsOf(doomed[0]!.study)).length === 0; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const completions = await completionsOf(doomed[0]!.study);
    expect(completions.map((r) => ({ deleted: r.detail?.instancesDeleted, kept: r.detail?.instancesKept }))).toEqual([{ deleted: doomed.length, kept: 0 }]);
    expect(await (await fetch(`${runtime.url}/deletions/${String(completions[0]!.detail!.deletion)}`)).json()).toMatchObject({ status: 'COMPLETED', deleted: doomed.length });
    await verify(); // the other studies are untouched
  }, 240_000);

  it('completes the index maintenance after a kill during it, with nothing to correct', async () => {
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+10m' }) })).status).toBe(200);
    const trigger = killOnNthFile(runtime, join(dataDir, 'dynamodb-transactions'), 1);
    const started = await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' }).then((r) => r.status, () => 'killed');
    // Killed at its first transaction, or a moment after it started if it writes none.
    await new Promise((resolve) => setTimeout(resolve, 300));
    trigger.close();
    runtime.kill();
    await runtime.killed();
    await runtime.start();
    const view = await maintain();
    expect(view.status, `${JSON.stringify(view)}\n${runtime.errors()}`).toBe('SUCCEEDED');
    console.info(`maintenance killed (start answered ${started}); run again: ${view.output!.reconcile.corrections} corrections`);
    expect(view.output!.sweep.unindexable).toEqual([]);
    expect(view.output!.reconcile.corrections).toBe(0);
    await verify();
  }, 240_000);
});

function stowRequest(instances: Instance[]): { body: Buffer; headers: Record<string, string> } {
  const { body, contentType } = stowBody(instances.map((i) => i.bytes));
  return { body, headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' } };
}
