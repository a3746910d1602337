/**
 * The local runtime: Strata in one Node process with no AWS account. It starts the
 * emulators (dynalite, s3rver behind the fidelity proxy, aws-local-stepfunctions), wires the
 * EventBridge rules and the adjustable clock, points the AWS SDK at them through the
 * environment, and serves the declared routes with the unchanged Lambda handlers.
 *
 * The environment is process-wide, so one process runs one local runtime at a time.
 */
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installClock } from '#adapters/clock.ts';
import { ALLOWED_ORIGINS_ENV } from '#core/cors-policy.ts';
import { functionEnvironment } from '#infra/system-env.ts';
import { system } from '#infra/system.ts';
import { functionTimeoutSeconds } from '#infra/system-types.ts';
import { LocalApiGateway } from './api-gateway.ts';
import { apiWithDataPlane } from '#infra/dataplane/declaration.ts';
import { LocalClock } from './clock.ts';
import { localCredentials, localTableName, startDynamo, type LocalDynamo } from './dynamodb.ts';
import { LocalEventBus } from './event-bus.ts';
import { LocalMetrics } from './metrics.ts';
import { LambdaHost } from './lambda-host.ts';
import { localAdminRoutes } from './local-admin-routes.ts';
import { LocalIdentity } from './local-identity.ts';
import { LocalKms } from './kms.ts';
import { isLoopback } from './loopback.ts';
import { localBucketName, startS3, type LocalS3 } from './s3/local-s3.ts';
import { LOCAL_ACCOUNT } from './s3/s3-events.ts';
import { localIam } from './iam/local-iam.ts';
import { LocalStepFunctions, localStateMachineArn } from './step-functions.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REGION = 'us-east-1';
/** The emulators take no credentials: they listen on loopback whatever address the API uses. */
const LOOPBACK = '127.0.0.1';

export interface LocalRuntimeOptions {
  /** The API's listen address (default loopback; main.ts demands a flag for anything else). */
  host?: string;
  /** HTTP port of the API; 0 picks a free one. */
  port?: number;
  /** HTTP port of the data plane; 0 (the default) picks a free one. `npm start` uses PORT+1. */
  dataPort?: number;
  /** The data plane's whole-part limit (tests lower it so small fixtures take the streamed path). */
  dataPlaneSpoolBytes?: number;
  dataDir?: string;
  /** Fixed ports for the emulators (a restart in the same process must reuse them). */
  servicePorts?: Partial<ServicePorts>;
  /** Delay between Task retries in workflows instead of the ASL's intervals (tests use 0). */
  retryIntervalMs?: number;
  log?: (message: string) => void;
  /** Shorter function times than the declaration's (tests make a deletion outgrow its request). */
  functionTimeoutSeconds?: Readonly<Record<string, number>>;
  /** CORS origins (the `allowedOrigins` setting; `npm start` reads STRATA_ALLOWED_ORIGINS); default `*`. */
  allowedOrigins?: readonly string[];
  /**
   * How long S3 replication takes to write a replica, on the local clock (docs/dr.md); default
   * STRATA_REPLICATION_LAG_SECONDS, else 60 s (S3 replicates most objects in seconds to minutes).
   */
  replicationLagSeconds?: number;
  /**
   * Worker threads for the Lambda handlers (lambda-host.ts); 0 runs them in the main thread, as a
   * test that mocks a handler's modules needs. Default: STRATA_LAMBDA_WORKERS, else 0.
   */
  lambdaWorkers?: number;
}

const DEFAULT_REPLICATION_LAG_SECONDS = 60;

export interface ServicePorts {
  dynamodb: number;
  s3: number;
  stepFunctions: number;
  events: number;
  kms: number;
}

export interface LocalRuntime {
  url: string;
  /** The data plane (STOW-RS and WADO-RS of any size), e.g. http://127.0.0.1:8081. */
  dataPlaneUrl: string;
  dataDir: string;
  servicePorts: ServicePorts;
  clock: LocalClock;
  events: LocalEventBus;
  s3: LocalS3;
  /** The declared signing keys (Sign, Verify, GetPublicKey). */
  kms: LocalKms;
  stepFunctions: LocalStepFunctions;
  /** CloudWatch: the metrics the functions publish (Embedded Metric Format) and the declared alarms. */
  metrics: LocalMetrics;
  lambdas: LambdaHost;
  /** Issues (and verifies) the local access tokens; the key is in the data directory. */
  identity: LocalIdentity;
  /** Physical names of declared resources. */
  names: { table: (logical: string) => string; bucket: (logical: string) => string };
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? LOOPBACK;
  const dataDir = resolve(options.dataDir ?? '.strata');
  const log = options.log ?? ((message: string) => console.error(message));
  const allowedOrigins = options.allowedOrigins ?? ['*'];
  mkdirSync(dataDir, { recursive: true });

  const clock = new LocalClock(dataDir, log);
  installClock(clock);

  const lambdas = new LambdaHost(
    PROJECT_ROOT,
    system.functions,
    { region: REGION, account: LOCAL_ACCOUNT },
    (name) => 1000 * (options.functionTimeoutSeconds?.[name] ?? functionTimeoutSeconds(system, name)),
    { clock, ...(options.lambdaWorkers === undefined ? {} : { workers: options.lambdaWorkers }) },
  );
  const events = new LocalEventBus(system.eventRules, localBucketName, lambdas, log);
  const metrics = new LocalMetrics(dataDir, system.stateMachines);

  let dynamo: LocalDynamo | undefined;
  let s3: LocalS3 | undefined;
  let stepFunctions: LocalStepFunctions | undefined;
  let server: Server | undefined;
  let identity: LocalIdentity | undefined;
  let dataServer: Server | undefined;
  let eventsServer: Server | undefined;
  let kmsServer: Server | undefined;
  let kms: LocalKms | undefined;
  const stop = async () => {
    await events.idle();
    await stepFunctions?.stop();
    metrics.stop();
    for (const http of [server, dataServer, eventsServer, kmsServer]) {
      if (!http?.listening) continue;
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    }
    // Before the emulators: a handler still running must not write to them once they stop.
    await lambdas.stop();
    await s3?.stop();
    await dynamo?.stop();
    installClock();
  };

  try {
    // Each function's SDK calls are checked against its declared grants, as IAM does in AWS.
    const stateMachineArn = (logical: string) => localStateMachineArn(logical, REGION, LOCAL_ACCOUNT);
    const localKms = new LocalKms(system.signingKeys, dataDir, REGION, LOCAL_ACCOUNT);
    kms = localKms;
    const signingKeyArn = (logical: string) => localKms.arnOf(logical);
    const iam = localIam(system.functions, { table: localTableName, bucket: localBucketName, stateMachineArn, signingKeyArn }, { region: REGION, account: LOCAL_ACCOUNT }, system.tables);
    dynamo = await startDynamo(system.tables, { path: resolve(dataDir, 'dynamodb'), host: LOOPBACK, port: options.servicePorts?.dynamodb ?? 0, region: REGION, guard: iam.dynamodb });
    s3 = await startS3(system.buckets, {
      dataDir,
      host: LOOPBACK,
      port: options.servicePorts?.s3 ?? 0,
      region: REGION,
      clock,
      secretAccessKey: localCredentials.secretAccessKey,
      publish: (event) => events.publish(event),
      guard: iam.s3,
      replication: system.replication && { rule: system.replication, lagMs: 1000 * replicationLagSeconds(options) },
    });
    const sfn = new LocalStepFunctions(system.stateMachines, lambdas, {
      root: PROJECT_ROOT,
      dataDir,
      host: LOOPBACK,
      port: options.servicePorts?.stepFunctions ?? 0,
      region: REGION,
      account: LOCAL_ACCOUNT,
      clock,
      log,
      guard: iam.stepFunctions,
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
    });
    stepFunctions = sfn;
    await sfn.listen();

    // EventBridge PutEvents (Strata's own events, e.g. a completed restore) into the local bus.
    const eventsApi = createServer(iam.events(events.eventsApi(clock, REGION, LOCAL_ACCOUNT)));
    eventsServer = eventsApi;
    eventsApi.listen(options.servicePorts?.events ?? 0, LOOPBACK);
    await once(eventsApi, 'listening');
    const eventsEndpoint = `http://${LOOPBACK}:${(eventsApi.address() as AddressInfo).port}`;

    // KMS Sign/Verify/GetPublicKey with the declared signing keys (discovery export summaries).
    kmsServer = createServer(iam.kms(localKms.listener));
    kmsServer.listen(options.servicePorts?.kms ?? 0, LOOPBACK);
    await once(kmsServer, 'listening');
    const kmsEndpoint = `http://${LOOPBACK}:${(kmsServer.address() as AddressInfo).port}`;

    configureEnvironment(
      { dynamo: dynamo.endpoint, s3: s3.endpoint, sfn: sfn.endpoint, events: eventsEndpoint, kms: kmsEndpoint },
      { stateMachineArn: (logical) => sfn.arnOf(logical), signingKeyArn },
      allowedOrigins,
    );

    identity = await LocalIdentity.open(dataDir);
    const access = { identity, loopbackOnly: isLoopback(host) };
    // Imported only now: the data plane's modules read their configuration (lambdas/config.ts)
    // when loaded, which must be after configureEnvironment, as for the handlers the Lambda host loads.
    const { localDataPlane } = await import('./data-plane.ts');
    // One verifier for both planes: the data plane checks the same tokens as the gateway.
    const verifier = identity;
    dataServer = localDataPlane({ authorize: (authorization, scope) => verifier.authorize(authorization, scope), spoolBytes: options.dataPlaneSpoolBytes });
    dataServer.listen(options.dataPort ?? 0, host);
    await once(dataServer, 'listening');
    const dataPlaneUrl = `http://${host}:${(dataServer.address() as AddressInfo).port}`;
    // API Gateway's 413 tells the client where a request of that size goes instead.
    const api = apiWithDataPlane(system.api, dataPlaneUrl);
    const gateway = new LocalApiGateway(api, system.routes, lambdas, localAdminRoutes({ clock, s3, events, stepFunctions: sfn }), access, log, allowedOrigins);
    server = createServer(gateway.listener);
    server.keepAliveTimeout = 60_000;
    server.listen(options.port ?? 8080, host);
    await once(server, 'listening');
    sfn.startScheduled(system.stateMachines);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }

  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    dataPlaneUrl: `http://${host}:${(dataServer!.address() as AddressInfo).port}`,
    dataDir,
    servicePorts: {
      dynamodb: dynamo.port,
      s3: s3.port,
      stepFunctions: portOf(stepFunctions.endpoint),
      events: (eventsServer!.address() as AddressInfo).port,
      kms: (kmsServer!.address() as AddressInfo).port,
    },
    clock,
    events,
    s3,
    kms: kms!,
    stepFunctions,
    metrics,
    lambdas,
    identity: identity!,
    names: { table: localTableName, bucket: localBucketName },
    stop,
  };
}

/** What each handler would get from CDK, pointed at the emulators. */
function configureEnvironment(
  endpoints: { dynamo: string; s3: string; sfn: string; events: string; kms: string },
  arns: { stateMachineArn: (logical: string) => string; signingKeyArn: (logical: string) => string },
  allowedOrigins: readonly string[],
): void {
  // Static files are read where they are in the project (the console's, built by infra/console/build.ts).
  const resolved = { table: localTableName, bucket: localBucketName, ...arns, staticFiles: (folder: string) => resolve(PROJECT_ROOT, folder) };
  for (const fn of Object.values(system.functions)) Object.assign(process.env, functionEnvironment(fn, resolved));
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
    AWS_ENDPOINT_URL_KMS: endpoints.kms,
    STRATA_S3_FORCE_PATH_STYLE: 'true',
    // The handlers' side of the CORS policy, as the CDK stack sets it on every function.
    [ALLOWED_ORIGINS_ENV]: allowedOrigins.join(','),
    STRATA_RUNTIME: `local (${componentVersions()})`,
    STRATA_VERSION: packageVersion(resolve(PROJECT_ROOT, 'package.json')),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** `dynalite 4.0.0, s3rver 3.7.1, …`: what /health reports locally. */
export function componentVersions(): string {
  const version = (name: string) => {
    try {
      return `${name} ${packageVersion(resolve(PROJECT_ROOT, 'node_modules', name, 'package.json'))}`;
    } catch {
      return `${name} (unknown)`;
    }
  };
  return ['dynalite', 's3rver', 'aws-local-stepfunctions'].map(version).join(', ');
}

function replicationLagSeconds(options: LocalRuntimeOptions): number {
  const seconds = options.replicationLagSeconds ?? Number(process.env.STRATA_REPLICATION_LAG_SECONDS ?? DEFAULT_REPLICATION_LAG_SECONDS);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`the replication lag must be a number of seconds ≥ 0, not ${seconds}`);
  return seconds;
}
