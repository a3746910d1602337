/** The edge gateway's status endpoint: `GET /status` answers the forwarder's status as JSON (queue depth, last error…). */
import { createServer, type Server } from 'node:http';
import type { ForwarderStatus } from './forwarder.ts';

export function statusServer(status: () => ForwarderStatus & Record<string, unknown>): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/status' && req.url !== '/health')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"GET /status"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(status()));
  });
}
