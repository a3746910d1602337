/**
 * `npm start`: runs Strata locally. PORT, DATA_PORT (the data plane, default PORT+1), HOST, STRATA_DATA_DIR and STRATA_ALLOWED_ORIGINS (CORS,
 * comma-separated, as the `allowedOrigins` deployment setting) configure it. It listens on
 * loopback unless HOST names another address and `--listen-beyond-loopback` is given: the local
 * signing key and the /_local/ endpoints are made for one machine.
 */
import { ALLOWED_ORIGINS_ENV, parseAllowedOrigins } from '#core/cors-policy.ts';
import { ensureConsoleBuilt } from '#infra/console/build.ts';
import { PROJECT_ROOT, startLocalRuntime } from './runtime.ts';
import { isLoopback } from './loopback.ts';

const BEYOND_LOOPBACK_FLAG = '--listen-beyond-loopback';
const port = Number(process.env.PORT ?? 8080);
const dataPort = Number(process.env.DATA_PORT ?? port + 1);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.STRATA_DATA_DIR ?? '.strata';

if (!isLoopback(host)) {
  if (!process.argv.includes(BEYOND_LOOPBACK_FLAG)) {
    console.error(`HOST=${host} is not a loopback address. The local runtime serves this machine only;
to listen on ${host} anyway, run: npm start -- ${BEYOND_LOOPBACK_FLAG}`);
    process.exit(1);
  }
  console.warn(`WARNING: listening on ${host}: anyone who can reach it and holds a token signed with the key in
${dataDir} can read the archive. The /_local/ admin endpoints are switched off.`);
}

const allowedOrigins = parseAllowedOrigins(process.env[ALLOWED_ORIGINS_ENV]);

// The console's static files (/console/), built by Vite when missing or older than their sources.
await ensureConsoleBuilt(PROJECT_ROOT, (message) => console.log(message));
const runtime = await startLocalRuntime({ port, dataPort, host, dataDir, allowedOrigins });
const base = `${runtime.url}/dicom-web`;

console.log(`
Strata is running locally.

  DICOMweb base URL   ${base}
  Data plane          ${runtime.dataPlaneUrl}/dicom-web  (STOW-RS and WADO-RS of any size; same paths)
  Health              ${runtime.url}/health
  Console             ${runtime.url}/console/  (OpEx, projections, disposition; sign in with a token with finance.read, ilm.admin)
  Data directory      ${runtime.dataDir}  (DynamoDB, S3, workflow state and the local signing key persist here)
  Simulated time      ${runtime.clock.now().toISOString()}  (npm run clock -- +400d)

Every route but /health and /console/ needs a bearer token. Get one (the token is the last line):
  export STRATA_TOKEN=$(npm run -s token -- --tenant demo --scopes dicom.read,dicom.write | tail -1)

Push a first study (STOW-RS; reads STRATA_TOKEN):
  npm run push -- path/to/file-or-folder.dcm
or with curl:
  curl -X POST -H "Authorization: Bearer $STRATA_TOKEN" \\
       -H 'Content-Type: multipart/related; type="application/dicom"; boundary=B' \\
       --data-binary @<(printf -- '--B\\r\\nContent-Type: application/dicom\\r\\n\\r\\n'; cat file.dcm; printf -- '\\r\\n--B--\\r\\n') \\
       ${base}/studies
Find it (QIDO-RS):  curl -H "Authorization: Bearer $STRATA_TOKEN" '${base}/studies?PatientName=*'

Ctrl-C stops; data stays in ${runtime.dataDir}.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping…');
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
