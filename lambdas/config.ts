/**
 * The environment, read once per container (cold start). Nothing else in lambdas/ reads
 * process.env. Every value a handler may need is optional here and demanded by `required()`
 * at the point of use, because each function is only given the variables its grants imply
 * (infra/system-env.ts).
 */
import { ALLOWED_ORIGINS_ENV, parseAllowedOrigins } from '#core/cors-policy.ts';
import { ConfigurationError } from '#core/errors.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { DEPLOYMENT_ENV } from '#core/metrics/embedded-metrics.ts';

function read(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: string): string {
  const value = read(name);
  if (value === undefined) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

let lifecyclePolicy: { text: string; policy: LifecyclePolicy } | undefined;

export const config = Object.freeze({
  region: read('AWS_REGION') ?? 'us-east-1',
  /** `aws-lambda` in AWS; the local runtime names itself and its emulators. */
  runtime: read('STRATA_RUNTIME') ?? 'aws-lambda',
  version: read('STRATA_VERSION') ?? '0.0.0',
  /** The deployment (primary stack's name) its metrics are published under; `local` on a laptop. */
  deployment: read(DEPLOYMENT_ENV) ?? 'local',
  /**
   * The tenant whose counts the scheduled index maintenance reconciles (a schedule has no caller).
   * Requests never use it: their tenant comes from the token (middleware/caller.ts).
   */
  /** Public base URL (custom domain) for RetrieveURL / BulkDataURI; else derived per request. */
  publicBaseUrl: read('STRATA_PUBLIC_URL'),
  /** Service endpoints: unset in AWS; the local runtime points them at its emulators. */
  endpoints: {
    s3: read('AWS_ENDPOINT_URL_S3'),
    dynamodb: read('AWS_ENDPOINT_URL_DYNAMODB'),
    sfn: read('AWS_ENDPOINT_URL_SFN'),
    events: read('AWS_ENDPOINT_URL_EVENTBRIDGE'),
    kms: read('AWS_ENDPOINT_URL_KMS'),
  },
  /** CORS origins allowed to read responses (the `allowedOrigins` deployment setting); `*` when unset. */
  allowedOrigins: parseAllowedOrigins(read(ALLOWED_ORIGINS_ENV)),
  s3ForcePathStyle: read('STRATA_S3_FORCE_PATH_STYLE') === 'true',
  indexTable: () => required('TABLE_INDEX'),
  clientsTable: () => required('TABLE_CLIENTS'),
  auditTable: () => required('TABLE_AUDIT'),
  archiveBucket: () => required('BUCKET_ARCHIVE'),
  /** The DR replica (docs/dr.md): the DR stack's bucket in AWS, `strata-dr-replica` locally. */
  replicaBucket: () => required('BUCKET_DR_REPLICA'),
  /** The same, undefined where the deployment has no DR replica (a disposition's purge then destroys the archive's copy only). */
  declaredReplicaBucket: () => read('BUCKET_DR_REPLICA'),
  /** The DR replica's Region (AWS; unset locally, where one S3 holds both buckets). */
  replicaRegion: read('BUCKET_DR_REPLICA_REGION'),
  fixityAuditStateMachineArn: () => required('STATE_MACHINE_FIXITY_AUDIT'),
  indexMaintenanceStateMachineArn: () => required('STATE_MACHINE_INDEX_MAINTENANCE'),
  deletionStateMachineArn: () => required('STATE_MACHINE_DELETION'),
  /** The data plane's service (Fargate): its port, routes and the user pool whose tokens it accepts. */
  dataPlane: {
    port: () => Number(read('PORT') ?? 8080),
    routes: () => JSON.parse(required('STRATA_DATA_PLANE_ROUTES')) as { method: string; path: string; scope?: string }[],
    userPoolId: () => required('STRATA_USER_POOL_ID'),
    resourceServer: () => required('STRATA_RESOURCE_SERVER'),
    /** STOW-RS requests one task serves at once (its memory's share); unlimited when unset. */
    maxConcurrentStows: () => {
      const limit = read('STRATA_DATA_PLANE_MAX_STOWS');
      return limit === undefined ? undefined : Number(limit);
    },
    /** Behind the load balancer the client's address is the last X-Forwarded-For entry, not the socket's. */
    behindLoadBalancer: read('STRATA_BEHIND_LOAD_BALANCER') === 'true',
    /** The task's OpenTelemetry collector (OTLP/HTTP), which sends the spans to X-Ray; unset locally (no traces). */
    traceEndpoint: () => read('STRATA_TRACE_ENDPOINT'),
  },
  legalHoldStateMachineArn: () => required('STATE_MACHINE_LEGAL_HOLD'),
  restoreStateMachineArn: () => required('STATE_MACHINE_RESTORE'),
  priorPrefetchStateMachineArn: () => required('STATE_MACHINE_PRIOR_PREFETCH'),
  reclassifyStateMachineArn: () => required('STATE_MACHINE_RECLASSIFY'),
  /** The bus Strata's own events go to (`default`). */
  eventBus: () => required('EVENT_BUS_DEFAULT'),
  dispositionStateMachineArn: () => required('STATE_MACHINE_DISPOSITION'),
  /** A function's declared static files (the console's): in its bundle in AWS, in the project locally. */
  staticFilesDir: () => required('STATIC_FILES_DIR'),
  /** Discovery exports (docs/exports.md): the packages' bucket, the workflow, the key that signs summaries. */
  exportsBucket: () => required('BUCKET_EXPORTS'),
  exportStateMachineArn: () => required('STATE_MACHINE_EXPORT'),
  exportSigningKeyArn: () => required('KEY_EXPORT_SIGNING'),
  /** The lifecycle policy, validated at synth or local start (infra/lifecycle/policy-environment.ts). */
  /** Re-read when the variable changes (a deploy of an edited policy; locally, a test that edits it). */
  lifecyclePolicy: (): LifecyclePolicy => {
    const text = required('LIFECYCLE_POLICY');
    if (lifecyclePolicy?.text !== text) lifecyclePolicy = { text, policy: JSON.parse(text) as LifecyclePolicy };
    return lifecyclePolicy.policy;
  },
});
