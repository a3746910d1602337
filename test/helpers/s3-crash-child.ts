/**
 * The local S3 (s3rver behind the fidelity proxy) in a process of its own, for crash tests:
 * STRATA_DATA_DIR names its data. A request carrying `x-crash-after-response: 1` kills the
 * process (SIGKILL) the moment its response has been handed to the socket — the earliest a
 * client could act on the answer — so what was acknowledged must already be durable.
 */
import { localCredentials } from '#infra/local/dynamodb.ts';
import { startS3 } from '#infra/local/s3/local-s3.ts';
import { system } from '#infra/system.ts';

const s3 = await startS3(system.buckets, {
  dataDir: process.env.STRATA_DATA_DIR!,
  host: '127.0.0.1',
  port: 0,
  region: 'us-east-1',
  clock: { now: () => new Date() },
  secretAccessKey: localCredentials.secretAccessKey,
  publish: () => {},
});
const { createServer } = await import('node:http');
// A front server that passes each request to the proxy and dies after marked answers.
const front = createServer((req, res) => {
  if (req.headers['x-crash-after-response'] === '1') res.once('finish', () => process.kill(process.pid, 'SIGKILL'));
  s3.proxy.listener(req, res);
});
front.listen(0, '127.0.0.1', () => {
  const address = front.address() as { port: number };
  console.log(`endpoint http://127.0.0.1:${address.port}`);
});
