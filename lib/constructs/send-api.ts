import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Firewall } from './firewall';
import type { NodeFunction } from './node-function';

/** The error body every Outbox answer uses, the Resend SDK's error shape. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly name: string;
  readonly message: string;
}

/**
 * How the stage's access logs are set up. API Gateway writes them only with the account's
 * CloudWatch role for the Region set (an account-wide setting, `AWS::ApiGateway::Account`);
 * without it the stage fails to create.
 *
 * - `create-role`: the stack creates an API Gateway CloudWatch role (the AWS managed policy
 *   AmazonAPIGatewayPushToCloudWatchLogs) and sets it as the account's, replacing any role set
 *   there before; both are retained when the stack is deleted, so other APIs keep logging.
 * - `existing-role`: the account already has one; access logs on, nothing account-wide created.
 * - `off`: no access logs, nothing account-wide needed.
 */
export const API_ACCESS_LOGS = ['create-role', 'existing-role', 'off'] as const;
export type ApiAccessLogs = (typeof API_ACCESS_LOGS)[number];

export interface SendApiProps {
  /** Serves every route, /health included. */
  readonly handler: NodeFunction;
  /** TOKEN authorizer checking `Authorization: Bearer <api key>`. */
  readonly authorizer: NodeFunction;
  /** @default 'v1' */
  readonly stageName?: string;
  /** Steady-state requests per second for the whole stage. @default 20 */
  readonly rateLimit?: number;
  /** Burst capacity for the whole stage. @default 40 */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default 'create-role' */
  readonly accessLogs?: ApiAccessLogs;
  /**
   * An AWS WAF web ACL on the stage refusing bodies over the Lambda request cap (see Firewall).
   * Without it a 6-10 MB body fails the Lambda invoke and the client gets API Gateway's own
   * answer instead of the Resend error shape. @default true
   */
  readonly firewall?: boolean;
}

/** What the authorizer lets through to the Lambda: `Bearer`, in any case, then a token. */
export const BEARER_HEADER = '^[Bb][Ee][Aa][Rr][Ee][Rr] +[^ ]+$';

interface GatewayAnswer {
  readonly type: apigateway.ResponseType;
  readonly statusCode: number;
  readonly name: string;
  /** A literal sentence, or `null` to pass on API Gateway's own message (JSON-escaped). */
  readonly message: string | null;
}

/**
 * The public HTTP API: an API Gateway REST API in front of one Lambda.
 *
 * - `/health` GET: no authorization, for liveness probes.
 * - `/` and `/{proxy+}`, any method: a TOKEN Lambda authorizer on the Authorization header first,
 *   its answer cached for 5 minutes per token; then the api Lambda, which does its own routing
 *   (so an unknown path under a valid key is the Lambda's 404).
 * - Gateway Responses make API Gateway's own answers (no or bad key, throttling, too large, its
 *   5xx) use the Resend error shape `{"statusCode", "name", "message"}` as `application/json`, so
 *   the Resend SDKs can read them.
 * - Access logs go to a log group as JSON lines, with the authorizer and integration errors that
 *   execution logging would otherwise be needed for (see ApiAccessLogs for the account's
 *   CloudWatch role they need); stage throttling caps the request rate.
 * - A Firewall (AWS WAF) on the stage refuses bodies the api Lambda could not take, unless
 *   `firewall` is false.
 * - The REST API is named after the stack (`<stack>-api`): API Gateway's metrics, the 5xx alarm's
 *   among them, are keyed by that name.
 *
 * The authorizer contract: throw `Error('Unauthorized')` when there is no usable key (401
 * missing_api_key), return a Deny policy for an unknown or revoked key (403 invalid_api_key), and
 * for a valid key an Allow policy on `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/*\/*`
 * (the cached answer is reused for every route) with context `{ keyId, scope }`.
 */
export class SendApi extends Construct {
  public readonly restApi: apigateway.RestApi;
  public readonly authorizer: apigateway.TokenAuthorizer;
  /** Absent with `accessLogs: 'off'`. */
  public readonly accessLogGroup?: logs.LogGroup;
  /** The account's API Gateway CloudWatch role, with `accessLogs: 'create-role'` only. */
  public readonly cloudWatchRole?: iam.IRole;
  /** The account-wide setting naming that role, with `accessLogs: 'create-role'` only. */
  public readonly cloudWatchAccount?: apigateway.CfnAccount;
  public readonly firewall?: Firewall;
  /** The stage's base URL without a trailing slash: what RESEND_BASE_URL should be set to. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SendApiProps) {
    super(scope, id);
    const stageName = props.stageName ?? 'v1';
    const rateLimit = props.rateLimit ?? 20;
    const burstLimit = props.burstLimit ?? 40;
    const accessLogs = props.accessLogs ?? 'create-role';
    const stack = Stack.of(this);

    if (accessLogs !== 'off') {
      this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
        retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      });
    }

    this.restApi = new apigateway.RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-api`,
      description: 'Outbox: Resend-compatible email sending on Amazon SES',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // With the role, RestApi also creates the AWS::ApiGateway::Account setting and makes the
      // stage depend on it, so the stage is created only once the account can log.
      cloudWatchRole: accessLogs === 'create-role',
      ...(accessLogs === 'create-role' ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        ...(this.accessLogGroup
          ? { accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup), accessLogFormat: accessLogFormat() }
          : {}),
      },
    });
    const stage = this.restApi.deploymentStage;
    if (accessLogs === 'create-role') {
      this.cloudWatchRole = this.restApi.node.findChild('CloudWatchRole') as iam.IRole;
      this.cloudWatchAccount = this.restApi.node.findChild('Account') as apigateway.CfnAccount;
      Validations.of(this.cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'API Gateway writes access logs only through an account role with this AWS managed policy, which AWS keeps in step with what API Gateway needs.',
      });
    }
    if (props.firewall ?? true) this.firewall = new Firewall(this, 'Firewall', { stage });

    this.authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', {
      handler: props.authorizer.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      // A header that is not `Bearer <token>` gets the 401 without invoking the Lambda (the scheme is case-insensitive).
      validationRegex: BEARER_HEADER,
      resultsCacheTtl: Duration.minutes(5),
    });

    // No test-invoke permission: the console's test button is not worth an extra grant per method.
    const integration = new apigateway.LambdaIntegration(props.handler.function, { proxy: true, allowTestInvoke: false });
    const withKey: apigateway.MethodOptions = {
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
    };
    const keyed = [
      this.restApi.root.addMethod('ANY', integration, withKey),
      this.restApi.root.addResource('{proxy+}').addMethod('ANY', integration, withKey),
    ];
    const health = this.restApi.root
      .addResource('health')
      .addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.NONE });

    for (const answer of gatewayAnswers(rateLimit)) {
      this.restApi.addGatewayResponse(answer.type.responseType, {
        type: answer.type,
        statusCode: String(answer.statusCode),
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: { 'application/json': errorTemplate(answer) },
      });
    }

    // RestApi always adds an "Endpoint" output ending in a slash; the Resend SDK appends "/emails",
    // so the stack outputs `url` instead and this one would only mislead.
    this.restApi.node.tryRemoveChild('Endpoint');
    this.url = `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stage.stageName}`;

    Validations.of(health).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'GET /health is a liveness probe that reveals nothing and must answer without an API key.',
    });
    Validations.of(health).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'GET /health is a liveness probe that must answer without any credentials.',
    });
    for (const method of keyed) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'Callers authenticate with Resend-style bearer API keys checked by a Lambda authorizer; there are no Cognito users.',
      });
    }
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: 'The api Lambda validates every request so that failures come back in the Resend error shape, which API Gateway validators cannot produce.',
    });
    Validations.of(stage).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason: 'Execution logs would go to a log group API Gateway creates without retention; the JSON access logs record authorizer and integration errors instead.',
    });
    if (!this.firewall) {
      Validations.of(stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'The deployer turned the firewall off (outbox:firewall=false) to save its monthly cost; API keys and stage throttling still guard the API.',
      });
    }
    if (accessLogs === 'off') {
      Validations.of(stage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason: 'The deployer turned access logs off (outbox:apiAccessLogs=off), for an account whose API Gateway CloudWatch role they do not want to set.',
      });
    }
  }
}

/**
 * The Gateway Responses Outbox defines, with the Resend error name each maps to. None for
 * REQUEST_TOO_LARGE (over API Gateway's 10 MB): API Gateway does not apply a customized one. The
 * Firewall answers bodies over the Lambda's cap, below that.
 */
export function gatewayAnswers(rateLimit: number): readonly GatewayAnswer[] {
  const R = apigateway.ResponseType;
  return [
    {
      type: R.UNAUTHORIZED,
      statusCode: 401,
      name: 'missing_api_key',
      message: 'Missing API key in the Authorization header. Include `Authorization: Bearer <key>`.',
    },
    { type: R.ACCESS_DENIED, statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid.' },
    {
      type: R.MISSING_AUTHENTICATION_TOKEN,
      statusCode: 404,
      name: 'not_found',
      message: 'The requested endpoint does not exist.',
    },
    { type: R.RESOURCE_NOT_FOUND, statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' },
    {
      type: R.THROTTLED,
      statusCode: 429,
      name: 'rate_limit_exceeded',
      message: `Too many requests. This API accepts up to ${rateLimit} requests per second; wait a moment and retry.`,
    },
    {
      type: R.QUOTA_EXCEEDED,
      statusCode: 429,
      name: 'rate_limit_exceeded',
      message: 'Too many requests for this API key. Wait and retry later.',
    },
    { type: R.DEFAULT_4XX, statusCode: 400, name: 'validation_error', message: null },
    {
      type: R.DEFAULT_5XX,
      statusCode: 500,
      name: 'internal_server_error',
      message: 'An unexpected error occurred. Retry later; if it persists, check the Outbox logs.',
    },
  ];
}

/**
 * A VTL template producing the error JSON. Literal messages are JSON-encoded here; `null` uses
 * `$context.error.messageString`, API Gateway's own message already quoted and escaped.
 */
function errorTemplate(answer: GatewayAnswer): string {
  const message = answer.message === null ? '$context.error.messageString' : JSON.stringify(answer.message);
  if (answer.message !== null && /[$#]/.test(answer.message)) {
    throw new Error(`Gateway response message must not contain VTL characters: ${answer.message}`);
  }
  return `{"statusCode":${answer.statusCode},"name":${JSON.stringify(answer.name)},"message":${message}}`;
}

function accessLogFormat(): apigateway.AccessLogFormat {
  const F = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      requestTime: F.contextRequestTime(),
      ip: F.contextIdentitySourceIp(),
      userAgent: F.contextIdentityUserAgent(),
      method: F.contextHttpMethod(),
      resourcePath: F.contextResourcePath(),
      path: F.contextPath(),
      status: F.contextStatus(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationLatency: F.contextIntegrationLatency(),
      integrationStatus: F.contextIntegrationStatus(),
      integrationError: F.contextIntegrationErrorMessage(),
      errorType: F.contextErrorResponseType(),
      errorMessage: F.contextErrorMessage(),
      authorizerStatus: F.contextAuthorizerStatus(),
      authorizerError: F.contextAuthorizerError(),
      keyId: F.contextAuthorizer('keyId'),
    }),
  );
}
