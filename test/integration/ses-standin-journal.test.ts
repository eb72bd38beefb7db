import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { JOURNAL_FOLDER, LEDGER_FILE, readSendLedger, startSesStandIn, type SesStandIn, type SnsEnvelope } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/**
 * The SES stand-in on a data directory keeps what SES would not forget across a restart: the
 * messages it accepted (its ledger) and the event notifications it owes for them until every
 * listener has taken each. Real SESv2Client calls, real files in a temporary folder.
 */
describe('SES stand-in journal on a data directory', () => {
  let dataDir: string;
  const started: SesStandIn[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-standin-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<SesStandIn> {
    const standIn = await startSesStandIn({ dataDir });
    started.push(standIn);
    return standIn;
  }

  async function send(standIn: SesStandIn, outboxId: string, to = 'success@simulator.amazonses.com'): Promise<string> {
    const client = standInClient(standIn);
    try {
      const { MessageId } = await client.send(
        new SendEmailCommand({
          FromEmailAddress: 'hello@example.com',
          Destination: { ToAddresses: [to] },
          Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } } },
          ConfigurationSetName: 'outbox-local',
          EmailTags: [{ Name: 'outbox-message-id', Value: outboxId }],
        }),
      );
      return MessageId!;
    } finally {
      client.destroy();
    }
  }

  async function waitFor(what: string, probe: () => boolean): Promise<void> {
    for (const deadline = Date.now() + 5_000; !probe(); ) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('keeps every accepted send in its ledger across restarts, with the Outbox id it carried', async () => {
    const first = await start();
    const one = await send(first, 'email-1');
    await first.stop();
    const second = await start();
    const two = await send(second, 'email-2');
    expect(readSendLedger(dataDir)).toEqual([
      { messageId: one, receivedAt: expect.any(String), outboxMessageId: 'email-1', recipients: 1 },
      { messageId: two, receivedAt: expect.any(String), outboxMessageId: 'email-2', recipients: 1 },
    ]);
    // The in-memory message list is this run's only.
    expect(second.messages().map((m) => m.messageId)).toEqual([two]);
  });

  it('publishes again after a restart, unchanged, the notifications no listener finished taking, and only those', async () => {
    const first = await start();
    const taken: SnsEnvelope[] = [];
    // A listener whose work never finishes: an events queue killed before it recorded them.
    first.onNotification((envelope) => {
      taken.push(envelope);
      return new Promise(() => undefined);
    });
    await send(first, 'email-1');
    await waitFor('Send and Delivery', () => taken.length === 2);
    await first.stop();

    const second = await start();
    const replayed: SnsEnvelope[] = [];
    second.onNotification((envelope) => {
      replayed.push(envelope);
      return Promise.resolve();
    });
    expect(second.replayOwed()).toBe(2);
    expect(replayed).toEqual(taken);
    // Handed out once per start.
    expect(second.replayOwed()).toBe(0);
    await second.stop();

    // Delivered this time: the next start owes nothing.
    const third = await start();
    third.onNotification(() => undefined);
    expect(third.replayOwed()).toBe(0);
  });

  it('counts a notification delivered once a listener that returns nothing has been called', async () => {
    const first = await start();
    let calls = 0;
    first.onNotification(() => void (calls += 1));
    await send(first, 'email-1');
    await waitFor('Send and Delivery', () => calls === 2);
    await first.stop();
    const second = await start();
    second.onNotification(() => undefined);
    expect(second.replayOwed()).toBe(0);
  });

  it('still owes a notification whose listener failed, and one that was not yet due when it stopped', async () => {
    const first = await start();
    first.onNotification(() => Promise.reject(new Error('events queue down')));
    await send(first, 'email-1');
    // Stopped at once: the Delivery (100-300 ms after acceptance) never came due.
    await first.stop();
    const second = await start();
    const types: string[] = [];
    second.onNotification((envelope) => void types.push((JSON.parse(envelope.Message) as { eventType: string }).eventType));
    expect(second.replayOwed()).toBe(2);
    expect(types).toEqual(['Send', 'Delivery']);
  });

  it('skips a line cut short by a killed process, and rewrites the file without what was delivered', async () => {
    const first = await start();
    first.onNotification(() => undefined);
    await send(first, 'email-1');
    await waitFor('both notifications delivered', () => readFileSync(path.join(dataDir, JOURNAL_FOLDER, LEDGER_FILE), 'utf8').split('"delivered"').length === 3);
    await first.stop();
    const file = path.join(dataDir, JOURNAL_FOLDER, LEDGER_FILE);
    appendFileSync(file, '{"messageId":"cut-sho');

    const second = await start();
    expect(readSendLedger(dataDir).map((e) => e.outboxMessageId)).toEqual(['email-1']);
    // One line per send, without the notifications delivered or the cut line.
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).not.toContain('notifications');
    await send(second, 'email-2');
    expect(readSendLedger(dataDir).map((e) => e.outboxMessageId)).toEqual(['email-1', 'email-2']);
  });
});
