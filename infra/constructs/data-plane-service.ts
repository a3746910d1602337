/**
 * The data plane in AWS: the service of lambdas/handlers/data-plane on ECS Fargate (arm64)
 * behind an internet-facing Application Load Balancer that speaks HTTPS only, on its own
 * hostname. Its routes, scopes and IAM grants are the declaration's (infra/dataplane/
 * declaration.ts), so the task may do exactly what the functions behind those routes may do.
 *
 * Network: two public subnets for the load balancer; the tasks sit in them too, with a public
 * address for egress (ECR, CloudWatch Logs, the user pool's JWKS) but a security group that
 * admits only the load balancer. S3 and DynamoDB are reached through gateway endpoints, so
 * image bytes never cross the internet. This saves the NAT gateway ($32.85/month plus
 * $0.045/GB) that private subnets would need; the README (Deploy to AWS) gives the idle cost.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as certificates from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Statement } from './grants.ts';

/** The load balancer's idle timeout: a STOW client may pause this long between bytes. */
export const DATA_PLANE_IDLE_TIMEOUT_SECONDS = 120;
/**
 * How long the load balancer lets requests in flight finish on a task it stops routing to (scale-in,
 * deployment) before ECS stops it: a 1 GB STOW at 20 Mbit/s takes about 7 minutes. Then SIGTERM
 * gives the process Fargate's maximum stop timeout, 120 s, to finish.
 */
const DRAIN_SECONDS = 600;
const STOP_TIMEOUT_SECONDS = 120;
/** Memory of the task outside STOW requests (Node, the service, WADO streams), measured locally at ~250 MB. */
const BASELINE_MIB = 384;
/** What one STOW-RS request may hold (services/store-instances.ts: ~128 MiB), with headroom. */
const STOW_MIB = 160;
/**
 * The trace collector beside the service (AWS Distro for OpenTelemetry, from its public registry,
 * pulled by ECS at deployment: nothing is downloaded when CDK builds), and the memory it may use,
 * taken from what the STOW-RS requests share.
 */
export const TRACE_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0';
const TRACE_COLLECTOR_MIB = 96;
/** Where the service sends its spans (OTLP/HTTP, inside the task only). */
export const TRACE_COLLECTOR_ENDPOINT = 'http://127.0.0.1:4318';
/**
 * The collector's configuration: OTLP/HTTP in on the task's loopback, batched, out to X-Ray
 * (PutTraceSegments with the task role, in the task's Region). Traces only: no metrics or logs
 * pipeline, so it needs no other grant.
 */
const TRACE_COLLECTOR_CONFIG = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
processors:
  batch/traces:
    timeout: 1s
    send_batch_size: 50
exporters:
  awsxray:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch/traces]
      exporters: [awsxray]
`;
/** Scale out when the tasks' average CPU passes this (hashing and TLS are the CPU cost of a STOW). */
const TARGET_CPU_PERCENT = 60;

/** STOW-RS requests a task of `memoryMiB` serves at once: what is left after its baseline and the trace collector, per request. */
export function maxConcurrentStows(memoryMiB: number): number {
  return Math.max(1, Math.floor((memoryMiB - TRACE_COLLECTOR_MIB - BASELINE_MIB) / STOW_MIB));
}

export interface DataPlaneServiceProps {
  imageDirectory: string;
  port: number;
  environment: Record<string, string>;
  /** The task role's statements: the grants of the functions behind the data plane's routes. */
  statements: readonly Statement[];
  /** The functions' X-Ray policy, which the task role holds too. */
  tracing: iam.IManagedPolicy;
  key: kms.IKey;
  accessLogs: s3.Bucket;
  logRetention: logs.RetentionDays;
  certificateArn: string;
  ingressCidrs: readonly string[];
  cpu: number;
  memoryMiB: number;
  maxTasks: number;
}

export class DataPlaneService extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly flowLogs: logs.LogGroup;
  readonly taskPolicy: iam.ManagedPolicy;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DataPlaneServiceProps) {
    super(scope, id);
    this.flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    // (A CDK typing quirk under exactOptionalPropertyTypes: Vpc is an IVpc.)
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 }, DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
      restrictDefaultSecurityGroup: false,
    }) as unknown as ec2.IVpc;
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED }) as unknown as ecs.ICluster;

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // As for the functions: one customer-managed policy with exactly the declared grants, and the shared X-Ray policy
    // (the trace collector's PutTraceSegments).
    this.taskPolicy = new iam.ManagedPolicy(this, 'TaskPolicy', {
      description: 'The data plane: the grants of the functions behind its routes',
      statements: props.statements.map((statement) => new iam.PolicyStatement({ actions: [...statement.actions], resources: [...statement.resources], ...(statement.conditions ? { conditions: statement.conditions } : {}) })),
    });
    this.taskDefinition.taskRole.addManagedPolicy(this.taskPolicy);
    this.taskDefinition.taskRole.addManagedPolicy(props.tracing);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.key });
    const service = this.taskDefinition.addContainer('service', {
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, { platform: Platform.LINUX_ARM64 }),
      environment: {
        ...props.environment,
        PORT: String(props.port),
        STRATA_BEHIND_LOAD_BALANCER: 'true',
        // The task's memory decides how many STOW-RS requests it serves at once; more get 503 + Retry-After.
        STRATA_DATA_PLANE_MAX_STOWS: String(maxConcurrentStows(props.memoryMiB)),
        STRATA_TRACE_ENDPOINT: TRACE_COLLECTOR_ENDPOINT,
      },
      portMappings: [{ containerPort: props.port }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'data-plane', logGroup }),
      // Nothing is written to disk: the STOW pipeline holds at most a bounded part in memory.
      readonlyRootFilesystem: true,
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${props.port}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(15),
      },
    });
    // Traces like the functions' (Lambda's active tracing): the service's spans (lambdas/observability/request-span.ts)
    // reach X-Ray through this sidecar. Not essential: a collector that fails costs traces, never requests; ECS restarts it.
    const collector = this.taskDefinition.addContainer('trace-collector', {
      image: ecs.ContainerImage.fromRegistry(TRACE_COLLECTOR_IMAGE),
      essential: false,
      enableRestartPolicy: true,
      memoryLimitMiB: TRACE_COLLECTOR_MIB,
      environment: { AOT_CONFIG_CONTENT: TRACE_COLLECTOR_CONFIG },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'trace-collector', logGroup }),
      readonlyRootFilesystem: true,
    });
    // The first requests' spans find it listening.
    service.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });

    const albSecurityGroup = (this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', { vpc: this.vpc, allowAllOutbound: false, description: 'HTTPS from hospitals to the data plane' }));
    for (const cidr of props.ingressCidrs) albSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'DICOMweb over HTTPS');
    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', { vpc: this.vpc, allowAllOutbound: false, description: 'The data plane tasks: from the load balancer only' });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(props.port), 'From the load balancer');
    // Egress: HTTPS to AWS APIs (S3 and DynamoDB by their gateway endpoints, ECR, Logs, the JWKS).
    serviceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');
    albSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(props.port), 'To the data plane tasks');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [serviceSecurityGroup],
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      idleTimeout: Duration.seconds(DATA_PLANE_IDLE_TIMEOUT_SECONDS),
      dropInvalidHeaderFields: true,
      deletionProtection: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs as unknown as s3.IBucket, 'data-plane-alb');
    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      certificates: [certificates.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)],
      open: false,
    });
    const targets = listener.addTargets('Tasks', {
      port: props.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(DRAIN_SECONDS),
      healthCheck: { path: '/health', interval: Duration.seconds(15), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3, healthyHttpCodes: '200' },
    });

    const scaling = this.service.autoScaleTaskCount({ minCapacity: 1, maxCapacity: props.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: TARGET_CPU_PERCENT, scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) });
    // Concurrent large uploads are bounded by network, not CPU: scale on requests per task too.
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 200, targetGroup: targets, scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) });
  }
}
