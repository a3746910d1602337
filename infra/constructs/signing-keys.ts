/**
 * The declared signing keys (infra/system.ts `signingKeys`): asymmetric customer-managed KMS keys
 * whose private half never leaves KMS. Discovery export summaries are signed with one; anyone
 * can verify with its public key (published in each package). AWS does not rotate asymmetric
 * keys, so none is asked for (a new key means a new declaration; old packages keep their public key).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { SigningKeyDeclaration } from '#infra/system-types.ts';

export class SigningKeys extends Construct {
  readonly keys: Record<string, kms.Key> = {};

  constructor(scope: Construct, id: string, declarations: Readonly<Record<string, SigningKeyDeclaration>>) {
    super(scope, id);
    for (const [logical, declaration] of Object.entries(declarations)) {
      this.keys[logical] = new kms.Key(this, logical, {
        description: declaration.description,
        keySpec: kms.KeySpec[declaration.spec],
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // Signatures made with it must stay verifiable for as long as the packages matter.
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }
}
