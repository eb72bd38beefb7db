import {
  AlreadyExistsException,
  BadRequestException,
  CreateEmailTemplateCommand,
  DeleteEmailTemplateCommand,
  GetEmailTemplateCommand,
  ListEmailTemplatesCommand,
  NotFoundException,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  UpdateEmailTemplateCommand,
} from '@aws-sdk/client-sesv2';
import { sesRecordOf, startSesStandIn, type SesStandIn, type SnsEnvelope } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

async function rejectionOf(promise: Promise<unknown>): Promise<SESv2ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SESv2ServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** SES's template API and templated sends, through the real SESv2Client against the stand-in. */
describe('SES stand-in email templates through the real SESv2Client', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;
  const envelopes: SnsEnvelope[] = [];
  const sendFrom = { FromEmailAddress: 'Acme <hello@acme.test>', Destination: { ToAddresses: ['success@simulator.amazonses.com'] }, ConfigurationSetName: 'outbox-local' };

  beforeAll(async () => {
    standIn = await startSesStandIn();
    standIn.onNotification((envelope) => envelopes.push(envelope));
    ses = standInClient(standIn);
  });
  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  const welcome = { Subject: 'Welcome, {{name}}', Html: '<p>Hi {{name}}, {{#if plan}}you are on {{plan}}{{else}}pick a plan{{/if}}</p>', Text: 'Hi {{name}}' };

  it('creates, reads, updates and deletes a template', async () => {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'crud', TemplateContent: welcome, Tags: [{ Key: 'team', Value: 'growth' }] }));
    const got = await ses.send(new GetEmailTemplateCommand({ TemplateName: 'crud' }));
    expect(got).toMatchObject({ TemplateName: 'crud', TemplateContent: welcome, Tags: [{ Key: 'team', Value: 'growth' }] });

    await ses.send(new UpdateEmailTemplateCommand({ TemplateName: 'crud', TemplateContent: { Subject: 'New {{name}}', Text: 'x' } }));
    expect((await ses.send(new GetEmailTemplateCommand({ TemplateName: 'crud' }))).TemplateContent).toEqual({ Subject: 'New {{name}}', Text: 'x' });

    await ses.send(new DeleteEmailTemplateCommand({ TemplateName: 'crud' }));
    const gone = await rejectionOf(ses.send(new GetEmailTemplateCommand({ TemplateName: 'crud' })));
    expect(gone).toBeInstanceOf(NotFoundException);
    expect(gone.message).toBe('Template crud does not exist.');
  });

  it('refuses a name in use with AlreadyExistsException, and an update or delete of an unknown one with NotFoundException', async () => {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'taken', TemplateContent: { Subject: 's', Text: 't' } }));
    expect(await rejectionOf(ses.send(new CreateEmailTemplateCommand({ TemplateName: 'taken', TemplateContent: { Subject: 's' } })))).toBeInstanceOf(AlreadyExistsException);
    expect(await rejectionOf(ses.send(new UpdateEmailTemplateCommand({ TemplateName: 'nope', TemplateContent: { Subject: 's' } })))).toBeInstanceOf(NotFoundException);
    expect(await rejectionOf(ses.send(new DeleteEmailTemplateCommand({ TemplateName: 'nope' })))).toBeInstanceOf(NotFoundException);
  });

  it('refuses a template it could not render, naming what it does not model', async () => {
    const error = await rejectionOf(ses.send(new CreateEmailTemplateCommand({ TemplateName: 'partial', TemplateContent: { Subject: 's', Html: '{{> footer}}' } })));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toMatch(/^Template partial: Html: \{\{> footer\}\}: Handlebars partials are not modelled by the SES stand-in/);
  });

  it('lists templates oldest first, a page at a time, with their creation times', async () => {
    const fresh = await startSesStandIn({ simulateEvents: false });
    const client = standInClient(fresh);
    try {
      const before = Date.now();
      for (const name of ['a1', 'a2', 'a3']) await client.send(new CreateEmailTemplateCommand({ TemplateName: name, TemplateContent: { Subject: name } }));
      const first = await client.send(new ListEmailTemplatesCommand({ PageSize: 2 }));
      expect(first.TemplatesMetadata?.map((t) => t.TemplateName)).toEqual(['a1', 'a2']);
      expect(first.TemplatesMetadata![0]!.CreatedTimestamp).toBeInstanceOf(Date);
      expect(first.TemplatesMetadata![0]!.CreatedTimestamp!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      const second = await client.send(new ListEmailTemplatesCommand({ PageSize: 2, NextToken: first.NextToken! }));
      expect(second.TemplatesMetadata?.map((t) => t.TemplateName)).toEqual(['a3']);
      expect(second.NextToken).toBeUndefined();
    } finally {
      client.destroy();
      await fresh.stop();
    }
  });

  it('renders a stored template on SendEmail, by name or ARN, and keeps the rendered subject and bodies', async () => {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'welcome', TemplateContent: welcome }));
    const byName = await ses.send(new SendEmailCommand({ ...sendFrom, Content: { Template: { TemplateName: 'welcome', TemplateData: '{"name":"Ada","plan":"pro"}' } } }));
    expect(standIn.messages().find((m) => m.messageId === byName.MessageId)).toMatchObject({
      contentKind: 'Template',
      subject: 'Welcome, Ada',
      html: '<p>Hi Ada, you are on pro</p>',
      text: 'Hi Ada',
      template: { name: 'welcome', data: '{"name":"Ada","plan":"pro"}' },
    });
    const byArn = await ses.send(
      new SendEmailCommand({ ...sendFrom, Content: { Template: { TemplateArn: 'arn:aws:ses:us-east-1:000000000000:template/welcome', TemplateData: '{"name":"Bo"}' } } }),
    );
    expect(standIn.messages().find((m) => m.messageId === byArn.MessageId)).toMatchObject({ subject: 'Welcome, Bo', html: '<p>Hi Bo, pick a plan</p>' });
  });

  it('answers a send naming an unknown template with NotFoundException, and keeps nothing', async () => {
    const count = standIn.messages().length;
    const error = await rejectionOf(ses.send(new SendEmailCommand({ ...sendFrom, Content: { Template: { TemplateName: 'missing_one', TemplateData: '{}' } } })));
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.message).toBe('Template missing_one does not exist.');
    expect(standIn.messages()).toHaveLength(count);
  });

  it('accepts a send whose data lacks a variable, as SES does, and publishes only a Rendering Failure', async () => {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'needs_code', TemplateContent: { Subject: 'Your code', Text: 'Code: {{code}}' } }));
    const { MessageId } = await ses.send(new SendEmailCommand({ ...sendFrom, Content: { Template: { TemplateName: 'needs_code', TemplateData: '{"name":"Ada"}' } } }));
    const message = standIn.messages().find((m) => m.messageId === MessageId)!;
    expect(message.renderingFailure).toEqual({ errorMessage: "Attribute 'code' is not present in the rendering data.", templateName: 'needs_code' });
    expect(message).not.toHaveProperty('subject');
    expect(message).not.toHaveProperty('text');

    const deadline = Date.now() + 2000;
    const mine = () => envelopes.map(sesRecordOf).filter((r) => r.mail.messageId === MessageId);
    while (mine().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const records = mine() as unknown as { eventType: string; mail: Record<string, unknown>; failure?: unknown }[];
    expect(records.map((r) => r.eventType)).toEqual(['Rendering Failure']);
    expect(records[0]!.failure).toEqual({ errorMessage: "Attribute 'code' is not present in the rendering data.", templateName: 'needs_code' });
    expect(records[0]!.mail).not.toHaveProperty('headers');
    expect(records[0]!.mail).toMatchObject({ destination: ['success@simulator.amazonses.com'], tags: { 'ses:configuration-set': ['outbox-local'] } });
  });
});
