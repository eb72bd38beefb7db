import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LocalQueue } from '../../local/local-queue';

/**
 * LocalQueue.sendAndSettle: the local events queue tells the SES stand-in when a notification has
 * left it, so the stand-in stops owing it only then (see its journal).
 */
describe('LocalQueue.sendAndSettle', () => {
  const queues: LocalQueue[] = [];
  afterAll(() => Promise.all(queues.map((q) => q.stop())));

  function queue(consume: (event: SQSEvent) => Promise<SQSBatchResponse>): LocalQueue {
    const made = new LocalQueue(consume, { maxReceiveCount: 3, visibilityTimeoutMs: 5 });
    queues.push(made);
    return made;
  }

  it('resolves once the consumer has handled the message, not before', async () => {
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const q = queue(async () => {
      await gate;
      return { batchItemFailures: [] };
    });
    let settled = false;
    const done = q.sendAndSettle('one').then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    finish();
    await done;
    expect(settled).toBe(true);
  });

  it('resolves after the retries of a message that failed at first', async () => {
    let deliveries = 0;
    const q = queue(async (event) => {
      deliveries += 1;
      return { batchItemFailures: deliveries === 1 ? event.Records.map((r) => ({ itemIdentifier: r.messageId })) : [] };
    });
    await q.sendAndSettle('flaky');
    expect(deliveries).toBe(2);
  });

  it('resolves when the message goes to the dead letters, where the queue keeps it', async () => {
    const q = queue(async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }));
    await q.sendAndSettle('poison');
    expect(q.deadLettered().map((d) => d.body)).toEqual(['poison']);
  });
});
