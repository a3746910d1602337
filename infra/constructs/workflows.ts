/**
 * The Step Functions state machines of the declaration, each from its ASL file with the
 * `${…FunctionArn}` placeholders substituted; logging (without execution data: it may hold
 * PHI) and X-Ray on; each state machine's role may invoke only the functions its states name.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StateMachineDeclaration } from '#infra/system-types.ts';

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
  const name = `${stackName}-wf-${logical}`;
  if (name.length <= MAX_NAME_LENGTH) return name;
  return `${name.slice(0, MAX_NAME_LENGTH - 9)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

export class Workflows extends Construct {
  readonly stateMachines: Record<string, sfn.StateMachine> = {};

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
    }
  }
}
