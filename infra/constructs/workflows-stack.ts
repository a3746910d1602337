/**
 * The workflows (infra/constructs/workflows.ts: state machines, their roles, log groups and
 * schedules) in a CloudFormation nested stack of the primary stack, as the data plane's are
 * (data-plane-stack.ts): CloudFormation allows 500 resources per stack, and the primary stack
 * keeps its room for routes and functions.
 *
 * The task functions, the key and the log retention are the primary stack's; CDK passes their
 * ARNs as nested-stack parameters. Nothing in the primary stack names a resource of this one:
 * functions find the state machines by their fixed names (stateMachineName: the primary stack's
 * name and the logical name), so there is no dependency cycle.
 */
import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Workflows, type WorkflowsProps } from './workflows.ts';

export class WorkflowsStack extends NestedStack {
  readonly workflows: Workflows;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id, { description: 'Strata: the Step Functions workflows (state machines, their roles, logs and schedules)' });
    this.workflows = new Workflows(this, 'Machines', props);
  }
}
