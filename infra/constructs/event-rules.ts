/**
 * The declared EventBridge rules on S3 events: source aws.s3, the rule's detail types, the
 * rule's bucket; the target function is retried and, failing that, the event kept in an
 * encrypted dead-letter queue (nothing is dropped silently).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventRuleDeclaration } from '#infra/system-types.ts';
import { admitServiceToKey } from './encryption-key.ts';
import { eventRuleName } from './scoped-names.ts';


export class EventRules extends Construct {
  readonly deadLetters: sqs.Queue;

  constructor(
    scope: Construct,
    id: string,
    props: { rules: readonly EventRuleDeclaration[]; bucketOf: (logical: string) => { bucketName: string }; functionOf: (logical: string) => lambda.IFunction; key: kms.IKey },
  ) {
    super(scope, id);
    // Fixed rule names (scoped to the stack): the key policy names the rules without depending on them.
    const ruleName = (rule: EventRuleDeclaration) => eventRuleName(Stack.of(this).stackName, rule.name);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of props.rules) {
      new events.Rule(this, rule.name, {
        ruleName: ruleName(rule),
        description: `S3 ${rule.detailTypes.join(', ')} on ${rule.bucket}${rule.keyPrefix ? `/${rule.keyPrefix}*` : ''} → ${rule.function}`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: [...rule.detailTypes],
          detail: {
            bucket: { name: [props.bucketOf(rule.bucket).bucketName] },
            ...(rule.keyPrefix === undefined ? {} : { object: { key: [{ prefix: rule.keyPrefix }] } }),
          },
        },
        targets: [new targets.LambdaFunction(props.functionOf(rule.function), { deadLetterQueue: this.deadLetters, retryAttempts: 2, maxEventAge: Duration.hours(6) })],
      });
    }
    // EventBridge encrypts what it puts in the dead-letter queue with the queue's key.
    const ruleArns = props.rules.map((rule) => Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName(rule) }));
    if (ruleArns.length) admitServiceToKey(props.key, 'EventBridgeWritesTheDeadLetterQueue', 'events.amazonaws.com', ruleArns);
  }
}
