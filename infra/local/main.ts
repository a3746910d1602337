/**
 * `npm start`: runs Strata locally. PORT, HOST, STRATA_DATA_DIR and STRATA_ALLOWED_ORIGINS
 * (CORS, comma-separated, as the `allowedOrigins` deployment setting) configure it.
 */
import { ALLOWED_ORIGINS_ENV, parseAllowedOrigins } from '#core/cors-policy.ts';
import { startLocalRuntime } from './runtime.ts';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.STRATA_DATA_DIR ?? '.strata';

const allowedOrigins = parseAllowedOrigins(process.env[ALLOWED_ORIGINS_ENV]);

const runtime = await startLocalRuntime({ port, host, dataDir, allowedOrigins });
const base = `${runtime.url}/dicom-web`;

console.log(`
Strata is running locally.

  DICOMweb base URL   ${base}
  Health              ${runtime.url}/health
  Data directory      ${runtime.dataDir}  (DynamoDB, S3 and workflow state persist here)
  Simulated time      ${runtime.clock.now().toISOString()}  (npm run clock -- +400d)

Push a first study (STOW-RS):
  npm run push -- path/to/file-or-folder.dcm
or with curl:
  curl -X POST -H 'Content-Type: multipart/related; type="application/dicom"; boundary=B' \\
       --data-binary @<(printf -- '--B\\r\\nContent-Type: application/dicom\\r\\n\\r\\n'; cat file.dcm; printf -- '\\r\\n--B--\\r\\n') \\
       ${base}/studies
Find it (QIDO-RS):  curl '${base}/studies?PatientName=*'

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
