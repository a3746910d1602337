/**
 * The data plane's own answers, before any service runs: CORS preflights and CORS on its refusals
 * (browser viewers fetch from it), its per-task limit on concurrent STOW-RS, and the client address
 * the audit trail records behind a load balancer.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Verdict } from '#core/identity/access-token.ts';
import { dataPlaneListener, type DataPlaneOptions } from '#handlers/data-plane/server.ts';
import { clientAddress } from '#handlers/data-plane/request-event.ts';

const ROUTES = [
  { method: 'POST', path: '/dicom-web/studies', scope: 'dicom.write' },
  { method: 'GET', path: '/dicom-web/studies/{study}', scope: 'dicom.read' },
];
const REFUSED: Verdict = { ok: false, status: 401, message: 'Unauthorized: test' };

describe('the data plane server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    server?.close();
  });
  const start = async (options: Partial<DataPlaneOptions>) => {
    server = createServer(dataPlaneListener({ routes: ROUTES, authorize: async () => REFUSED, ...options }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('answers a CORS preflight for its routes, and puts CORS headers on its refusals', async () => {
    const base = await start({});
    const preflight = await fetch(`${base}/dicom-web/studies/1.2.3`, { method: 'OPTIONS', headers: { Origin: 'https://viewer.example', 'Access-Control-Request-Method': 'GET' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const refused = await fetch(`${base}/dicom-web/studies/1.2.3`, { headers: { Origin: 'https://viewer.example' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(`${base}/dicom-web/other`, { method: 'OPTIONS' })).status).toBe(404);
  });

  it('refuses a STOW-RS beyond its concurrent limit with 503 and Retry-After, and takes one again when a slot frees', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const base = await start({
      maxConcurrentStows: 1,
      authorize: async () => {
        if (calls++ === 0) await held;
        return REFUSED;
      },
    });
    const body = { method: 'POST', body: 'x', headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b' } };
    const first = fetch(`${base}/dicom-web/studies`, body);
    while (calls === 0) await new Promise((r) => setTimeout(r, 10));
    const busy = await fetch(`${base}/dicom-web/studies`, body);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    // Retrievals are not limited.
    expect((await fetch(`${base}/dicom-web/studies/1.2.3`)).status).toBe(401);
    release();
    expect((await first).status).toBe(401);
    expect((await fetch(`${base}/dicom-web/studies`, body)).status).toBe(401);
  });

  it('records the address the load balancer appended, not one the client claimed, and the socket\'s otherwise', () => {
    const req = { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }, socket: { remoteAddress: '10.0.1.12' } } as unknown as IncomingMessage;
    expect(clientAddress(req, true)).toBe('203.0.113.7');
    expect(clientAddress(req, false)).toBe('10.0.1.12');
    expect(clientAddress({ headers: {}, socket: { remoteAddress: '10.0.1.12' } } as unknown as IncomingMessage, true)).toBe('10.0.1.12');
  });
});
