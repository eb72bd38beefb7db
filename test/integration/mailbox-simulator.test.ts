import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { sesRecordOf, startSesStandIn, type SesEventRecord, type SesStandIn, type SnsEnvelope } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:outbox-ses-events';

function sendTo(to: string[], overrides: Partial<SendEmailCommandInput> = {}): SendEmailCommand {
  return new SendEmailCommand({
    FromEmailAddress: 'Outbox <hello@example.com>',
    Destination: { ToAddresses: to },
    Content: { Simple: { Subject: { Data: 'Simulator' }, Body: { Text: { Data: 'Hello simulator' } } } },
    EmailTags: [{ Name: 'outbox-message-id', Value: 'msg_sim' }],
    ConfigurationSetName: 'outbox-events',
    ...overrides,
  });
}

/** Records every notification the stand-in publishes until `off()` is called. */
function listen(standIn: SesStandIn): { envelopes: SnsEnvelope[]; off: () => void } {
  const envelopes: SnsEnvelope[] = [];
  return { envelopes, off: standIn.onNotification((envelope) => envelopes.push(envelope)) };
}

async function waitFor(envelopes: readonly SnsEnvelope[], count: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (envelopes.length < count) {
    if (Date.now() > deadline) throw new Error(`got ${envelopes.length} of ${count} notifications in ${ms} ms`);
    await sleep(5);
  }
}

function label(record: SesEventRecord): string {
  return record.eventType === 'Bounce' ? `Bounce/${record.bounce.bounceType}` : record.eventType;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SES stand-in as the mailbox simulator, through the real SESv2Client', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn({ verifiedIdentities: ['example.com'], configurationSets: ['outbox-events'] });
    ses = standInClient(standIn);
  });

  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  it('publishes Send, Delivery, Bounce and Complaint for bounce@ and complaint@ within 1.5 s', async () => {
    const started = Date.now();
    const { envelopes, off } = listen(standIn);
    const { MessageId } = await ses.send(sendTo(['bounce@simulator.amazonses.com', 'complaint@simulator.amazonses.com']));
    await waitFor(envelopes, 4, 1500).finally(off);

    expect(Date.now() - started).toBeLessThan(1500);
    const received = envelopes.map(sesRecordOf);
    expect(received.map(label)).toEqual(['Send', ...received.slice(1).map(label)]);
    expect(received.map(label).slice(1).sort()).toEqual(['Bounce/Permanent', 'Complaint', 'Delivery']);
    for (const envelope of envelopes) {
      expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: TOPIC, Subject: 'Amazon SES Email Event Notification' });
      expect(envelope.Message.endsWith('\n')).toBe(true);
    }
    for (const record of received) {
      expect(record.mail.messageId).toBe(MessageId);
      expect(record.mail.tags['outbox-message-id']).toEqual(['msg_sim']);
      expect(record.mail.tags['ses:configuration-set']).toEqual(['outbox-events']);
    }
    const bounce = received.find((r) => r.eventType === 'Bounce');
    expect(bounce?.eventType === 'Bounce' && bounce.bounce.bouncedRecipients).toEqual([
      { emailAddress: 'bounce@simulator.amazonses.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
    ]);
    const complaint = received.find((r) => r.eventType === 'Complaint');
    expect(complaint?.eventType === 'Complaint' && complaint.complaint.complainedRecipients).toEqual([
      { emailAddress: 'complaint@simulator.amazonses.com' },
    ]);
  });

  it('publishes nothing for a message without a configuration set, or while simulation is off', async () => {
    const inbox = listen(standIn);
    await ses.send(sendTo(['success@simulator.amazonses.com'], { ConfigurationSetName: undefined }));
    standIn.setSimulateEvents(false);
    try {
      await ses.send(sendTo(['success@simulator.amazonses.com']));
      await sleep(400);
    } finally {
      standIn.setSimulateEvents(true);
      inbox.off();
    }
    expect(inbox.envelopes).toEqual([]);
  });
});

describe('stopping the SES stand-in', () => {
  it('cancels the notifications still pending', async () => {
    const standIn = await startSesStandIn();
    const ses = standInClient(standIn);
    const received: SnsEnvelope[] = [];
    standIn.onNotification((envelope) => received.push(envelope));
    try {
      await ses.send(sendTo(['ooto@simulator.amazonses.com', 'complaint@simulator.amazonses.com']));
    } finally {
      ses.destroy();
      await standIn.stop();
    }
    const atStop = received.length;
    // Send, two Deliveries, the ooto bounce and the Complaint: the last ones are due 300+ ms after acceptance.
    expect(atStop).toBeLessThan(5);
    await sleep(700);
    expect(received).toHaveLength(atStop);
  });
});
