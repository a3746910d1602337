/**
 * `npm run token -- --tenant demo --scopes dicom.read,dicom.write`: an access token for the
 * local runtime, signed with the local key in STRATA_DATA_DIR (default .strata), shaped like a
 * Cognito client-credentials token with the tenant claim. The token is the last line printed.
 */
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { system } from '#infra/system.ts';

const HELP = `usage: npm run token -- --tenant ID [--scopes s1,s2] [--client NAME] [--ttl SECONDS]
Prints an access token for the local runtime (data directory STRATA_DATA_DIR, default .strata) as its last line.
Scopes: ${system.api.scopes.join(', ')} (default dicom.read,dicom.write). Lifetime default 3600 s.
Use it as: curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/dicom-web/studies`;

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    scopes: { type: 'string', default: 'dicom.read,dicom.write' },
    client: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const scopes = values.scopes.split(',').map((scope) => scope.trim()).filter(Boolean);
const unknown = scopes.filter((scope) => !(system.api.scopes as readonly string[]).includes(scope));
const ttlSeconds = Number(values.ttl);
if (!values.tenant || unknown.length || !Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
  if (unknown.length) console.error(`unknown scope(s): ${unknown.join(', ')}`);
  console.error(HELP);
  process.exit(1);
}
const dataDir = resolve(process.env.STRATA_DATA_DIR ?? '.strata');
mkdirSync(dataDir, { recursive: true });
const identity = await LocalIdentity.open(dataDir);
const token = await identity.issue({ tenant: values.tenant, scopes, ttlSeconds, ...(values.client ? { clientId: values.client } : {}) });
console.error(`tenant ${values.tenant}, scopes ${scopes.join(' ')}, valid ${ttlSeconds} s, key ${dataDir}/local-signing-key.json`);
console.log(token);
