/**
 * `strata-edge` (`npm run edge -- --aet STRATA --port 11112 --url … --token …`): a DICOM C-STORE
 * gateway in the hospital. Modalities and PACS send to it over DIMSE; each instance is durable in
 * the local spool before the C-STORE response, then forwarded to the archive by the push engine
 * (docs/ingest.md). Survives restarts and outages: the spool is the queue.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import dimse from 'dcmjs-dimse';
import { localDataPlane } from '#clients/push/cli.ts';
import { DEFAULT_RETRY } from '#clients/push/retry.ts';
import { Forwarder } from './forwarder.ts';
import { storeScp } from './scp.ts';
import { Spool } from './spool.ts';
import { statusServer } from './status-server.ts';

export const HELP = `usage: strata-edge --aet AET --port PORT --url URL --token TOKEN [options]   (npm run edge -- …)
A DICOM C-STORE/C-ECHO service that spools every received instance to disk (fsync) before answering,
then forwards it to a Strata archive; outages and restarts lose nothing.

  --aet AET            the called AE title senders must use (default STRATA)
  --port PORT          DIMSE port (default 11112)
  --url URL            the archive's DICOMweb root ($STRATA_URL/dicom-web by default)
  --data-url URL       the data plane's DICOMweb root for instances over ~4 MB ($STRATA_DATA_URL)
  --token TOKEN        access token with scope dicom.write (default $STRATA_TOKEN)
  --spool DIR          the spool directory (default ./.strata-edge)
  --status-port PORT   HTTP status endpoint, GET /status (default DIMSE port + 1; 0 picks one)
  --concurrency N      requests to the archive in flight (default 4)`;

export interface EdgeOptions {
  aet: string;
  port: number;
  url: string;
  dataUrl: string | undefined;
  token: string;
  spool: string;
  statusPort: number;
  concurrency: number;
  log: (line: string) => void;
  /** Pause between polls of an idle spool (ms). */
  pauseMs?: number;
}

export interface Edge {
  dimsePort: number;
  statusUrl: string;
  forwarder: Forwarder;
  stop(): Promise<void>;
}

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  dimse.log.setLevel('error');
  const spool = new Spool(resolve(options.spool));
  const forwarder = new Forwarder(
    spool,
    {
      url: options.url,
      dataUrl: options.dataUrl,
      token: options.token,
      concurrency: options.concurrency,
      // Short: an archive that is down is waited for by the forwarder, with the queue kept on disk.
      retry: { ...DEFAULT_RETRY, attempts: 3 },
    },
    options.log,
    options.pauseMs,
  );
  const server = new dimse.Server(
    storeScp(spool, options.aet, {
      received: () => forwarder.notify(),
      failed: (error) => options.log(`edge: could not spool an instance (the sender was told to retry): ${error.message}`),
    }),
  );
  server.on('networkError', (error: Error) => options.log(`edge: DIMSE network error: ${error.message}`));
  server.listen(options.port);
  const status = statusServer(() => ({ aet: options.aet, dimsePort: options.port, ...forwarder.status }));
  status.listen(options.statusPort, '127.0.0.1');
  await once(status, 'listening');
  forwarder.start();
  const statusUrl = `http://127.0.0.1:${(status.address() as AddressInfo).port}/status`;
  options.log(`edge: ${options.aet} listening on DIMSE port ${options.port}; spool ${spool.dir} (${await spool.depth()} queued); status ${statusUrl}; forwarding to ${options.url}`);
  return {
    dimsePort: options.port,
    statusUrl,
    forwarder,
    async stop() {
      server.close();
      status.close();
      await forwarder.stop();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        aet: { type: 'string', default: 'STRATA' },
        port: { type: 'string', default: '11112' },
        url: { type: 'string' },
        'data-url': { type: 'string' },
        token: { type: 'string' },
        spool: { type: 'string', default: '.strata-edge' },
        'status-port': { type: 'string' },
        concurrency: { type: 'string', default: '4' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 1;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const url = values.url ?? (process.env.STRATA_URL ? `${process.env.STRATA_URL}/dicom-web` : undefined);
  const token = values.token ?? process.env.STRATA_TOKEN;
  if (!url || !token) {
    console.error(`--url and --token (or STRATA_URL and STRATA_TOKEN) are required\n\n${HELP}`);
    return 1;
  }
  const port = Number(values.port);
  const edge = await startEdge({
    aet: values.aet!,
    port,
    url,
    dataUrl: values['data-url'] ?? process.env.STRATA_DATA_URL ?? localDataPlane(url),
    token,
    spool: values.spool!,
    statusPort: values['status-port'] === undefined ? port + 1 : Number(values['status-port']),
    concurrency: Number(values.concurrency),
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await edge.stop();
  return 0;
}
