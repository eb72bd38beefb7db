import { Capture, Match } from 'aws-cdk-lib/assertions';
import { CONTEXT } from '../../lib/context';
import { acknowledgements, logicalId, nagViolations, synthOutboxFromContext } from './synth';

const PUSH_TO_CLOUDWATCH = 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/** The managed policy ARNs of a role, rendered. */
function managedPolicies(role: { [key: string]: { ManagedPolicyArns?: unknown[] } }): string[] {
  return (role.Properties?.ManagedPolicyArns ?? []).map((arn) => {
    const [, parts] = (arn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((part) => (typeof part === 'string' ? part : `\${${(part as { Ref: string }).Ref}}`)).join('');
  });
}

describe('API access logs in a fresh account (default: create-role)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com' });
  const { stack, template } = synthesized;
  const stage = () => template.findResources('AWS::ApiGateway::Stage')[logicalId(stack, stack.api.restApi.deploymentStage)]!;

  it("creates the account's API Gateway CloudWatch role with the AWS managed policy, and nothing else", () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] } },
    });
    expect(Object.keys(roles)).toEqual([logicalId(stack, stack.api.cloudWatchRole!)]);
    const role = Object.values(roles)[0]!;
    expect(managedPolicies(role)).toEqual([PUSH_TO_CLOUDWATCH]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, stack.api.cloudWatchRole!) }] } })).toEqual({});
  });

  it('sets it as the account setting (AWS::ApiGateway::Account) and retains both when the stack is deleted', () => {
    const accounts = template.findResources('AWS::ApiGateway::Account');
    expect(Object.values(accounts)).toEqual([
      expect.objectContaining({
        Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [logicalId(stack, stack.api.cloudWatchRole!), 'Arn'] } },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      }),
    ]);
    const role = template.findResources('AWS::IAM::Role')[logicalId(stack, stack.api.cloudWatchRole!)]!;
    expect({ DeletionPolicy: role.DeletionPolicy, UpdateReplacePolicy: role.UpdateReplacePolicy }).toEqual({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates the stage only after the account setting, and the stage writes JSON access logs', () => {
    expect(stage().DependsOn).toContain(logicalId(stack, stack.api.cloudWatchAccount!));
    expect(stage().Properties.AccessLogSetting).toEqual({ DestinationArn: expect.anything(), Format: expect.stringContaining('"status":"$context.status"') });
  });

  it('acknowledges the AWS managed policy on that role only, as the one IAM4 finding', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).filter((a) => a.id.includes('AwsSolutions-IAM4'))).toEqual([
      {
        id: expect.stringContaining('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]'),
        reason: expect.stringMatching(/managed policy/),
        path: stack.api.cloudWatchRole!.node.path,
      },
    ]);
  });
});

describe('API access logs with the account role already set (existing-role)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: 'existing-role' });
  const { stack, template } = synthesized;

  it('writes access logs and creates nothing account-wide', () => {
    const format = new Capture();
    template.hasResourceProperties('AWS::ApiGateway::Stage', { AccessLogSetting: { DestinationArn: Match.anyValue(), Format: format } });
    expect(JSON.parse(format.asString())).toMatchObject({ status: '$context.status' });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(stack.api.cloudWatchRole).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('apigateway.amazonaws.com');
  });

  it('passes cdk-nag with no IAM4 acknowledgement', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).map((a) => a.id)).not.toContainEqual(expect.stringContaining('AwsSolutions-IAM4'));
  });
});

describe('API access logs turned off (off)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: 'off' });
  const { stack, template } = synthesized;

  it('writes no access logs, keeps no log group for them and creates nothing account-wide', () => {
    const stages = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(stages).toHaveLength(1);
    expect(stages[0]!.Properties.AccessLogSetting).toBeUndefined();
    expect(stack.api.accessLogGroup).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    // Every log group left is a Lambda's own.
    template.resourceCountIs('AWS::Logs::LogGroup', Object.keys(template.findResources('AWS::Lambda::Function')).length);
  });

  it('acknowledges APIG1 on the stage with the reason, and passes cdk-nag', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).filter((a) => a.id.includes('AwsSolutions-APIG1'))).toEqual([
      { id: expect.any(String), reason: expect.stringContaining('outbox:apiAccessLogs=off'), path: stack.api.restApi.deploymentStage.node.path },
    ]);
  });
});
