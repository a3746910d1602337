/**
 * Who may call the API: a Cognito user pool issuing OAuth2 client-credentials tokens to
 * hospital systems (PACS, modalities, viewers' back ends), with one resource server whose
 * scopes the routes require (dicom.read, dicom.write, …). A `tenant` claim is added by the
 * tenancy work; until then every client belongs to the default tenant.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export const RESOURCE_SERVER_ID = 'strata';

export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly resourceServer: cognito.UserPoolResourceServer;

  constructor(scope: Construct, id: string, props: { scopes: readonly string[]; domainPrefix?: string | undefined }) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Clients', {
      userPoolName: 'strata-clients',
      selfSignUpEnabled: false,
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.resourceServer = this.userPool.addResourceServer('Api', {
      identifier: RESOURCE_SERVER_ID,
      scopes: props.scopes.map((scopeName) => new cognito.ResourceServerScope({ scopeName, scopeDescription: `Strata ${scopeName}` })),
    });
    if (props.domainPrefix) this.userPool.addDomain('TokenEndpoint', { cognitoDomain: { domainPrefix: props.domainPrefix } });
  }
}
