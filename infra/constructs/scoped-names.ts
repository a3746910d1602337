/**
 * Physical names of the resources the stack names itself (rather than letting CloudFormation
 * generate one): each carries the primary stack's name, so two deployments in one account
 * (staging and production, `-c stackName=`; or the same stack in two Regions, for the
 * account-wide IAM role names) never collide. The names are fixed at synth because a policy
 * elsewhere names the resource without depending on it: the key policy names the alarms and
 * event rules, the DR stack (deployed first, maybe in another account) names the roles, the
 * functions name the state machines.
 */
import { createHash } from 'node:crypto';

/** `<stack><separator><suffix>`, cut to `max` characters with a hash of the whole kept distinct. */
export function scopedName(stackName: string, suffix: string, max: number, separator = '-'): string {
  const name = `${stackName}${separator}${suffix}`;
  if (name.length <= max) return name;
  return `${name.slice(0, max - 9)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** CloudWatch alarm names: 255 characters. */
export const alarmName = (stackName: string, logical: string) => scopedName(stackName, logical, 255);

/** The SNS topic every alarm notifies (subscribe the operators to it): 256 characters. */
export const alarmTopicName = (stackName: string) => scopedName(stackName, 'alarms', 256);

/** EventBridge rule names: 64 characters. */
export const eventRuleName = (stackName: string, rule: string) => scopedName(stackName, rule, 64);

/** WAF delivers only to log groups named `aws-waf-logs-*` (512 characters). */
export const wafLogGroupName = (stackName: string) => `aws-waf-logs-${scopedName(stackName, 'waf', 512 - 'aws-waf-logs-'.length)}`;

/** IAM role names (64 characters, unique in the account across Regions). */
export const roleName = (stackName: string, purpose: string) => scopedName(stackName, purpose, 64);
