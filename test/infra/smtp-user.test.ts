import type { Template } from 'aws-cdk-lib/assertions';
import { SMTP_CREDENTIALS_RESOURCE } from '../../lambda/shared/custom-resources';
import { smtpHostFor } from '../../lambda/core/smtp-password';
import { CONTEXT } from '../../lib/context';
import { OutboxStack } from '../../lib/outbox-stack';
import { actionsOf, asArray, logicalId, nagViolations, render, roleStatements, synthOutboxFromContext, testApp } from './synth';

const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';

/** The one resource of this type, with its logical id. */
function only(template: Template, type: string): { id: string; resource: Record<string, any> } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0]![0], resource: found[0]![1] };
}

describe('without outbox:smtpUser', () => {
  const { template } = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com' });

  it('makes no IAM user, no SMTP credentials and no SMTP outputs', () => {
    template.resourceCountIs('AWS::IAM::User', 0);
    template.resourceCountIs(SMTP_CREDENTIALS_RESOURCE.type, 0);
    expect(Object.keys(template.findOutputs('*')).filter((id) => id.startsWith('Smtp'))).toEqual([]);
  });
});

describe('with outbox:smtpUser', () => {
  const synthesized = synthOutboxFromContext({
    [CONTEXT.sendingDomain]: 'mail.example.com',
    [CONTEXT.identities]: 'example.com,noreply@example.org',
    [CONTEXT.smtpUser]: 'true',
    [CONTEXT.smtpRotation]: '2026-12',
  });
  const { stack, template } = synthesized;
  const smtp = stack.smtpUser!;
  const userId = logicalId(stack, smtp.user);
  const configurationSet = `${SES_ARN}:configuration-set/\${${logicalId(stack, stack.ses.configurationSet)}}`;

  it('makes one IAM user with no group, no managed policy, no inline policy, no password and no path of its own', () => {
    const { resource } = only(template, 'AWS::IAM::User');
    expect(resource.Properties ?? {}).toEqual({});
  });

  it('allows the user exactly ses:SendRawEmail on the identities and the configuration set, From only those identities, and nothing else', () => {
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Users ?? []).includes(`"${userId}"`),
    );
    expect(attached).toHaveLength(1);
    expect(attached[0]!.Properties.Users).toEqual([{ Ref: userId }]);
    const statements = attached[0]!.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(Object.keys(statement!).sort()).toEqual(['Action', 'Condition', 'Effect', 'Resource']);
    expect(statement!.Effect).toBe('Allow');
    expect(actionsOf(statement!)).toEqual(['ses:SendRawEmail']);
    expect(asArray(statement!.Resource).map(render).sort()).toEqual(
      [`${SES_ARN}:identity/mail.example.com`, `${SES_ARN}:identity/example.com`, `${SES_ARN}:identity/noreply@example.org`, configurationSet].sort(),
    );
    expect(statement!.Condition).toEqual({ StringLike: { 'ses:FromAddress': ['*@mail.example.com', '*@example.com', 'noreply@example.org'] } });
  });

  it('lets the function list, create and delete access keys of that user only, and read and write its secret only', () => {
    const grants = roleStatements(template, stack, smtp.function.role)
      .filter((s) => !actionsOf(s).every((action) => action.startsWith('logs:')))
      .map((s) => `${actionsOf(s).sort().join(',')} on ${asArray(s.Resource).map(render).sort().join(',')}`)
      .sort();
    expect(grants).toEqual([
      `iam:CreateAccessKey,iam:DeleteAccessKey,iam:ListAccessKeys on \${${userId}.Arn}`,
      `secretsmanager:GetSecretValue,secretsmanager:PutSecretValue on \${${logicalId(stack, smtp.secret)}}`,
    ]);
  });

  it('gives the credentials resource the user, the secret, the Region and the rotation label, and asks it only once its permissions exist', () => {
    const { resource } = only(template, SMTP_CREDENTIALS_RESOURCE.type);
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [logicalId(stack, smtp.function.function), 'Arn'] },
      ServiceTimeout: '300',
      UserName: { Ref: userId },
      SecretArn: { Ref: logicalId(stack, smtp.secret) },
      Region: { Ref: 'AWS::Region' },
      Rotation: '2026-12',
    });
    const policies = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, smtp.function.role) }] } }));
    expect(resource.DependsOn).toEqual(expect.arrayContaining([...policies, logicalId(stack, smtp.function.function)]));
  });

  it('outputs the SMTP host of the Region, the user name from the resource and the secret', () => {
    const outputs = template.findOutputs('*');
    expect(render(outputs.SmtpHost!.Value)).toBe(smtpHostFor('${AWS::Region}'));
    expect(outputs.SmtpUsername!.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack, smtp.resource), SMTP_CREDENTIALS_RESOURCE.attributes.username] });
    expect(outputs.SmtpPasswordSecretArn!.Value).toEqual({ Ref: logicalId(stack, smtp.secret) });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });
});

describe('SmtpUser settings', () => {
  it('refuses a stack with no named identity: the user may send only from named ones', () => {
    expect(() => new OutboxStack(testApp(), 'Outbox', { smtpUser: true })).toThrow('configure outbox:sendingDomain or outbox:identities');
  });

  it('takes the default rotation label when none is given', () => {
    const { template } = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.smtpUser]: true });
    expect(only(template, SMTP_CREDENTIALS_RESOURCE.type).resource.Properties.Rotation).toBe('1');
  });
});
