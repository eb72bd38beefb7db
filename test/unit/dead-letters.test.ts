import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EmailDetails } from '../../lambda/core/ports';
import { handleOutboundBatch, type OutboundBatchDeps } from '../../lambda/entrypoints/sqs-outbound';
import { FailureLog, listDeadLetters, type DeadLetterSources } from '../../local/dead-letters';
import { LocalQueue } from '../../local/local-queue';
import { InMemoryWebhookStore } from '../helpers/in-memory';

const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';

/** The outbound queue's dead letters, which take 100 receives in local mode: here a queue that gives up after 2. */
describe('GET /_local/dead-letters entries for the outbound queue', () => {
  const queues: LocalQueue[] = [];
  afterAll(() => Promise.all(queues.map((q) => q.stop())));

  function queue(consume: (event: SQSEvent) => Promise<SQSBatchResponse>): LocalQueue {
    const made = new LocalQueue(consume, { maxReceiveCount: 2, visibilityTimeoutMs: 5 });
    queues.push(made);
    return made;
  }

  function sources(outbound: LocalQueue, failures: FailureLog, lastEvent: string | undefined): DeadLetterSources {
    const idle = queue(async () => ({ batchItemFailures: [] }));
    return {
      queues: { events: idle, webhooks: idle, outbound },
      failures,
      webhooks: new InMemoryWebhookStore(),
      emails: { get: async () => (lastEvent === undefined ? undefined : ({ email: { lastEvent } } as unknown as EmailDetails)) },
    };
  }

  it("gives the sender's error for a job it could not read", async () => {
    const failures = new FailureLog();
    // The real consumer: a body that is not a job throws, and the handler logs it with the record's id.
    const deps = { log: failures.wrap(() => undefined) } as unknown as OutboundBatchDeps;
    const outbound = queue((event) => handleOutboundBatch(deps, event));
    outbound.send('{"email":"nope"}');
    await outbound.idle();

    const [entry] = await listDeadLetters(sources(outbound, failures, undefined));
    expect(entry).toMatchObject({
      queue: 'outbound',
      receive_count: 2,
      failed: 'an outbound job',
      reason: 'Outbound job is not { emailId }: {"email":"nope"}',
      body: { email: 'nope' },
    });
  });

  it('says where the email stands when its job was retried without an error until the queue gave up', async () => {
    const outbound = queue(async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }));
    outbound.send(JSON.stringify({ emailId: EMAIL_ID }));
    await outbound.idle();
    const [entry] = await listDeadLetters(sources(outbound, new FailureLog(), 'queued'));
    expect(entry).toMatchObject({
      queue: 'outbound',
      failed: `sending email ${EMAIL_ID}`,
      reason: 'the sender took it 2 times without sending the email; the email is still queued',
      dead_lettered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});
