/**
 * The data plane (infra/constructs/data-plane-service.ts) in a CloudFormation nested stack of
 * the primary stack. CloudFormation allows 500 resources per stack; the data plane's ~35
 * (VPC, subnets, endpoints, flow logs, ECS, load balancer, scaling, roles and log groups) live
 * here so the API's routes and functions have the primary stack's room to grow.
 *
 * Everything it uses from the primary stack (the key, the tables, buckets and user pool, the
 * access-log bucket) reaches it as nested-stack parameters CDK generates from the references;
 * the primary stack reads back only the load balancer's DNS name (an output). Nothing in the
 * primary stack names a resource of this one, so deploying it adds no dependency cycle.
 */
import { NestedStack } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { DataPlaneService, type DataPlaneServiceProps } from './data-plane-service.ts';

export class DataPlaneStack extends NestedStack {
  readonly service: DataPlaneService;

  constructor(scope: Construct, id: string, props: DataPlaneServiceProps) {
    super(scope, id, { description: 'Strata: the data plane (ECS Fargate behind an Application Load Balancer)' });
    this.service = new DataPlaneService(this, 'Service', props);
  }

  /** Puts the primary stack's web ACL in front of the load balancer; the association lives beside the load balancer. */
  associateWebAcl(webAclArn: string): void {
    new wafv2.CfnWebACLAssociation(this, 'WafAssociation', { resourceArn: this.service.loadBalancer.loadBalancerArn, webAclArn });
  }
}
