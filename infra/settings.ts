/**
 * Deployment settings, from CDK context (`cdk.json`, or `-c name=value`). Nothing
 * account-specific is hard-coded; every setting is listed in the README (Deploy to AWS).
 */
import type { ReplicaStorageClass } from './system-types.ts';

export interface StrataSettings {
  /**
   * The primary stack's CloudFormation name (`-c stackName=`, default `Strata`; the DR stack's is
   * it + `Dr`): a second deployment in the same account (staging) takes another. Every name the
   * stack fixes (state machines, alarms, topic, event rules, roles, WAF logs) and the metrics'
   * `Deployment` dimension carry it.
   */
  stackName: string;
  /** Region of the primary stack (default: the CLI's region, else us-east-1). */
  region?: string | undefined;
  /** Region of the disaster-recovery stack (`StrataDr`). */
  drRegion: string;
  /** Replication target from the DR stack's outputs, once deployed. */
  drBucketArn?: string | undefined;
  drKeyArn?: string | undefined;
  /** The replicas' storage class (`-c drStorageClass=`); default the declared rule's (infra/system.ts `replication`). */
  drStorageClass?: ReplicaStorageClass | undefined;
  /** Replication Time Control with its metrics (`rtc`), the metrics alone, or neither (`-c drReplicationMonitoring=`). */
  drReplicationMonitoring: 'rtc' | 'metrics' | 'none';
  /**
   * The index table's replica (docs/dr.md, "The index's copy"): its Region's customer-managed key
   * (`-c indexReplicaKeyArn=`, e.g. the DR stack's ReplicaKeyArn when it is in the same account).
   * Set, the index is a global table (TableV2) with a replica in that Region; unset, a regional table.
   */
  indexReplicaKeyArn?: string | undefined;
  /** The existing index table's name, when it is imported as the global table (`-c indexTableName=`, docs/dr.md). */
  indexTableName?: string | undefined;
  /** The import step of that migration (`-c indexReplicaImport=true`): the global table without its replica yet. */
  indexReplicaImport: boolean;
  /** The primary stack's account, which the DR stack admits in the replica's policies (default: the DR stack's own). */
  primaryAccount?: string | undefined;
  logRetentionDays: number;
  accessLogRetentionDays: number;
  allowedOrigins: string[];
  domainName?: string | undefined;
  certificateArn?: string | undefined;
  cognitoDomainPrefix?: string | undefined;
  waf: boolean;
  /**
   * The data plane (ECS Fargate behind an ALB) for requests larger than Lambda takes. On by
   * default; it needs its own hostname and an ACM certificate for it (HTTPS only), so without
   * `dataPlaneDomainName` and a certificate the stack is synthesized without it and says so.
   */
  dataPlane: {
    enabled: boolean;
    domainName?: string | undefined;
    /** Defaults to `certificateArn` (e.g. a wildcard certificate covering both hostnames). */
    certificateArn?: string | undefined;
    /** Where hospitals connect from (CIDRs); the internet by default, a hospital's ranges where known. */
    ingressCidrs: string[];
    cpu: number;
    memoryMiB: number;
    maxTasks: number;
  };
  throttle: { rateLimit: number; burstLimit: number };
}

type Context = { tryGetContext(key: string): unknown };

const REPLICA_STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const satisfies readonly ReplicaStorageClass[];

/** A setting that must be one of a few words: a typo stops the synth instead of deploying a default. */
function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`-c ${name}=${value}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

export function settingsFromContext(node: Context): StrataSettings {
  const text = (key: string) => {
    const value = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const number = (key: string, fallback: number) => Number(text(key) ?? fallback);
  const list = (key: string, fallback: string[]) => {
    const value = node.tryGetContext(key);
    if (Array.isArray(value)) return value.map(String);
    return text(key)?.split(',').map((v) => v.trim()) ?? fallback;
  };
  const stackName = text('stackName') ?? 'Strata';
  // CloudFormation's rule for stack names; the DR stack's adds 'Dr'.
  if (!/^[A-Za-z][A-Za-z0-9-]{0,125}$/.test(stackName)) throw new Error(`-c stackName=${stackName}: a letter, then letters, digits and hyphens (126 at most)`);
  return {
    stackName,
    region: text('region'),
    drRegion: text('drRegion') ?? 'us-west-2',
    drBucketArn: text('drBucketArn'),
    drKeyArn: text('drKeyArn'),
    drStorageClass: oneOf(text('drStorageClass'), REPLICA_STORAGE_CLASSES, 'drStorageClass'),
    drReplicationMonitoring: oneOf(text('drReplicationMonitoring'), ['rtc', 'metrics', 'none'] as const, 'drReplicationMonitoring') ?? 'none',
    indexReplicaKeyArn: text('indexReplicaKeyArn'),
    indexTableName: text('indexTableName'),
    indexReplicaImport: text('indexReplicaImport') === 'true',
    primaryAccount: text('primaryAccount'),
    logRetentionDays: number('logRetentionDays', 365),
    accessLogRetentionDays: number('accessLogRetentionDays', 2557),
    allowedOrigins: list('allowedOrigins', ['*']),
    domainName: text('domainName'),
    certificateArn: text('certificateArn'),
    cognitoDomainPrefix: text('cognitoDomainPrefix'),
    waf: text('waf') === 'true',
    dataPlane: {
      enabled: text('dataPlane') !== 'false',
      domainName: text('dataPlaneDomainName'),
      certificateArn: text('dataPlaneCertificateArn') ?? text('certificateArn'),
      ingressCidrs: list('dataPlaneIngressCidrs', ['0.0.0.0/0']),
      cpu: number('dataPlaneCpu', 512),
      memoryMiB: number('dataPlaneMemoryMiB', 1024),
      maxTasks: number('dataPlaneMaxTasks', 4),
    },
    throttle: { rateLimit: number('throttleRate', 200), burstLimit: number('throttleBurst', 400) },
  };
}
