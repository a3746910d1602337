/**
 * `npm run bench:tokens`: what the local gateway's token check costs per request (ES256 verify
 * with jose, claims and scope checks), and what signing one costs, in a throwaway data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIdentity } from '#infra/local/local-identity.ts';

const ROUNDS = Number(process.argv[2] ?? 2000);
const dataDir = mkdtempSync(join(tmpdir(), 'strata-tokens-'));
try {
  let started = performance.now();
  const identity = await LocalIdentity.open(dataDir);
  console.log(`key created and loaded: ${(performance.now() - started).toFixed(1)} ms`);
  const token = await identity.issue({ tenant: 'bench', scopes: ['dicom.read'] });
  for (let i = 0; i < 200; i++) await identity.authorize(`Bearer ${token}`, 'dicom.read'); // warm-up
  started = performance.now();
  for (let i = 0; i < ROUNDS; i++) await identity.issue({ tenant: 'bench', scopes: ['dicom.read'] });
  const signUs = ((performance.now() - started) * 1000) / ROUNDS;
  started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const verdict = await identity.authorize(`Bearer ${token}`, 'dicom.read');
    if (!verdict.ok) throw new Error(verdict.message);
  }
  const verifyUs = ((performance.now() - started) * 1000) / ROUNDS;
  started = performance.now();
  const forged = `${token.slice(0, -4)}AAAA`;
  for (let i = 0; i < ROUNDS; i++) await identity.authorize(`Bearer ${forged}`, 'dicom.read');
  const refuseUs = ((performance.now() - started) * 1000) / ROUNDS;
  console.log(`${ROUNDS} rounds: sign ${signUs.toFixed(0)} µs/token, verify+authorize ${verifyUs.toFixed(0)} µs/request, refuse a forged token ${refuseUs.toFixed(0)} µs/request; token ${token.length} bytes`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
