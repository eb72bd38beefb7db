import { permanentBounceRecord } from '../helpers/ses-event-records';
import { sleep, waitFor } from '../helpers/wait-for';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * The reputation guard's whole story on one machine, over real HTTP: 200 emails to ordinary
 * addresses, Permanent bounces replayed for 10 of them, the rates, the pause, the 503, a batch
 * email held `queued`, and the resume that lets it go. Simulator bounces never move the rates.
 */

interface Answer {
  readonly status: number;
  readonly body: Record<string, any>;
}

async function call(outbox: LocalOutbox, method: string, route: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${outbox.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** The SES message ID and Outbox id of every message the stand-in took, by recipient. */
function sentByRecipient(outbox: LocalOutbox): Map<string, { sesMessageId: string; emailId: string }> {
  const sent = new Map<string, { sesMessageId: string; emailId: string }>();
  for (const message of outbox.ses.messages()) {
    const emailId = message.tags.find((tag) => tag.name === 'outbox-message-id')?.value;
    if (emailId) sent.set(message.recipients[0]!, { sesMessageId: message.messageId, emailId });
  }
  return sent;
}

describe('the reputation guard, end to end in local mode', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    // A short pause check, so a resumed email goes within a second or two rather than a minute.
    outbox = await startLocalOutbox({ port: 0, outboundSettings: { pauseMs: 500 } });
  });

  afterAll(async () => {
    await outbox?.stop();
  });

  it('pauses at a 5% bounce rate, refuses sync sends with 503, holds batches, and sends them after a resume', async () => {
    const recipients = Array.from({ length: 200 }, (_, i) => `reader${i}@example.com`);
    for (let start = 0; start < recipients.length; start += 100) {
      const batch = recipients.slice(start, start + 100).map((to) => ({ from: 'sender@example.com', to, subject: 'Hello', text: 'Hi' }));
      expect((await call(outbox, 'POST', '/emails/batch', batch)).status).toBe(200);
    }
    await waitFor('200 Send events counted', async () => (sentByRecipient(outbox).size === 200 && (await call(outbox, 'GET', '/deliverability')).body.sent === 200) || undefined, 20_000);
    await outbox.eventsQueue.idle();

    // Simulator bounces are test traffic: they move no figure.
    const simulator = await call(outbox, 'POST', '/emails', { from: 'sender@example.com', to: 'bounce@simulator.amazonses.com', subject: 'Test', text: 'Hi' });
    expect(simulator.status).toBe(200);
    await waitFor('the simulator bounce', async () => (await call(outbox, 'GET', `/emails/${simulator.body.id}`)).body.last_event === 'bounced' || undefined);
    await outbox.eventsQueue.idle();
    const before = (await call(outbox, 'GET', '/deliverability')).body;
    expect(before).toMatchObject({ object: 'deliverability', window: '24h', sent: 200, bounced: 0, bounce_rate: 0, status: 'healthy' });

    const sent = sentByRecipient(outbox);
    for (const [index, recipient] of recipients.slice(0, 10).entries()) {
      const { sesMessageId, emailId } = sent.get(recipient)!;
      const replayed = await call(outbox, 'POST', '/_local/ses-events', permanentBounceRecord({ sesMessageId, emailId, recipient, source: 'sender@example.com', feedbackId: `guard-story-bounce-${index}` }));
      expect(replayed.body).toMatchObject({ first_time: true });
    }
    await outbox.eventsQueue.idle();

    const report = (await call(outbox, 'GET', '/deliverability')).body;
    expect(report).toMatchObject({ sent: 200, bounced: 10, bounce_rate: 0.05, status: 'paused' });
    expect(report.domains).toEqual(expect.arrayContaining([expect.objectContaining({ domain: 'example.com', sent: 200, bounced: 10, bounce_rate: 0.05 })]));

    const sending = (await call(outbox, 'GET', '/sending')).body;
    expect(sending).toMatchObject({ object: 'sending', enabled: false, paused_by: 'guard' });
    expect(sending.paused_reason).toMatch(/bounce/i);
    const types = outbox.notifications.list().map((n) => n.payload.type);
    expect(types).toEqual(expect.arrayContaining(['deliverability.warning', 'sending.paused']));
    expect(types.filter((type) => type === 'sending.paused')).toHaveLength(1);

    // Each api instance reads the pause at most once a second (the send path's cost), so it reaches every one within that.
    await sleep(1_100);
    const refused = await call(outbox, 'POST', '/emails', { from: 'sender@example.com', to: 'late@example.com', subject: 'Hi', text: 'Hi' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ name: 'application_error' });
    expect(refused.body.message).toMatch(/resume/);

    const held = await call(outbox, 'POST', '/emails/batch', [{ from: 'sender@example.com', to: 'held@example.com', subject: 'Hi', text: 'Hi' }]);
    expect(held.status).toBe(200);
    const heldId = held.body.data[0].id as string;
    // Several pause checks go by, and it stays queued.
    await sleep(1_500);
    expect((await call(outbox, 'GET', `/emails/${heldId}`)).body.last_event).toBe('queued');
    expect(outbox.ses.messages().some((m) => m.recipients.includes('held@example.com'))).toBe(false);

    const resumed = await call(outbox, 'POST', '/sending/resume');
    expect(resumed).toMatchObject({ status: 200, body: { object: 'sending', enabled: true } });
    await waitFor('the held email to go', async () => ['sent', 'delivered'].includes((await call(outbox, 'GET', `/emails/${heldId}`)).body.last_event) || undefined, 15_000);
  }, 60_000);
});
