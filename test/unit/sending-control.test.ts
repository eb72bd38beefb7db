import type { EmailRecord } from '../../lambda/core/email';
import { OutboxError } from '../../lambda/core/errors';
import { sendQueuedEmail, type OutboundSenderDeps } from '../../lambda/core/outbound-sender';
import { sendRawEmail } from '../../lambda/core/raw-email';
import { sendEmail } from '../../lambda/core/send-email';
import { parsePauseRequest, toSendingView } from '../../lambda/core/sending-api';
import { pauseSending, resumeSending, type ConfigurationSetSending, type SendingControlDeps } from '../../lambda/core/sending-control';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { inMemorySendDeps, InMemoryEmailStore, RecordingSender } from '../helpers/in-memory';
import { FakeSesAccount, InMemorySendClaims, InMemorySendingPause, ScriptedGovernor } from '../helpers/in-memory-outbound';
import { FULL_ACCESS } from '../helpers/in-memory-api';

const NOW = Date.parse('2026-12-02T10:00:00.000Z');

class RecordingConfigurationSet implements ConfigurationSetSending {
  readonly calls: boolean[] = [];
  failWith?: Error;

  async setSendingEnabled(enabled: boolean): Promise<void> {
    this.calls.push(enabled);
    if (this.failWith) throw this.failWith;
  }
}

function control() {
  const notified: { payload: NotificationPayload; eventKey: string }[] = [];
  const logs: string[] = [];
  const configurationSet = new RecordingConfigurationSet();
  let now = NOW;
  const deps = {
    pause: new InMemorySendingPause(),
    configurationSet,
    notify: async (payload: NotificationPayload, eventKey: string) => {
      notified.push({ payload, eventKey });
    },
    clock: { now: () => new Date(now) },
    log: (message: string) => logs.push(message),
  } satisfies SendingControlDeps;
  return { deps, notified, logs, configurationSet, advance: (ms: number) => (now += ms) };
}

describe('pauseSending / resumeSending', () => {
  it('holds the pause, pauses the configuration set and notifies sending.paused once, however often it is asked', async () => {
    const t = control();
    const first = await pauseSending(t.deps, { reason: 'bounce rate 4.2% over 24 h', by: 'guard' });
    expect(first).toEqual({ changed: true, state: { until: NOW, reason: 'bounce rate 4.2% over 24 h', held: { by: 'guard', at: NOW } } });
    t.advance(5_000);
    const again = await Promise.all([pauseSending(t.deps, { reason: 'a person', by: 'api' }), pauseSending(t.deps, { reason: 'the alarm', by: 'alarm' })]);
    expect(again.map((r) => r.changed)).toEqual([false, false]);
    // The first reason stands.
    expect(again[0]!.state).toEqual(first.state);
    expect(t.configurationSet.calls).toEqual([false]);
    expect(t.notified).toHaveLength(1);
    expect(t.notified[0]!.payload).toEqual({
      type: 'sending.paused',
      created_at: '2026-12-02T10:00:00.000Z',
      data: {
        reason: 'bounce rate 4.2% over 24 h',
        paused_by: 'guard',
        paused_at: '2026-12-02T10:00:00.000Z',
        resume: 'POST /sending/resume, or npm run sending -- resume',
        configuration_set_paused: true,
      },
    });
  });

  it('keeps the pause when the configuration set cannot be paused, and says so', async () => {
    const t = control();
    t.configurationSet.failWith = new Error('AccessDeniedException: not authorized to perform ses:PutConfigurationSetSendingOptions');
    const result = await pauseSending(t.deps, { reason: 'manual', by: 'api' });
    expect(result).toMatchObject({ changed: true, configurationSetError: expect.stringContaining('AccessDenied') });
    expect((await t.deps.pause.read())?.held).toEqual({ by: 'api', at: NOW });
    expect(t.notified[0]!.payload.data).toMatchObject({ configuration_set_paused: false });
    expect(t.logs.some((l) => /could not pause sending for the configuration set/.test(l))).toBe(true);
  });

  it('keeps the pause when the notification fails', async () => {
    const t = control();
    const deps = { ...t.deps, notify: async () => Promise.reject(new Error('SNS down')) };
    expect((await pauseSending(deps, { reason: 'manual', by: 'api' })).changed).toBe(true);
    expect((await t.deps.pause.read())?.held).toBeDefined();
    expect(t.logs).toContain('could not notify sending.paused');
  });

  it('resumes once: releases the pause, re-enables the configuration set, notifies sending.resumed', async () => {
    const t = control();
    await pauseSending(t.deps, { reason: 'manual', by: 'api' });
    t.advance(60_000);
    expect(await resumeSending(t.deps, { by: 'api' })).toEqual({ changed: true });
    expect(await t.deps.pause.read()).toBeUndefined();
    expect(t.configurationSet.calls).toEqual([false, true]);
    expect(t.notified.map((n) => n.payload.type)).toEqual(['sending.paused', 'sending.resumed']);
    expect(t.notified[1]!.payload.data).toEqual({
      resumed_by: 'api',
      resumed_at: '2026-12-02T10:01:00.000Z',
      paused_reason: 'manual',
      paused_by: 'api',
      paused_at: '2026-12-02T10:00:00.000Z',
    });

    // Nothing held: nobody is told again, and the configuration set is re-enabled all the same.
    expect(await resumeSending(t.deps, { by: 'api' })).toEqual({ changed: false });
    expect(t.notified).toHaveLength(2);
    expect(t.configurationSet.calls).toEqual([false, true, true]);
  });

  it('never lets the short SES pause replace or remove a held pause, and resume leaves a short pause alone', async () => {
    const t = control();
    await pauseSending(t.deps, { reason: 'manual', by: 'api' });
    const held = await t.deps.pause.read();
    await t.deps.pause.set({ until: NOW + 60_000, reason: 'SES says paused' });
    await t.deps.pause.clear(held!.until);
    expect(await t.deps.pause.read()).toEqual(held);

    await resumeSending(t.deps, { by: 'api' });
    await t.deps.pause.set({ until: NOW + 60_000, reason: 'SES says paused' });
    expect(await resumeSending(t.deps, { by: 'api' })).toEqual({ changed: false });
    expect(await t.deps.pause.read()).toEqual({ until: NOW + 60_000, reason: 'SES says paused' });
  });
});

describe('the sender under a held pause', () => {
  const ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';
  const email: EmailRecord = {
    id: ID,
    from: { address: 'hello@acme.test' },
    to: [{ address: 'a@example.com' }],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: 'Hi',
    text: 'Hello',
    headers: [],
    tags: [],
    attachments: [],
    createdAt: new Date(NOW - 1000).toISOString(),
    apiKeyId: 'key-1',
    lastEvent: 'queued',
    expiresAt: NOW / 1000 + 86_400,
  };

  function sender() {
    const emails = new InMemoryEmailStore();
    emails.emails.set(ID, email);
    const deps = {
      emails,
      claims: new InMemorySendClaims(emails),
      sender: new RecordingSender(),
      governor: new ScriptedGovernor(),
      pause: new InMemorySendingPause(),
      account: new FakeSesAccount(),
      clock: { now: () => new Date(NOW + 3_600_000) },
      random: () => 0,
      sleep: async () => undefined,
      log: () => undefined,
      settings: { pauseMs: 2_000, maxBackoffSeconds: 300 },
    } satisfies OutboundSenderDeps;
    return deps;
  }

  it('keeps the email queued and looks again after pauseMs, without asking GetAccount, however long the pause has stood', async () => {
    const deps = sender();
    deps.pause.state = { until: NOW, reason: 'manual', held: { by: 'api', at: NOW } };
    // A late attempt: no growing backoff, so a resumed pause sends within pauseMs.
    expect(await sendQueuedEmail(deps, { emailId: ID }, 40)).toEqual({ kind: 'retry', reason: 'paused', retryAfterSeconds: 2 });
    expect(deps.account.calls).toBe(0);
    expect(deps.sender.sent).toHaveLength(0);
    expect(deps.emails.emails.get(ID)!.lastEvent).toBe('queued');
    expect(deps.pause.state.held).toBeDefined();

    await deps.pause.release();
    expect(await sendQueuedEmail(deps, { emailId: ID }, 41)).toMatchObject({ kind: 'done', result: 'sent' });
  });

  it('does not overwrite a held pause that lands while SES answers ConfigurationSetSendingPaused', async () => {
    const deps = sender();
    const heldState = { until: NOW, reason: 'bounce alarm', held: { by: 'alarm' as const, at: NOW } };
    // The alarm pauses Outbox and the configuration set while this send is at SES.
    deps.sender.send = async () => {
      deps.pause.state = heldState;
      throw new OutboxError('sending_paused', 'Sending is paused for the configuration set: Sending is paused for configuration set outbox.');
    };
    expect(await sendQueuedEmail(deps, { emailId: ID }, 1)).toMatchObject({ kind: 'retry', reason: 'paused' });
    expect(deps.pause.state).toEqual(heldState);
    expect(deps.emails.emails.get(ID)!.lastEvent).toBe('queued');
  });
});

describe('sync sends under a held pause', () => {
  function held() {
    const deps = { ...inMemorySendDeps(), pause: new InMemorySendingPause() };
    deps.pause.state = { until: 0, reason: 'bounce rate 4.1% over 24 h', held: { by: 'guard', at: Date.parse('2026-11-28T09:30:00.000Z') } };
    return deps;
  }
  const body = { from: 'hello@acme.test', to: 'a@example.com', subject: 'Hi', text: 'Hello' };

  it('POST /emails answers 503 application_error saying why, who, when and how to resume; nothing stored, nothing sent', async () => {
    const deps = held();
    const refusal = await sendEmail(deps, FULL_ACCESS, body).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OutboxError);
    expect(refusal).toMatchObject({ status: 503, code: 'application_error' });
    expect((refusal as Error).message).toBe(
      'Sending is paused by guard at 2026-11-28T09:30:00.000Z: bounce rate 4.1% over 24 h. Nothing was sent or stored. Resume with POST /sending/resume, or npm run sending -- resume.',
    );
    expect(deps.emails.emails.size).toBe(0);
    expect(deps.sender.sent).toHaveLength(0);
  });

  it('still refuses a bad body with its validation error first', async () => {
    await expect(sendEmail(held(), FULL_ACCESS, { to: 'a@example.com' })).rejects.toMatchObject({ status: 422 });
  });

  it('refuses a raw-MIME send the same way', async () => {
    const deps = held();
    const raw = Buffer.from('From: hello@acme.test\r\nTo: a@example.com\r\nSubject: Hi\r\n\r\nHello\r\n').toString('base64');
    await expect(sendRawEmail(deps, FULL_ACCESS, { raw })).rejects.toMatchObject({ kind: 'sending_paused' });
    expect(deps.emails.emails.size).toBe(0);
  });

  it('accepts a scheduled email: it waits queued like a batch email', async () => {
    const deps = held();
    const { id } = await sendEmail(deps, FULL_ACCESS, { ...body, scheduled_at: 'in 10 minutes' });
    expect(deps.emails.emails.get(id)!.lastEvent).toBe('scheduled');
  });

  it('sends as usual under a short SES pause that ran out (only the held pause refuses before SES)', async () => {
    const deps = held();
    deps.pause.state = { until: 0, reason: 'SES says paused' };
    await expect(sendEmail(deps, FULL_ACCESS, body)).resolves.toHaveProperty('id');
    expect(deps.sender.sent).toHaveLength(1);
  });
});

describe('the sending object and the pause body', () => {
  it('reads a held pause, a short SES pause in force, and none', () => {
    const ses = { sending_enabled: true, enforcement_status: 'HEALTHY' };
    const now = new Date(NOW);
    expect(toSendingView({ until: 0, reason: 'manual', held: { by: 'api', at: NOW } }, now, ses)).toEqual({
      object: 'sending',
      enabled: false,
      paused_reason: 'manual',
      paused_at: '2026-12-02T10:00:00.000Z',
      paused_by: 'api',
      ses,
    });
    expect(toSendingView({ until: NOW + 1, reason: 'SES paused' }, now, ses)).toMatchObject({ enabled: false, paused_by: 'ses', paused_at: null });
    expect(toSendingView({ until: NOW - 1, reason: 'SES paused' }, now, ses)).toMatchObject({ enabled: true, paused_reason: null, paused_by: null });
    expect(toSendingView(undefined, now, ses)).toMatchObject({ enabled: true });
  });

  it('takes no body, {} or a reason, and refuses other fields and bad reasons', () => {
    expect(parsePauseRequest(undefined)).toBe('Paused through the API.');
    expect(parsePauseRequest({})).toBe('Paused through the API.');
    expect(parsePauseRequest({ reason: '  bounce spike  ' })).toBe('bounce spike');
    expect(() => parsePauseRequest({ reason: 'x', until: 'tomorrow' })).toThrow(/`until` is not a field of a pause/);
    expect(() => parsePauseRequest({ reason: 42 })).toThrow(/`reason` must be a string of 1-500 characters/);
    expect(() => parsePauseRequest({ reason: 'x'.repeat(501) })).toThrow(/1-500/);
    expect(() => parsePauseRequest([])).toThrow(/JSON object/);
  });
});
