import nodemailer from 'nodemailer';
import { Resend } from 'resend';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * The API keys resource behind the local server, on the embedded DynamoDB-compatible store,
 * driven by the official resend SDK: create, list (paged), update, remove, and the last use a key
 * records when it is used.
 */
describe('the API keys API through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, smtpPort: 0, logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  });
  afterAll(async () => {
    await outbox.stop();
  });

  it('creates, pages, renames and removes keys, and shows when each was last used', async () => {
    const made: string[] = [];
    const tokens: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      const { data, error } = await resend.apiKeys.create({ name, permission: 'sending_access' });
      expect(error).toBeNull();
      made.push(data!.id);
      tokens.push(data!.token);
    }
    const newestFirst = [...made].reverse();

    const firstPage = await resend.apiKeys.list({ limit: 2 });
    expect(firstPage.error).toBeNull();
    expect(firstPage.data).toMatchObject({ object: 'list', has_more: true });
    expect(firstPage.data!.data.map((key) => key.id)).toEqual(newestFirst.slice(0, 2));
    const secondPage = await resend.apiKeys.list({ limit: 1, after: newestFirst[1]! });
    // Older still: the key the server started with.
    expect(secondPage.data!.data.map((key) => key.id)).toEqual([newestFirst[2]]);
    expect(secondPage.data!.has_more).toBe(true);
    const lastPage = await resend.apiKeys.list({ limit: 2, after: newestFirst[2]! });
    expect(lastPage.data!.data).toHaveLength(1);
    expect(lastPage.data!.has_more).toBe(false);
    const back = await resend.apiKeys.list({ limit: 1, before: newestFirst[1]! });
    expect(back.data!.data.map((key) => key.id)).toEqual([newestFirst[0]]);
    expect(back.data!.has_more).toBe(false);
    expect((await resend.apiKeys.list({ limit: 101 })).error).toMatchObject({ name: 'validation_error' });

    // The key the server started with has just listed: its use is recorded; the new ones are unused.
    const all = (await resend.apiKeys.list({ limit: 100 })).data!.data;
    expect(all.find((key) => key.id === made[0])!.last_used_at).toBeNull();
    const starting = all.at(-1)!;
    expect(Date.now() - Date.parse(starting.last_used_at!)).toBeLessThan(60_000);

    // Sending with the first new key records its use.
    const sender = new Resend(tokens[0], { baseUrl: outbox.url });
    const sent = await sender.emails.send({ from: 'a@acme.example', to: 'success@simulator.amazonses.com', subject: 'S', text: 'T' });
    expect(sent.error).toBeNull();
    const used = (await resend.apiKeys.list({ limit: 100 })).data!.data.find((key) => key.id === made[0])!;
    expect(Date.now() - Date.parse(used.last_used_at!)).toBeLessThan(60_000);
    expect(Object.keys(used).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'permission']);

    const renamed = await resend.apiKeys.update(made[1]!, { name: 'renamed' });
    expect(renamed).toEqual({ data: { object: 'api_key', id: made[1] }, error: null, headers: expect.any(Object) });
    expect((await resend.apiKeys.list({ limit: 100 })).data!.data.find((key) => key.id === made[1])!.name).toBe('renamed');
    expect((await resend.apiKeys.update('019ac9a4-0000-7000-8000-000000000000', { name: 'x' })).error).toMatchObject({ name: 'not_found' });
    const unknownField = await resend.apiKeys.update(made[1]!, { name: 'x', permission: 'full_access' } as { name: string });
    expect(unknownField.error).toMatchObject({ name: 'validation_error', message: expect.stringContaining('`permission` is not a field') });
    // A sending-only key cannot rename keys.
    expect((await sender.apiKeys.update(made[1]!, { name: 'mine' })).error).toMatchObject({ name: 'restricted_api_key' });

    expect((await resend.apiKeys.remove(made[2]!)).data).toEqual({ object: 'api_key', id: made[2], deleted: true });
    expect((await resend.apiKeys.list({ limit: 100 })).data!.data.map((key) => key.id)).not.toContain(made[2]);
    expect((await resend.apiKeys.update(made[2]!, { name: 'gone' })).error).toMatchObject({ name: 'not_found' });
  });

  it('records the use of a key that logs in over SMTP', async () => {
    const { data } = await resend.apiKeys.create({ name: 'smtp', permission: 'sending_access' });
    const lastUsed = async () => (await resend.apiKeys.list({ limit: 100 })).data!.data.find((key) => key.id === data!.id)!.last_used_at;
    expect(await lastUsed()).toBeNull();
    const transport = nodemailer.createTransport({ host: outbox.smtp!.host, port: outbox.smtp!.port, auth: { user: 'outbox', pass: data!.token }, tls: { rejectUnauthorized: false } });
    await transport.sendMail({ from: 'a@acme.example', to: 'success@simulator.amazonses.com', subject: 'S', text: 'T' });
    transport.close();
    expect(Date.now() - Date.parse((await lastUsed())!)).toBeLessThan(60_000);
  });
});
