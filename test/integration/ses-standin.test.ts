import {
  AccountSuspendedException,
  BadRequestException,
  GetAccountCommand,
  GetConfigurationSetCommand,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import { SES_MESSAGE_ID_PATTERN, startSesStandIn, type AcceptedMessage, type SesStandIn } from '../../local/ses-standin';
import { SesEmailSender } from '../../lambda/adapters/ses-email-sender';
import type { EmailDraft } from '../../lambda/core/email';
import { OutboxError } from '../../lambda/core/errors';
import { lightStandInClient, standInClient } from '../helpers/ses-standin-client';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/** The real SDK client, pointed at the stand-in; one attempt, so throttling is seen rather than retried. */
async function rejectionOf(promise: Promise<unknown>): Promise<SESv2ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SESv2ServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function simpleSend(overrides: Partial<SendEmailCommandInput> = {}): SendEmailCommand {
  return new SendEmailCommand({
    FromEmailAddress: 'Outbox <hello@example.com>',
    Destination: { ToAddresses: ['someone@example.net'] },
    Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi there' } } } },
    ...overrides,
  });
}

function rawMessage(lines: string[]): Uint8Array {
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

describe('SES stand-in through the real SESv2Client', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn({
      verifiedIdentities: ['example.com', 'Only.Me@Example.org'],
      configurationSets: ['outbox-events'],
    });
    ses = standInClient(standIn);
  });

  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  beforeEach(() => {
    standIn.clearMessages();
    standIn.setPaused(false);
  });

  it('accepts a Simple send, returns an SES-format MessageId and keeps what was sent', async () => {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'Outbox <hello@example.com>',
        Destination: { ToAddresses: ['Ann <ann@example.net>'], CcAddresses: ['cc@example.net'], BccAddresses: ['bcc@example.net'] },
        ReplyToAddresses: ['replies@example.com'],
        Content: {
          Simple: {
            Subject: { Data: 'Your receipt', Charset: 'UTF-8' },
            Body: { Text: { Data: 'Thanks!' }, Html: { Data: '<p>Thanks!</p>' } },
            Headers: [{ Name: 'List-Unsubscribe', Value: '<https://example.com/u>' }],
            Attachments: [{ FileName: 'receipt.pdf', RawContent: Buffer.from('%PDF-1.7'), ContentType: 'application/pdf' }],
          },
        },
        EmailTags: [{ Name: 'outbox-message-id', Value: 'msg_01' }],
        ConfigurationSetName: 'outbox-events',
      }),
    );

    expect(MessageId).toMatch(SES_MESSAGE_ID_PATTERN);
    expect(MessageId).toMatch(/^0100/);
    const [kept] = standIn.messages();
    expect(kept).toMatchObject<Partial<AcceptedMessage>>({
      messageId: MessageId!,
      contentKind: 'Simple',
      from: 'Outbox <hello@example.com>',
      fromAddress: 'hello@example.com',
      destination: { to: ['Ann <ann@example.net>'], cc: ['cc@example.net'], bcc: ['bcc@example.net'] },
      recipients: ['ann@example.net', 'cc@example.net', 'bcc@example.net'],
      replyTo: ['replies@example.com'],
      subject: 'Your receipt',
      text: 'Thanks!',
      html: '<p>Thanks!</p>',
      headers: [{ name: 'List-Unsubscribe', value: '<https://example.com/u>' }],
      attachments: [{ filename: 'receipt.pdf', contentType: 'application/pdf', disposition: 'ATTACHMENT', size: 8 }],
      tags: [{ name: 'outbox-message-id', value: 'msg_01' }],
      configurationSetName: 'outbox-events',
    });
    expect(Date.parse(kept!.receivedAt)).not.toBeNaN();
  });

  it('keeps a UTF-8 subject and body intact', async () => {
    const subject = 'Grüße aus Köln — 你好 ✉️';
    await ses.send(
      simpleSend({
        Content: { Simple: { Subject: { Data: subject, Charset: 'UTF-8' }, Body: { Text: { Data: 'Ça va? 👋', Charset: 'UTF-8' } } } },
      }),
    );
    expect(standIn.messages()[0]).toMatchObject({ subject, text: 'Ça va? 👋' });
  });

  it('rejects an unverified sender with MessageRejected, as SES words it', async () => {
    const error = await rejectionOf(ses.send(simpleSend({ FromEmailAddress: 'Mallory <mallory@evil.test>' })));

    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.name).toBe('MessageRejected');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      'Email address is not verified. The following identities failed the check in region US-EAST-1: Mallory <mallory@evil.test>',
    );
    expect(standIn.messages()).toHaveLength(0);
  });

  it('lets any address of a verified domain send, subdomains and any case included', async () => {
    await ses.send(simpleSend({ FromEmailAddress: 'billing@example.com' }));
    await ses.send(simpleSend({ FromEmailAddress: 'alerts@mail.EXAMPLE.com' }));
    await ses.send(simpleSend({ FromEmailAddress: '=?UTF-8?B?w4lxdWlwZQ==?= <team@example.com>' }));

    expect(standIn.messages().map((m) => m.from)).toEqual(['billing@example.com', 'alerts@mail.EXAMPLE.com', 'Équipe <team@example.com>']);
  });

  it('lets a verified address send but not its neighbours', async () => {
    await ses.send(simpleSend({ FromEmailAddress: 'only.me@example.org' }));
    const error = await rejectionOf(ses.send(simpleSend({ FromEmailAddress: 'someone.else@example.org' })));

    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.message).toMatch(/failed the check in region US-EAST-1: someone\.else@example\.org$/);
    expect(standIn.messages()).toHaveLength(1);
  });

  it('accepts a Raw send and takes the recipients, subject and parts from its headers', async () => {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        Content: {
          Raw: {
            Data: rawMessage([
              'From: =?UTF-8?Q?Caf=C3=A9_Outbox?= <cafe@example.com>',
              'To: "Doe, Jane" <jane@example.net>, Team: a@example.net, b@example.net;',
              'Cc: carol@example.net',
              'Bcc: dave@example.net',
              'Subject: =?UTF-8?B?Q29tbWFuZGUgbsKwIDQy?=',
              'X-SES-CONFIGURATION-SET: outbox-events',
              'MIME-Version: 1.0',
              'Content-Type: multipart/mixed; boundary="b1"',
              '',
              '--b1',
              'Content-Type: multipart/alternative; boundary="b2"',
              '',
              '--b2',
              'Content-Type: text/plain; charset=UTF-8',
              'Content-Transfer-Encoding: quoted-printable',
              '',
              'Merci, =C3=A0 bient=C3=B4t',
              '--b2',
              'Content-Type: text/html; charset=UTF-8',
              '',
              '<p>Merci</p>',
              '--b2--',
              '--b1',
              'Content-Type: text/csv; name="orders.csv"',
              'Content-Disposition: attachment; filename="orders.csv"',
              'Content-Transfer-Encoding: base64',
              '',
              Buffer.from('id,total\n42,9.90\n').toString('base64'),
              '--b1--',
              '',
            ]),
          },
        },
      }),
    );

    expect(MessageId).toMatch(SES_MESSAGE_ID_PATTERN);
    expect(standIn.messages()[0]).toMatchObject({
      contentKind: 'Raw',
      from: 'Café Outbox <cafe@example.com>',
      fromAddress: 'cafe@example.com',
      destination: {
        to: ['Doe, Jane <jane@example.net>', 'a@example.net', 'b@example.net'],
        cc: ['carol@example.net'],
        bcc: ['dave@example.net'],
      },
      recipients: ['jane@example.net', 'a@example.net', 'b@example.net', 'carol@example.net', 'dave@example.net'],
      subject: 'Commande n° 42',
      text: 'Merci, à bientôt',
      html: '<p>Merci</p>',
      attachments: [{ filename: 'orders.csv', contentType: 'text/csv', disposition: 'ATTACHMENT', size: 17 }],
      configurationSetName: 'outbox-events',
    });
    expect(standIn.messages()[0]!.raw).toContain('Subject: =?UTF-8?B?Q29tbWFuZGUgbsKwIDQy?=');
  });

  it('sends a Raw message to Destination instead of its headers when Destination is given', async () => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'hello@example.com',
        Destination: { ToAddresses: ['only-this@example.net'] },
        Content: { Raw: { Data: rawMessage(['From: hello@example.com', 'To: header@example.net', 'Subject: x', '', 'body']) } },
      }),
    );
    expect(standIn.messages()[0]!.recipients).toEqual(['only-this@example.net']);
  });

  it('rejects a Raw message whose From header is not verified', async () => {
    const error = await rejectionOf(
      ses.send(new SendEmailCommand({ Content: { Raw: { Data: rawMessage(['From: x@evil.test', 'To: a@example.net', '', 'hi']) } } })),
    );
    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.message).toMatch(/: x@evil\.test$/);
  });

  it('accepts a Template send and renders inline template content with its data', async () => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'hello@example.com',
        Destination: { ToAddresses: ['ann@example.net'] },
        Content: {
          Template: {
            TemplateContent: { Subject: 'Hi {{name}}', Text: 'Order {{order.id}} shipped' },
            TemplateData: JSON.stringify({ name: 'Ann', order: { id: 42 } }),
          },
        },
      }),
    );
    expect(standIn.messages()[0]).toMatchObject({
      contentKind: 'Template',
      subject: 'Hi Ann',
      text: 'Order 42 shipped',
      template: { data: '{"name":"Ann","order":{"id":42}}', content: { subject: 'Hi {{name}}', text: 'Order {{order.id}} shipped' } },
    });
  });

  it('rejects a message over 40 MB with MessageRejected', async () => {
    const raw = Buffer.alloc(40 * 1024 * 1024 + 1, 'a');
    raw.write('From: hello@example.com\r\nTo: a@example.net\r\nSubject: big\r\n\r\n');
    const error = await rejectionOf(ses.send(new SendEmailCommand({ Content: { Raw: { Data: raw } } })));

    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.message).toBe("Message length is more than 41943040 bytes long: '41943041'.");
  });

  it('answers SendingPausedException while sending is paused, and sends again once resumed', async () => {
    standIn.setPaused(true);
    const error = await rejectionOf(ses.send(simpleSend()));
    expect(error).toBeInstanceOf(SendingPausedException);
    expect(error.message).toBe('Sending is paused for this account.');
    expect((await ses.send(new GetAccountCommand({}))).SendingEnabled).toBe(false);

    standIn.setPaused(false);
    await ses.send(simpleSend());
    expect(standIn.messages()).toHaveLength(1);
  });

  it('refuses a tag with characters SES does not allow with BadRequestException', async () => {
    const error = await rejectionOf(ses.send(simpleSend({ EmailTags: [{ Name: 'campaign', Value: 'spring:2026' }] })));

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toBe("Invalid tag value <spring:2026>: only alphanumeric ASCII characters, '_', and '-' are allowed.");
  });

  it('refuses requests SES would refuse, with its error names', async () => {
    const noRecipients = await rejectionOf(ses.send(simpleSend({ Destination: {} })));
    expect(noRecipients).toBeInstanceOf(BadRequestException);
    expect(noRecipients.message).toBe('There are no recipients specified.');

    const tooMany = Array.from({ length: 51 }, (_, i) => `r${i}@example.net`);
    const overFifty = await rejectionOf(ses.send(simpleSend({ Destination: { BccAddresses: tooMany } })));
    expect(overFifty).toBeInstanceOf(BadRequestException);
    expect(overFifty.message).toBe('Recipient count exceeds 50.');

    const unknownSet = await rejectionOf(ses.send(simpleSend({ ConfigurationSetName: 'nope' })));
    expect(unknownSet).toBeInstanceOf(NotFoundException);
    expect(unknownSet.$metadata.httpStatusCode).toBe(404);
    expect(unknownSet.message).toBe('Configuration set nope does not exist.');

    const badAddress = await rejectionOf(ses.send(simpleSend({ Destination: { ToAddresses: ['not an address'] } })));
    expect(badAddress).toBeInstanceOf(BadRequestException);

    const blocked = await rejectionOf(
      ses.send(
        simpleSend({
          Content: {
            Simple: {
              Subject: { Data: 's' },
              Body: { Text: { Data: 't' } },
              Attachments: [{ FileName: 'setup.exe', RawContent: Buffer.from('MZ') }],
            },
          },
        }),
      ),
    );
    expect(blocked).toBeInstanceOf(MessageRejected);
    expect(standIn.messages()).toHaveLength(0);
  });

  it('answers an injected SES error as that typed exception', async () => {
    standIn.failNextSends({ name: 'AccountSuspendedException', message: 'Your account has been suspended.' });
    const error = await rejectionOf(ses.send(simpleSend()));
    expect(error).toBeInstanceOf(AccountSuspendedException);
    expect(error.message).toBe('Your account has been suspended.');

    await ses.send(simpleSend());
    expect(standIn.messages()).toHaveLength(1);
  });

  it('answers an operation it does not implement with UnknownOperationException', async () => {
    const error = await rejectionOf(ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: 'outbox-test' })));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('tells listeners about each accepted message until they unsubscribe', async () => {
    const heard: string[] = [];
    const unsubscribe = standIn.onAccepted((m) => heard.push(m.messageId));
    const { MessageId } = await ses.send(simpleSend());
    unsubscribe();
    await ses.send(simpleSend());
    expect(heard).toEqual([MessageId]);
  });

  it('lists accepted messages newest first over HTTP, finds one by ID and clears them', async () => {
    const first = await ses.send(simpleSend({ Content: { Simple: { Subject: { Data: 'first' }, Body: { Text: { Data: '1' } } } } }));
    const second = await ses.send(simpleSend({ Content: { Simple: { Subject: { Data: 'second' }, Body: { Text: { Data: '2' } } } } }));

    const list = (await (await fetch(`${standIn.url}/_local/messages`)).json()) as { data: AcceptedMessage[] };
    expect(list.data.map((m) => m.messageId)).toEqual([second.MessageId, first.MessageId]);

    const one = await fetch(`${standIn.url}/_local/messages/${first.MessageId}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as AcceptedMessage).subject).toBe('first');
    expect((await fetch(`${standIn.url}/_local/messages/0100-missing`)).status).toBe(404);

    expect((await fetch(`${standIn.url}/_local/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(standIn.messages()).toHaveLength(0);
  });
});

describe('SES stand-in sending rate', () => {
  let now = Date.parse('2026-03-01T12:00:00Z');
  let standIn: SesStandIn;
  let ses: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn({ maxSendRate: 2, clock: () => now });
    ses = standInClient(standIn);
  });

  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  it('answers TooManyRequestsException (429) over the rate, and sends again once the bucket refills', async () => {
    await ses.send(simpleSend());
    await ses.send(simpleSend());
    const error = await rejectionOf(ses.send(simpleSend()));

    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error.message).toBe('Maximum sending rate exceeded.');

    now += 500; // half a second at 2/s refills one recipient's worth
    await ses.send(simpleSend());
    await expect(ses.send(simpleSend())).rejects.toBeInstanceOf(TooManyRequestsException);
    expect(standIn.messages()).toHaveLength(3);
  });

  it('counts recipients, not messages, against the rate', async () => {
    now += 1000;
    await ses.send(simpleSend({ Destination: { ToAddresses: ['a@example.net'], CcAddresses: ['b@example.net'] } }));
    await expect(ses.send(simpleSend())).rejects.toBeInstanceOf(TooManyRequestsException);
  });

  it('reports the rate, SendingEnabled and the last 24 hours in GetAccount', async () => {
    const account = await ses.send(new GetAccountCommand({}));
    expect(account.SendQuota).toEqual({ Max24HourSend: -1, MaxSendRate: 2, SentLast24Hours: 5 });
    expect(account.SendingEnabled).toBe(true);
    expect(account.ProductionAccessEnabled).toBe(true);
    expect(account.EnforcementStatus).toBe('HEALTHY');
  });
});

describe('SES stand-in request size cap', () => {
  it('answers a body over the cap with 413, which the SDK surfaces as a named service error', async () => {
    const standIn = await startSesStandIn({ maxRequestBytes: 2048 });
    const ses = standInClient(standIn);
    try {
      const error = await rejectionOf(
        ses.send(simpleSend({ Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'x'.repeat(4096) } } } } })),
      );
      expect(error.name).toBe('RequestEntityTooLargeException');
      expect(error.$metadata.httpStatusCode).toBe(413);
      expect(standIn.messages()).toHaveLength(0);
    } finally {
      ses.destroy();
      await standIn.stop();
    }
  });
});

describe('SesEmailSender against the stand-in: refusals that retrying cannot cure', () => {
  const draft: EmailDraft = {
    from: { address: 'hello@example.com' },
    to: [{ address: 'someone@example.net' }],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: 'Hello',
    text: 'Hi there',
    headers: [],
    tags: [],
    attachments: [],
  };

  it('turns NotFoundException (a configuration set SES does not have) into message_rejected, not an outage', async () => {
    const standIn = await startSesStandIn({ configurationSets: ['outbox-events'] });
    const ses = lightStandInClient(standIn);
    try {
      const error = await new SesEmailSender(ses).send(draft, { emailId: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11', configurationSet: 'missing-set' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboxError);
      expect(error).toMatchObject({ kind: 'message_rejected' });
      expect((error as OutboxError).message).toContain('Configuration set missing-set does not exist');
      expect(standIn.messages()).toHaveLength(0);
    } finally {
      await standIn.stop();
    }
  });

  it('turns an AccessDeniedException into a 403 invalid_access refusal that names the missing permission', async () => {
    const standIn = await startSesStandIn();
    const ses = lightStandInClient(standIn);
    const denial =
      'User: arn:aws:sts::123456789012:assumed-role/Outbox-ApiRole/Outbox-Api is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:us-east-1:123456789012:identity/example.com because no identity-based policy allows the ses:SendEmail action';
    // The stand-in answers as SES does when IAM refuses: HTTP 403, x-amzn-ErrorType AccessDeniedException.
    standIn.failNextSends({ name: 'AccessDeniedException', message: denial, statusCode: 403 });
    try {
      const error = await new SesEmailSender(ses).send(draft, { emailId: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboxError);
      expect(error).toMatchObject({ kind: 'ses_access_denied', status: 403, code: 'invalid_access' });
      const message = (error as OutboxError).message;
      expect(message).toContain(denial);
      expect(message).toContain("Outbox's role is missing ses:SendEmail on arn:aws:ses:us-east-1:123456789012:identity/example.com");
      expect(message).toContain('outbox:identities');
      expect(standIn.messages()).toHaveLength(0);
    } finally {
      await standIn.stop();
    }
  });

  it('turns a 413 RequestEntityTooLargeException into message_rejected', async () => {
    const standIn = await startSesStandIn({ maxRequestBytes: 2048 });
    const ses = lightStandInClient(standIn);
    try {
      const error = await new SesEmailSender(ses).send({ ...draft, text: 'x'.repeat(4096) }, { emailId: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'message_rejected' });
    } finally {
      await standIn.stop();
    }
  });
});
