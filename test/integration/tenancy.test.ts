/**
 * Identity and tenancy, attacked through the local gateway: who may call (401/403), and that
 * tenant A learns nothing of tenant B's study on any route — B's UIDs answer A exactly as UIDs
 * stored nowhere do, and A's DELETE leaves B's data untouched. An admin-scope token may name
 * another tenant (`?tenant=`); the /_local/ endpoints need the admin scope and loopback.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiGateway } from '#infra/local/api-gateway.ts';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { isLoopback } from '#infra/local/loopback.ts';
import { system } from '#infra/system.ts';
import { stow } from '#test/helpers/dicom.ts';
import { fetchWithoutToken, startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[]; BulkDataURI?: string }>;
const TENANT_A = 'hospital-a';
const TENANT_B = 'hospital-b';
const B = { study: '2.25.7100', series: '2.25.7100.1', sop: '2.25.7100.1.1' };
const A = { study: '2.25.7200', series: '2.25.7200.1', sop: '2.25.7200.1.1' };
/** UIDs stored in no tenant: what B's UIDs must look like to A. */
const NOWHERE = { study: '2.25.7300', series: '2.25.7300.1', sop: '2.25.7300.1.1' };
const AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';

describe('Identity and tenancy through the local gateway', () => {
  let runtime: TestRuntime;
  let asA: Record<string, string>;
  let asB: Record<string, string>;
  /** B's pixel data BulkDataURI path, relative to the instance. */
  let bulkPath: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    asA = await runtime.authorization(TENANT_A, ['dicom.read', 'dicom.write', 'dicom.delete', 'ilm.admin']);
    asB = await runtime.authorization(TENANT_B, ['dicom.read', 'dicom.write', 'dicom.delete', 'ilm.admin']);
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', { ...B, patientId: 'B-PATIENT' })], '/dicom-web/studies', asB)).status).toBe(200);
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', { ...A, patientId: 'A-PATIENT' })], '/dicom-web/studies', asA)).status).toBe(200);
    const instance = `${runtime.url}/dicom-web/studies/${B.study}/series/${B.series}/instances/${B.sop}`;
    const [metadata] = (await (await fetch(`${instance}/metadata`, { headers: asB })).json()) as Dataset[];
    bulkPath = metadata!['7FE00010']!.BulkDataURI!.slice(instance.length);
    expect(bulkPath).toMatch(/^\/bulkdata\//);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const url = (path: string) => `${runtime.url}/dicom-web${path}`;

  describe('who may call', () => {
    it('answers 401 to a request without a token, and serves /health to anyone', async () => {
      const response = await fetchWithoutToken(url('/studies'));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toMatch(/Bearer/);
      expect((await fetchWithoutToken(`${runtime.url}/health`)).status).toBe(200);
    });

    it('answers 401 to an expired token', async () => {
      const expired = await runtime.token({ tenant: TENANT_A, scopes: ['dicom.read'], ttlSeconds: -60 });
      const response = await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${expired}` } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toMatch(/expired/);
    });

    it('answers 401 to a token signed with another key, an altered token, and an unsigned one', async () => {
      const otherDir = mkdtempSync(join(tmpdir(), 'strata-other-key-'));
      try {
        const stranger = await (await LocalIdentity.open(otherDir)).issue({ tenant: TENANT_B, scopes: ['dicom.read'] });
        expect((await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${stranger}` } })).status).toBe(401);
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
      // A's own token with the tenant claim rewritten to B: the signature no longer matches.
      const [header, payload, signature] = (await runtime.token({ tenant: TENANT_A, scopes: ['dicom.read'] })).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, tenant: TENANT_B })).toString('base64url')}.${signature}`;
      expect((await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${altered}` } })).status).toBe(401);
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, tenant: TENANT_B })).toString('base64url')}.`;
      expect((await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${unsigned}` } })).status).toBe(401);
      // HS256 keyed with anything a client could know is refused: the algorithm is pinned.
      const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('guess'));
      expect((await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${hmac}` } })).status).toBe(401);
    });

    it('answers 403 to a valid token without the route\'s scope', async () => {
      const readOnly = await runtime.authorization(TENANT_A, ['dicom.read']);
      const response = await stow(runtime.url, [synthesize('CT_small.dcm', { study: '2.25.7400', series: '2.25.7400.1', sop: '2.25.7400.1.1' })], '/dicom-web/studies', readOnly);
      expect(response.status).toBe(403);
      const writeOnly = await runtime.authorization(TENANT_A, ['dicom.write']);
      expect((await fetchWithoutToken(url('/studies'), { headers: writeOnly })).status).toBe(403);
      expect((await fetchWithoutToken(url(`/studies/${A.study}`), { method: 'DELETE', headers: readOnly })).status).toBe(403);
      expect((await fetchWithoutToken(`${runtime.url}/admin/fixity-audits`, { method: 'POST', headers: readOnly, body: '{}' })).status).toBe(403);
      // Nothing was stored by the refused STOW.
      expect(await (await fetch(url('/studies?StudyInstanceUID=2.25.7400'), { headers: asA })).json()).toEqual([]);
    });

    it('answers 403 to a token with no tenant claim: no tenant, no data', async () => {
      const tenantless = await runtime.token({ tenant: undefined, scopes: ['dicom.read'] });
      const response = await fetchWithoutToken(url('/studies'), { headers: { Authorization: `Bearer ${tenantless}` } });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toMatch(/no tenant/);
    });

    it('refuses ?tenant= from a caller without the admin scope (it never switches tenant)', async () => {
      const response = await fetch(url(`/studies?tenant=${TENANT_B}`), { headers: asA });
      expect(response.status).toBe(403);
    });
  });

  describe('tenant A cannot see tenant B\'s study', () => {
    /** A's answer for B's UIDs, next to A's answer for UIDs stored nowhere: they must not differ. */
    async function asSeenByA(path: (uids: typeof B) => string, init: RequestInit = {}) {
      const answer = async (uids: typeof B) => {
        const response = await fetch(url(path(uids)), { ...init, headers: { ...asA, ...(init.headers as Record<string, string>) } });
        const text = await response.text();
        const body = text.replaceAll(uids.sop, '<sop>').replaceAll(uids.series, '<series>').replaceAll(uids.study, '<study>');
        return { status: response.status, body: body.replace(/"requestId":"[^"]*"/, '"requestId":"<id>"') };
      };
      const [ofB, ofNowhere] = [await answer(B), await answer(NOWHERE)];
      expect(ofB).toEqual(ofNowhere);
      return ofB;
    }
    const expectNotFound = (answer: { status: number }) => expect(answer.status).toBe(404);
    const expectEmpty = (answer: { status: number; body: string }) => {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual([]);
    };

    it('QIDO studies: B\'s study matches nothing, and A\'s own list holds only A\'s study', async () => {
      expectEmpty(await asSeenByA((u) => `/studies?StudyInstanceUID=${u.study}`));
      expectEmpty(await asSeenByA(() => `/studies?PatientID=B-PATIENT`));
      const all = (await (await fetch(url('/studies'), { headers: asA })).json()) as Dataset[];
      expect(all.map((study) => study['0020000D']?.Value?.[0])).toEqual([A.study]);
    });

    it('QIDO series: by study, by series UID and study-scoped', async () => {
      expectEmpty(await asSeenByA((u) => `/series?StudyInstanceUID=${u.study}`));
      expectEmpty(await asSeenByA((u) => `/series?SeriesInstanceUID=${u.series}`));
      const scoped = await asSeenByA((u) => `/studies/${u.study}/series`);
      expect([200, 404]).toContain(scoped.status);
    });

    it('QIDO instances: by SOP Instance UID and series-scoped', async () => {
      expectEmpty(await asSeenByA((u) => `/instances?SOPInstanceUID=${u.sop}`));
      const scoped = await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances`);
      expect([200, 404]).toContain(scoped.status);
    });

    it('WADO study', async () => expectNotFound(await asSeenByA((u) => `/studies/${u.study}`, { headers: { Accept: AS_STORED } })));
    it('WADO series', async () => expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}`, { headers: { Accept: AS_STORED } })));
    it('WADO instance', async () =>
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}`, { headers: { Accept: AS_STORED } })));
    it('metadata (study and instance)', async () => {
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/metadata`, { headers: { Accept: 'application/dicom+json' } }));
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}/metadata`, { headers: { Accept: 'application/dicom+json' } }));
    });
    it('frames', async () => expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}/frames/1`)));
    it('bulkdata', async () => expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}${bulkPath}`)));
    it('rendered', async () =>
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}/rendered`, { headers: { Accept: 'image/jpeg' } })));
    it('thumbnail', async () => expectNotFound(await asSeenByA((u) => `/studies/${u.study}/thumbnail`, { headers: { Accept: 'image/jpeg' } })));

    it('fixity audit (admin route): no audit starts on B\'s study', async () => {
      const start = async (study: string) => {
        const response = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', headers: { ...asA, 'Content-Type': 'application/json' }, body: JSON.stringify({ studyInstanceUID: study }) });
        return response.status;
      };
      expect(await start(B.study)).toBe(404);
      expect(await start(NOWHERE.study)).toBe(404);
      // B itself may audit its study, and A cannot follow B's audit by its id.
      const ofB = await fetch(`${runtime.url}/admin/fixity-audits`, { method: 'POST', headers: { ...asB, 'Content-Type': 'application/json' }, body: JSON.stringify({ studyInstanceUID: B.study }) });
      expect(ofB.status).toBe(202);
      const { id } = (await ofB.json()) as { id: string };
      expect((await fetch(`${runtime.url}/admin/fixity-audits/${id}`, { headers: asA })).status).toBe(404);
      expect((await fetch(`${runtime.url}/admin/fixity-audits/${id}`, { headers: asB })).status).toBe(200);
    });

    /** A JSON request to a non-DICOMweb route, its status and body with ids and times masked. */
    async function call(path: string, headers: Record<string, string>, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
      const response = await fetch(`${runtime.url}${path}`, { method, headers: { ...headers, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = (await response.text())
        .replace(/"requestId":"[^"]*"/g, '"requestId":"<id>"')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');
      return { status: response.status, text };
    }
    const masked = (answer: { status: number; text: string }, uids: typeof B) => ({ ...answer, text: answer.text.replaceAll(uids.study, '<study>') });

    it('re-classification (admin route): A cannot pin B\'s study, nor follow B\'s run', async () => {
      const pin = async (uids: typeof B) => masked(await call('/admin/reclassifications', asA, { study: uids.study, pins: ['research'] }), uids);
      const [ofB, ofNowhere] = [await pin(B), await pin(NOWHERE)];
      expect(ofB).toEqual(ofNowhere);
      expect(ofB.status).toBe(404);
      const started = await call('/admin/reclassifications', asB, { study: B.study, pins: ['teaching'] });
      expect(started.status).toBe(202);
      const started2 = await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', headers: { ...asB, 'Content-Type': 'application/json' }, body: JSON.stringify({ study: B.study, pins: [] }) });
      const { id } = (await started2.json()) as { id: string };
      await runtime.stepFunctions.idle();
      expect((await call(`/admin/reclassifications/${id}`, asA)).status).toBe(404);
      expect((await call(`/admin/reclassifications/${id}`, asB)).status).toBe(200);
    });

    it('restores: a restore of B\'s study or patient by A answers as for one stored nowhere, and A\'s list stays empty', async () => {
      const restore = async (uids: typeof B) => masked(await call('/restores', asA, { study: uids.study }), uids);
      const [ofB, ofNowhere] = [await restore(B), await restore(NOWHERE)];
      expect(ofB).toEqual(ofNowhere);
      expect(ofB.status).toBe(404);
      const byPatient = async (patient: string) => (await call('/restores', asA, { patient: { id: patient } })).text.replace(patient, '<patient>');
      expect(await byPatient('B-PATIENT')).toEqual(await byPatient('NOWHERE-PATIENT'));
      expect(JSON.parse((await call('/restores', asA)).text)).toMatchObject({ restores: [] });
    });

    it('legal holds: a hold by A on B\'s study or patient covers nothing of B, and B\'s hold is invisible to A', async () => {
      const holds = { ...asA, ...(await runtime.authorization(TENANT_A, ['legal.hold'])) };
      const holdsOfB = await runtime.authorization(TENANT_B, ['legal.hold']);
      // Placed, then resolved by the workflow: what A's hold covers reads the same for B's UIDs as for UIDs stored nowhere.
      const covered = async (scope: unknown, uids: typeof B, patient?: string) => {
        const placed = await fetch(`${runtime.url}/holds`, { method: 'POST', headers: { ...holds, 'Content-Type': 'application/json' }, body: JSON.stringify({ matter: 'm', reason: 'r', scope }) });
        expect(placed.status).toBe(201);
        const { id } = (await placed.json()) as { id: string };
        await runtime.stepFunctions.idle();
        const view = masked(await call(`/holds/${id}`, holds), uids);
        return { ...view, text: patient ? view.text.replaceAll(patient, '<patient>') : view.text };
      };
      expect(await covered({ study: B.study }, B)).toEqual(await covered({ study: NOWHERE.study }, NOWHERE));
      expect(await covered({ patient: { id: 'B-PATIENT' } }, B, 'B-PATIENT')).toEqual(await covered({ patient: { id: 'NOWHERE-PATIENT' } }, NOWHERE, 'NOWHERE-PATIENT'));
      const placedByB = await fetch(`${runtime.url}/holds`, { method: 'POST', headers: { ...holdsOfB, 'Content-Type': 'application/json' }, body: JSON.stringify({ matter: 'b', reason: 'b', scope: { study: B.study } }) });
      expect(placedByB.status).toBe(201);
      const { id } = (await placedByB.json()) as { id: string };
      await runtime.stepFunctions.idle();
      expect((await call(`/holds/${id}`, holds)).status).toBe(404);
      expect((await call(`/holds/${id}/release`, holds, {})).status).toBe(404);
      expect(JSON.parse((await call('/holds', holds)).text).holds.map((h: { matter: string }) => h.matter)).not.toContain('b');
      const released = await fetch(`${runtime.url}/holds/${id}/release`, { method: 'POST', headers: { ...holdsOfB, 'Content-Type': 'application/json' }, body: '{}' });
      expect(released.status).toBe(202);
      await runtime.stepFunctions.idle();
    });

    it('dispositions (admin routes): A cannot read, approve, reject or restore anything of B', async () => {
      const adminB = await runtime.authorization(TENANT_B, ['ilm.admin', 'admin']);
      const adminA = await runtime.authorization(TENANT_A, ['ilm.admin', 'admin']);
      const started = await fetch(`${runtime.url}/dispositions`, { method: 'POST', headers: adminB });
      expect(started.status).toBe(202);
      const { id } = (await started.json()) as { id: string };
      await runtime.stepFunctions.settled();
      expect((await call(`/dispositions/${id}`, adminB)).status).toBe(200);
      expect((await call(`/dispositions/${id}`, adminA)).status).toBe(404);
      expect((await call(`/dispositions/${id}?format=csv`, adminA)).status).toBe(404);
      expect((await call(`/dispositions/${id}/approve`, adminA, {})).status).toBe(404);
      expect((await call(`/dispositions/${id}/reject`, adminA, {})).status).toBe(404);
      const restore = async (uids: typeof B) => masked(await call('/dispositions/restore', adminA, { studyInstanceUID: uids.study }), uids);
      const [ofB, ofNowhere] = [await restore(B), await restore(NOWHERE)];
      expect(ofB).toEqual(ofNowhere);
      expect(ofB.status).toBe(404);
      expect((await call(`/dispositions/${id}/reject`, adminB, {})).status).toBe(200);
      await runtime.stepFunctions.idle();
    });

    it('DELETE at each level answers as for a UID stored nowhere, and B\'s study is untouched', async () => {
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}/instances/${u.sop}`, { method: 'DELETE' }));
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}/series/${u.series}`, { method: 'DELETE' }));
      expectNotFound(await asSeenByA((u) => `/studies/${u.study}`, { method: 'DELETE' }));
      const [study] = (await (await fetch(url(`/studies?StudyInstanceUID=${B.study}`), { headers: asB })).json()) as Dataset[];
      expect(study?.['00201208']?.Value).toEqual([1]);
      expect((await fetch(url(`/studies/${B.study}`), { headers: { ...asB, Accept: AS_STORED } })).status).toBe(200);
    });
  });

  describe('the admin scope', () => {
    it('acts in the tenant it names with ?tenant=, and in its own without', async () => {
      const admin = await runtime.authorization(TENANT_A, ['dicom.read', 'admin']);
      const inB = (await (await fetch(url(`/studies?tenant=${TENANT_B}`), { headers: admin })).json()) as Dataset[];
      expect(inB.map((study) => study['0020000D']?.Value?.[0])).toEqual([B.study]);
      const own = (await (await fetch(url('/studies'), { headers: admin })).json()) as Dataset[];
      expect(own.map((study) => study['0020000D']?.Value?.[0])).toEqual([A.study]);
      expect((await fetch(url(`/studies/${B.study}?tenant=${TENANT_B}`), { headers: { ...admin, Accept: AS_STORED } })).status).toBe(200);
      expect((await fetch(url(`/studies?tenant=Not%23A%23Tenant`), { headers: admin })).status).toBe(400);
    });

    it('is required by the /_local/ endpoints: none → 401, DICOM scopes → 403, admin → 200', async () => {
      expect((await fetchWithoutToken(`${runtime.url}/_local/clock`)).status).toBe(401);
      expect((await fetchWithoutToken(`${runtime.url}/_local/clock`, { headers: asA })).status).toBe(403);
      expect((await fetchWithoutToken(`${runtime.url}/_local/clock`, { method: 'POST', headers: asA, body: JSON.stringify({ advance: '+1d' }) })).status).toBe(403);
      const admin = await runtime.authorization(TENANT_A, ['admin']);
      expect((await fetchWithoutToken(`${runtime.url}/_local/clock`, { headers: admin })).status).toBe(200);
      expect((await fetchWithoutToken(`${runtime.url}/_local/events`, { headers: asB })).status).toBe(403);
    });

    it('are refused, even to an admin token, by a gateway that listens beyond loopback', async () => {
      // A second gateway in front of the same identity and functions, told it listens beyond loopback.
      const gateway = new LocalApiGateway(system.api, system.routes, runtime.lambdas, async () => false, { identity: runtime.identity, loopbackOnly: false }, () => {});
      const server = createServer(gateway.listener).listen(0, '127.0.0.1');
      try {
        await once(server, 'listening');
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const response = await fetchWithoutToken(`${base}/_local/clock`, { headers: await runtime.authorization('default', ['admin']) });
        expect(response.status).toBe(403);
        expect(((await response.json()) as { message: string }).message).toMatch(/loopback/);
        // The API itself still answers, with a token.
        expect((await fetchWithoutToken(`${base}/dicom-web/studies`, { headers: await runtime.authorization('default', ['dicom.read']) })).status).toBe(200);
        expect(isLoopback('0.0.0.0') || isLoopback('192.168.1.10') || isLoopback('::')).toBe(false);
        expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });
});
