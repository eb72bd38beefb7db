import { Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NodeFunction } from './node-function';

/**
 * Whether the stage writes access logs. An HTTP API writes them through a CloudWatch Logs delivery
 * the deployer's own permissions set up, so nothing account-wide is needed. `create-role` and
 * `existing-role` are read as `on`: they named the account role the REST API needed.
 */
export const API_ACCESS_LOGS = ['on', 'off', 'create-role', 'existing-role'] as const;
export type ApiAccessLogs = (typeof API_ACCESS_LOGS)[number];

export interface SendApiProps {
  /** Serves every route but the ones added later (the console's), /health included. */
  readonly handler: NodeFunction;
  /** Steady-state requests per second for every route. @default 20 */
  readonly rateLimit?: number;
  /** Burst capacity for every route. @default 40 */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default 'on' */
  readonly accessLogs?: ApiAccessLogs;
}

/**
 * The public HTTP API: an API Gateway HTTP API (v2) whose `$default` route sends every request to
 * the api Lambda, payload format 2.0.
 *
 * - The api Lambda checks the API key itself (hashed, constant time, cached a short while per
 *   instance) and routes, so every answer about keys and routes (401, 403, 404, 405, 413) is its
 *   own, in the Resend error shape. There is no authorizer and no gateway-side route table to
 *   drift from the Lambda's.
 * - The `$default` stage (no path prefix: the base URL is the API's endpoint) deploys itself and
 *   throttles every route to `rateLimit` per second with bursts of `burstLimit`.
 * - Access logs go to a log group as JSON lines, with the integration's errors.
 * - Named after the stack (`<stack>-api`).
 *
 * What API Gateway still answers by itself, as `{"message": "..."}` (the resend SDK hands that
 * object back as `error`, so `error.message` reads and `error.name` is absent): throttling (429),
 * a body over the HTTP API's 10 MB (413), and a Lambda that could not be invoked or failed (500,
 * 503; a body between Lambda's 6 MB request cap and 10 MB fails the invoke). HTTP APIs take no
 * AWS WAF web ACL; the README says what to put in front for one.
 */
export class SendApi extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  /** Absent with `accessLogs: 'off'`. */
  public readonly accessLogGroup?: logs.LogGroup;
  /** The API's base URL without a trailing slash: what RESEND_BASE_URL should be set to. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SendApiProps) {
    super(scope, id);
    const accessLogs = props.accessLogs ?? 'on';
    const stack = Stack.of(this);

    this.httpApi = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${stack.stackName}-api`,
      description: 'Outbox: Resend-compatible email sending on Amazon SES',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Handler', props.handler.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });

    if (accessLogs !== 'off') {
      this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
        retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      });
    }
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 20, burstLimit: props.burstLimit ?? 40 },
      ...(this.accessLogGroup
        ? { accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup), format: accessLogFormat() } }
        : {}),
    });
    this.url = `https://${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    const defaultRoute = this.httpApi.node.findChild('DefaultRoute');
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The api Lambda checks the Resend-style bearer API key of every route but GET /health itself, so that each refusal is in the Resend error shape; an authorizer would answer in API Gateway\'s.',
    });
    if (accessLogs === 'off') {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason: 'The deployer turned access logs off (outbox:apiAccessLogs=off).',
      });
    }
  }
}

/** JSON lines; the integration's error names a Lambda that failed or could not be invoked. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      method: '$context.httpMethod',
      routeKey: '$context.routeKey',
      path: '$context.path',
      status: '$context.status',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
      errorType: '$context.error.responseType',
      errorMessage: '$context.error.message',
    }),
  );
}
