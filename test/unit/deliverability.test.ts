import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { readGuardThresholds } from '../../lambda/config';
import {
  addTallies,
  countsOf,
  decideGuard,
  DEFAULT_GUARD_THRESHOLDS,
  deliverabilityReport,
  hourOf,
  INITIAL_GUARD_STATE,
  rateOf,
  reached,
  sendingDomainOf,
  thresholdProblems,
  windowHours,
  type DeliverabilityCounts,
  type GuardState,
} from '../../lambda/core/deliverability';
import type { Notify } from '../../lambda/core/notifications';
import { recordDeliverability, type DeliverabilityDeps, type PauseSending } from '../../lambda/core/reputation-guard';
import { parseSesNotification, type SesEvent } from '../../lambda/core/ses-events';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { handleSesEventBatch, type EventsDeps } from '../../lambda/entrypoints/sqs-events';
import { fixedClock, InMemorySuppressionList } from '../helpers/in-memory';
import { InMemoryDeliverabilityCounters, InMemoryGuardMemory } from '../helpers/in-memory-deliverability';
import { InMemorySoftBounceCounter, InMemoryTrackingStore } from '../helpers/in-memory-tracking';

const fixtures = path.join(__dirname, '../fixtures/ses');

function record(name: string, patch: (r: Record<string, any>) => void = () => undefined): Record<string, any> {
  const parsed = JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as Record<string, any>;
  const inner = typeof parsed.Message === 'string' ? (JSON.parse(parsed.Message) as Record<string, any>) : parsed;
  patch(inner);
  return inner;
}

function event(name: string, patch?: (r: Record<string, any>) => void): SesEvent {
  return parseSesNotification(record(name, patch));
}

const counts = (c: Partial<DeliverabilityCounts>): DeliverabilityCounts => ({ sent: 0, delivered: 0, bounced: 0, complained: 0, ...c });

describe('countsOf: what an SES event adds to the counters', () => {
  it('counts every non-simulator recipient of a Send, under the domain of the source address', () => {
    const send = event('event-send.json', (r) => (r.mail.destination = ['a@example.net', 'B@example.org', 'success@simulator.amazonses.com']));
    const tally = countsOf(send);
    expect(tally.account).toEqual(counts({ sent: 2 }));
    expect([...tally.domains]).toEqual([['example.com', counts({ sent: 2 })]]);
  });

  it('counts delivered recipients, and the recipients of a Permanent bounce (source written with a display name)', () => {
    expect(countsOf(event('event-delivery.json')).account).toEqual(counts({ delivered: 1 }));
    const bounce = countsOf(event('event-bounce-permanent.json'));
    expect(bounce.account).toEqual(counts({ bounced: 1 }));
    expect([...bounce.domains.keys()]).toEqual(['example.com']);
  });

  it('counts complaints, but neither bounce nor complaint for an address on the account-level suppression list (SES leaves those out of its rates)', () => {
    expect(countsOf(event('event-complaint.json')).account).toEqual(counts({ complained: 1 }));
    expect(countsOf(event('observed-sns-envelope-notification-bounce-onaccountsuppressionlist.json')).account).toEqual(counts({}));
    expect(countsOf(event('event-complaint.json', (r) => (r.complaint.complaintSubType = 'OnAccountSuppressionList'))).account).toEqual(counts({}));
  });

  it('counts nothing for Transient and Undetermined bounces, auto-responses, opens, clicks and delays', () => {
    expect(countsOf(event('observed-simulator-notification-bounce-ooto.json')).account).toEqual(counts({}));
    expect(countsOf(event('event-bounce-permanent.json', (r) => ((r.bounce.bounceType = 'Transient'), (r.bounce.bounceSubType = 'MailboxFull')))).account).toEqual(counts({}));
    expect(countsOf(event('event-bounce-permanent.json', (r) => ((r.bounce.bounceType = 'Undetermined'), (r.bounce.bounceSubType = 'Undetermined')))).account).toEqual(counts({}));
    for (const name of ['event-open.json', 'event-click.json', 'event-delivery-delay.json', 'event-reject.json']) {
      expect(countsOf(event(name)).account).toEqual(counts({}));
    }
  });

  it('never counts mailbox simulator addresses, per recipient', () => {
    expect(countsOf(event('observed-simulator-notification-bounce.json')).account).toEqual(counts({}));
    expect(countsOf(event('observed-simulator-notification-complaint.json')).account).toEqual(counts({}));
    const mixed = event('event-bounce-permanent.json', (r) => {
      r.bounce.bouncedRecipients = [{ emailAddress: 'bounce+x@simulator.amazonses.com' }, { emailAddress: 'gone@example.net' }];
    });
    expect(countsOf(mixed).account).toEqual(counts({ bounced: 1 }));
  });
});

describe('sendingDomainOf', () => {
  const mail = (source: string, from: string) => ({ mail: { source, from, to: [], subject: '', destination: [], timestamp: '' } });
  it('takes the domain of mail.source, else of From, lower-cased', () => {
    expect(sendingDomainOf(mail('App <hello@Mail.Acme.test>', 'x@other.test'))).toBe('mail.acme.test');
    expect(sendingDomainOf(mail('', 'hello@acme.test'))).toBe('acme.test');
    expect(sendingDomainOf(mail('no address', 'nor here'))).toBeUndefined();
  });
});

describe('windows and rates', () => {
  it('sums the current hour and the 23 (or 167) before it', () => {
    const now = new Date('2026-12-02T17:59:59.999Z');
    const day = windowHours('24h', now);
    expect(day).toHaveLength(24);
    expect(day.at(-1)).toBe(hourOf(now));
    expect(day[0]).toBe(hourOf(new Date('2026-12-01T18:00:00.000Z')));
    expect(windowHours('7d', now)).toHaveLength(168);
  });

  it('rounds rates to 4 significant digits, 0 without sends, and decides on the exact fraction', () => {
    expect(rateOf(10, 200)).toBe(0.05);
    expect(rateOf(1, 3)).toBe(0.3333);
    expect(rateOf(1, 1250)).toBe(0.0008);
    expect(rateOf(5, 0)).toBe(0);
    expect(reached(7, 100, 0.07)).toBe(true);
    expect(reached(6, 100, 0.07)).toBe(false);
    expect(reached(1, 1250, 0.0008)).toBe(true);
  });
});

describe('decideGuard', () => {
  const t = DEFAULT_GUARD_THRESHOLDS;
  const decide = (c: Partial<DeliverabilityCounts>, state: GuardState = INITIAL_GUARD_STATE) => decideGuard(counts(c), t, state);

  it('does nothing, and forgets nothing, below the minimum sends', () => {
    const warned: GuardState = { ...INITIAL_GUARD_STATE, warned: { bounce_rate: true, complaint_rate: false } };
    expect(decide({ sent: 99, bounced: 50 })).toMatchObject({ changed: false, warn: [], pause: [] });
    expect(decide({ sent: 99, bounced: 0 }, warned)).toMatchObject({ changed: false, state: warned });
  });

  it('warns once per crossing, and again only after the rate fell below the warn threshold', () => {
    const first = decide({ sent: 200, bounced: 5 });
    expect(first.warn).toEqual([{ rate: 'bounce_rate', value: 0.025, threshold: 0.025 }]);
    expect(first.pause).toEqual([]);
    expect(decide({ sent: 300, bounced: 9 }, first.state)).toMatchObject({ changed: false, warn: [] });
    const below = decide({ sent: 300, bounced: 7 }, first.state);
    expect(below).toMatchObject({ changed: true, warn: [] });
    expect(decide({ sent: 300, bounced: 8 }, below.state).warn).toHaveLength(1);
  });

  it('pauses once per crossing: after a resume, not again until the rate has dropped below the pause threshold and crossed it again', () => {
    const crossing = decide({ sent: 200, bounced: 10 });
    expect(crossing.warn.map((c) => c.rate)).toEqual(['bounce_rate']);
    expect(crossing.pause).toEqual([{ rate: 'bounce_rate', value: 0.05, threshold: 0.04 }]);
    // A person resumed; the rate is still high: no second pause.
    expect(decide({ sent: 220, bounced: 11 }, crossing.state)).toMatchObject({ changed: false, pause: [] });
    // It drops below 4% (still above the warn threshold), then crosses again.
    const dropped = decide({ sent: 300, bounced: 11 }, crossing.state);
    expect(dropped).toMatchObject({ changed: true, pause: [], warn: [] });
    expect(decide({ sent: 300, bounced: 12 }, dropped.state).pause.map((c) => c.rate)).toEqual(['bounce_rate']);
  });

  it('watches complaints on their own thresholds, both rates in one decision', () => {
    const both = decide({ sent: 10_000, bounced: 400, complained: 8 });
    expect(both.pause.map((c) => c.rate)).toEqual(['bounce_rate', 'complaint_rate']);
    expect(decide({ sent: 10_000, complained: 5 }).warn).toEqual([{ rate: 'complaint_rate', value: 0.0005, threshold: 0.0005 }]);
  });
});

describe('deliverabilityReport', () => {
  const tally = (account: Partial<DeliverabilityCounts>, domains: [string, Partial<DeliverabilityCounts>][] = []) => ({
    account: counts(account),
    domains: new Map(domains.map(([d, c]) => [d, counts(c)])),
  });

  /** One bucket at a fixed hour, for reports that are about the totals. */
  const oneHour = (t: ReturnType<typeof tally>) => [{ hour: hourOf(new Date('2026-12-02T17:30:00Z')), tally: t }];

  it('reports counts, rates, thresholds and domains busiest first', () => {
    const report = deliverabilityReport('24h', oneHour(tally({ sent: 200, delivered: 190, bounced: 10 }, [['b.test', { sent: 50 }], ['a.test', { sent: 150, bounced: 10 }]])), DEFAULT_GUARD_THRESHOLDS, false);
    expect(report).toEqual({
      object: 'deliverability',
      window: '24h',
      sent: 200,
      delivered: 190,
      bounced: 10,
      complained: 0,
      bounce_rate: 0.05,
      complaint_rate: 0,
      status: 'warning',
      thresholds: { warn_bounce_rate: 0.025, warn_complaint_rate: 0.0005, pause_bounce_rate: 0.04, pause_complaint_rate: 0.0008, minimum_sends: 100 },
      domains: [
        { domain: 'a.test', sent: 150, delivered: 0, bounced: 10, complained: 0, bounce_rate: 0.06667, complaint_rate: 0 },
        { domain: 'b.test', sent: 50, delivered: 0, bounced: 0, complained: 0, bounce_rate: 0, complaint_rate: 0 },
      ],
      series: [{ hour: '2026-12-02T17:00:00.000Z', sent: 200, delivered: 190, bounced: 10, complained: 0 }],
    });
  });

  it('sums the hours of the window and lists them oldest first, each with its own counts', () => {
    const now = new Date('2026-12-02T17:30:00Z');
    const hours = windowHours('24h', now);
    const buckets = hours.map((hour, i) => ({ hour, tally: i === 0 ? tally({ sent: 10, bounced: 1 }) : i === 23 ? tally({ sent: 5, complained: 1 }) : tally({}) }));
    const report = deliverabilityReport('24h', buckets, DEFAULT_GUARD_THRESHOLDS, false);
    expect(report).toMatchObject({ sent: 15, bounced: 1, complained: 1, bounce_rate: 0.06667 });
    expect(report.series).toHaveLength(24);
    expect(report.series[0]).toEqual({ hour: '2026-12-01T18:00:00.000Z', sent: 10, delivered: 0, bounced: 1, complained: 0 });
    expect(report.series[1]).toEqual({ hour: '2026-12-01T19:00:00.000Z', sent: 0, delivered: 0, bounced: 0, complained: 0 });
    expect(report.series[23]).toEqual({ hour: '2026-12-02T17:00:00.000Z', sent: 5, delivered: 0, bounced: 0, complained: 1 });
  });

  it('says paused while Outbox is held, healthy below the warn thresholds or the minimum sends', () => {
    expect(deliverabilityReport('7d', oneHour(tally({ sent: 200, bounced: 1 })), DEFAULT_GUARD_THRESHOLDS, true).status).toBe('paused');
    expect(deliverabilityReport('7d', oneHour(tally({ sent: 200, bounced: 4 })), DEFAULT_GUARD_THRESHOLDS, false).status).toBe('healthy');
    expect(deliverabilityReport('7d', oneHour(tally({ sent: 50, bounced: 40 })), DEFAULT_GUARD_THRESHOLDS, false).status).toBe('healthy');
  });
});

describe('guard settings', () => {
  it('defaults to DEFAULT_GUARD_THRESHOLDS and reads OUTBOX_GUARD_*', () => {
    expect(readGuardThresholds({})).toEqual(DEFAULT_GUARD_THRESHOLDS);
    expect(readGuardThresholds({ OUTBOX_GUARD_PAUSE_BOUNCE_RATE: '0.03', OUTBOX_GUARD_MINIMUM_SENDS: '500' })).toEqual({ ...DEFAULT_GUARD_THRESHOLDS, pauseBounceRate: 0.03, minimumSends: 500 });
  });

  it('refuses every bad value at once, naming the variables, and a warn threshold not below its pause threshold', () => {
    expect(() => readGuardThresholds({ OUTBOX_GUARD_WARN_BOUNCE_RATE: 'lots', OUTBOX_GUARD_MINIMUM_SENDS: 'x' })).toThrow(
      'Invalid reputation guard settings: OUTBOX_GUARD_WARN_BOUNCE_RATE must be a number; got lots; OUTBOX_GUARD_MINIMUM_SENDS must be a number; got x',
    );
    expect(() => readGuardThresholds({ OUTBOX_GUARD_WARN_COMPLAINT_RATE: '0.001' })).toThrow(
      'OUTBOX_GUARD_WARN_COMPLAINT_RATE (0.001) must be below OUTBOX_GUARD_PAUSE_COMPLAINT_RATE (0.0008): the guard warns before it pauses',
    );
    expect(() => readGuardThresholds({ OUTBOX_GUARD_PAUSE_BOUNCE_RATE: '4' })).toThrow('OUTBOX_GUARD_PAUSE_BOUNCE_RATE must be a fraction above 0 and below 1');
    expect(thresholdProblems({ ...DEFAULT_GUARD_THRESHOLDS, minimumSends: 0.5 })).toEqual(['minimumSends must be a whole number, at least 1; got 0.5']);
  });
});

/** The guard's deps with in-memory counters and memory, and what it notified, paused and logged. */
function guardSetup(overrides: { pause?: PauseSending; memory?: InMemoryGuardMemory } = {}) {
  const counters = new InMemoryDeliverabilityCounters();
  const memory = overrides.memory ?? new InMemoryGuardMemory();
  const notified: { payload: NotificationPayload; eventKey: string }[] = [];
  const pauses: { reason: string; by: string }[] = [];
  const logged: string[] = [];
  const notify: Notify = async (payload, eventKey) => void notified.push({ payload, eventKey });
  const deps: DeliverabilityDeps = {
    counters,
    memory,
    thresholds: DEFAULT_GUARD_THRESHOLDS,
    clock: fixedClock('2026-12-02T17:30:00.000Z'),
    notify,
    pause: overrides.pause ?? (async (request) => (pauses.push(request), { changed: true })),
    log: (message) => void logged.push(message),
  };
  return { deps, counters, memory, notified, pauses, logged };
}

const tallyOf = (c: Partial<DeliverabilityCounts>) => ({ account: counts(c), domains: new Map([['acme.test', counts(c)]]) });

describe('recordDeliverability', () => {
  it('writes once per call to the current hour, sums the past hours of the window, and warns once', async () => {
    const { deps, counters, notified, pauses } = guardSetup();
    const hour = hourOf(deps.clock.now());
    counters.hours.set(hour - 5, tallyOf({ sent: 190 }));
    counters.hours.set(hour - 24, tallyOf({ sent: 10_000 })); // outside the 24 h window
    const outcome = await recordDeliverability(deps, tallyOf({ sent: 10, bounced: 6 }));
    expect(counters.writes).toEqual([{ hour, tally: tallyOf({ sent: 10, bounced: 6 }) }]);
    expect(outcome?.totals).toEqual(counts({ sent: 200, bounced: 6 }));
    expect(notified).toHaveLength(1);
    expect(notified[0]!.payload).toMatchObject({
      type: 'deliverability.warning',
      created_at: '2026-12-02T17:30:00.000Z',
      data: { window: '24h', rate: 'bounce_rate', value: 0.03, threshold: 0.025, pause_threshold: 0.04, sent: 200, bounced: 6 },
    });
    expect(pauses).toEqual([]);
    await recordDeliverability(deps, tallyOf({ bounced: 1 }));
    expect(notified).toHaveLength(1);
  });

  it('does nothing for a batch with nothing to count', async () => {
    const { deps, counters } = guardSetup();
    expect(await recordDeliverability(deps, addTallies([]))).toBeUndefined();
    expect(counters.writes).toEqual([]);
  });

  it('pauses sending by guard at the pause threshold, with a reason that gives the rate and the counts, once', async () => {
    const { deps, pauses, notified } = guardSetup();
    await recordDeliverability(deps, tallyOf({ sent: 200, bounced: 10 }));
    expect(pauses).toEqual([
      { by: 'guard', reason: "the bounce rate over the last 24 hours is 5% (10 of 200 sends), at or above the reputation guard's pause threshold of 4%" },
    ]);
    expect(notified.map((n) => n.payload.type)).toEqual(['deliverability.warning']);
    await recordDeliverability(deps, tallyOf({ sent: 10, bounced: 5 }));
    expect(pauses).toHaveLength(1);
  });

  it('lets only one of two containers act on the same crossing (the state is replaced conditionally)', async () => {
    const memory = new InMemoryGuardMemory();
    const one = guardSetup({ memory });
    const two = guardSetup({ memory });
    // Both see the same totals and the same remembered state.
    two.counters.hours = one.counters.hours;
    await Promise.all([recordDeliverability(one.deps, tallyOf({ sent: 100, bounced: 5 })), recordDeliverability(two.deps, tallyOf({ sent: 100, bounced: 5 }))]);
    expect(one.pauses.length + two.pauses.length).toBe(1);
    expect(one.notified.length + two.notified.length).toBe(1);
  });

  it('forgets a pause it could not make, so the next batch tries again', async () => {
    let fail = true;
    const pauses: string[] = [];
    const { deps, logged } = guardSetup({
      pause: async (request) => {
        if (fail) throw new Error('store down');
        pauses.push(request.by);
        return { changed: true };
      },
    });
    await recordDeliverability(deps, tallyOf({ sent: 200, bounced: 10 }));
    expect(logged).toContain('the reputation guard could not pause sending; the next events batch tries again');
    fail = false;
    await recordDeliverability(deps, tallyOf({ sent: 1 }));
    expect(pauses).toEqual(['guard']);
  });
});

describe('handleSesEventBatch with the counters', () => {
  const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';
  const body = (name: string, patch: (r: Record<string, any>) => void = () => undefined) =>
    JSON.stringify({
      Type: 'Notification',
      MessageId: `sns-${name}`,
      Message: JSON.stringify(record(name, (r) => ((r.mail.tags = { ...r.mail.tags, 'outbox-message-id': [EMAIL_ID] }), patch(r)))),
    });
  const batch = (bodies: string[]): SQSEvent => ({ Records: bodies.map((b, i) => ({ messageId: `m-${i}`, body: b }) as unknown as SQSRecord) });

  function eventsSetup(counters = new InMemoryDeliverabilityCounters()) {
    const guard = guardSetup();
    const logged: string[] = [];
    const deps: EventsDeps = {
      tracking: new InMemoryTrackingStore(),
      suppressions: new InMemorySuppressionList(),
      softBounces: new InMemorySoftBounceCounter(),
      softBouncePolicy: { limit: 3, windowDays: 7 },
      clock: fixedClock('2026-12-02T17:30:00.000Z'),
      log: (message) => void logged.push(message),
      deliverability: { ...guard.deps, counters },
    };
    return { deps, counters, logged };
  }

  it('counts a batch in one write, and a redelivered event not again', async () => {
    const { deps, counters } = eventsSetup();
    const send = body('event-send.json');
    const delivery = body('event-delivery.json');
    expect(await handleSesEventBatch(deps, batch([send, delivery, body('event-open.json')]))).toEqual({ batchItemFailures: [] });
    expect(counters.writes).toHaveLength(1);
    expect(counters.writes[0]!.tally.account).toEqual(counts({ sent: 1, delivered: 1 }));
    expect(await handleSesEventBatch(deps, batch([send, delivery]))).toEqual({ batchItemFailures: [] });
    expect(counters.writes).toHaveLength(1);
  });

  it('logs a failing counter write without failing the batch (mocked store fault)', async () => {
    const failing = new InMemoryDeliverabilityCounters();
    failing.add = async () => {
      throw new Error('throttled');
    };
    const { deps, logged } = eventsSetup(failing);
    expect(await handleSesEventBatch(deps, batch([body('event-send.json')]))).toEqual({ batchItemFailures: [] });
    expect(logged).toEqual(['the deliverability counters or the reputation guard failed for a batch of 1; its events are recorded, not counted']);
  });
});
