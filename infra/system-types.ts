/** Shapes of the system declaration (infra/system.ts) and the helpers both runtimes share. */

export interface GlobalIndexDeclaration {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDeclaration {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly globalIndexes: readonly GlobalIndexDeclaration[];
  /** DynamoDB TTL: items carrying this attribute (epoch seconds) are deleted after that time (in AWS; the local DynamoDB keeps them). */
  readonly timeToLiveAttribute?: string;
  /**
   * Copied to the DR Region as a global-table replica when the deployment names the replica's key
   * (`-c indexReplicaKeyArn=`, docs/dr.md "The index's copy"); a regional table otherwise, and locally.
   */
  readonly drReplica?: boolean;
}

export interface BucketDeclaration {
  /** S3 versioning Enabled: an overwrite or a plain delete keeps the previous bytes as a noncurrent version. */
  readonly versioned: boolean;
  /** Object Lock (legal holds, retention) on object versions; S3 requires `versioned`. */
  readonly objectLock: boolean;
  readonly eventBridge: boolean;
  /** The lifecycle policy file (policies/*.yaml) compiled into the bucket's lifecycle rules. */
  readonly lifecyclePolicy?: string;
  /** Where presigned uploads are staged, and when abandoned ones go: unfinished multipart uploads aborted, staged objects expired. */
  readonly abandonedUploads?: { readonly prefix: string; readonly abortIncompleteAfterDays: number; readonly expireAfterDays: number };
  /** Objects expire this many days after creation (derived, re-creatable data: discovery export packages). */
  readonly expireAfterDays?: number;
}

/** The storage classes an S3 replication rule may give replicas (S3's ReplicationDestination StorageClass). */
export type ReplicaStorageClass = 'STANDARD' | 'STANDARD_IA' | 'ONEZONE_IA' | 'INTELLIGENT_TIERING' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';

/**
 * S3 replication of one bucket into the disaster-recovery copy (docs/dr.md). In AWS the replica
 * is the DR stack's bucket (its ARN and key passed as context); locally it is a bucket of its
 * own that the local S3 replicates into on the local clock (infra/local/s3/replication.ts).
 */
export interface ReplicationDeclaration {
  /** The logical bucket replicated (a declared bucket: versioned, as S3 replication requires). */
  readonly source: string;
  /** The replica's logical name: its local bucket (`strata-<replica>`) and the grants' `bucket:<replica>`. */
  readonly replica: string;
  /** The class replicas are stored in: DEEP_ARCHIVE for a cold copy, GLACIER_IR for a warm standby; `-c drStorageClass=` overrides it in CDK. */
  readonly storageClass: ReplicaStorageClass;
  /**
   * Delete markers replicated? Off: a delete reaches the replica only when the disposition
   * workflow deletes there explicitly, after the recovery window (S3 never replicates version deletes).
   */
  readonly deleteMarkers: false;
}

/** A customer-managed KMS key for signatures (asymmetric, SIGN_VERIFY); locally infra/local/kms.ts holds it. */
export interface SigningKeyDeclaration {
  readonly description: string;
  /** The key spec and the one algorithm Strata signs with. */
  readonly spec: 'ECC_NIST_P256';
  readonly algorithm: 'ECDSA_SHA_256';
}

/**
 * What a function may touch. `resource` is `kind:logicalName`; the kinds are `table`, `bucket`,
 * `stateMachine`, `execution` (the executions of a state machine), `eventBus` (an EventBridge
 * bus, `eventBus:default` for the account's default bus) and `key` (a declared signing key). The CDK stack turns each grant into
 * one least-privilege IAM statement and one environment variable.
 */
export interface GrantDeclaration {
  readonly resource: `${'table' | 'bucket' | 'stateMachine' | 'execution' | 'eventBus' | 'key'}:${string}`;
  readonly actions: readonly string[];
  /**
   * Table grants only: the items the grant reaches, as IAM patterns (`*`, `?`) on their
   * partition key. The statement carries `ForAllValues:StringLike` on `dynamodb:LeadingKeys`,
   * and the local IAM evaluates it the same way. Only item actions may be limited so
   * (LEADING_KEY_ACTIONS): a Scan names no partition key, and AWS would then let the condition pass.
   */
  readonly leadingKeys?: readonly string[];
}

/**
 * The DynamoDB actions whose every request names the partition keys it touches, so that a
 * `dynamodb:LeadingKeys` condition is always evaluated on them (IAM: ForAllValues over an absent
 * key is true). Query is left out: its partition key is inside an expression the local IAM does not parse.
 */
export const LEADING_KEY_ACTIONS: readonly string[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
];

export interface FunctionDeclaration {
  readonly entry: string;
  readonly description: string;
  readonly memoryMb?: number;
  /** Lambda response streaming (API Gateway REST `responseTransferMode: STREAM`). */
  readonly streaming?: boolean;
  /** For functions no API route waits on (workflow tasks, events); see `functionTimeoutSeconds`. */
  readonly timeoutSeconds?: number;
  readonly grants: readonly GrantDeclaration[];
  /** A lifecycle policy file the function classifies by; it receives the validated policy as LIFECYCLE_POLICY. */
  readonly lifecyclePolicy?: string;
  /**
   * A folder of the project shipped with the function (the console's built files): CDK copies it
   * into the bundle, the local runtime reads it in place; the function finds it at STATIC_FILES_DIR.
   */
  readonly staticFiles?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';

export interface RouteDeclaration {
  readonly method: HttpMethod;
  /** API Gateway resource path with `{param}` segments (`{param+}` for greedy). */
  readonly path: string;
  readonly function: string;
  /** The OAuth scope the caller's token must carry; absent for public routes (health). */
  readonly scope?: string;
}

/** An EventBridge rule on the S3 events of one bucket (source `aws.s3`). */
export interface EventRuleDeclaration {
  readonly name: string;
  readonly bucket: string;
  readonly detailTypes: readonly string[];
  /** Only objects whose key starts with this (EventBridge `prefix` matching on detail.object.key). */
  readonly keyPrefix?: string;
  readonly function: string;
}

export interface StateMachineDeclaration {
  readonly file: string;
  /** `${Placeholder}` in the ASL file → logical function name whose ARN replaces it. */
  readonly functions: Readonly<Record<string, string>>;
  /** An EventBridge schedule expression (`rate(1 hour)`) that starts the workflow with `{}`; locally it runs at start. */
  readonly schedule?: string;
  /**
   * false: the local runtime does not run the scheduled workflow at every start (it has no scheduler). For sweeps
   * over the whole archive, which would re-read every object at each start of every test runtime; start them by hand.
   */
  readonly runsAtLocalStart?: boolean;
  /** CloudWatch alarms on metrics the workflow publishes, by alarm name (infra/constructs/workflows.ts; locally infra/local/metrics.ts). */
  readonly alarms?: Readonly<Record<string, AlarmDeclaration>>;
  /**
   * true: the workflow continues a long run in a new execution of itself (a Task on
   * `arn:aws:states:::states:startExecution` with `$$.StateMachine.Id`), so no execution's history
   * grows without bound; its role may start this state machine, and only this one.
   */
  readonly continuesAsNew?: boolean;
  /**
   * An alarm on the workflow's own failed, timed-out or aborted executions (its description): for a
   * workflow without metric alarms whose failure leaves work to resume. Workflows with `alarms` get one anyway.
   */
  readonly failureAlarm?: string;
}

/**
 * An alarm on a metric without dimensions: ALARM when a datapoint's maximum over one day is
 * above the threshold (the workflows that publish them run daily). No datapoint is not a breach.
 */
export interface AlarmDeclaration {
  readonly namespace: string;
  readonly metric: string;
  readonly threshold: number;
  readonly description: string;
}

export interface ApiDeclaration {
  /** The declared function that adds the tenant claim to access tokens (Cognito pre-token-generation, V3_0). */
  readonly tokenTrigger: string;
  /** The OAuth2 resource server's identifier: tokens carry scopes as `<resourceServer>/<scope>`. */
  readonly resourceServer: string;
  /** OAuth2 resource-server scopes (Cognito), used by routes. */
  readonly scopes: readonly string[];
  readonly binaryMediaTypes: readonly string[];
  readonly maxRequestBytes: number;
  readonly maxLambdaPayloadBytes: number;
  readonly requestTooLargeMessage: string;
  /**
   * Where requests too large for Lambda go (the data plane), when there is one: API Gateway's own
   * 5xx answers carry it too, since a body that passes API Gateway's 10 MB but not Lambda's 6 MB
   * payload mostly gets its 413 and now and then a 500 (README, "Request sizes").
   */
  readonly largeRequestDirections?: string;
  readonly cors: {
    readonly allowHeaders: readonly string[];
    readonly exposeHeaders: readonly string[];
    readonly allowMethods: readonly string[];
  };
}

export interface SystemDeclaration {
  readonly api: ApiDeclaration;
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  readonly buckets: Readonly<Record<string, BucketDeclaration>>;
  readonly functions: Readonly<Record<string, FunctionDeclaration>>;
  readonly routes: readonly RouteDeclaration[];
  readonly eventRules: readonly EventRuleDeclaration[];
  readonly stateMachines: Readonly<Record<string, StateMachineDeclaration>>;
  /** S3 replication into the disaster-recovery copy; absent: none. */
  readonly replication?: ReplicationDeclaration;
  /** Asymmetric KMS keys (discovery export signatures); absent: none. */
  readonly signingKeys?: Readonly<Record<string, SigningKeyDeclaration>>;
}

/** API Gateway REST's integration timeout: a buffered API function running longer only burns money. */
export const API_TIMEOUT_SECONDS = 29;
/** A streamed response may run on after the first byte (API Gateway response streaming). */
export const STREAMING_TIMEOUT_SECONDS = 300;
/** Workflow tasks and event handlers: minutes, not an API request's seconds. */
export const BACKGROUND_TIMEOUT_SECONDS = 300;
/** Lambda's maximum. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * How long a function may run, from how it is invoked: a buffered API route's function gets
 * API Gateway's 29 s (declaring more is an error: the client would already have a 504); a
 * streamed one 5 minutes; anything else (Step Functions tasks, EventBridge targets) its
 * declared `timeoutSeconds`, else 5 minutes.
 */
export function functionTimeoutSeconds(system: Pick<SystemDeclaration, 'functions' | 'routes'>, name: string): number {
  const declaration = system.functions[name];
  if (!declaration) throw new Error(`no function "${name}" is declared`);
  const routed = system.routes.some((route) => route.function === name);
  const declared = declaration.timeoutSeconds;
  if (declared !== undefined && (declared < 1 || declared > LAMBDA_MAX_TIMEOUT_SECONDS)) throw new Error(`function ${name}: timeoutSeconds must be 1..${LAMBDA_MAX_TIMEOUT_SECONDS}`);
  if (routed && declaration.streaming) return declared ?? STREAMING_TIMEOUT_SECONDS;
  if (routed) {
    if (declared !== undefined && declared > API_TIMEOUT_SECONDS) {
      throw new Error(`function ${name} serves an API route: it cannot run longer than API Gateway waits (${API_TIMEOUT_SECONDS} s); move the long work to a workflow`);
    }
    return declared ?? API_TIMEOUT_SECONDS;
  }
  return declared ?? BACKGROUND_TIMEOUT_SECONDS;
}
