/**
 * The CDK app: the primary stack and the disaster-recovery stack, checked by cdk-nag's
 * AWS Solutions and HIPAA Security packs. `npm run synth` runs it offline.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureConsoleBuilt } from './console/build.ts';
import { StrataDrStack } from './dr-stack.ts';
import { settingsFromContext } from './settings.ts';
import { StrataStack } from './strata-stack.ts';
import { system } from './system.ts';
import type { SystemDeclaration } from './system-types.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function buildApp(app: App, declaration: SystemDeclaration = system): { primary: StrataStack; dr: StrataDrStack } {
  const settings = settingsFromContext(app.node);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = settings.region ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1';
  // -c stackName= deploys another copy beside this one (staging); every name the stack fixes carries it.
  const primary = new StrataStack(app, 'Strata', {
    stackName: settings.stackName,
    system: declaration,
    settings,
    projectRoot: PROJECT_ROOT,
    env: { ...(account ? { account } : {}), region },
    description: 'Strata: serverless DICOMweb archive (primary region)',
    terminationProtection: true,
  });
  const dr = new StrataDrStack(app, 'StrataDr', {
    stackName: `${settings.stackName}Dr`,
    settings,
    primaryStackName: primary.stackName,
    system: declaration,
    env: { ...(account ? { account } : {}), region: settings.drRegion },
    description: 'Strata: disaster-recovery replica',
  });
  // Policy-validation plugins: a violation that is not acknowledged stops `cdk synth`.
  Validations.of(app).addPlugins(...nagPacks(app));
  return { primary, dr };
}

export function nagPacks(app: App) {
  return [new AwsSolutionsChecks(app, { verbose: true }), new HIPAASecurityChecks(app, { verbose: true })];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The console function's bundle copies the console's built files (infra/console/build.ts).
  await ensureConsoleBuilt(PROJECT_ROOT, (message) => console.error(message));
  const app = new App();
  buildApp(app);
  app.synth();
}
