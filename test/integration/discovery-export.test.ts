/**
 * Discovery export on the local runtime (issue 14's acceptance): a held patient with two studies,
 * one moved to DEEP_ARCHIVE, is exported; the export waits for the simulated restore (the clock
 * is advanced), then completes; every file's SHA-256, computed here from the bytes pushed,
 * matches the manifest, the ingest record and the downloaded file; the summary's signature
 * verifies with the package's public key and with the key KMS reports; the audit trail records
 * the export; another tenant can neither see nor export the hold.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as exportCommand } from '#clients/export/cli.ts';
import { instanceObjectKey } from '#core/index-keys.ts';
import { stow } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { fetchWithoutToken, startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';

const PATIENT = 'EXPORT-PAT-1';
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

function study(n: number, patientId: string) {
  const uid = `1.2.826.0.1.3680043.10.1414.${n}`;
  const series = `${uid}.1`;
  return [1, 2].map((i) => {
    const sop = `${series}.${i}`;
    const bytes = synthesize('SC_rgb_jpeg_dcmd.dcm', { study: uid, series, sop, instanceNumber: i, patientId, studyDate: '20300101', modality: 'CT' });
    return { study: uid, series, sop, bytes, key: instanceObjectKey({ tenant: TEST_TENANT, study: uid, series, sop }, sha256(bytes)) };
  });
}

interface ExportView {
  id: string;
  status: string;
  progress: { instances: number; bytes: number; copied: number; bytesCopied: number; waitingForRestore: number; mismatches: number; rounds: number };
  download?: { expiresAt: string; documents: Record<string, string>; files: string };
}

describe('Discovery export (issue 14 acceptance, local runtime)', () => {
  let runtime: TestRuntime;
  const warm = study(1, PATIENT);
  const cold = study(2, PATIENT);
  const other = study(3, 'EXPORT-PAT-2');
  const instances = [...warm, ...cold];
  let holdId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    for (const s of [warm, cold, other]) expect((await stow(runtime.url, s.map((i) => i.bytes))).status).toBe(200);
    for (const i of cold) {
      const moved = await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key: i.key, storageClass: 'DEEP_ARCHIVE' }) });
      expect(moved.status).toBe(200);
    }
    await runtime.events.idle();
    const hold = await api('POST', '/holds', { matter: 'Doe v. Hospital', reason: 'production', scope: { patient: { id: PATIENT } } });
    expect(hold.status).toBe(201);
    holdId = String(hold.json.id);
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${runtime.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    });
    return { status: response.status, headers: response.headers, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  }
  /** `npm run export -- …` in process, its exit code and what it wrote. */
  async function cli(args: string[]) {
    const written = { out: '', err: '' };
    const stream = (name: 'out' | 'err') => ({ isTTY: false, write: (text: string) => ((written[name] += text), true) }) as unknown as NodeJS.WriteStream;
    const code = await exportCommand(args, { out: stream('out'), err: stream('err') });
    return { code, ...written };
  }
  const view = async (id: string) => (await api('GET', `/exports/${id}`)).json as unknown as ExportView;
  /** Polls (bounded) until `done` holds, advancing the clock an hour at a time when asked to. */
  async function until(id: string, done: (v: ExportView) => boolean, advanceClock = false): Promise<ExportView> {
    for (let i = 0; i < 600; i++) {
      const current = await view(id);
      if (done(current)) return current;
      if (current.status === 'FAILED') throw new Error(`export failed: ${JSON.stringify(current)}`);
      if (advanceClock && i % 10 === 9) {
        await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+1h' }) });
        await runtime.events.idle();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`export ${id} never got there: ${JSON.stringify(await view(id))}`);
  }

  let exportId: string;
  let completed: ExportView;

  it('waits for the restore of the DEEP_ARCHIVE study, then completes once the clock has passed it', async () => {
    const started = await api('POST', '/exports', { hold: holdId });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    exportId = String(started.json.id);
    expect(started.headers.get('location')).toBe(`${runtime.url}/exports/${exportId}`);
    expect(started.json.status).toBe('RUNNING');

    const waiting = await until(exportId, (v) => v.status === 'WAITING_FOR_RESTORE');
    expect(waiting.progress).toMatchObject({ instances: 4, copied: 2, waitingForRestore: 2 });
    expect(waiting.progress.bytes).toBe(instances.reduce((sum, i) => sum + i.bytes.length, 0));
    expect(waiting.download).toBeUndefined();
    // The export joined the restore workflow: the study's restore is recorded and running.
    const restores = (await api('GET', '/restores')).json as { restores: { study: string; status: string }[] };
    expect(restores.restores.find((r) => r.study === cold[0]!.study)?.status).toBe('IN_PROGRESS');

    // DEEP_ARCHIVE Standard takes up to 12 hours on the local clock.
    const response = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+13h' }) });
    expect(response.status).toBe(200);
    await runtime.events.idle();
    completed = await until(exportId, (v) => v.status === 'COMPLETED', true);
    expect(completed.progress).toMatchObject({ instances: 4, copied: 4, waitingForRestore: 0, mismatches: 0 });
    expect(completed.progress.rounds).toBeGreaterThanOrEqual(2);
    expect(completed.download?.documents).toBeDefined();
  });

  it('produces a package whose files match the manifest, the ingest record and the bytes pushed, with a signature that verifies', async () => {
    const documents = completed.download!.documents;
    const get = async (url: string) => Buffer.from(await (await fetchWithoutToken(url)).arrayBuffer());
    const manifest = JSON.parse((await get(documents.manifestJson!)).toString('utf8')) as {
      export: string;
      files: { patientId: string; study: string; series: string; sop: string; path: string; size: number; sha256AtIngest: string; sha256AtExport: string; match: boolean }[];
    };
    expect(manifest.export).toBe(exportId);
    expect(manifest.files).toHaveLength(4);

    // The files listing, page by page (limit 3: two pages), each with its own download URL.
    const listed: { path: string; sha256: string; url: string }[] = [];
    let after: string | undefined;
    do {
      const page = await api('GET', `/exports/${exportId}/files?limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      expect(page.status).toBe(200);
      listed.push(...(page.json.files as typeof listed));
      after = page.json.next as string | undefined;
    } while (after);
    expect(listed.map((f) => f.path).sort()).toEqual(manifest.files.map((f) => f.path).sort());

    for (const pushed of instances) {
      const expected = sha256(pushed.bytes); // computed here, from the bytes the test pushed
      const row = manifest.files.find((f) => f.sop === pushed.sop)!;
      expect(row, pushed.sop).toMatchObject({ patientId: PATIENT, study: pushed.study, series: pushed.series, sha256AtIngest: expected, sha256AtExport: expected, match: true, size: pushed.bytes.length });
      // The ingest record: the archive's object key carries the SHA-256 recorded at ingest.
      expect(pushed.key).toContain(expected);
      const downloaded = await get(listed.find((f) => f.path === row.path)!.url);
      expect(sha256(downloaded), row.path).toBe(expected);
    }
    const csv = (await get(documents.manifestCsv!)).toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('patient_id,study_instance_uid,series_instance_uid,sop_instance_uid,path,size_bytes,sha256_at_ingest,sha256_at_export,match');
    for (const pushed of instances) expect(csv).toContain(`${pushed.sop}.dcm,${pushed.bytes.length},${sha256(pushed.bytes)},${sha256(pushed.bytes)},true`);

    const summaryBytes = await get(documents.summary!);
    const summary = JSON.parse(summaryBytes.toString('utf8')) as { counts: Record<string, number>; manifests: Record<string, { sha256: string }>; signature: { keyId: string; algorithm: string } };
    expect(summary.counts).toMatchObject({ studies: 2, instances: 4, mismatches: 0 });
    expect(summary.manifests['manifest.csv']!.sha256).toBe(sha256(csv));
    expect(summary.manifests['manifest.json']!.sha256).toBe(sha256(await get(documents.manifestJson!)));
    const signature = await get(documents.signature!);
    const packagedKey = createPublicKey((await get(documents.publicKey!)).toString('utf8'));
    expect(verify('sha256', summaryBytes, packagedKey, signature)).toBe(true);
    // Not only the package's own word: the key KMS holds verifies it too, and a changed byte does not.
    const kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${runtime.servicePorts.kms}` });
    const kmsKey = await kms.send(new GetPublicKeyCommand({ KeyId: summary.signature.keyId }));
    const publicKey = createPublicKey({ key: Buffer.from(kmsKey.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', summaryBytes, publicKey, signature)).toBe(true);
    const tampered = Buffer.from(summaryBytes);
    tampered[10] = tampered[10]! ^ 1;
    expect(verify('sha256', tampered, publicKey, signature)).toBe(false);
  });

  it('records the export in the audit trail: asked for by the client, completed with its counts', async () => {
    const response = await fetch(`${runtime.url}/audit?patient=${PATIENT}`);
    const { records } = (await response.json()) as { records: { kind: string; action: string; actor: { clientId: string }; studies: string[]; detail?: Record<string, string | number> }[] };
    const ours = records.filter((r) => r.kind === 'discoveryExport' && r.detail?.exportId === exportId);
    expect(ours.map((r) => r.detail!.exportAction)).toEqual(expect.arrayContaining(['start', 'completed', 'read', 'download']));
    const done = ours.find((r) => r.detail!.exportAction === 'completed')!;
    expect(done.detail).toMatchObject({ instances: 4, mismatches: 0 });
    expect(done.studies.sort()).toEqual([warm[0]!.study, cold[0]!.study].sort());
    for (const record of ours) expect([record.actor.clientId, record.action]).toEqual(['strata-tests', 'R']);
  });

  it('exports a QIDO query, lists exports, and refuses bad requests', async () => {
    const started = await api('POST', '/exports', { query: `PatientID=EXPORT-PAT-2`, matter: 'second matter' });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    const done = await until(String(started.json.id), (v) => v.status === 'COMPLETED');
    expect(done.progress).toMatchObject({ instances: 2, copied: 2, mismatches: 0 });
    const listed = (await api('GET', '/exports')).json as { exports: { id: string }[] };
    expect(listed.exports.map((e) => e.id).sort()).toEqual([exportId, String(started.json.id)].sort());
    expect((await api('POST', '/exports', { hold: holdId, query: 'PatientID=X' })).status).toBe(400);
    expect((await api('POST', '/exports', { hold: 'not-a-hold' })).status).toBe(400);
    expect((await api('POST', '/exports', { query: 'PatientID=NOBODY' })).status).toBe(400);
    // A mistyped key would otherwise export every study of the tenant.
    expect((await api('POST', '/exports', { query: `PatientId=${PATIENT}` })).status).toBe(400);
    expect((await api('GET', '/exports/not-an-export')).status).toBe(404);
  });

  it('lets another tenant neither see nor export the hold or its exports', async () => {
    const otherTenant = await runtime.authorization('other-tenant');
    expect((await api('POST', '/exports', { hold: holdId }, otherTenant)).status).toBe(404);
    expect((await api('GET', `/exports/${exportId}`, undefined, otherTenant)).status).toBe(404);
    expect((await api('GET', `/exports/${exportId}/files`, undefined, otherTenant)).status).toBe(404);
    expect(((await api('GET', '/exports', undefined, otherTenant)).json as { exports: unknown[] }).exports).toEqual([]);
    // Its own query finds nothing of tenant A either.
    expect((await api('POST', '/exports', { query: `PatientID=${PATIENT}` }, otherTenant)).status).toBe(400);
  });

  it('npm run export: starts, follows, downloads and verifies a package against the archive\'s key; verify re-checks it and catches a changed, an added and a missing file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-export-cli-'));
    try {
      const run = await cli(['--hold', holdId, '--out', out, '--url', runtime.url, '--token', runtime.testToken, '--poll', '0.05']);
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/^VERIFIED: signature valid, manifests match, 4\/4 files match their SHA-256/);
      expect(run.err).toMatch(/completed: 4\/4 instances/);
      expect(run.err).toMatch(/checked against the key from the archive/);

      const archive = ['--url', runtime.url, '--token', runtime.testToken];
      expect(await cli(['verify', out, ...archive])).toMatchObject({ code: 0, out: expect.stringMatching(/^VERIFIED: .* 4\/4 files/) });
      const changed = `files/${warm[0]!.study}/${warm[0]!.series}/${warm[0]!.sop}.dcm`;
      const missing = `files/${cold[0]!.study}/${cold[0]!.series}/${cold[0]!.sop}.dcm`;
      writeFileSync(join(out, changed), Buffer.concat([warm[0]!.bytes, Buffer.from([0])]));
      rmSync(join(out, missing));
      writeFileSync(join(out, 'files', warm[0]!.study, 'planted.dcm'), warm[1]!.bytes);
      const check = await cli(['verify', out, ...archive]);
      expect(check.code).toBe(1);
      expect(check.out).toMatch(/^NOT VERIFIED: signature valid, manifests match, 2\/4 files match their SHA-256, 3 problem/);
      expect(check.err).toContain(`${changed}: SHA-256 or size differs from the manifest`);
      expect(check.err).toContain(`${missing}: in the manifest but missing from the folder`);
      expect(check.err).toContain(`files/${warm[0]!.study}/planted.dcm: in the folder but not in the manifest`);
      // No key from outside the package: refused, not "verified" with the package's own key.
      expect(await cli(['verify', out])).toMatchObject({ code: 2, err: expect.stringContaining('no trusted key') });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('GET /exports/signing-key answers the KMS key; verify refuses a package re-signed with another key, whoever\'s key id it names', async () => {
    const answer = await api('GET', '/exports/signing-key');
    expect(answer.status).toBe(200);
    const kms = new KMSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${runtime.servicePorts.kms}` });
    const kmsKey = await kms.send(new GetPublicKeyCommand({ KeyId: String(answer.json.keyId) }));
    expect(createPublicKey(String(answer.json.publicKeyPem)).export({ type: 'spki', format: 'der' })).toEqual(Buffer.from(kmsKey.PublicKey!));
    expect(answer.json.keyId).toBe(kmsKey.KeyId);
    expect((await fetchWithoutToken(`${runtime.url}/exports/signing-key`)).status).toBe(401);

    const out = mkdtempSync(join(tmpdir(), 'strata-export-resigned-'));
    const archive = ['--url', runtime.url, '--token', runtime.testToken];
    try {
      // Download the package (the CLI verifies it), then keep the archive's PEM as an operator would.
      expect((await cli(['--hold', holdId, '--out', out, ...archive, '--poll', '0.05'])).code).toBe(0);
      const archivePem = join(out, '..', `${out.split('/').pop()}-archive.pem`);
      writeFileSync(archivePem, String(answer.json.publicKeyPem));
      expect(await cli(['verify', out, '--public-key', archivePem])).toMatchObject({ code: 0 });

      // A forger changes the summary (one study fewer), re-signs it with a key of their own and ships its public half.
      const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { counts: { studies: number }; signature: { keyId: string } };
      summary.counts.studies -= 1;
      const resign = (keyId: string) => {
        const bytes = Buffer.from(`${JSON.stringify({ ...summary, signature: { ...summary.signature, keyId } }, null, 2)}\n`);
        writeFileSync(join(out, 'summary.json'), bytes);
        writeFileSync(join(out, 'summary.json.sig'), sign('sha256', bytes, forger.privateKey));
        writeFileSync(join(out, 'public-key.pem'), forger.publicKey.export({ type: 'spki', format: 'pem' }));
      };
      resign(summary.signature.keyId); // claims the archive's key id
      const forgerPem = join(out, '..', `${out.split('/').pop()}-forger.pem`);
      writeFileSync(forgerPem, forger.publicKey.export({ type: 'spki', format: 'pem' }));
      // The package's own key would vouch for it; the archive's does not.
      const claimed = await cli(['verify', out, ...archive]);
      expect(claimed.code).toBe(1);
      expect(claimed.out).toMatch(/^NOT VERIFIED: signature INVALID/);
      expect(claimed.err).toContain('summary.json.sig: does not verify with the key from the archive');
      expect(claimed.err).toContain("public-key.pem: the package's key is not the one from the archive");
      resign('arn:aws:kms:us-east-1:999999999999:key/forged'); // names its own key
      const named = await cli(['verify', out, ...archive]);
      expect(named.code).toBe(1);
      expect(named.err).toContain(`summary.json: signed with key arn:aws:kms:us-east-1:999999999999:key/forged, not the archive's ${String(answer.json.keyId)}`);
      expect((await cli(['verify', out, '--public-key', archivePem])).code).toBe(1);
      // An operator who was handed the forger's key alone is still told when the archive is asked too.
      expect((await cli(['verify', out, '--public-key', forgerPem])).code).toBe(0);
      expect((await cli(['verify', out, '--public-key', forgerPem, ...archive])).code).toBe(1);
      rmSync(archivePem);
      rmSync(forgerPem);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('marks a package whose hold was released while it ran (signed summary, export view), and refuses to export a released hold (409)', async () => {
    // The restored copies of the cold study lapse (7 days), so a new export of it waits for a restore again.
    await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+8d' }) });
    await runtime.events.idle();
    const hold = await api('POST', '/holds', { matter: 'Roe v. Clinic', reason: 'production', scope: { study: cold[0]!.study } });
    expect(hold.status).toBe(201);
    const started = await api('POST', '/exports', { hold: hold.json.id });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    const id = String(started.json.id);
    await until(id, (v) => v.status === 'WAITING_FOR_RESTORE');
    const released = await api('POST', `/holds/${String(hold.json.id)}/release`);
    expect(released.status).toBe(202);
    const releasedAt = String(released.json.releasedAt);

    await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+13h' }) });
    await runtime.events.idle();
    const done = (await until(id, (v) => v.status === 'COMPLETED', true)) as ExportView & { holdReleasedAt?: string };
    expect(done.holdReleasedAt).toBe(releasedAt);
    const summary = JSON.parse(Buffer.from(await (await fetchWithoutToken(done.download!.documents.summary!)).arrayBuffer()).toString('utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ scope: { hold: hold.json.id }, holdReleasedAt: releasedAt });
    // The export of the first hold, which was never released, carries no such mark.
    expect(await view(exportId)).not.toHaveProperty('holdReleasedAt');

    const refused = await api('POST', '/exports', { hold: hold.json.id });
    expect(refused.status).toBe(409);
    expect(String(refused.json.message)).toContain(`was released at ${releasedAt}`);
  }, 120_000);
});
