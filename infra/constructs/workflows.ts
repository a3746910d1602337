/**
 * The Step Functions state machines of the declaration, each from its ASL file with the
 * `${…FunctionArn}` placeholders substituted; logging (without execution data: it may hold
 * PHI) and X-Ray on; each state machine's role may invoke only the functions its states name
 * (and start itself, when declared to continue long runs as new executions).
 * A declared schedule becomes an EventBridge rule; declared alarms, CloudWatch alarms on the
 * metrics the workflow publishes (this deployment's: the `Deployment` dimension), plus one on the
 * workflow's own failures, which notify the `<stack>-alarms` SNS topic (encrypted with the key;
 * subscribe the operators to it, docs/dr.md).
 */
import { resolve } from 'node:path';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEPLOYMENT_DIMENSION } from '#core/metrics/embedded-metrics.ts';
import type { StateMachineDeclaration } from '#infra/system-types.ts';
import { admitServiceToKey } from './encryption-key.ts';
import { alarmName, alarmTopicName, scopedName } from './scoped-names.ts';

export interface WorkflowsProps {
  projectRoot: string;
  /** The primary stack's name, which the state machines' names carry (stateMachineName). */
  stackName: string;
  stateMachines: Readonly<Record<string, StateMachineDeclaration>>;
  functionOf: (logical: string) => lambda.IFunction;
  key: kms.IKey;
  logRetention: logs.RetentionDays;
}

/** Step Functions' limit on a state machine's name. */
const MAX_NAME_LENGTH = 80;

/**
 * A state machine's physical name: `<primary stack>-wf-<logical>`. It is fixed at synth because
 * the primary stack's functions build the ARN from it (an output of the nested stack would make
 * a dependency cycle: the state machines name the functions). It is scoped to the stack (two
 * deployments in one account and Region do not collide), and it is not the `strata-<logical>`
 * of the releases that kept the state machines in the primary stack: on an in-place update,
 * CloudFormation creates the nested stack's state machines before it deletes the primary's old
 * ones, and a name still taken would fail the update (docs/security.md, "Upgrading").
 */
export function stateMachineName(stackName: string, logical: string): string {
  return scopedName(stackName, `wf-${logical}`, MAX_NAME_LENGTH);
}

export class Workflows extends Construct {
  readonly stateMachines: Record<string, sfn.StateMachine> = {};
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** Where the alarms notify; absent when no workflow declares one. */
  readonly alarmTopic?: sns.Topic;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    for (const [logical, declaration] of Object.entries(props.stateMachines)) {
      const logGroup = new logs.LogGroup(this, `${logical}Logs`, { retention: props.logRetention, encryptionKey: props.key });
      const substitutions: Record<string, string> = {};
      for (const [placeholder, fn] of Object.entries(declaration.functions)) substitutions[placeholder] = props.functionOf(fn).functionArn;
      const machine = new sfn.StateMachine(this, logical, {
        stateMachineName: stateMachineName(props.stackName, logical),
        definitionBody: sfn.DefinitionBody.fromFile(resolve(props.projectRoot, declaration.file)),
        definitionSubstitutions: substitutions,
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
        tracingEnabled: true,
      });
      for (const fn of new Set(Object.values(declaration.functions))) props.functionOf(fn).grantInvoke(machine);
      if (declaration.continuesAsNew) {
        // Continuing as new: it starts itself. Its ARN from its name (the machine's own would make its role depend on it).
        const self = Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName(props.stackName, logical), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
        machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [self] }));
      }
      this.stateMachines[logical] = machine;
      if (declaration.schedule) {
        // The rule's role may start this one machine; its policy is managed (no inline policy),
        // so the target gets the role without policy updates.
        const role = new iam.Role(this, `${logical}ScheduleRole`, { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
        new iam.ManagedPolicy(this, `${logical}SchedulePolicy`, {
          roles: [role],
          statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [machine.stateMachineArn] })],
        });
        new events.Rule(this, `${logical}Schedule`, {
          schedule: events.Schedule.expression(declaration.schedule),
          targets: [new targets.SfnStateMachine(machine, { input: events.RuleTargetInput.fromObject({}), role: role.withoutPolicyUpdates() })],
        });
      }
      for (const [name, alarm] of Object.entries(declaration.alarms ?? {})) {
        // One day: the longest period an alarm evaluates, and the publishing workflows run daily. The
        // Deployment dimension keeps another stack's figures in the same account (staging) out.
        const metric = new cloudwatch.Metric({
          namespace: alarm.namespace,
          metricName: alarm.metric,
          dimensionsMap: { [DEPLOYMENT_DIMENSION]: props.stackName },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.days(1),
        });
        this.alarms[name] = new cloudwatch.Alarm(this, name, {
          alarmName: alarmName(props.stackName, name),
          alarmDescription: alarm.description,
          metric,
          threshold: alarm.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // A day without a run publishes nothing: that is no news of damage (the run's own failure is the alarm below).
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
      if ((declaration.alarms && Object.keys(declaration.alarms).length) || declaration.failureAlarm) {
        // A run that fails before its last step publishes nothing, which the alarms above take for
        // "no damage": the workflow's own failures (Step Functions' metrics) are an alarm of their own.
        const name = `${logical[0]!.toUpperCase()}${logical.slice(1)}Failed`;
        const period = Duration.days(1);
        this.alarms[name] = new cloudwatch.Alarm(this, name, {
          alarmName: alarmName(props.stackName, name),
          alarmDescription: declaration.failureAlarm ?? `The ${logical} workflow failed, timed out or was aborted: its figures were not published (see its executions)`,
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
            usingMetrics: { failed: machine.metricFailed({ period }), timedOut: machine.metricTimedOut({ period }), aborted: machine.metricAborted({ period }) },
            period,
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }
    const alarms = Object.keys(this.alarms);
    if (alarms.length) {
      const topic = new sns.Topic(this, 'Alarms', { topicName: alarmTopicName(props.stackName), masterKey: props.key, enforceSSL: true });
      // Built from names, not references: the key (the primary stack's) must not depend on this stack.
      const alarmArns = (stack: Stack) =>
        alarms.map((name) => stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: alarmName(props.stackName, name), arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
      // The topic policy (enforceSSL writes one) replaces SNS's default: CloudWatch may publish for these alarms only.
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': alarmArns(Stack.of(this)) }, StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      // CloudWatch encrypts the notification it publishes with the topic's key.
      admitServiceToKey(props.key, 'CloudWatchAlarmsNotifyTheTopic', 'cloudwatch.amazonaws.com', alarmArns(Stack.of(props.key)));
      for (const alarm of Object.values(this.alarms)) alarm.addAlarmAction(new SnsAction(topic));
      this.alarmTopic = topic;
    }
  }
}
