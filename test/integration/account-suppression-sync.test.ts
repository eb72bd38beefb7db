import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteSuppressedDestinationCommand,
  GetSuppressedDestinationCommand,
  ListSuppressedDestinationsCommand,
  NotFoundException,
  PutSuppressedDestinationCommand,
  SendEmailCommand,
  BadRequestException,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { parseSesNotification } from '../../lambda/core/ses-events';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { sesRecordOf, startSesStandIn, type SesStandIn, type SnsEnvelope } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';
import { waitFor } from '../helpers/wait-for';

const fixtures = path.join(__dirname, '../fixtures/ses');

/** The stand-in's account-level list as the real SES v2 client reads it: address -> reason. */
async function listed(ses: SESv2Client): Promise<Record<string, string>> {
  const { SuppressedDestinationSummaries } = await ses.send(new ListSuppressedDestinationsCommand({}));
  return Object.fromEntries((SuppressedDestinationSummaries ?? []).map((s) => [s.EmailAddress!, s.Reason!]));
}

/**
 * Outbox's suppression list mirrored into SES's account-level list in local mode: the api and the
 * events path write the list, its stream records reach the deployed consumer, which calls the
 * stand-in's PutSuppressedDestination / DeleteSuppressedDestination; the real SES v2 client reads
 * the result back. Nothing is mocked.
 */
describe("Outbox's suppression list in SES's account-level list (local mode)", () => {
  let outbox: LocalOutbox;
  let ses: SESv2Client;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, logError: () => undefined });
    ses = standInClient(outbox.ses);
  });
  afterAll(async () => {
    ses.destroy();
    await outbox.stop();
  });

  async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${outbox.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('puts an address suppressed through POST /suppressions on the account-level list, and takes it off after DELETE', async () => {
    expect((await call('POST', '/suppressions', { email: 'Manual@Example.com' })).status).toBe(201);
    await waitFor('the stand-in to list manual@example.com', async () => ((await listed(ses))['manual@example.com'] === 'BOUNCE' ? true : undefined), 5_000, 50);
    const { SuppressedDestination } = await ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'manual@example.com' }));
    expect(SuppressedDestination).toMatchObject({ EmailAddress: 'manual@example.com', Reason: 'BOUNCE', LastUpdateTime: expect.any(Date) });

    expect((await call('DELETE', '/suppressions/manual@example.com')).status).toBe(200);
    await waitFor('the stand-in to drop manual@example.com', async () => ('manual@example.com' in (await listed(ses)) ? undefined : true), 5_000, 50);
    await expect(ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'manual@example.com' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('raises an entry to COMPLAINT when the events path records a complaint for an address already suppressed by hand', async () => {
    expect((await call('POST', '/suppressions', { email: 'reader@example.com' })).status).toBe(201);
    await waitFor('reader@example.com listed for BOUNCE', async () => ((await listed(ses))['reader@example.com'] === 'BOUNCE' ? true : undefined), 5_000, 50);
    const complaint = readFileSync(path.join(fixtures, 'event-complaint.json'), 'utf8').replaceAll('recipient@example.com', 'reader@example.com');
    expect((await call('POST', '/_local/ses-events', JSON.parse(complaint))).status).toBe(200);
    expect((await call('GET', '/suppressions/reader@example.com')).body).toMatchObject({ origin: 'complaint' });
    await waitFor('reader@example.com listed for COMPLAINT', async () => ((await listed(ses))['reader@example.com'] === 'COMPLAINT' ? true : undefined), 5_000, 50);
  });
});

describe('a restart on a data directory', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-account-suppression-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("puts the kept entries on the new stand-in's list, which starts empty", async () => {
    const first = await startLocalOutbox({ port: 0, dataDir, logError: () => undefined });
    const add = await fetch(`${first.url}/suppressions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'kept@example.com' }),
    });
    expect(add.status).toBe(201);
    await first.stop();

    const second = await startLocalOutbox({ port: 0, dataDir, logError: () => undefined });
    try {
      await waitFor('kept@example.com on the new list', () => (second.ses.accountSuppressionList().some((e) => e.emailAddress === 'kept@example.com') ? true : undefined), 5_000, 50);
      expect(second.ses.accountSuppressionList()).toEqual([{ emailAddress: 'kept@example.com', reason: 'BOUNCE', lastUpdateTime: expect.any(Number) }]);
    } finally {
      await second.stop();
    }
  });
});

describe("the SES stand-in's account-level suppression list", () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;
  const notifications: SnsEnvelope[] = [];

  beforeAll(async () => {
    standIn = await startSesStandIn();
    standIn.onNotification((envelope) => void notifications.push(envelope));
    ses = standInClient(standIn);
  });
  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  it('bounces a send to a listed address as Permanent/OnAccountSuppressionList, as SES reports it, and delivers to the others', async () => {
    await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: 'Listed@Example.com', Reason: 'COMPLAINT' }));
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'app@acme.test',
        Destination: { ToAddresses: ['listed@example.com', 'fine@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } } },
        ConfigurationSetName: 'outbox-local',
      }),
    );
    const records = await waitFor(
      'the Send, Bounce and Delivery',
      () => {
        const mine = notifications.map(sesRecordOf).filter((record) => record.mail.messageId === MessageId);
        return mine.length === 3 ? mine : undefined;
      },
      5_000,
      50,
    );
    expect(records.map((r) => r.eventType).sort()).toEqual(['Bounce', 'Delivery', 'Send']);
    const bounce = records.find((r) => r.eventType === 'Bounce')!;
    const delivery = records.find((r) => r.eventType === 'Delivery')!;
    if (bounce.eventType !== 'Bounce' || delivery.eventType !== 'Delivery') throw new Error('unreachable');
    expect(delivery.delivery.recipients).toEqual(['fine@example.com']);

    // The same fields, with the same values, as the one observed from SES (Mozilla's fixture, 2022).
    const observed = JSON.parse(JSON.parse(readFileSync(path.join(fixtures, 'observed-sns-envelope-notification-bounce-onaccountsuppressionlist.json'), 'utf8')).Message).bounce;
    const { emailAddress: _observedAddress, ...observedRecipient } = observed.bouncedRecipients[0];
    expect(bounce.bounce).toEqual({
      feedbackId: expect.any(String),
      bounceType: 'Permanent',
      bounceSubType: 'OnAccountSuppressionList',
      bouncedRecipients: [{ emailAddress: 'listed@example.com', ...observedRecipient }],
      timestamp: expect.any(String),
      reportingMTA: observed.reportingMTA,
    });
    expect(Object.keys(bounce.bounce).sort()).toEqual(Object.keys(observed).sort());

    // Outbox's events path reads it as SES's own.
    const parsed = parseSesNotification(notifications.find((n) => n.Message.includes('OnAccountSuppressionList')));
    expect(parsed).toMatchObject({ type: 'Bounce', sesMessageId: MessageId, detail: { bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' } });
  });

  it('lists the most recently put first, filters by reason, pages with NextToken, and refuses an unknown reason', async () => {
    for (const [address, reason] of [
      ['a@example.com', 'BOUNCE'],
      ['b@example.com', 'COMPLAINT'],
      ['c@example.com', 'BOUNCE'],
    ] as const) {
      await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: reason }));
    }
    const bounces = await ses.send(new ListSuppressedDestinationsCommand({ Reasons: ['BOUNCE'] }));
    expect(bounces.SuppressedDestinationSummaries!.map((s) => s.EmailAddress)).toEqual(['c@example.com', 'a@example.com']);

    const first = await ses.send(new ListSuppressedDestinationsCommand({ PageSize: 2 }));
    expect(first.SuppressedDestinationSummaries!.map((s) => s.EmailAddress)).toEqual(['c@example.com', 'b@example.com']);
    const rest = await ses.send(new ListSuppressedDestinationsCommand({ PageSize: 2, NextToken: first.NextToken }));
    expect(rest.SuppressedDestinationSummaries!.map((s) => s.EmailAddress)).toEqual(['a@example.com', 'Listed@Example.com']);
    expect(rest.NextToken).toBeUndefined();

    await expect(ses.send(new PutSuppressedDestinationCommand({ EmailAddress: 'd@example.com', Reason: 'SPAM' as never }))).rejects.toBeInstanceOf(BadRequestException);
  });

  it('deletes a listed address once: a second delete is NotFoundException', async () => {
    await ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'A@example.com' }));
    await expect(ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'a@example.com' }))).rejects.toBeInstanceOf(NotFoundException);
    expect(standIn.accountSuppressionList().map((entry) => entry.emailAddress)).not.toContain('a@example.com');
  });
});
