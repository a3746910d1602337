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
}

export interface BucketDeclaration {
  readonly objectLock: boolean;
  readonly eventBridge: boolean;
}

/**
 * What a function may touch. `resource` is `kind:logicalName`; the kinds are `table`, `bucket`,
 * `stateMachine` and `execution` (the executions of a state machine). The CDK stack turns each
 * grant into one least-privilege IAM statement and one environment variable.
 */
export interface GrantDeclaration {
  readonly resource: `${'table' | 'bucket' | 'stateMachine' | 'execution'}:${string}`;
  readonly actions: readonly string[];
}

export interface FunctionDeclaration {
  readonly entry: string;
  readonly description: string;
  readonly memoryMb?: number;
  /** Lambda response streaming (API Gateway REST `responseTransferMode: STREAM`). */
  readonly streaming?: boolean;
  readonly grants: readonly GrantDeclaration[];
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
  readonly function: string;
}

export interface StateMachineDeclaration {
  readonly file: string;
  /** `${Placeholder}` in the ASL file → logical function name whose ARN replaces it. */
  readonly functions: Readonly<Record<string, string>>;
  /** An EventBridge schedule expression (`rate(1 hour)`) that starts the workflow with `{}`; locally it runs at start. */
  readonly schedule?: string;
}

export interface ApiDeclaration {
  /** OAuth2 resource-server scopes (Cognito), used by routes. */
  readonly scopes: readonly string[];
  readonly binaryMediaTypes: readonly string[];
  readonly maxRequestBytes: number;
  readonly maxLambdaPayloadBytes: number;
  readonly requestTooLargeMessage: string;
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
}
