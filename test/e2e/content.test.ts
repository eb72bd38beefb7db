import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Resend } from 'resend';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';
import { FakeClamd } from '../helpers/fake-clamd';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');

/**
 * `npm start` with OUTBOX_CLAMD pointing at a fake clamd server, driven by the resend SDK: the
 * start-up line, a PDF and an inline PNG read back from the stand-in with mailparser, refusals
 * in JSON and raw MIME, and a raw message through POST /emails/raw.
 */
describe('npm start: attachments, raw MIME and the virus scan', () => {
  const clamd = new FakeClamd();
  let outbox: StartedProcess;
  let resend: Resend;
  const base = { from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'] };

  beforeAll(async () => {
    await clamd.listen({ port: 0, host: '127.0.0.1' });
    outbox = await npmStart({ OUTBOX_LOCAL_IDENTITIES: 'acme.test', OUTBOX_CLAMD: `127.0.0.1:${clamd.port}` });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  }, 60_000);
  afterAll(async () => {
    await outbox?.stop();
    await clamd.close();
  });

  async function sesMime(emailId: string): Promise<string> {
    // Outbox's GET /emails/{id} adds ses_message_id, which the stand-in's inspection route takes.
    const { data } = await resend.emails.get(emailId);
    const sesMessageId = (data as unknown as { ses_message_id: string }).ses_message_id;
    const message = (await (await fetch(`${outbox.url}/_local/messages/${sesMessageId}`)).json()) as { mime: string };
    return message.mime;
  }

  async function raw(attachment?: { filename: string; content: string }): Promise<string> {
    const mail = new MailComposer({ ...base, subject: 'Raw', text: 'Raw hello', ...(attachment ? { attachments: [attachment] } : {}) });
    return (await mail.compile().build()).toString('base64');
  }

  async function postRaw(body: unknown) {
    const response = await fetch(`${outbox.url}/emails/raw`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('says at start-up what the virus scan covers and where clamd is', () => {
    expect(outbox.output()).toContain(`Virus scan: EICAR signature and blocked attachment types; ClamAV at 127.0.0.1:${clamd.port}`);
    expect(outbox.output()).not.toMatch(/does not answer PING/);
  });

  it('delivers a PDF and an inline PNG to the SES stand-in as MIME that mailparser reads back', async () => {
    const { data, error } = await resend.emails.send({
      ...base,
      subject: 'Invoice',
      html: '<p><img src="cid:logo"></p>',
      attachments: [
        { filename: 'invoice.pdf', content: PDF },
        { filename: 'logo.png', content: PNG, contentId: 'logo' },
      ],
    });
    expect(error).toBeNull();
    const parsed = await simpleParser(await sesMime(data!.id), { keepCidLinks: true });
    expect(parsed.html).toContain('src="cid:logo"');
    const byName = [...parsed.attachments].sort((a, b) => (a.filename! < b.filename! ? -1 : 1));
    expect(byName.map((a) => [a.filename, a.contentType, a.contentDisposition, a.cid ?? null, a.content.length])).toEqual([
      ['invoice.pdf', 'application/pdf', 'attachment', null, PDF.length],
      ['logo.png', 'image/png', 'inline', 'logo', PNG.length],
    ]);
    expect(clamd.streams.some((s) => s.equals(PDF))).toBe(true);
  });

  it.each([
    ['a .exe attachment', { filename: 'setup.exe', content: Buffer.from('MZ') }, 'invalid_attachment'],
    ['a .vbs attachment', { filename: 'macro.vbs', content: Buffer.from('MsgBox 1') }, 'invalid_attachment'],
    ['an EICAR attachment', { filename: 'eicar.txt', content: Buffer.from(EICAR_SIGNATURE) }, 'security_error'],
  ])('refuses %s in JSON', async (_case, attachment, name) => {
    const { data, error } = await resend.emails.send({ ...base, subject: 'x', text: 'x', attachments: [attachment] });
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 422, name });
  });

  it.each([
    ['a .exe part', { filename: 'setup.exe', content: 'MZ' }, 'invalid_attachment'],
    ['a .vbs part', { filename: 'macro.vbs', content: 'MsgBox 1' }, 'invalid_attachment'],
    ['an EICAR part', { filename: 'eicar.txt', content: EICAR_SIGNATURE }, 'security_error'],
  ])('refuses raw MIME with %s', async (_case, attachment, name) => {
    const refused = await postRaw({ raw: await raw(attachment) });
    expect(refused).toMatchObject({ status: 422, body: { statusCode: 422, name } });
  });

  it('sends raw MIME through POST /emails/raw', async () => {
    const sent = await postRaw({ raw: await raw() });
    expect(sent.status).toBe(200);
    const parsed = await simpleParser(await sesMime(sent.body.id));
    expect(parsed.subject).toBe('Raw');
    expect(parsed.text?.trim()).toBe('Raw hello');
  });
});
