/**
 * The REST API: every declared route, each with its function's Lambda proxy integration
 * (response streaming where declared), the Cognito authorizer and the route's scope, binary
 * media types for DICOM, CORS on preflight and on API Gateway's own error responses, access
 * logs, throttling, and an optional custom domain.
 */
import { Duration, Size } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { gatewayErrorCorsHeaders, preflightOptions } from '#infra/gateway-cors.ts';
import type { ApiDeclaration, FunctionDeclaration, RouteDeclaration } from '#infra/system-types.ts';

export interface DicomwebApiProps {
  api: ApiDeclaration;
  routes: readonly RouteDeclaration[];
  functions: Readonly<Record<string, { function: lambda.IFunction; declaration: FunctionDeclaration }>>;
  userPool: cognito.IUserPool;
  resourceServerId: string;
  key: kms.IKey;
  logRetention: logs.RetentionDays;
  allowedOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
  customDomain?: { domainName: string; certificateArn: string } | undefined;
}

export class DicomwebApi extends Construct {
  readonly restApi: apigateway.RestApi;
  /** The method of each declared route (cdk-nag acknowledgments name them one by one). */
  readonly methods: { route: RouteDeclaration; method: apigateway.Method }[] = [];
  /** The base URL clients use (the custom domain when there is one). */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: DicomwebApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, encryptionKey: props.key });
    this.restApi = new apigateway.RestApi(this, 'Api', {
      restApiName: 'strata-dicomweb',
      description: 'Strata DICOMweb (STOW-RS, QIDO-RS, WADO-RS) and administration',
      binaryMediaTypes: [...props.api.binaryMediaTypes],
      // Regional, not edge-optimized: CloudFront's 30 s idle timeout would cut long WADO streams.
      // Put your own CloudFront distribution in front if you want edge caching (docs/security.md).
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Buffered JSON (QIDO results, STOW responses) is gzipped by API Gateway when asked; streamed metadata is gzipped by the handler.
      minCompressionSize: Size.kibibytes(1),
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request and response bodies are PHI
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
    // Preflights only where a route is: a browser never asks an intermediate resource
    // (`/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames`), and each
    // OPTIONS method there would spend one of CloudFormation's 500 resources for nothing.
    const preflight = corsPreflight(props.allowedOrigins);
    for (const path of new Set(props.routes.map((route) => route.path))) this.restApi.root.resourceForPath(path).addCorsPreflight(preflight);
    const validator = this.restApi.addRequestValidator('Parameters', { validateRequestParameters: true });
    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [props.userPool] });

    for (const route of props.routes) {
      const target = props.functions[route.function];
      if (!target) throw new Error(`route ${route.method} ${route.path} names an undeclared function ${route.function}`);
      const integration = new apigateway.LambdaIntegration(target.function, {
        proxy: true,
        // One invoke permission per function for this API (its own execute-api ARN), not two per
        // method: 50-odd methods would otherwise spend a fifth of CloudFormation's 500 resources.
        scopePermissionToMethod: false,
        ...(target.declaration.streaming ? { responseTransferMode: apigateway.ResponseTransferMode.STREAM } : {}),
      });
      const resource = this.restApi.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, integration, {
        requestValidator: validator,
        ...(route.scope
          ? {
              authorizer,
              authorizationType: apigateway.AuthorizationType.COGNITO,
              authorizationScopes: [`${props.resourceServerId}/${route.scope}`],
            }
          : { authorizationType: apigateway.AuthorizationType.NONE }),
      });
      this.methods.push({ route, method });
    }
    this.addGatewayResponses(props);
    convertPreflightsToText(this.restApi);

    if (props.customDomain) {
      const domain = this.restApi.addDomainName('Domain', {
        domainName: props.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
        endpointType: apigateway.EndpointType.REGIONAL,
      });
      this.publicUrl = `https://${domain.domainName}`;
    } else {
      this.publicUrl = '';
    }
  }

  /** API Gateway's own errors carry CORS headers too, or browsers report "CORS error" instead of 401/413. */
  private addGatewayResponses(props: DicomwebApiProps): void {
    const cors = Object.fromEntries(Object.entries(gatewayErrorCorsHeaders(props.allowedOrigins)).map(([name, value]) => [name, `'${value}'`]));
    const json = (message: string) => ({ 'application/json': JSON.stringify({ message }) });
    this.restApi.addGatewayResponse('Default4xx', { type: apigateway.ResponseType.DEFAULT_4XX, responseHeaders: cors });
    this.restApi.addGatewayResponse('Default5xx', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      responseHeaders: cors,
      // A body between Lambda's 6 MB payload (~4.4 MB of DICOM after base64) and API Gateway's 10 MB is refused
      // before any handler runs: mostly with the 413 below, now and then with a 500 (README, "Request sizes"). A gateway
      // response's status cannot depend on the request, so its 5xx answers say where such a request goes too.
      ...(props.api.largeRequestDirections
        ? { templates: { 'application/json': `{"message":$context.error.messageString,"largeRequests":${JSON.stringify(`If this was a request of more than about 4.4 MB: ${props.api.largeRequestDirections}`)}}` } }
        : {}),
    });
    this.restApi.addGatewayResponse('TooLarge', {
      type: apigateway.ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      responseHeaders: cors,
      templates: json(props.api.requestTooLargeMessage),
    });
    // An unknown path or method is "Missing Authentication Token" (403) in API Gateway; say 404.
    this.restApi.addGatewayResponse('NoRoute', {
      type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      responseHeaders: cors,
      templates: json('No such route'),
    });
  }
}

/** CDK's preflight options from the one gateway CORS declaration (infra/gateway-cors.ts). */
function corsPreflight(allowedOrigins: readonly string[]): apigateway.CorsOptions {
  const options = preflightOptions(allowedOrigins);
  return {
    allowOrigins: [...options.allowOrigins],
    allowHeaders: [...options.allowHeaders],
    allowMethods: [...options.allowMethods],
    maxAge: Duration.seconds(options.maxAgeSeconds),
  };
}

/**
 * With every media type declared binary (DICOM needs it), every request and response is binary
 * to API Gateway, and the MOCK integrations CDK generates for CORS preflights then fail with 500 ("Unable to transform
 * request"): browsers never get past the preflight. The preflight has no body, so text is right.
 */
function convertPreflightsToText(api: apigateway.RestApi): void {
  for (const child of api.node.findAll()) {
    if (!(child instanceof apigateway.Method) || child.httpMethod !== 'OPTIONS') continue;
    const method = child.node.defaultChild as apigateway.CfnMethod;
    method.addPropertyOverride('Integration.ContentHandling', 'CONVERT_TO_TEXT');
    method.addPropertyOverride('Integration.IntegrationResponses.0.ContentHandling', 'CONVERT_TO_TEXT');
  }
}
