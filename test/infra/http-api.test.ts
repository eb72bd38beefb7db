import { Match } from 'aws-cdk-lib/assertions';
import { CONTEXT } from '../../lib/context';
import { acknowledgements, logicalId, nagViolations, synthOutboxFromContext } from './synth';

describe('the HTTP API (default settings)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com' });
  const { stack, template } = synthesized;
  const apiId = logicalId(stack, stack.api.httpApi);

  it('is one HTTP API named after the stack, with no REST API, authorizer, gateway response or web ACL left', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'Outbox-api', ProtocolType: 'HTTP' });
    for (const type of ['AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::GatewayResponse', 'AWS::ApiGateway::Account', 'AWS::WAFv2::WebACL']) {
      template.resourceCountIs(type, 0);
    }
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('apigateway.amazonaws.com');
  });

  it('sends every route but the console\'s to the api Lambda with payload format 2.0, and needs no authorizer on any', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties as Record<string, unknown>);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['$default', 'GET /console', 'GET /console/{proxy+}']);
    for (const route of routes) expect(route.AuthorizationType ?? 'NONE').toBe('NONE');
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const defaultRoute = routes.find((r) => r.RouteKey === '$default')!;
    const integrationId = ((defaultRoute.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as { Ref: string }).Ref;
    expect(integrations[integrationId]!.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack, stack.apiFunction.function), 'Arn'] },
    });
  });

  it('throttles every route on the $default stage, which deploys itself, and writes JSON access logs', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    expect(stages[0]!.Properties).toMatchObject({
      ApiId: { Ref: apiId },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(stack, stack.api.accessLogGroup!), 'Arn'] } },
    });
    const format = JSON.parse((stages[0]!.Properties.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ status: '$context.status', integrationError: '$context.integrationErrorMessage', routeKey: '$context.routeKey' });
  });

  it('outputs the endpoint without a path or trailing slash as the base URL, the console under it', () => {
    const outputs = template.findOutputs('*');
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toBe(
      JSON.stringify({ 'Fn::Join': ['', ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] }),
    );
    expect(JSON.stringify(outputs.ConsoleUrl!.Value)).toContain('/console');
  });

  it('lets API Gateway invoke the api Lambda from this API only', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: { 'Fn::GetAtt': [logicalId(stack, stack.apiFunction.function), 'Arn'] } },
    }));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permissions[0]!.Properties.SourceArn)).toContain(apiId);
  });

  it('alarms on the API\'s 5xx answers by API id', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
      Threshold: 1,
    });
  });

  it('passes cdk-nag, acknowledging only the key-checked-in-Lambda and console routes for APIG4', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    const apig = acknowledgements(stack).filter((a) => a.id.includes('AwsSolutions-APIG'));
    expect(apig.map((a) => a.path.split('/').pop())).toEqual(['DefaultRoute', 'GET--console', 'GET--console--{proxy+}']);
    expect(apig.every((a) => a.id.endsWith('AwsSolutions-APIG4'))).toBe(true);
    expect(apig.find((a) => a.path.includes('DefaultRoute'))?.reason).toMatch(/checks the Resend-style bearer API key/);
  });
});

describe.each(['create-role', 'existing-role', 'on'])('API access logs with outbox:apiAccessLogs=%s', (value) => {
  const { template } = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: value });

  it('are written, and nothing account-wide is created (the REST API\'s account role is not needed)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ Format: Match.anyValue() }) });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('apigateway.amazonaws.com');
  });
});

describe('API access logs turned off (off)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: 'off' });
  const { stack, template } = synthesized;

  it('writes no access logs and keeps no log group for them', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    expect(stages[0]!.Properties.AccessLogSettings).toBeUndefined();
    expect(stack.api.accessLogGroup).toBeUndefined();
    // Every log group left is a Lambda's own.
    template.resourceCountIs('AWS::Logs::LogGroup', Object.keys(template.findResources('AWS::Lambda::Function')).length);
  });

  it('acknowledges APIG1 on the stage with the reason, and passes cdk-nag', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).filter((a) => a.id.includes('AwsSolutions-APIG1'))).toEqual([
      { id: expect.any(String), reason: expect.stringContaining('outbox:apiAccessLogs=off'), path: stack.api.stage.node.path },
    ]);
  });
});
