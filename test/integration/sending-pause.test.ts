import { PutConfigurationSetSendingOptionsCommand } from '@aws-sdk/client-sesv2';
import type { DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbSendingPause } from '../../lambda/adapters/dynamodb-sending-pause';
import { CONTROL_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { LOCAL_CONFIGURATION_SET, localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { runSendingCli } from '../../scripts/sending-cli';
import { standInClient } from '../helpers/ses-standin-client';
import { sleep, waitFor } from '../helpers/wait-for';

/**
 * Outbox's sending pause through the local runtime with real HTTP: GET/POST /sending, the sync
 * send's 503, a batch email kept queued and sent after the resume, the configuration set paused
 * with it in the SES stand-in, a configuration set paused at SES alone, and `npm run sending`.
 */

const from = 'Acme <hello@acme.test>';
const to = 'success@simulator.amazonses.com';

describe('the sending pause, through the local runtime', () => {
  let outbox: LocalOutbox;
  let documents: DynamoDbDocumentClient;
  const errors: string[] = [];

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, outboundSettings: { maxBackoffSeconds: 2 }, logError: (message) => errors.push(message) });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await outbox.stop();
  });

  async function call(method: string, path: string, body?: unknown, key = outbox.apiKey): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${outbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function lastEvent(id: string): Promise<unknown> {
    return (await call('GET', `/emails/${id}`)).body.last_event;
  }

  async function batchOfOne(subject: string): Promise<string> {
    const answer = await call('POST', '/emails/batch', [{ from, to, subject, text: 'Hello' }]);
    expect(answer.status).toBe(200);
    return (answer.body.data as { id: string }[])[0]!.id;
  }

  function sendingNotifications(): string[] {
    return outbox.notifications
      .list()
      .map((n) => n.payload.type)
      .filter((type) => type.startsWith('sending.'));
  }

  it('GET /sending: enabled, with what GetAccount says', async () => {
    expect(await call('GET', '/sending')).toEqual({
      status: 200,
      body: { object: 'sending', enabled: true, paused_reason: null, paused_at: null, paused_by: null, ses: { sending_enabled: true, enforcement_status: 'HEALTHY' } },
    });
  });

  it('pause: 503 on POST /emails with nothing stored, a batch email stays queued, and resume sends it', async () => {
    const paused = await call('POST', '/sending/pause', { reason: 'checking a bounce spike' });
    expect(paused).toMatchObject({ status: 200, body: { object: 'sending', enabled: false, paused_reason: 'checking a bounce spike', paused_by: 'api' } });
    expect(outbox.ses.configurationSetSendingEnabled(LOCAL_CONFIGURATION_SET)).toBe(false);

    // Pausing again keeps the first reason and tells nobody again.
    expect((await call('POST', '/sending/pause', { reason: 'another' })).body).toMatchObject({ paused_reason: 'checking a bounce spike', paused_at: paused.body.paused_at });
    expect(sendingNotifications()).toEqual(['sending.paused']);

    const listedBefore = ((await call('GET', '/emails')).body.data as unknown[]).length;
    const sentBefore = outbox.ses.messages().length;
    const refused = await call('POST', '/emails', { from, to, subject: 'Sync while paused', text: 'Hello' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ statusCode: 503, name: 'application_error' });
    expect(refused.body.message).toMatch(/^Sending is paused by api at .*: checking a bounce spike\. .*POST \/sending\/resume, or npm run sending -- resume/);
    expect(((await call('GET', '/emails')).body.data as unknown[]).length).toBe(listedBefore);

    const id = await batchOfOne('Batch while paused');
    // Longer than the sender's local pauseMs (2 s): it has looked at the email and kept it.
    await sleep(2_500);
    expect(await lastEvent(id)).toBe('queued');
    expect(outbox.ses.messages().length).toBe(sentBefore);

    expect(await call('POST', '/sending/resume')).toMatchObject({ status: 200, body: { enabled: true, paused_reason: null } });
    expect(outbox.ses.configurationSetSendingEnabled(LOCAL_CONFIGURATION_SET)).toBe(true);
    // Within the sender's local pauseMs (2 s) and a retry's jitter.
    await waitFor('the queued batch email to be sent after the resume', async () => (['sent', 'delivered'].includes(String(await lastEvent(id))) ? true : undefined), 8_000);
    expect(sendingNotifications()).toEqual(['sending.resumed', 'sending.paused']);
    expect((await call('POST', '/sending/resume')).status).toBe(200);
    expect(sendingNotifications()).toHaveLength(2);
  }, 20_000);

  it('a configuration set paused at SES alone: emails stay queued, not failed, and the sync send is 503', async () => {
    const ses = standInClient(outbox.ses);
    await ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: LOCAL_CONFIGURATION_SET, SendingEnabled: false }));
    try {
      const sync = await call('POST', '/emails', { from, to, subject: 'Sync, set paused', text: 'Hello' });
      expect(sync).toMatchObject({ status: 503, body: { name: 'application_error', message: expect.stringMatching(/configuration set.*not sent and not kept/) } });
      const id = await batchOfOne('Batch, set paused');
      await sleep(2_500);
      expect(await lastEvent(id)).toBe('queued');

      await ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: LOCAL_CONFIGURATION_SET, SendingEnabled: true }));
      await waitFor('the batch email to be sent once the set is re-enabled', async () => (['sent', 'delivered'].includes(String(await lastEvent(id))) ? true : undefined), 10_000);
    } finally {
      ses.destroy();
    }
  }, 20_000);

  it('refuses an unknown field and a sending-only key, and GET /sending survives GetAccount failing', async () => {
    expect(await call('POST', '/sending/pause', { reason: 'x', until: 'tomorrow' })).toMatchObject({ status: 422, body: { message: expect.stringContaining('`until` is not a field of a pause') } });
    const created = await call('POST', '/api-keys', { name: 'sender', permission: 'sending_access' });
    expect((await call('POST', '/sending/pause', {}, created.body.token as string)).status).toBe(401);
    expect((await call('GET', '/sending')).body.enabled).toBe(true);

    outbox.ses.failNextCalls('GetAccount', { name: 'AccessDeniedException', message: 'not authorized to perform ses:GetAccount', statusCode: 403 });
    expect(await call('GET', '/sending')).toMatchObject({ status: 200, body: { enabled: true, ses: { sending_enabled: null, enforcement_status: null } } });
  });

  it('holds once across instances, and the short SES pause never replaces or removes a held one (the real conditional writes)', async () => {
    const table = localTableName(CONTROL_TABLE);
    const [a, b] = [new DynamoDbSendingPause(documents, table, 0), new DynamoDbSendingPause(documents, table, 0)];
    const at = Date.now();
    const results = await Promise.all([a.hold({ until: at, reason: 'first', held: { by: 'guard', at } }), b.hold({ until: at, reason: 'second', held: { by: 'alarm', at } })]);
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const standing = results.find((r) => r.changed)!.state;
    expect(results.find((r) => !r.changed)!.state).toEqual(standing);

    await b.set({ until: at + 60_000, reason: 'SES says paused' });
    await b.clear(at);
    expect(await a.read()).toEqual(standing);
    expect(await b.release()).toEqual(standing);
    expect(await a.release()).toBeUndefined();
    expect(await a.read()).toBeUndefined();
  });

  it('npm run sending: status, pause, resume, and a refusal exits 1 with its message', async () => {
    const env = { RESEND_BASE_URL: outbox.url, RESEND_API_KEY: outbox.apiKey };
    const run = async (...args: string[]) => {
      const lines: string[] = [];
      const code = await runSendingCli(args, env, { out: (l) => lines.push(l), err: (l) => lines.push(`err: ${l}`) });
      return { code, text: lines.join('\n') };
    };
    expect(await run('status')).toEqual({ code: 0, text: 'Sending: enabled\nSES: sending enabled, enforcement HEALTHY' });
    const paused = await run('pause', '--reason', 'from the CLI');
    expect(paused.code).toBe(0);
    expect(paused.text).toMatch(/^Sending: PAUSED by api at \S+Z\n {2}reason: from the CLI\n {2}POST \/emails answers 503; .* npm run sending -- resume\nSES: sending enabled, enforcement HEALTHY$/);
    expect(await run('resume')).toMatchObject({ code: 0, text: expect.stringMatching(/^Sending: enabled/) });

    expect(await run('status', '--key', 'ob_not_a_key')).toMatchObject({ code: 1, text: expect.stringMatching(/^err: GET \/sending answered 403 invalid_api_key: /) });
    expect(await run('pause', '--reason', '')).toMatchObject({ code: 1, text: expect.stringContaining('`reason` must be a string of 1-500 characters') });
    expect((await run('stop')).code).toBe(2);
    expect((await run('status', '--reason', 'x')).code).toBe(2);
  });

  it('logged nothing unexpected', () => {
    expect(errors.filter((e) => !/paused|POST \/emails failed|GetAccount failed/i.test(e))).toEqual([]);
  });
});
