import { ERROR_KINDS, OutboxError, type ErrorKind } from '../../lambda/core/errors';
import { envelopeAddressProblem, prepareSmtpSubmission, smtpReplyFor, SMTP_REPLIES, tooManyRecipientsReply } from '../../lambda/core/smtp-submission';
import { AuthFailureLimiter } from '../../local/smtp-server';

const message = (headers: string[], body = 'Hello') => Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`);
const decoded = (raw: string) => Buffer.from(raw, 'base64').toString();

describe('prepareSmtpSubmission', () => {
  const headers = ['From: App <app@acme.test>', 'To: Ann <ann@example.com>', 'Cc: bob@example.com', 'Subject: Hi'];

  it('makes each RCPT TO a to, cc or bcc recipient by whether the To or Cc header names it', async () => {
    const { request } = await prepareSmtpSubmission({ mailFrom: 'app@acme.test', rcptTo: ['ANN@example.com', 'bob@example.com', 'carol@example.com'] }, message(headers));
    expect(request).toMatchObject({ to: ['ANN@example.com'], cc: ['bob@example.com'], bcc: ['carol@example.com'], tags: [] });
    // MAIL FROM is From's own address: From (with its display name) stands.
    expect(request).not.toHaveProperty('from');
  });

  it('passes a MAIL FROM other than From as the identity SES checks, and none for <>', async () => {
    expect((await prepareSmtpSubmission({ mailFrom: 'bounces@acme.test', rcptTo: ['ann@example.com'] }, message(headers))).request.from).toBe('bounces@acme.test');
    expect((await prepareSmtpSubmission({ mailFrom: '', rcptTo: ['ann@example.com'] }, message(headers))).request).not.toHaveProperty('from');
  });

  it('removes Bcc (folded too), the idempotency and tags headers and X-SES-CONFIGURATION-SET, and leaves the rest as written', async () => {
    const bytes = message([
      ...headers,
      'Bcc: carol@example.com,',
      '  dave@example.com',
      'Outbox-Idempotency-Key: order-42',
      'X-Outbox-Tags: flow=welcome,',
      ' plan=pro',
      'X-SES-CONFIGURATION-SET: legacy',
      'X-SES-SOURCE-ARN: arn:aws:ses:x',
      'X-Custom: kept',
    ]);
    const submission = await prepareSmtpSubmission({ mailFrom: 'app@acme.test', rcptTo: ['ann@example.com', 'carol@example.com', 'dave@example.com'] }, bytes);
    const raw = decoded(submission.request.raw);
    expect(raw).toBe(`${headers.join('\r\n')}\r\nX-SES-SOURCE-ARN: arn:aws:ses:x\r\nX-Custom: kept\r\n\r\nHello\r\n`);
    expect(submission.idempotencyKey).toBe('order-42');
    expect(submission.request.tags).toEqual([
      { name: 'flow', value: 'welcome' },
      { name: 'plan', value: 'pro' },
    ]);
    expect(submission.request.bcc).toEqual(['carol@example.com', 'dave@example.com']);
  });

  it('reads Resend-Idempotency-Key and X-SES-MESSAGE-TAGS the same way, and refuses two different keys', async () => {
    const one = await prepareSmtpSubmission({ mailFrom: '', rcptTo: ['ann@example.com'] }, message([...headers, 'Resend-Idempotency-Key: k1', 'X-SES-MESSAGE-TAGS: a=1']));
    expect(one).toMatchObject({ idempotencyKey: 'k1', request: { tags: [{ name: 'a', value: '1' }] } });
    await expect(prepareSmtpSubmission({ mailFrom: '', rcptTo: ['ann@example.com'] }, message([...headers, 'Outbox-Idempotency-Key: k1', 'Resend-Idempotency-Key: k2']))).rejects.toThrow(
      expect.objectContaining({ kind: 'invalid_idempotency_key' }),
    );
  });

  it('refuses a tags header item without name=value, naming the header', async () => {
    await expect(prepareSmtpSubmission({ mailFrom: '', rcptTo: ['ann@example.com'] }, message([...headers, 'X-Outbox-Tags: welcome']))).rejects.toThrow(/X-Outbox-Tags header must read `name=value/);
  });

  it('passes an unreadable header section on unchanged, for the raw checks to name its problem', async () => {
    const bytes = Buffer.from('no header section at all');
    const submission = await prepareSmtpSubmission({ mailFrom: 'app@acme.test', rcptTo: ['ann@example.com'] }, bytes);
    expect(decoded(submission.request.raw)).toBe('no header section at all');
    expect(submission.request.bcc).toEqual(['ann@example.com']);
  });
});

describe('SMTP replies', () => {
  it('maps every refusal kind to a code of its class: 5xx to fix the message, 4xx to try again', () => {
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      const reply = smtpReplyFor(new OutboxError(kind, `because ${kind}`));
      expect(reply.enhanced.startsWith(`${String(reply.code)[0]}.`)).toBe(true);
      // The idempotency texts name SMTP headers instead of the HTTP header the core's messages name.
      if (kind.includes('idempoten')) expect(reply.text).toMatch(/idempotency key/i);
      if (kind.includes('idempoten')) expect(reply.text).not.toBe(`because ${kind}`);
      else expect(reply.text).toBe(`because ${kind}`);
    }
  });

  it.each<[ErrorKind, number, string]>([
    ['invalid_api_key', 535, '5.7.8'],
    ['missing_api_key', 530, '5.7.0'],
    ['sender_not_verified', 550, '5.7.1'],
    ['all_recipients_suppressed', 550, '5.1.1'],
    ['virus_found', 554, '5.7.1'],
    ['invalid_attachment', 554, '5.7.1'],
    ['body_too_large', 552, '5.3.4'],
    ['rate_limited', 451, '4.4.5'],
    ['sending_paused', 451, '4.3.2'],
    ['unavailable', 451, '4.3.0'],
    ['internal', 451, '4.3.0'],
  ])('%s is %d %s', (kind, code, enhanced) => {
    expect(SMTP_REPLIES[kind]).toEqual({ code, enhanced });
  });

  it('answers anything unknown with 451 4.3.0, so the client keeps the message and retries', () => {
    expect(smtpReplyFor(new TypeError('x is undefined'))).toMatchObject({ code: 451, enhanced: '4.3.0', text: expect.not.stringContaining('x is undefined') });
  });

  it('keeps a reply on one line within RFC 5321 limits', () => {
    const reply = smtpReplyFor(new OutboxError('validation', `line one\r\nline two ${'x'.repeat(1000)}`));
    expect(reply.text).not.toMatch(/[\r\n]/);
    expect(reply.text.length).toBeLessThanOrEqual(490);
  });

  it('refuses envelope addresses Outbox cannot use, and takes <> as a sender', () => {
    expect(envelopeAddressProblem('sender', '')).toBeUndefined();
    expect(envelopeAddressProblem('recipient', 'ann@example.com')).toBeUndefined();
    expect(envelopeAddressProblem('sender', 'not an address')).toMatchObject({ code: 553, enhanced: '5.1.7' });
    expect(envelopeAddressProblem('recipient', 'Ann <ann@example.com>')).toMatchObject({ code: 553, enhanced: '5.1.3' });
    expect(tooManyRecipientsReply()).toMatchObject({ code: 452, enhanced: '4.5.3' });
  });
});

describe('AuthFailureLimiter', () => {
  it('locks an address out after the failures in the window, and lets it try again after the lockout', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter({ maxAuthFailures: 3, authFailureWindowMs: 1000, authLockoutMs: 5000 }, () => now);
    limiter.record('10.0.0.1');
    now = 1500; // the first failure has left the window
    limiter.record('10.0.0.1');
    limiter.record('10.0.0.1');
    expect(limiter.lockedOut('10.0.0.1')).toBe(false);
    limiter.record('10.0.0.1');
    expect(limiter.lockedOut('10.0.0.1')).toBe(true);
    expect(limiter.lockedOut('10.0.0.2')).toBe(false);
    now += 5000;
    expect(limiter.lockedOut('10.0.0.1')).toBe(false);
  });
});
