/**
 * The data plane's traces (issue 13: "logs and traces like the functions"): one span per request,
 * sent over OTLP/HTTP to the collector that forwards them to X-Ray, with X-Ray trace ids, the route
 * template and never the path (its UIDs), no span for health checks, and an error mark on a 5xx.
 * The collector here is a plain HTTP server that keeps what it is sent.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Verdict } from '#core/identity/access-token.ts';
import { dataPlaneListener } from '#handlers/data-plane/server.ts';
import { exportTraces } from '#lambdas/observability/trace-export.ts';

interface OtlpValue { stringValue?: string; intValue?: number | string }
interface OtlpSpan { traceId: string; name: string; kind: number; attributes: { key: string; value: OtlpValue }[]; status?: { code?: number } }
interface OtlpExport { resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }

const STUDY = '1.2.826.0.1.3680043.8.498.777';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('data plane traces', () => {
  const servers: Server[] = [];
  afterEach(() => {
    trace.disable();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('sends one span per request to the collector: X-Ray trace id, route template, status; none for /health; a 5xx is an error', async () => {
    const received: { path: string; contentType: string; body: OtlpExport }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    servers.push(collector);
    const traces = exportTraces({ endpoint: await listen(collector), serviceName: 'strata-data-plane' });

    const refused: Verdict = { ok: false, status: 401, message: 'Unauthorized: test' };
    const dataPlane = createServer(
      dataPlaneListener({
        routes: [
          { method: 'GET', path: '/dicom-web/studies/{study}', scope: 'dicom.read' },
          { method: 'POST', path: '/dicom-web/studies', scope: 'dicom.write' },
          // Unscoped: reaches the request checks, which refuse a path parameter that is no UID.
          { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}' },
        ],
        // A STOW's authorizer fails (the service answers 500); a retrieval's refuses.
        authorize: async (_header, scope) => {
          if (scope === 'dicom.write') throw new Error('the user pool is unreachable');
          return refused;
        },
      }),
    );
    servers.push(dataPlane);
    const base = await listen(dataPlane);
    const started = Math.floor(Date.now() / 1000);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/dicom-web/studies/${STUDY}`)).status).toBe(401);
    expect((await fetch(`${base}/dicom-web/studies`, { method: 'POST', body: 'x' })).status).toBe(500);
    expect((await fetch(`${base}/dicom-web/nowhere/${STUDY}`)).status).toBe(404);
    // 400, or 503 when the audit trail cannot record it (no emulators here): either way it reached the exchange.
    const badUid = await fetch(`${base}/dicom-web/studies/${STUDY}/series/not-a-uid`);
    expect([400, 503]).toContain(badUid.status);
    const { requestId } = (await badUid.json()) as { requestId: string };
    await traces.shutdown();

    expect(received.map((r) => [r.path, r.contentType])).toEqual(received.map(() => ['/v1/traces', 'application/json']));
    const resources = received.flatMap((r) => r.body.resourceSpans);
    expect(new Set(resources.map((r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue))).toEqual(new Set(['strata-data-plane']));
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const attribute = (span: OtlpSpan, key: string) => {
      const value = span.attributes.find((a) => a.key === key)?.value;
      return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
    };
    const summary = spans.map((span) => ({ name: span.name, route: attribute(span, 'http.route'), status: attribute(span, 'http.response.status_code'), error: span.status?.code === 2 }));
    expect(summary.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'GET', route: undefined, status: 404, error: false },
      { name: 'GET /dicom-web/studies/{study}', route: '/dicom-web/studies/{study}', status: 401, error: false },
      { name: 'GET /dicom-web/studies/{study}/series/{series}', route: '/dicom-web/studies/{study}/series/{series}', status: badUid.status, error: badUid.status >= 500 },
      { name: 'POST /dicom-web/studies', route: '/dicom-web/studies', status: 500, error: true },
    ]);
    for (const span of spans) {
      expect(span.kind).toBe(2); // SERVER: a segment, in X-Ray's terms
      // X-Ray's trace id: the epoch second it began, in hex, then 96 random bits.
      expect(Math.abs(parseInt(span.traceId.slice(0, 8), 16) - started)).toBeLessThanOrEqual(5);
      // The UIDs in the path are PHI: no attribute carries them.
      expect(JSON.stringify(span)).not.toContain(STUDY);
    }
    // A request that reached the exchange carries the id its log lines, audit record and error answer carry.
    expect(spans.map((span) => attribute(span, 'strata.request_id')).filter(Boolean)).toEqual([requestId]);
  });
});
