/**
 * One Lambda function of the declaration: NodejsFunction with Strata's defaults (Node.js 22,
 * arm64, ESM bundle by esbuild without Docker, source maps, AWS SDK external), its own
 * KMS-encrypted log group, and a role holding only its declared grants.
 */
import { resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLE_OPTIONS, NODE_TARGET, UNBUNDLED_PACKAGES, needsCodecs } from '#infra/bundling.ts';
import type { FunctionDeclaration } from '#infra/system-types.ts';
import { BASELINE_ACTIONS, grantStatements, type ResourceArns } from './grants.ts';

/** Where a function's declared `staticFiles` folder is copied in its bundle, and so where it runs from (Lambda's task root is /var/task). */
export const BUNDLED_STATIC_FILES = 'static';
export const bundledStaticFilesPath = (): string => `/var/task/${BUNDLED_STATIC_FILES}`;

export interface StrataFunctionProps {
  name: string;
  declaration: FunctionDeclaration;
  /** The stack's one X-Ray policy (X-Ray has no resource-level permissions, so it is `*`). */
  tracing: iam.IManagedPolicy;
  /** From `functionTimeoutSeconds` (infra/system-types.ts): how the function is invoked decides. */
  timeoutSeconds: number;
  /** A fixed role name, for a role another stack's policies admit by ARN (the DR replica's readers); else CloudFormation's. */
  roleName?: string;
  projectRoot: string;
  environment: Record<string, string>;
  arns: ResourceArns;
  key: kms.IKey;
  logRetention: logs.RetentionDays;
}

export class StrataFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly policy: iam.ManagedPolicy;
  readonly declaration: FunctionDeclaration;

  constructor(scope: Construct, id: string, props: StrataFunctionProps) {
    super(scope, id);
    const { declaration } = props;
    this.declaration = declaration;
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.key });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      ...(props.roleName ? { roleName: props.roleName } : {}),
      description: `strata ${props.name}: ${declaration.description}`,
    });
    // One customer-managed policy per function with no wildcard beyond its own resources (no
    // inline policies, no AWS-managed ones), plus the stack's shared X-Ray policy.
    this.role.addManagedPolicy(props.tracing);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `least privilege for strata ${props.name}`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: BASELINE_ACTIONS.filter((a) => a.startsWith('logs:')), resources: [logGroup.logGroupArn] }),
        ...grantStatements(declaration.grants, props.arns).map((statement) => new iam.PolicyStatement(statement)),
      ],
    });
    const codecs = needsCodecs(declaration.entry);

    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(props.projectRoot, declaration.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: resolve(props.projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: declaration.memoryMb ?? 1024,
      timeout: Duration.seconds(props.timeoutSeconds),
      description: declaration.description,
      // The role's one managed policy already holds X-Ray and the log group: without this, CDK
      // would add a second, inline X-Ray policy (IAMNoInlinePolicy) for `tracing: ACTIVE`.
      role: this.role.withoutPolicyUpdates(),
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'strata',
        STRATA_RUNTIME: 'aws-lambda',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: NODE_TARGET,
        minify: BUNDLE_OPTIONS.minify,
        sourceMap: true,
        sourcesContent: false,
        mainFields: BUNDLE_OPTIONS.mainFields,
        externalModules: BUNDLE_OPTIONS.external,
        banner: BUNDLE_OPTIONS.banner,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The codecs' .wasm files are read from node_modules at run time; static files from BUNDLED_STATIC_FILES.
          afterBundling: (inputDir: string, outputDir: string) => [
            ...(codecs
              ? UNBUNDLED_PACKAGES.map(
                  (pkg) => `mkdir -p ${outputDir}/node_modules/${pkg} && cp -r ${inputDir}/node_modules/${pkg}/dist ${inputDir}/node_modules/${pkg}/package.json ${outputDir}/node_modules/${pkg}/`,
                )
              : []),
            ...(declaration.staticFiles ? [`cp -r ${inputDir}/${declaration.staticFiles} ${outputDir}/${BUNDLED_STATIC_FILES}`] : []),
          ],
        },
      },
    });
  }
}
