import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';
import { Webhook } from 'standardwebhooks';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { waitFor } from '../helpers/wait-for';

/**
 * An email the sender fails because SES refuses it for good is notified like every other outcome:
 * through the local runtime (real HTTP, the embedded store, the SES stand-in checking identities),
 * a batch from an unverified sender is accepted, then fails at the sender, and the webhook and the
 * notifications topic both receive `email.failed`. Nothing of Outbox's is mocked.
 */

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}


/** A webhook receiver on loopback answering 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/outbox`, received, server };
}

describe('outbound: an email SES refuses for good is notified as email.failed', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const errors: string[] = [];

  beforeAll(async () => {
    // Only acme.test is a verified identity, as with OUTBOX_LOCAL_IDENTITIES=acme.test.
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], logError: (message) => errors.push(message) });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
    await outbox.stop();
  });

  it('accepts a batch from an unverified sender, fails it at the sender, and tells the webhook and the topic why', async () => {
    const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.failed'] });
    expect(created.error).toBeNull();
    const secret = created.data!.signing_secret;

    // The batch path asks SES nothing: only the sender finds out the sender is not verified.
    const batch = await resend.batch.send([
      { from: 'News <news@unverified.test>', to: ['a@example.com', 'b@example.com'], subject: 'Unverified', text: 'x', tags: [{ name: 'flow', value: 'digest' }] },
    ]);
    expect(batch.error).toBeNull();
    const id = batch.data!.data[0]!.id;

    const view = await waitFor(
      'the email to be failed',
      async () => {
        const { data } = await resend.emails.get(id);
        return data?.last_event === 'failed' ? (data as unknown as Record<string, any>) : undefined;
      },
      15_000,
    );
    expect(view.failure).toMatchObject({ name: 'invalid_from_address', message: expect.stringContaining('not verified') });
    expect(outbox.ses.messages()).toEqual([]);

    const delivery = await waitFor('the webhook delivery', () => receiver.received[0], 10_000);
    const event = new Webhook(secret).verify(delivery.body, {
      'webhook-id': delivery.headers['webhook-id'] as string,
      'webhook-timestamp': delivery.headers['webhook-timestamp'] as string,
      'webhook-signature': delivery.headers['webhook-signature'] as string,
    }) as NotificationPayload;
    expect(event).toMatchObject({
      type: 'email.failed',
      data: {
        email_id: id,
        message_id: null,
        from: 'News <news@unverified.test>',
        to: ['a@example.com', 'b@example.com'],
        subject: 'Unverified',
        tags: { flow: 'digest' },
        recipients: ['a@example.com', 'b@example.com'],
        failed: { reason: view.failure.message },
      },
    });
    expect(delivery.headers['webhook-id']).toMatch(/^msg_/);

    const listed = (await (await fetch(`${outbox.url}/_local/notifications`)).json()) as { data: { payload: NotificationPayload }[] };
    expect(listed.data.map((n) => n.payload).filter((p) => p.data.email_id === id)).toEqual([event]);

    // Delivered once, and nothing more owed to the receiver.
    await outbox.webhookQueue.idle();
    expect(receiver.received).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
