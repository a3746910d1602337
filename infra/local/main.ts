/**
 * `npm start`: runs Strata locally. PORT, DATA_PORT (the data plane, default PORT+1), HOST and
 * STRATA_DATA_DIR configure it.
 */
import { startLocalRuntime } from './runtime.ts';

const port = Number(process.env.PORT ?? 8080);
const dataPort = Number(process.env.DATA_PORT ?? port + 1);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.STRATA_DATA_DIR ?? '.strata';

const runtime = await startLocalRuntime({ port, dataPort, host, dataDir });
const base = `${runtime.url}/dicom-web`;

console.log(`
Strata is running locally.

  DICOMweb base URL   ${base}
  Data plane          ${runtime.dataPlaneUrl}/dicom-web  (STOW-RS and WADO-RS of any size; same paths)
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
