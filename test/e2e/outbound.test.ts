import { Resend } from 'resend';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

/** Batch sending through `npm start`, as a user runs it, with the SES stand-in throttling at 20 recipients/s. */
describe('npm start: a batch of 100 through the resend SDK, paced to the SES rate', () => {
  const RATE = 20;
  let outbox: StartedProcess;
  let resend: Resend;

  beforeAll(async () => {
    outbox = await npmStart({ OUTBOX_LOCAL_MAX_SEND_RATE: String(RATE) });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  }, 60_000);

  afterAll(async () => {
    await outbox?.stop();
  });

  it('prints the send rate', () => {
    expect(outbox.output()).toContain(`SES send rate: ${RATE} recipients/s`);
  });

  it('answers 100 ids, and every email is delivered once, at no more than the rate', async () => {
    const { data, error } = await resend.batch.send(
      Array.from({ length: 100 }, (_, n) => ({ from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'], subject: `E2E batch ${n}`, text: 'x' })),
    );
    expect(error).toBeNull();
    const ids = data!.data.map((d) => d.id);
    expect(new Set(ids).size).toBe(100);

    const deadline = Date.now() + 30_000;
    let events: (string | undefined)[] = [];
    while (Date.now() < deadline) {
      events = (await Promise.all(ids.map((id) => resend.emails.get(id)))).map((v) => v.data?.last_event);
      if (events.every((e) => e === 'delivered')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(events).toEqual(ids.map(() => 'delivered'));

    const messages = ((await (await fetch(`${outbox.url}/_local/messages`)).json()) as { data: { receivedAt: string; tags: { name: string; value: string }[] }[] }).data;
    const mine = messages.filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && ids.includes(t.value)));
    expect(mine).toHaveLength(100);
    const times = mine.map((m) => Date.parse(m.receivedAt)).sort((a, b) => a - b);
    // 100 recipients at 20/s take about 4 s; at least 3 s even counting a full second of burst at each end.
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(((100 - 2 * RATE) / RATE) * 1000);
    expect(JSON.stringify((await (await fetch(`${outbox.url}/_local/dead-letters`)).json()))).not.toContain('emailId');
  }, 60_000);
});
