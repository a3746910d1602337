/** Synthesizes the CDK app as `cdk synth` does (cdk.json context), without bundling the functions. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, PROJECT_ROOT } from '#infra/app.ts';
import { system } from '#infra/system.ts';
import type { SystemDeclaration } from '#infra/system-types.ts';

export function synth(declaration: SystemDeclaration = system, overrides: Record<string, unknown> = {}, change?: (stacks: ReturnType<typeof buildApp>) => void) {
  const { context } = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...context, ...overrides, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildApp(app, declaration);
  change?.(stacks);
  // Synthesizing runs the cdk-nag validation plugins, as `cdk synth` does: a finding throws.
  return { app, ...stacks, template: Template.fromStack(stacks.primary) };
}
