/**
 * Who may call the API: a Cognito user pool issuing OAuth2 client-credentials tokens to
 * hospital systems (PACS, modalities, viewers' back ends), with one resource server whose
 * scopes the routes require (dicom.read, dicom.write, …). The `tenant` claim is added to each
 * client-credentials access token by a pre-token-generation trigger (event version V3_0, the
 * only one that reaches machine-to-machine tokens), which needs the Essentials feature plan.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';


export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly resourceServer: cognito.UserPoolResourceServer;

  constructor(scope: Construct, id: string, props: { resourceServer: string; scopes: readonly string[]; tokenTrigger: lambda.IFunction; domainPrefix?: string | undefined }) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Clients', {
      userPoolName: 'strata-clients',
      selfSignUpEnabled: false,
      // Access-token customization for client credentials (the tenant claim) is an Essentials feature.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, props.tokenTrigger, cognito.LambdaVersion.V3_0);
    this.resourceServer = this.userPool.addResourceServer('Api', {
      identifier: props.resourceServer,
      scopes: props.scopes.map((scopeName) => new cognito.ResourceServerScope({ scopeName, scopeDescription: `Strata ${scopeName}` })),
    });
    if (props.domainPrefix) this.userPool.addDomain('TokenEndpoint', { cognitoDomain: { domainPrefix: props.domainPrefix } });
  }
}
