import { DEFAULT_GUARD_THRESHOLDS } from '../../lambda/core/deliverability';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { permanentBounceRecord } from '../helpers/ses-event-records';
import { waitFor } from '../helpers/wait-for';

async function call(outbox: LocalOutbox, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${outbox.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A Permanent bounce of the email's one recipient, as SES's event publishing writes it. */
function bounceOf(email: { id: string; ses_message_id: string; to: string[] }, feedbackId: string): unknown {
  return permanentBounceRecord({ sesMessageId: email.ses_message_id, emailId: email.id, recipient: email.to[0]!, source: 'App <app@mail.acme.test>', feedbackId });
}

/**
 * The counters and the guard as `npm start` runs them, over real HTTP: sends to ordinary
 * addresses and bounces replayed through POST /_local/ses-events move GET /deliverability (once
 * per event, however often it is replayed); the mailbox simulator's own bounces do not. A low
 * minimum of sends keeps it small.
 */
describe('GET /deliverability through the local stack', () => {
  let outbox: LocalOutbox;
  const emails: { id: string; ses_message_id: string; to: string[] }[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, guardThresholds: { ...DEFAULT_GUARD_THRESHOLDS, minimumSends: 10 }, logError: (message) => void logged.push(message) });
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const sent = await call(outbox, 'POST', '/emails', { from: 'App <app@mail.acme.test>', to: `reader${i}@example.net`, subject: 'Hello', text: 'Hi' });
        expect(sent.status).toBe(200);
        return sent.body.id as string;
      }),
    );
    for (const id of ids) emails.push((await call(outbox, 'GET', `/emails/${id}`)).body as (typeof emails)[number]);
    await waitFor('every Send and Delivery counted', async () => {
      const { body } = await call(outbox, 'GET', '/deliverability');
      return body.sent === 20 && body.delivered === 20 ? body : undefined;
    });
  }, 20_000);

  afterAll(async () => outbox?.stop());

  it('counts sends and deliveries per account and sending domain, healthy with no bounce', async () => {
    const { status, body } = await call(outbox, 'GET', '/deliverability');
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'deliverability', window: '24h', sent: 20, delivered: 20, bounced: 0, complained: 0, bounce_rate: 0, complaint_rate: 0, status: 'healthy' });
    expect(body.thresholds).toEqual({ warn_bounce_rate: 0.025, warn_complaint_rate: 0.0005, pause_bounce_rate: 0.04, pause_complaint_rate: 0.0008, minimum_sends: 10 });
    expect(body.domains).toEqual([{ domain: 'mail.acme.test', sent: 20, delivered: 20, bounced: 0, complained: 0, bounce_rate: 0, complaint_rate: 0 }]);
  });

  it('leaves the rates alone for simulator bounces', async () => {
    const sent = await call(outbox, 'POST', '/emails', { from: 'app@mail.acme.test', to: 'bounce@simulator.amazonses.com', subject: 'Hello', text: 'Hi' });
    expect(sent.status).toBe(200);
    await waitFor('the simulator bounce recorded', async () => ((await call(outbox, 'GET', `/emails/${sent.body.id}`)).body.last_event === 'bounced' ? true : undefined));
    await outbox.eventsQueue.idle();
    expect((await call(outbox, 'GET', '/deliverability')).body).toMatchObject({ sent: 20, bounced: 0, bounce_rate: 0 });
  });

  it('counts a replayed Permanent bounce once, however often it comes, and the guard warns and pauses at its thresholds', async () => {
    const bounce = bounceOf(emails[0]!, 'local-deliverability-bounce-0');
    for (let i = 0; i < 3; i += 1) {
      const replayed = await call(outbox, 'POST', '/_local/ses-events', bounce);
      expect(replayed).toMatchObject({ status: 200, body: { object: 'ses_event', type: 'Bounce', first_time: i === 0 } });
    }
    const report = (await call(outbox, 'GET', '/deliverability')).body;
    expect(report).toMatchObject({ sent: 20, delivered: 20, bounced: 1, bounce_rate: 0.05, status: 'paused' });
    expect(report.domains[0]).toMatchObject({ domain: 'mail.acme.test', bounced: 1, bounce_rate: 0.05 });
    // Hour by hour for the charts: every hour of the window, oldest first, this hour's counts last.
    expect(report.series).toHaveLength(24);
    expect(report.series[23]).toEqual({ hour: `${new Date().toISOString().slice(0, 13)}:00:00.000Z`, sent: 20, delivered: 20, bounced: 1, complained: 0 });
    expect(report.series.slice(0, 23).every((h: { sent: number }) => h.sent === 0)).toBe(true);
    const week = (await call(outbox, 'GET', '/deliverability?window=7d')).body;
    expect(week).toMatchObject({ window: '7d', sent: 20, bounced: 1, status: 'paused' });
    expect(week.series).toHaveLength(168);

    const notified = outbox.notifications.list().map((n) => n.payload);
    expect(notified.filter((p) => p.type === 'deliverability.warning')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ window: '24h', rate: 'bounce_rate', value: 0.05, threshold: 0.025, sent: 20, bounced: 1 }) }),
    ]);
    expect(notified.filter((p) => p.type === 'sending.paused')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ paused_by: 'guard', reason: "the bounce rate over the last 24 hours is 5% (1 of 20 sends), at or above the reputation guard's pause threshold of 4%" }) }),
    ]);
    // GET /sending reads the api's shared pause, cached up to a second.
    await waitFor('GET /sending to say paused', async () => ((await call(outbox, 'GET', '/sending')).body.enabled === false ? true : undefined));
    expect(logged.filter((line) => line.startsWith('deliverability warning:'))).toHaveLength(1);
  });

  it('refuses an unknown window with 422 naming the windows it has', async () => {
    expect(await call(outbox, 'GET', '/deliverability?window=30d')).toEqual({
      status: 422,
      body: { statusCode: 422, name: 'validation_error', message: '`window` must be one of `24h`, `7d`; got "30d".' },
    });
  });
});
