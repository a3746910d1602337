/** HTTP plumbing between the fidelity proxy and s3rver. */
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body?: Buffer | IncomingMessage;
}

export function sendUpstream(origin: URL, upstream: UpstreamRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { ...upstream.headers, host: origin.host };
    if (Buffer.isBuffer(upstream.body)) {
      headers['content-length'] = String(upstream.body.length);
      delete headers['transfer-encoding'];
    }
    const outgoing = request(
      { hostname: origin.hostname, port: origin.port, method: upstream.method, path: upstream.path, headers },
      resolve,
    );
    outgoing.on('error', reject);
    if (Buffer.isBuffer(upstream.body)) outgoing.end(upstream.body);
    else if (upstream.body) upstream.body.pipe(outgoing);
    else outgoing.end();
  });
}

export { readAll } from '#infra/local/read-body.ts';

/** Copies an upstream response to the client, adding or overriding headers. */
export function relay(from: IncomingMessage, to: ServerResponse, extraHeaders: Record<string, string | undefined> = {}): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(from.headers)) if (value !== undefined) headers[name] = value;
  for (const [name, value] of Object.entries(extraHeaders)) if (value !== undefined) headers[name] = value;
  to.writeHead(from.statusCode ?? 502, headers);
  return new Promise((resolve, reject) => {
    from.pipe(to);
    from.on('end', resolve);
    from.on('error', reject);
  });
}

export function sendXmlError(
  to: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): void {
  const fields = Object.entries(extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  to.writeHead(status, { ...headers, 'content-type': 'application/xml' });
  to.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}</Error>`);
}

export function sendXml(to: ServerResponse, status: number, xml: string): void {
  to.writeHead(status, { 'content-type': 'application/xml' });
  to.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

export const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** The text of the first `<tag>` in a small XML document (S3 request bodies are tiny). */
export function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]?.trim();
}
