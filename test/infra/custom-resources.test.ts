import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HANDLER_ENTRIES } from '../../lambda/shared/env';
import { INITIAL_API_KEY_RESOURCE, SENDING_IDENTITY_RESOURCE } from '../../lambda/shared/custom-resources';
import type { OutboxStack } from '../../lib/outbox-stack';
import { acknowledgements, actionsOf, asArray, logicalId, nagViolations, render, roleStatements, synthOutbox } from './synth';

const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';

/** The one resource of this type, with its logical id. */
function only(template: Template, type: string): { id: string; resource: Record<string, any> } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0]![0], resource: found[0]![1] };
}

/** The role's statements other than writing to its own log group, each rendered as `actions on resources`. */
function grants(template: Template, stack: OutboxStack, role: Parameters<typeof roleStatements>[2]): string[] {
  return roleStatements(template, stack, role)
    .filter((s) => !actionsOf(s).every((action) => action.startsWith('logs:')))
    .map((s) => `${actionsOf(s).sort().join(',')} on ${asArray(s.Resource).map(render).sort().join(',')}`)
    .sort();
}

describe('custom resources with a sending domain', () => {
  const synthesized = synthOutbox({ sendingDomain: 'mail.example.com' });
  const { stack, template } = synthesized;
  const identity = stack.ses.domainIdentity!;

  it('replaces AWS::SES::EmailIdentity with the create-or-adopt resource, served by its own function directly', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const { resource } = only(template, SENDING_IDENTITY_RESOURCE.type);
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [logicalId(stack, identity.function.function), 'Arn'] },
      ServiceTimeout: '300',
      EmailIdentity: 'mail.example.com',
      ConfigurationSetName: { Ref: logicalId(stack, stack.ses.configurationSet) },
      MailFromDomain: 'bounce.mail.example.com',
      Region: { Ref: 'AWS::Region' },
    });
    // No provider framework: the only functions are Outbox's own handlers (all but the SMTP credentials', without outbox:smtpUser).
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(HANDLER_ENTRIES).length - 1);
  });

  it('lets the identity function get, create, tag, delete and set up only this identity, and name only this configuration set', () => {
    expect(grants(template, stack, identity.function.role)).toEqual(
      [
        'ses:CreateEmailIdentity,ses:DeleteEmailIdentity,ses:GetEmailIdentity,ses:PutEmailIdentityConfigurationSetAttributes,' +
          `ses:PutEmailIdentityMailFromAttributes,ses:TagResource on ${SES_ARN}:identity/mail.example.com`,
        `ses:CreateEmailIdentity,ses:PutEmailIdentityConfigurationSetAttributes on ${SES_ARN}:configuration-set/\${${logicalId(stack, stack.ses.configurationSet)}}`,
      ].sort(),
    );
  });

  it('asks the function only once its permissions exist', () => {
    const { resource } = only(template, SENDING_IDENTITY_RESOURCE.type);
    const policies = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, identity.function.role) }] } }));
    expect(resource.DependsOn).toEqual(expect.arrayContaining([...policies, logicalId(stack, identity.function.function)]));
  });

  it('outputs the three DKIM records and whether the identity was created or adopted, from the resource', () => {
    const id = logicalId(stack, identity.resource);
    const outputs = template.findOutputs('*');
    for (const n of [1, 2, 3] as const) {
      expect(outputs[`DkimRecord${n}`]!.Value).toEqual({ 'Fn::GetAtt': [id, SENDING_IDENTITY_RESOURCE.attributes.dkimRecord(n)] });
    }
    expect(outputs.SendingDomainOrigin!.Value).toEqual({ 'Fn::GetAtt': [id, SENDING_IDENTITY_RESOURCE.attributes.origin] });
  });

  it('lets the api and the sender send from the domain by its name', () => {
    const resources = asArray(stack.ses.identityArns as unknown as string[]).map((arn) => render(stack.resolve(arn)));
    expect(resources).toEqual([`${SES_ARN}:identity/mail.example.com`]);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });
});

describe('custom resources without a sending domain', () => {
  const synthesized = synthOutbox({ identities: ['example.com'] });
  const { stack, template } = synthesized;

  it('creates no identity resource, no identity function and no identity outputs', () => {
    template.resourceCountIs(SENDING_IDENTITY_RESOURCE.type, 0);
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(stack.ses.domainIdentity).toBeUndefined();
    // Every handler but the sending identity's and the SMTP credentials'.
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(HANDLER_ENTRIES).length - 2);
    expect(Object.keys(template.findOutputs('*')).filter((id) => id.startsWith('Dkim') || id === 'SendingDomainOrigin')).toEqual([]);
  });

  it('makes the first API key in the api-keys table and keeps it in a secret of the stack', () => {
    const key = stack.initialApiKey;
    const { resource } = only(template, INITIAL_API_KEY_RESOURCE.type);
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [logicalId(stack, key.function.function), 'Arn'] },
      ServiceTimeout: '300',
      ApiKeysTableName: { Ref: logicalId(stack, stack.tables.apiKeys.table) },
      SecretArn: { Ref: logicalId(stack, key.secret) },
    });
    expect(resource.DependsOn).toEqual(expect.arrayContaining([logicalId(stack, key.function.function)]));
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('first full-access API key') });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it("lets the key function read and write only its secret, and get, put, delete and find by id only the api-keys table's items", () => {
    const key = stack.initialApiKey;
    const table = logicalId(stack, stack.tables.apiKeys.table);
    expect(grants(template, stack, key.function.role)).toEqual(
      [
        `dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem on \${${table}.Arn}`,
        `dynamodb:Query on \${${table}.Arn}/index/by-id`,
        `secretsmanager:GetSecretValue,secretsmanager:PutSecretValue on \${${logicalId(stack, key.secret)}}`,
      ].sort(),
    );
  });

  it('gives neither custom-resource function a wildcard resource or an environment', () => {
    const key = stack.initialApiKey;
    for (const statement of roleStatements(template, stack, key.function.role)) {
      for (const resource of asArray(statement.Resource)) expect(render(resource)).not.toContain('*');
    }
    const fn = template.toJSON().Resources[logicalId(stack, key.function.function)];
    expect(fn.Properties.Environment).toBeUndefined();
  });

  it('outputs the secret ARN', () => {
    expect(template.findOutputs('InitialApiKeySecretArn').InitialApiKeySecretArn).toMatchObject({
      Value: { Ref: logicalId(stack, stack.initialApiKey.secret) },
      Description: expect.stringContaining('npm run keys -- initial --secret'),
    });
  });

  it("acknowledges only cdk-nag's rotation finding on the secret, with the reason", () => {
    const onSecret = acknowledgements(stack)
      .filter((a) => a.path.startsWith(stack.initialApiKey.node.path))
      .map((a) => ({ ...a, id: a.id.replace(/^Annotation::/, '') }));
    expect(onSecret).toEqual([
      {
        id: 'AwsSolutions-SMG4',
        path: stack.initialApiKey.secret.node.path,
        reason: expect.stringContaining('revoking the old one through the API'),
      },
    ]);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });
});
