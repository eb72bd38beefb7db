import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * Raw MIME that would carry a header past Outbox's checks, through the local runtime over real
 * HTTP: the SES stand-in must receive nothing, since it (like SES) would send the bytes on as
 * they are. A well-formed message afterwards shows the same path does reach the stand-in.
 */
describe('POST /emails/raw refuses header smuggling', () => {
  let outbox: LocalOutbox;
  const HEAD = 'From: Acme <hello@acme.test>\r\nTo: success@simulator.amazonses.com\r\n';

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], logError: () => undefined });
    outbox.ses.setSimulateEvents(false);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  async function postRaw(raw: string) {
    const response = await fetch(`${outbox.url}/emails/raw`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ raw: Buffer.from(raw, 'latin1').toString('base64') }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it.each([
    ['a Bcc header after a bare CR', `From: Acme <hello@acme.test>\r\nTo: success@simulator.amazonses.com\rBcc: evil@example.net\r\n\r\nHi\r\n`, /bare CR.*`Bcc` header at line 3/],
    ['a Bcc header after a bare LF', `From: Acme <hello@acme.test>\r\nTo: success@simulator.amazonses.com\nBcc: evil@example.net\r\n\r\nHi\r\n`, /bare LF.*`Bcc` header at line 3/],
    ['an X-SES header after a bare CR', `${HEAD}Subject: x\rX-SES-CONFIGURATION-SET: other\r\n\r\nHi\r\n`, /bare CR.*`X-SES-CONFIGURATION-SET` header at line 4/],
    ['a NUL byte in the header section', `${HEAD}Subject: a\x00Bcc: evil@example.net\r\n\r\nHi\r\n`, /contains a NUL byte \(0x00\) at line 3/],
    ['a header section ended by CR CR LF, after which postal-mime reads a Bcc', `${HEAD}Subject: x\r\r\nBcc: evil@example.net\r\n\r\nHi\r\n`, /^Line 3 of the raw message ends with a bare CR/],
    ['a Bcc header in odd case with a space before the colon', `${HEAD}bCC : evil@example.net\r\n\r\nHi\r\n`, /`Bcc` header \(written `bCC`\) at line 3/],
  ])('refuses %s with 422 validation_error and sends nothing', async (_case, raw, text) => {
    const refused = await postRaw(raw);
    expect(refused).toMatchObject({ status: 422, body: { statusCode: 422, name: 'validation_error' } });
    expect(refused.body.message).toMatch(text);
    expect(outbox.ses.messages()).toHaveLength(0);
  });

  it('sends a well-formed message through the same path, byte for byte', async () => {
    const raw = `${HEAD}Subject: fine\r\nX-Note: folded\r\n Bcc: only a value here\r\n\r\nHi\r\n`;
    const sent = await postRaw(raw);
    expect(sent.status).toBe(200);
    const messages = outbox.ses.messages();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.mime).toBe(raw);
  });
});
