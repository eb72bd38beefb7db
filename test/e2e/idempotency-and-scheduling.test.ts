import { Resend } from 'resend';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

/**
 * The two checks against `npm start` as a real process, through the resend SDK and plain
 * HTTP: a scheduled email shows `scheduled`, then goes; 50 concurrent POSTs with one
 * Idempotency-Key put exactly one email in the SES stand-in.
 */
describe('npm start: scheduling and Idempotency-Key', () => {
  let outbox: StartedProcess;
  let resend: Resend;
  const email = { from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'], text: 'Hello' };

  beforeAll(async () => {
    outbox = await npmStart({ OUTBOX_LOCAL_IDENTITIES: 'acme.test' });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  }, 60_000);
  afterAll(async () => {
    await outbox?.stop();
  });

  /** What the SES stand-in accepted for this Outbox email (by the outbox-message-id tag). */
  async function sesMessagesFor(id: string): Promise<{ receivedAt: string }[]> {
    const list = (await (await fetch(`${outbox.url}/_local/messages`)).json()) as { data: { receivedAt: string; tags: { name: string; value: string }[] }[] };
    return list.data.filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === id));
  }

  it('shows a scheduled email as scheduled, then sends it at its time', async () => {
    const scheduledAt = new Date(Date.now() + 2000).toISOString();
    const sent = await resend.emails.send({ ...email, subject: 'Scheduled', scheduledAt });
    expect(sent.error).toBeNull();
    const id = sent.data!.id;
    expect((await resend.emails.get(id)).data).toMatchObject({ last_event: 'scheduled', scheduled_at: scheduledAt });
    expect(await sesMessagesFor(id)).toHaveLength(0);

    const deadline = Date.now() + 10_000;
    while ((await sesMessagesFor(id)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const messages = await sesMessagesFor(id);
    expect(messages).toHaveLength(1);
    expect(Date.parse(messages[0]!.receivedAt)).toBeGreaterThanOrEqual(Date.parse(scheduledAt));
    expect((await resend.emails.get(id)).data!.last_event).not.toMatch(/scheduled|queued/);
  }, 20_000);

  it('sends exactly one email for 50 concurrent POSTs with one Idempotency-Key', async () => {
    const body = JSON.stringify({ ...email, subject: 'Fifty concurrent' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await fetch(`${outbox.url}/emails`, {
          method: 'POST',
          headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-burst' },
          body,
        });
        return { status: response.status, body: (await response.json()) as { id?: string; name?: string } };
      }),
    );
    const ids = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 409 && a.body.name === 'concurrent_idempotent_requests')).toBe(true);
    expect(await sesMessagesFor([...ids][0]!)).toHaveLength(1);
  });
});
