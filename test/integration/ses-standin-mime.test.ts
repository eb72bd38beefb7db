import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { simpleParser } from 'mailparser';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';

/** The MIME the SES stand-in keeps for each accepted message (`mime`), read back with mailparser. */
describe('the SES stand-in renders what it accepted as MIME', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;
  const common = { FromEmailAddress: 'Acme <hello@acme.test>', Destination: { ToAddresses: ['a@example.com'], CcAddresses: ['c@example.com'], BccAddresses: ['hidden@example.com'] } };

  beforeAll(async () => {
    standIn = await startSesStandIn({ simulateEvents: false, templates: { receipt: { subject: 'Receipt {{n}}', html: '<p>Total {{total}}</p>' } } });
    ses = standInClient(standIn);
  });
  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  async function send(content: ConstructorParameters<typeof SendEmailCommand>[0]['Content']) {
    const { MessageId } = await ses.send(new SendEmailCommand({ ...common, Content: content }));
    return standIn.messages().find((m) => m.messageId === MessageId)!;
  }

  it('writes Simple content with SES-style Message-ID, headers and attachments, and no Bcc', async () => {
    const message = await send({
      Simple: {
        Subject: { Data: 'Hello' },
        Body: { Text: { Data: 'Hi there' } },
        Headers: [{ Name: 'X-Entity-Ref-ID', Value: '7' }],
        Attachments: [{ FileName: 'a.csv', RawContent: Buffer.from('x,y\n1,2\n'), ContentType: 'text/csv' }],
      },
    });
    const parsed = await simpleParser(message.mime);
    expect(parsed.messageId).toBe(`<${message.messageId}@email.amazonses.com>`);
    expect(parsed.headers.get('x-entity-ref-id')).toBe('7');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.cc).toMatchObject({ text: 'c@example.com' });
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([['a.csv', 'text/csv', 'x,y\n1,2\n']]);
  });

  it('renders a stored template with its data', async () => {
    const message = await send({ Template: { TemplateName: 'receipt', TemplateData: '{"n":12,"total":"9.50"}' } });
    expect(message.subject).toBe('Receipt 12');
    const parsed = await simpleParser(message.mime);
    expect(parsed.subject).toBe('Receipt 12');
    expect(String(parsed.html).trim()).toBe('<p>Total 9.50</p>');
  });

  it('says plainly that SES sent nothing when the data lacks a variable of the template', async () => {
    const message = await send({ Template: { TemplateName: 'receipt', TemplateData: '{"n":12}' } });
    expect(message.renderingFailure).toEqual({ errorMessage: "Attribute 'total' is not present in the rendering data.", templateName: 'receipt' });
    expect(message.subject).toBeUndefined();
    const parsed = await simpleParser(message.mime);
    expect(parsed.text).toContain("SES did not send this message: it could not render the template receipt (Rendering Failure: Attribute 'total' is not present in the rendering data.)");
    expect(parsed.text).toContain('TemplateData: {"n":12}');
  });

  it('keeps a raw message as it was sent', async () => {
    const raw = 'From: hello@acme.test\r\nTo: a@example.com\r\nSubject: Raw\r\n\r\nBody\r\n';
    const message = await send({ Raw: { Data: Buffer.from(raw) } });
    expect(message.mime).toBe(raw);
  });
});
