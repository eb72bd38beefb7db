import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EmailRecord } from '../../lambda/core/email';
import { foldEmailState } from '../../lambda/core/email-state';
import { toEmailView } from '../../lambda/core/email-view';
import type { SesEventDetail } from '../../lambda/core/ses-events';
import { parseSesNotification } from '../../lambda/core/ses-events';
import type { TimelineEntry } from '../../lambda/core/tracking';

const SES_ID = '0100018264c6505e-66ca92ab-0593-41de-8df9-38b09a02a206-000000';

function email(overrides: Partial<EmailRecord> = {}): EmailRecord {
  return {
    id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11',
    createdAt: '2026-11-28T10:00:00.000Z',
    apiKeyId: 'k',
    lastEvent: 'sent',
    sesMessageId: SES_ID,
    expiresAt: 0,
    from: { address: 'hello@acme.test' },
    to: [{ address: 'Ada@example.com' }],
    cc: [{ address: 'bob@example.com' }],
    bcc: [],
    replyTo: [],
    subject: 'Hi',
    text: 'Hello',
    headers: [],
    tags: [],
    attachments: [],
    ...overrides,
  };
}

let n = 0;
function entry(detail: SesEventDetail, occurredAt: string, recipients: string[], sesMessageId = SES_ID): TimelineEntry {
  n++;
  return { eventKey: `k${n}`, type: detail.kind, occurredAt, recipients, sesMessageId, detail };
}

const send = entry({ kind: 'Send' }, '2026-11-28T10:00:01.000Z', ['ada@example.com', 'bob@example.com']);
const delivery = entry({ kind: 'Delivery' }, '2026-11-28T10:00:05.000Z', ['ada@example.com']);
const complaint = entry({ kind: 'Complaint', complaintFeedbackType: 'abuse' }, '2026-11-28T10:05:00.000Z', ['ada@example.com']);
const lateDelivery = entry({ kind: 'Delivery' }, '2026-11-28T11:00:00.000Z', ['ada@example.com']);
const open = entry({ kind: 'Open' }, '2026-11-28T10:10:00.000Z', ['ada@example.com']);
const bobDelayed = entry({ kind: 'DeliveryDelay', diagnosticCodes: [] }, '2026-11-28T10:00:06.000Z', ['bob@example.com']);

/** Every order of the list (small lists only). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('foldEmailState', () => {
  it('moves each recipient by precedence: delivered, then complained; a delay for another recipient stays its own', () => {
    const state = foldEmailState(email(), [send, delivery, complaint, bobDelayed]);
    expect(state.lastEvent).toBe('complained');
    expect(state.recipients).toEqual([
      { address: 'Ada@example.com', kind: 'to', status: 'complained', updatedAt: complaint.occurredAt },
      { address: 'bob@example.com', kind: 'cc', status: 'delayed', updatedAt: bobDelayed.occurredAt },
    ]);
  });

  it('does not let a late Delivery undo a Complaint', () => {
    const state = foldEmailState(email(), [send, delivery, complaint, lateDelivery]);
    expect(state.recipients[0]).toMatchObject({ status: 'complained', updatedAt: complaint.occurredAt });
    expect(state.lastEvent).toBe('complained');
  });

  it('gives the same state whatever order the events arrived in, and however often', () => {
    const events = [send, delivery, complaint, lateDelivery, bobDelayed];
    const expected = foldEmailState(email(), events);
    for (const order of permutations(events)) {
      expect(foldEmailState(email(), order)).toEqual(expected);
      expect(foldEmailState(email(), [...order, ...order.slice(0, 2)])).toEqual(expected);
    }
  });

  it('counts opens and clicks for last_event but not as a recipient status', () => {
    const state = foldEmailState(email(), [send, delivery, open]);
    expect(state.lastEvent).toBe('opened');
    expect(state.recipients[0]).toMatchObject({ status: 'delivered' });
  });

  it('never lowers last_event below the email\'s own state', () => {
    expect(foldEmailState(email({ lastEvent: 'canceled', sesMessageId: undefined }), [send]).lastEvent).toBe('canceled');
    expect(foldEmailState(email(), []).lastEvent).toBe('sent');
  });

  it('shows a suppressed recipient as suppressed and the rest by the email\'s own state until events come', () => {
    const state = foldEmailState(email({ lastEvent: 'queued', sesMessageId: undefined, suppressedRecipients: ['bob@example.com'] }), []);
    expect(state.recipients.map((r) => r.status)).toEqual(['queued', 'suppressed']);
    expect(state.recipients[0]!.updatedAt).toBeUndefined();
    expect(foldEmailState(email({ lastEvent: 'failed', sesMessageId: undefined, failure: { name: 'validation_error', message: 'no', failedAt: '2026-11-28T10:00:00.000Z' } }), []).recipients[0]!.status).toBe('failed');
  });

  it('takes the SES message ID from the record, else from the Send event, else from any event', () => {
    const unrecorded = email({ lastEvent: 'queued', sesMessageId: undefined });
    expect(foldEmailState(unrecorded, []).sesMessageId).toBeUndefined();
    expect(foldEmailState(unrecorded, [delivery, send]).sesMessageId).toBe(SES_ID);
    expect(foldEmailState(unrecorded, [entry({ kind: 'Delivery' }, '2026-11-28T10:00:05.000Z', ['ada@example.com'], 'ses-other')]).sesMessageId).toBe('ses-other');
    // A send the record missed (the sender crashed before recording it) still reads as sent.
    expect(foldEmailState(unrecorded, [send]).lastEvent).toBe('sent');
    expect(foldEmailState(email({ sesMessageId: 'recorded' }), [send]).sesMessageId).toBe('recorded');
  });

  it('folds AWS\'s example events, replayed in reverse, into the view GET /emails/{id} answers', () => {
    const fixtures = ['event-send.json', 'event-delivery.json', 'event-bounce-permanent.json', 'event-complaint.json', 'event-open.json'];
    const timeline = fixtures.reverse().map((name): TimelineEntry => {
      const event = parseSesNotification(readFileSync(path.join(__dirname, '../fixtures/ses', name), 'utf8'));
      return { eventKey: event.eventKey, type: event.type, occurredAt: event.occurredAt, recipients: event.recipients, sesMessageId: event.sesMessageId, detail: event.detail };
    });
    const view = toEmailView({ email: email({ to: [{ address: 'recipient@example.com' }], cc: [], sesMessageId: undefined, lastEvent: 'queued' }), events: timeline });
    expect(view).toMatchObject({ last_event: 'complained', ses_message_id: timeline[0]!.sesMessageId, recipients: [{ email: 'recipient@example.com', type: 'to', status: 'complained' }] });
    expect(view.events.map((e) => e.type).sort()).toEqual(['Bounce', 'Complaint', 'Delivery', 'Open', 'Send']);
  });
});
