import { toSendEmailInput } from '../../lambda/adapters/ses-email-sender';
import type { EmailDraft } from '../../lambda/core/email';

const draft: EmailDraft = {
  from: { address: 'hello@acme.test', name: 'Acme' },
  to: [{ address: 'b@example.com' }],
  cc: [{ address: 'c@example.com', name: 'Cé' }],
  bcc: [],
  replyTo: [{ address: 'support@acme.test' }],
  subject: 'Hi',
  html: '<p>Hi <img src="cid:logo"></p>',
  text: 'Hi',
  headers: [{ name: 'X-Entity-Ref-ID', value: '42' }],
  tags: [{ name: 'kind', value: 'welcome' }],
  attachments: [
    { filename: 'invoice.pdf', content: Buffer.from('%PDF').toString('base64'), contentType: 'application/pdf' },
    { filename: 'logo.png', content: Buffer.from([0x89, 0x50]).toString('base64'), contentType: 'image/png', contentId: 'logo' },
  ],
};
const context = { emailId: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11', configurationSet: 'outbox' };

describe('toSendEmailInput', () => {
  it('sends Simple content with its attachments as bytes, inline ones with their Content-ID', () => {
    const input = toSendEmailInput(draft, context);
    expect(input.FromEmailAddress).toBe('Acme <hello@acme.test>');
    expect(input.Destination).toEqual({ ToAddresses: ['b@example.com'], CcAddresses: ['=?UTF-8?B?Q8Op?= <c@example.com>'], BccAddresses: [] });
    expect(input.ReplyToAddresses).toEqual(['support@acme.test']);
    expect(input.ConfigurationSetName).toBe('outbox');
    expect(input.EmailTags).toEqual([{ Name: 'kind', Value: 'welcome' }, { Name: 'outbox-message-id', Value: context.emailId }]);
    expect(input.Content).toEqual({
      Simple: {
        Subject: { Data: 'Hi', Charset: 'UTF-8' },
        Body: { Html: { Data: draft.html, Charset: 'UTF-8' }, Text: { Data: 'Hi', Charset: 'UTF-8' } },
        Headers: [{ Name: 'X-Entity-Ref-ID', Value: '42' }],
        Attachments: [
          { RawContent: Buffer.from('%PDF'), FileName: 'invoice.pdf', ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT', ContentTransferEncoding: 'BASE64' },
          { RawContent: Buffer.from([0x89, 0x50]), FileName: 'logo.png', ContentType: 'image/png', ContentDisposition: 'INLINE', ContentId: 'logo', ContentTransferEncoding: 'BASE64' },
        ],
      },
    });
  });

  it('leaves Attachments out of an email without any', () => {
    const input = toSendEmailInput({ ...draft, attachments: [] }, context);
    expect(input.Content?.Simple).not.toHaveProperty('Attachments');
  });

  it('sends Template content by name with the variables as TemplateData, keeping headers and attachments', () => {
    const { subject: _s, html: _h, text: _t, ...rest } = draft;
    const input = toSendEmailInput({ ...rest, template: { id: 'welcome_v2', variables: { name: 'Ada', count: 3 } } }, context);
    expect(input.Content).toEqual({
      Template: {
        TemplateName: 'welcome_v2',
        TemplateData: '{"name":"Ada","count":3}',
        Headers: [{ Name: 'X-Entity-Ref-ID', Value: '42' }],
        Attachments: expect.arrayContaining([expect.objectContaining({ FileName: 'logo.png', ContentDisposition: 'INLINE' })]),
      },
    });
    expect(input.EmailTags).toContainEqual({ Name: 'outbox-message-id', Value: context.emailId });
  });

  it('sends Raw content as the message bytes, to the destination given, from the bare sender address', () => {
    const raw = Buffer.from('From: Acme <hello@acme.test>\r\nTo: b@example.com\r\n\r\nHi\r\n').toString('base64');
    const input = toSendEmailInput({ ...draft, headers: [], attachments: [], raw }, context);
    expect(input.Content).toEqual({ Raw: { Data: Buffer.from(raw, 'base64') } });
    expect(input.FromEmailAddress).toBe('hello@acme.test');
    expect(input.Destination?.ToAddresses).toEqual(['b@example.com']);
    expect(input).not.toHaveProperty('ReplyToAddresses');
    expect(input.EmailTags).toContainEqual({ Name: 'outbox-message-id', Value: context.emailId });
  });
});
