import { Resend } from 'resend';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { waitFor } from '../helpers/wait-for';

/**
 * IAM refusals from SES are refusals, not outages: through the local runtime (real HTTP, the
 * embedded store, the real SES client), the SES stand-in answers the next SendEmail as SES does
 * when the role lacks a permission (403 AccessDeniedException). A sync send is answered 403 with
 * SES's words and keeps nothing; a queued email ends `failed` with that reason and `email.failed`.
 */

const DENIAL =
  'User: arn:aws:sts::123456789012:assumed-role/Outbox-SenderRole/Outbox-Sender is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:us-east-1:123456789012:identity/acme.test because no identity-based policy allows the ses:SendEmail action';


describe('SES AccessDeniedException', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  const errors: string[] = [];

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, logError: (message) => errors.push(message) });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  });
  afterAll(() => outbox.stop());

  it('answers a POST /emails with 403 invalid_access, SES words and the missing permission, and keeps nothing', async () => {
    outbox.ses.failNextSends({ name: 'AccessDeniedException', message: DENIAL, statusCode: 403 });
    const response = await fetch(`${outbox.url}/emails`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'hello@acme.test', to: 'success@simulator.amazonses.com', subject: 'Hi', text: 'Hello' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { statusCode: number; name: string; message: string };
    expect(body).toMatchObject({ statusCode: 403, name: 'invalid_access' });
    expect(body.message).toContain(DENIAL);
    expect(body.message).toContain("Outbox's role is missing ses:SendEmail on arn:aws:ses:us-east-1:123456789012:identity/acme.test");

    const listed = await resend.emails.list();
    expect(listed.data?.data).toEqual([]);
    expect(outbox.ses.messages()).toEqual([]);
  });

  it('fails a queued email for good with the reason, notifies email.failed, and never retries it', async () => {
    outbox.ses.failNextSends({ name: 'AccessDeniedException', message: DENIAL, statusCode: 403 });
    const batch = await resend.batch.send([{ from: 'News <news@acme.test>', to: ['a@example.com'], subject: 'Digest', text: 'x' }]);
    expect(batch.error).toBeNull();
    const id = batch.data!.data[0]!.id;

    const view = await waitFor(
      'the email to be failed',
      async () => {
        const { data } = await resend.emails.get(id);
        return data?.last_event === 'failed' ? (data as unknown as { failure: { name: string; message: string } }) : undefined;
      },
      15_000,
    );
    expect(view.failure).toMatchObject({ name: 'invalid_access', message: expect.stringContaining(DENIAL) });

    const notified = await waitFor(
      'email.failed on the notifications topic',
      async () => {
        const listed = (await (await fetch(`${outbox.url}/_local/notifications`)).json()) as { data: { payload: NotificationPayload }[] };
        return listed.data.map((n) => n.payload).find((p) => p.type === 'email.failed' && p.data.email_id === id);
      },
      10_000,
    );
    expect(notified.data).toMatchObject({ message_id: null, failed: { reason: view.failure.message } });

    // Not sent, and not queued again: the stand-in's one fault is spent, so a retry would have gone through.
    await outbox.outboundQueue.idle();
    expect(outbox.ses.messages()).toEqual([]);
    expect((await resend.emails.get(id)).data?.last_event).toBe('failed');
  });
});
