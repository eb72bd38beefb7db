import {
  SES_MESSAGE_ID_PATTERN,
  sesRecordOf,
  simulateOutcomes,
  simulatorMailboxOf,
  type AcceptedMessage,
  type ScheduledNotification,
  type SesBounce,
  type SesComplaint,
  type SesDelivery,
  type SesEventRecord,
  type SimulateOptions,
} from '../../local/ses-standin';

// Expected values are those of the real simulator captures in test/fixtures/ses/observed-simulator-*.json.
const SES_ID = '0100018264c6505e-66ca92ab-0593-41de-8df9-38b09a02a206-000000';
const ACCEPTED_AT = Date.parse('2026-11-28T10:00:00.250Z');
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:outbox-ses-events';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const WHOLE_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

function message(recipients: { to?: string[]; cc?: string[]; bcc?: string[] }, overrides: Partial<AcceptedMessage> = {}): AcceptedMessage {
  const to = recipients.to ?? [];
  const cc = recipients.cc ?? [];
  const bcc = recipients.bcc ?? [];
  return {
    messageId: SES_ID,
    receivedAt: new Date(ACCEPTED_AT).toISOString(),
    contentKind: 'Simple',
    from: 'Outbox <hello@example.com>',
    fromAddress: 'hello@example.com',
    destination: { to, cc, bcc },
    recipients: [...to, ...cc, ...bcc].map((a) => /<([^>]+)>/.exec(a)?.[1] ?? a),
    replyTo: [],
    subject: 'Your receipt',
    text: 'Thanks!',
    headers: [],
    attachments: [],
    mime: 'From: Outbox <hello@example.com>\r\nSubject: Your receipt\r\n\r\nThanks!\r\n',
    configurationSetName: 'outbox-events',
    tags: [{ name: 'outbox-message-id', value: 'msg_01' }],
    sizeBytes: 1024,
    ...overrides,
  };
}

/** A repeatable stand-in for Math.random. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function simulate(msg: AcceptedMessage, options: Partial<SimulateOptions> = {}): ScheduledNotification[] {
  return simulateOutcomes(msg, { region: 'us-east-1', topicArn: TOPIC, clock: () => ACCEPTED_AT, random: seeded(7), ...options });
}

function records(notifications: readonly ScheduledNotification[]): SesEventRecord[] {
  return notifications.map((n) => sesRecordOf(n.envelope));
}

function kinds(notifications: readonly ScheduledNotification[]): string[] {
  return records(notifications).map((r) => (r.eventType === 'Bounce' ? `Bounce/${r.bounce.bounceType}` : r.eventType));
}

function only<T extends SesEventRecord['eventType']>(
  notifications: readonly ScheduledNotification[],
  eventType: T,
): Extract<SesEventRecord, { eventType: T }>[] {
  return records(notifications).filter((r): r is Extract<SesEventRecord, { eventType: T }> => r.eventType === eventType);
}

function bounceOf(notifications: readonly ScheduledNotification[], type: SesBounce['bounceType']): SesBounce {
  const bounces = only(notifications, 'Bounce').filter((r) => r.bounce.bounceType === type);
  expect(bounces).toHaveLength(1);
  return bounces[0]!.bounce;
}

describe('simulatorMailboxOf', () => {
  it.each([
    ['success@simulator.amazonses.com', 'success'],
    ['bounce@simulator.amazonses.com', 'bounce'],
    ['ooto@simulator.amazonses.com', 'ooto'],
    ['complaint@simulator.amazonses.com', 'complaint'],
    ['suppressionlist@simulator.amazonses.com', 'suppressionlist'],
    ['Bounce+Order-42@Simulator.AmazonSES.com', 'bounce'],
    ['COMPLAINT+a+b@simulator.amazonses.com', 'complaint'],
    ['email@simulator.amazonses.com', undefined],
    ['bounce@simulator.amazonses.com.example.net', undefined],
    ['bounce@example.com', undefined],
  ])('reads %s as %s', (address, expected) => {
    expect(simulatorMailboxOf(address)).toBe(expected);
  });
});

describe('simulateOutcomes', () => {
  it('delivers an ordinary address: one Send, then one Delivery with the simulator SMTP answer', () => {
    const out = simulate(message({ to: ['someone@example.net'] }));

    expect(kinds(out)).toEqual(['Send', 'Delivery']);
    const [send, delivery] = records(out) as [Extract<SesEventRecord, { eventType: 'Send' }>, Extract<SesEventRecord, { eventType: 'Delivery' }>];
    expect(send.send).toEqual({});
    expect(delivery.delivery).toEqual<SesDelivery>({
      timestamp: expect.stringMatching(ISO_MS),
      processingTimeMillis: expect.any(Number),
      recipients: ['someone@example.net'],
      smtpResponse: '250 2.6.0 Message received',
      remoteMtaIp: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      reportingMTA: expect.stringMatching(/^a\d+-\d+\.smtp-out\.amazonses\.com$/),
    });
    expect(delivery.delivery.processingTimeMillis).toBe(Date.parse(delivery.delivery.timestamp) - ACCEPTED_AT);
    expect(delivery.delivery.processingTimeMillis).toBeGreaterThan(0);
    expect(out[0]!.delayMs).toBeLessThan(50);
    expect(out[1]!.delayMs).toBeGreaterThanOrEqual(100);
    expect(out[1]!.delayMs).toBeLessThan(300);
  });

  it('delivers success@ like an ordinary address', () => {
    const out = simulate(message({ to: ['success@simulator.amazonses.com'] }));
    expect(kinds(out)).toEqual(['Send', 'Delivery']);
    expect(only(out, 'Delivery')[0]!.delivery).toMatchObject({
      recipients: ['success@simulator.amazonses.com'],
      smtpResponse: '250 2.6.0 Message received',
    });
  });

  it('hard-bounces bounce@: Permanent/General with the DSN fields, and no Delivery', () => {
    const out = simulate(message({ to: ['bounce@simulator.amazonses.com'] }));

    expect(kinds(out)).toEqual(['Send', 'Bounce/Permanent']);
    const bounce = bounceOf(out, 'Permanent');
    expect(bounce).toEqual<SesBounce>({
      feedbackId: expect.stringMatching(SES_MESSAGE_ID_PATTERN),
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [
        { emailAddress: 'bounce@simulator.amazonses.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
      ],
      timestamp: expect.stringMatching(WHOLE_SECOND),
      remoteMtaIp: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      reportingMTA: expect.stringMatching(/^dns; a\d+-\d+\.smtp-out\.amazonses\.com$/),
    });
    expect(bounce.feedbackId).not.toBe(SES_ID);
  });

  it('bounces suppressionlist@ as Permanent/General (not Suppressed) with the blacklisted-address diagnostic', () => {
    const out = simulate(message({ to: ['suppressionlist@simulator.amazonses.com'] }));

    expect(kinds(out)).toEqual(['Send', 'Bounce/Permanent']);
    const bounce = bounceOf(out, 'Permanent');
    expect(bounce.bounceSubType).toBe('General');
    expect(bounce.bouncedRecipients).toEqual([
      {
        emailAddress: 'suppressionlist@simulator.amazonses.com',
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: 'smtp; 550 5.1.1 user unknown ( blacklisted address: suppressionlist@simulator.amazonses.com )',
      },
    ]);
    expect(bounce.reportingMTA).toMatch(/^dns; /);
  });

  it('delivers ooto@, then reports the auto-reply as a Transient/General bounce with the address only', () => {
    const out = simulate(message({ to: ['ooto@simulator.amazonses.com'] }));

    expect(kinds(out)).toEqual(['Send', 'Delivery', 'Bounce/Transient']);
    const bounce = bounceOf(out, 'Transient');
    expect(bounce).toEqual({
      feedbackId: expect.stringMatching(SES_MESSAGE_ID_PATTERN),
      bounceType: 'Transient',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: 'ooto@simulator.amazonses.com' }],
      timestamp: expect.stringMatching(WHOLE_SECOND),
    });
    expect(Object.keys(bounce)).not.toContain('reportingMTA');
    expect(Object.keys(bounce)).not.toContain('remoteMtaIp');
    expect(out[2]!.delayMs - out[1]!.delayMs).toBeGreaterThanOrEqual(200);
  });

  it('delivers complaint@, then sends an abuse Complaint from the simulator with complaintSubType null', () => {
    const out = simulate(message({ to: ['complaint@simulator.amazonses.com'] }));

    expect(kinds(out)).toEqual(['Send', 'Delivery', 'Complaint']);
    const complaint = only(out, 'Complaint')[0]!.complaint;
    expect(complaint).toEqual<SesComplaint>({
      feedbackId: expect.stringMatching(SES_MESSAGE_ID_PATTERN),
      complaintSubType: null,
      complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
      timestamp: expect.stringMatching(WHOLE_SECOND),
      userAgent: 'Amazon SES Mailbox Simulator',
      complaintFeedbackType: 'abuse',
      arrivalDate: expect.stringMatching(ISO_MS),
    });
    expect(Object.keys(complaint)).toContain('complaintSubType');
    expect(Date.parse(complaint.arrivalDate)).toBeGreaterThan(Date.parse(only(out, 'Delivery')[0]!.delivery.timestamp));
  });

  it('recognises label forms and any case, and reports the address as it was written', () => {
    const out = simulate(message({ to: ['Bounce+Order-42@Simulator.AmazonSES.com', 'complaint+x@simulator.amazonses.com'] }));

    expect(kinds(out)).toEqual(expect.arrayContaining(['Send', 'Bounce/Permanent', 'Delivery', 'Complaint']));
    expect(bounceOf(out, 'Permanent').bouncedRecipients[0]!.emailAddress).toBe('Bounce+Order-42@Simulator.AmazonSES.com');
    expect(only(out, 'Complaint')[0]!.complaint.complainedRecipients).toEqual([{ emailAddress: 'complaint+x@simulator.amazonses.com' }]);
  });

  it('handles a message to several simulator addresses: one Send, one combined hard bounce, a Delivery per delivered recipient', () => {
    const out = simulate(
      message({
        to: ['success@simulator.amazonses.com', 'bounce@simulator.amazonses.com', 'ooto@simulator.amazonses.com'],
        cc: ['complaint@simulator.amazonses.com'],
        bcc: ['suppressionlist@simulator.amazonses.com', 'someone@example.net'],
      }),
    );

    expect(kinds(out).sort()).toEqual(
      ['Send', 'Delivery', 'Delivery', 'Delivery', 'Delivery', 'Bounce/Permanent', 'Bounce/Transient', 'Complaint'].sort(),
    );
    expect(kinds(out)[0]).toBe('Send');
    expect(bounceOf(out, 'Permanent').bouncedRecipients.map((r) => r.emailAddress)).toEqual([
      'bounce@simulator.amazonses.com',
      'suppressionlist@simulator.amazonses.com',
    ]);
    expect(only(out, 'Delivery').map((r) => r.delivery.recipients).sort()).toEqual([
      ['complaint@simulator.amazonses.com'],
      ['ooto@simulator.amazonses.com'],
      ['someone@example.net'],
      ['success@simulator.amazonses.com'],
    ]);
    expect(bounceOf(out, 'Transient').bouncedRecipients).toEqual([{ emailAddress: 'ooto@simulator.amazonses.com' }]);
    for (const r of records(out)) {
      expect(r.mail.messageId).toBe(SES_ID);
      expect(r.mail.destination).toEqual([
        'success@simulator.amazonses.com',
        'bounce@simulator.amazonses.com',
        'ooto@simulator.amazonses.com',
        'complaint@simulator.amazonses.com',
        'suppressionlist@simulator.amazonses.com',
        'someone@example.net',
      ]);
      expect(r.mail.tags['outbox-message-id']).toEqual(['msg_01']);
    }
    const delays = out.map((n) => n.delayMs);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(Math.max(...delays)).toBeLessThan(1000);
  });

  it('keeps its timing rules at the extremes of the random source', () => {
    const all = message({ to: ['ooto@simulator.amazonses.com', 'complaint@simulator.amazonses.com', 'bounce@simulator.amazonses.com'] });
    for (const random of [() => 0, () => 0.999999]) {
      const out = simulate(all, { random });
      expect(kinds(out)[0]).toBe('Send');
      expect(out[0]!.delayMs).toBeLessThan(50);
      expect(out.slice(1).every((n) => n.delayMs >= 100)).toBe(true);
      expect(Math.max(...out.map((n) => n.delayMs))).toBeLessThan(1000);
    }
  });

  it('gives one Delivery to an address listed twice in different case', () => {
    const out = simulate(message({ to: ['someone@example.net'], cc: ['Someone@Example.net'] }));
    expect(kinds(out)).toEqual(['Send', 'Delivery']);
    expect(records(out)[0]!.mail.destination).toEqual(['someone@example.net', 'Someone@Example.net']);
  });

  it('wraps every record in an SNS envelope as SQS receives it, with a fresh MessageId each', () => {
    const msg = message({ to: ['ooto@simulator.amazonses.com', 'complaint@simulator.amazonses.com'], bcc: ['bounce@simulator.amazonses.com'] });
    const out = simulate(msg);

    for (const { delayMs, envelope } of out) {
      expect(Object.keys(envelope)).toEqual([
        'Type',
        'MessageId',
        'TopicArn',
        'Subject',
        'Message',
        'Timestamp',
        'SignatureVersion',
        'Signature',
        'SigningCertURL',
        'UnsubscribeURL',
      ]);
      expect(envelope).toMatchObject({
        Type: 'Notification',
        TopicArn: TOPIC,
        Subject: 'Amazon SES Email Event Notification',
        SignatureVersion: '1',
      });
      expect(envelope.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(envelope.Message.endsWith('}\n')).toBe(true);
      expect(() => JSON.parse(envelope.Message)).not.toThrow();
      expect(envelope.Timestamp).toBe(new Date(ACCEPTED_AT + delayMs).toISOString());
      expect(envelope.Signature).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/);
      expect(envelope.SigningCertURL).toMatch(/^https:\/\/sns\.us-east-1\.amazonaws\.com\/SimpleNotificationService-[0-9a-f]{32}\.pem$/);
      expect(envelope.UnsubscribeURL).toMatch(
        /^https:\/\/sns\.us-east-1\.amazonaws\.com\/\?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:outbox-ses-events:[0-9a-f-]{36}$/,
      );
    }
    expect(new Set(out.map((n) => n.envelope.MessageId)).size).toBe(out.length);
    expect(new Set(out.map((n) => n.envelope.UnsubscribeURL)).size).toBe(1);
    expect(new Set(only(out, 'Bounce').map((r) => r.bounce.feedbackId)).size).toBe(2);
  });

  it('fills the mail object as event publishing does: SES message ID, recipients, headers, auto tags and the message tags', () => {
    const msg = message(
      { to: ['Ann <ann@example.net>'], cc: ['cc@example.net'], bcc: ['hidden@example.net'] },
      { replyTo: ['replies@example.com'], headers: [{ name: 'List-Unsubscribe', value: '<https://example.com/u>' }] },
    );
    const [send, delivery] = records(simulate(msg));

    expect(send!.mail).toEqual({
      timestamp: '2026-11-28T10:00:00.250Z',
      source: 'Outbox <hello@example.com>',
      sourceArn: 'arn:aws:ses:us-east-1:000000000000:identity/example.com',
      sendingAccountId: '000000000000',
      messageId: SES_ID,
      destination: ['ann@example.net', 'cc@example.net', 'hidden@example.net'],
      headersTruncated: false,
      headers: [
        { name: 'From', value: 'Outbox <hello@example.com>' },
        { name: 'Reply-To', value: 'replies@example.com' },
        { name: 'To', value: 'Ann <ann@example.net>' },
        { name: 'Cc', value: 'cc@example.net' },
        { name: 'Subject', value: 'Your receipt' },
        { name: 'Date', value: 'Sat, 28 Nov 2026 10:00:00 +0000' },
        { name: 'MIME-Version', value: '1.0' },
        { name: 'Content-Type', value: 'text/plain; charset=UTF-8' },
        { name: 'Content-Transfer-Encoding', value: '7bit' },
        { name: 'List-Unsubscribe', value: '<https://example.com/u>' },
      ],
      commonHeaders: {
        from: ['Outbox <hello@example.com>'],
        replyTo: ['replies@example.com'],
        date: 'Sat, 28 Nov 2026 10:00:00 +0000',
        to: ['Ann <ann@example.net>'],
        cc: ['cc@example.net'],
        messageId: SES_ID,
        subject: 'Your receipt',
      },
      tags: {
        'ses:source-tls-version': ['TLSv1.3'],
        'ses:operation': ['SendEmail'],
        'ses:configuration-set': ['outbox-events'],
        'ses:source-ip': ['127.0.0.1'],
        'ses:from-domain': ['example.com'],
        'ses:caller-identity': ['outbox-local'],
        'outbox-message-id': ['msg_01'],
      },
    });
    expect(JSON.stringify(send!.mail)).not.toContain('Bcc');
    // Delivery records also name the outbound IP, matching the reporting MTA (aX-Y sends from 54.240.X.Y).
    const [, x, y] = /^a(\d+)-(\d+)\./.exec((delivery as Extract<SesEventRecord, { eventType: 'Delivery' }>).delivery.reportingMTA)!;
    expect(delivery!.mail.tags).toEqual({ ...send!.mail.tags, 'ses:outgoing-ip': [`54.240.${x}.${y}`] });
    expect(Object.keys(delivery!.mail.tags).indexOf('ses:outgoing-ip')).toBeLessThan(Object.keys(delivery!.mail.tags).indexOf('outbox-message-id'));
  });

  it('publishes a Raw message with its own headers, the commonHeaders read from them', () => {
    const msg = message(
      { to: ['bounce@simulator.amazonses.com'] },
      {
        contentKind: 'Raw',
        from: 'Outbox <hello@example.com>',
        headers: [
          { name: 'From', value: 'Outbox <hello@example.com>' },
          { name: 'To', value: 'Bob <bounce@simulator.amazonses.com>' },
          { name: 'Subject', value: '=?UTF-8?B?R3LDvMOfZQ==?=' },
          { name: 'Date', value: 'Sat, 28 Nov 2026 09:59:59 +0000' },
          { name: 'X-SES-MESSAGE-TAGS', value: 'outbox-message-id=msg_02' },
        ],
        subject: 'Grüße',
        tags: [{ name: 'outbox-message-id', value: 'msg_02' }],
      },
    );
    const [send] = records(simulate(msg));

    expect(send!.mail.headers).toEqual(msg.headers);
    expect(send!.mail.commonHeaders).toEqual({
      from: ['Outbox <hello@example.com>'],
      date: 'Sat, 28 Nov 2026 09:59:59 +0000',
      to: ['Bob <bounce@simulator.amazonses.com>'],
      messageId: SES_ID,
      subject: 'Grüße',
    });
    expect(send!.mail.tags['outbox-message-id']).toEqual(['msg_02']);
  });

  it('truncates the published headers at 10 KB and says so', () => {
    const headers = Array.from({ length: 15 }, (_, i) => ({ name: `X-Filler-${i}`, value: 'x'.repeat(900) }));
    const [send] = records(simulate(message({ to: ['someone@example.net'] }, { headers })));
    expect(send!.mail.headersTruncated).toBe(true);
    expect(send!.mail.headers.length).toBeLessThan(9 + 15);
    expect(send!.mail.headers[0]).toEqual({ name: 'From', value: 'Outbox <hello@example.com>' });
  });

  it('publishes nothing without a configuration set, and uses the default one when the message names none', () => {
    const msg = message({ to: ['bounce@simulator.amazonses.com'] }, { configurationSetName: undefined });
    expect(simulate(msg)).toEqual([]);

    const out = simulate(msg, { configurationSetName: 'account-default' });
    expect(records(out)[0]!.mail.tags['ses:configuration-set']).toEqual(['account-default']);
  });

  it('uses the Region and account it is given', () => {
    const out = simulate(message({ to: ['bounce@simulator.amazonses.com', 'someone@example.net'] }, { messageId: SES_ID.replace(/^0100/, '0102') }), {
      region: 'eu-west-1',
      accountId: '123456789012',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:events',
    });
    const bounce = bounceOf(out, 'Permanent');
    expect(bounce.feedbackId).toMatch(/^0102/);
    expect(bounce.reportingMTA).toMatch(/^dns; a\d+-\d+\.smtp-out\.eu-west-1\.amazonses\.com$/);
    expect(records(out)[0]!.mail).toMatchObject({
      sendingAccountId: '123456789012',
      sourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com',
    });
    expect(out[0]!.envelope.SigningCertURL).toMatch(/^https:\/\/sns\.eu-west-1\.amazonaws\.com\//);
  });
});
