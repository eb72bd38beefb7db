import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';
import type { EmailRecord } from '../../lambda/core/email';
import { systemClock } from '../../lambda/core/ports';
import { EMAILS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { FAKE_CLAMD_MARKER, FakeClamd } from '../helpers/fake-clamd';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/**
 * Attachments, templates, raw MIME and the content scan through the official resend SDK (and
 * plain HTTP for POST /emails/raw, which the SDK does not know) against the local server, the
 * embedded DynamoDB-compatible store and the SES stand-in. What reaches the stand-in is parsed
 * back with mailparser, as a recipient's client would read it.
 */
describe('email content through the API', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let documents: DynamoDbDocumentClient;
  const base = { from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'] };

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], logError: () => undefined });
    outbox.ses.setSimulateEvents(false);
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await outbox.stop();
  });

  async function postRaw(body: unknown) {
    const response = await fetch(`${outbox.url}/emails/raw`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async function getEmail(id: string) {
    const response = await fetch(`${outbox.url}/emails/${id}`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    return (await response.json()) as Record<string, any>;
  }

  function sesMessageFor(id: string) {
    const found = outbox.ses.messages().filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === id));
    expect(found).toHaveLength(1);
    return found[0]!;
  }

  async function storedEmailCount(): Promise<number> {
    const { Count } = await documents.send(
      new ScanCommand({ TableName: localTableName(EMAILS_TABLE), Select: 'COUNT', FilterExpression: 'sk = :email', ExpressionAttributeValues: { ':email': 'email' } }),
    );
    return Count ?? 0;
  }

  /** Runs `send`, expecting a refusal: nothing reaches SES and no email is stored. */
  async function expectNothingSent(send: () => Promise<unknown>): Promise<void> {
    const sentBefore = outbox.ses.messages().length;
    const storedBefore = await storedEmailCount();
    await send();
    expect(outbox.ses.messages().length).toBe(sentBefore);
    expect(await storedEmailCount()).toBe(storedBefore);
  }

  async function rawMessage(options: ConstructorParameters<typeof MailComposer>[0]): Promise<string> {
    return (await new MailComposer({ from: 'Acme <hello@acme.test>', subject: 'Raw', ...options }).compile().build()).toString('base64');
  }

  it('sends a PDF and an inline PNG that reach SES as valid MIME, parsed back with mailparser', async () => {
    const { data, error } = await resend.emails.send({
      ...base,
      subject: 'Your invoice',
      html: '<p>Thanks! <img src="cid:logo" alt="Acme"></p>',
      text: 'Thanks!',
      attachments: [
        { filename: 'invoice.pdf', content: PDF },
        { filename: 'logo.png', content: PNG, contentId: 'logo' },
      ],
    });
    expect(error).toBeNull();
    const message = sesMessageFor(data!.id);
    expect(message.contentKind).toBe('Simple');
    expect(message.attachments).toEqual([
      { filename: 'invoice.pdf', contentType: 'application/pdf', disposition: 'ATTACHMENT', size: PDF.length },
      { filename: 'logo.png', contentType: 'image/png', disposition: 'INLINE', contentId: 'logo', size: PNG.length },
    ]);

    const parsed = await simpleParser(message.mime);
    expect(parsed.subject).toBe('Your invoice');
    // mailparser resolves cid: references to the inline part: the HTML now embeds the PNG itself.
    expect(parsed.html).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
    expect(parsed.text?.trim()).toBe('Thanks!');
    expect(parsed.attachments).toHaveLength(2);
    const pdf = parsed.attachments.find((a) => a.filename === 'invoice.pdf')!;
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.contentDisposition).toBe('attachment');
    expect(pdf.content.equals(PDF)).toBe(true);
    const png = parsed.attachments.find((a) => a.filename === 'logo.png')!;
    expect(png.contentType).toBe('image/png');
    expect(png.contentDisposition).toBe('inline');
    expect(png.cid).toBe('logo');
    expect(png.related).toBe(true);
    expect(png.content.equals(PNG)).toBe(true);

    const view = await getEmail(data!.id);
    expect(view.attachments).toEqual([
      { filename: 'invoice.pdf', content_type: 'application/pdf', content_id: null, size: PDF.length },
      { filename: 'logo.png', content_type: 'image/png', content_id: 'logo', size: PNG.length },
    ]);
  });

  it.each(['setup.exe', 'macro.vbs'])('refuses a %s attachment as invalid_attachment and sends nothing', async (filename) => {
    await expectNothingSent(async () => {
      const { data, error } = await resend.emails.send({ ...base, subject: 'x', text: 'x', attachments: [{ filename, content: Buffer.from('MZ') }] });
      expect(data).toBeNull();
      expect(error).toMatchObject({ statusCode: 422, name: 'invalid_attachment', message: expect.stringContaining(`SES refuses attachments of these types, so nothing was sent: \`${filename}\``) });
    });
  });

  it('refuses an EICAR attachment as security_error and sends nothing', async () => {
    await expectNothingSent(async () => {
      const { error } = await resend.emails.send({ ...base, subject: 'x', text: 'x', attachments: [{ filename: 'eicar.com.txt', content: Buffer.from(EICAR_SIGNATURE) }] });
      expect(error).toEqual({
        statusCode: 422,
        name: 'security_error',
        message: 'A virus signature (the EICAR test file) was found in attachment `eicar.com.txt`, so nothing was sent.',
      });
    });
  });

  it('refuses a remote attachment path, saying why', async () => {
    await expectNothingSent(async () => {
      const { error } = await resend.emails.send({ ...base, subject: 'x', text: 'x', attachments: [{ filename: 'a.pdf', path: 'https://example.com/a.pdf' }] });
      expect(error).toMatchObject({ statusCode: 422, name: 'invalid_attachment', message: expect.stringMatching(/does not fetch files from URLs.*SSRF/) });
    });
  });

  it('sends a raw MIME message to the recipients in its headers, as it is', async () => {
    const raw = await rawMessage({
      to: 'Ann <success@simulator.amazonses.com>',
      cc: 'cc@example.com',
      text: 'Raw hello',
      attachments: [{ filename: 'notes.txt', content: 'notes' }],
    });
    const sent = await postRaw({ raw, tags: [{ name: 'kind', value: 'raw' }] });
    expect(sent.status).toBe(200);
    const message = sesMessageFor(sent.body.id);
    expect(message.contentKind).toBe('Raw');
    expect(message.recipients).toEqual(['success@simulator.amazonses.com', 'cc@example.com']);
    expect(message.mime).toBe(Buffer.from(raw, 'base64').toString('utf8'));
    expect(message.tags).toEqual(expect.arrayContaining([{ name: 'kind', value: 'raw' }, { name: 'outbox-message-id', value: sent.body.id }]));
    expect(message.configurationSetName).toBe('outbox-local');
    const parsed = await simpleParser(message.mime);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['notes.txt']);

    const view = await getEmail(sent.body.id);
    expect(view).toMatchObject({ from: 'Acme <hello@acme.test>', to: ['Ann <success@simulator.amazonses.com>'], cc: ['cc@example.com'], subject: 'Raw', last_event: 'sent' });
  });

  it('sends a raw MIME message to the `to` override instead of its headers', async () => {
    const raw = await rawMessage({ to: 'someone@example.com', text: 'Override' });
    const sent = await postRaw({ raw, to: ['success@simulator.amazonses.com'] });
    expect(sent.status).toBe(200);
    const message = sesMessageFor(sent.body.id);
    expect(message.recipients).toEqual(['success@simulator.amazonses.com']);
    expect(message.headers).toContainEqual({ name: 'To', value: 'someone@example.com' });
  });

  it.each(['tool.exe', 'macro.vbs'])('refuses raw MIME with a %s part and sends nothing', async (filename) => {
    const raw = await rawMessage({ to: 'success@simulator.amazonses.com', text: 'x', attachments: [{ filename, content: 'MZ' }] });
    await expectNothingSent(async () => {
      const refused = await postRaw({ raw });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ name: 'invalid_attachment', message: expect.stringContaining(`\`${filename}\``) });
    });
  });

  it('refuses raw MIME carrying EICAR in an attachment and sends nothing', async () => {
    const raw = await rawMessage({ to: 'success@simulator.amazonses.com', text: 'x', attachments: [{ filename: 'eicar.txt', content: EICAR_SIGNATURE }] });
    await expectNothingSent(async () => {
      const refused = await postRaw({ raw });
      expect(refused).toEqual({
        status: 422,
        body: { statusCode: 422, name: 'security_error', message: 'A virus signature (the EICAR test file) was found in attachment `eicar.txt`, so nothing was sent.' },
      });
    });
  });

  it('refuses raw MIME without a From header', async () => {
    const raw = Buffer.from('To: success@simulator.amazonses.com\r\nSubject: x\r\n\r\nx\r\n').toString('base64');
    const refused = await postRaw({ raw });
    expect(refused.body).toMatchObject({ statusCode: 422, name: 'missing_required_field', message: expect.stringContaining('no From header') });
  });

  it('sends a template as SES Template content, rendered by the stand-in when it knows the template', async () => {
    outbox.ses.putTemplate('welcome', { subject: 'Welcome, {{name}}', text: 'Hello {{name}}, you have {{count}} messages.' });
    const { data, error } = await resend.emails.send({ ...base, template: { id: 'welcome', variables: { name: 'Ada', count: 3 } } });
    expect(error).toBeNull();
    const message = sesMessageFor(data!.id);
    expect(message.contentKind).toBe('Template');
    expect(message.template).toEqual({ name: 'welcome', data: '{"name":"Ada","count":3}' });
    const parsed = await simpleParser(message.mime);
    expect(parsed.subject).toBe('Welcome, Ada');
    expect(parsed.text?.trim()).toBe('Hello Ada, you have 3 messages.');

    const view = await getEmail(data!.id);
    expect(view).toMatchObject({ subject: '', html: null, text: null, template: { id: 'welcome', variables: { name: 'Ada', count: 3 } } });
  });

  describe('content too big for one DynamoDB item', () => {
    // Random bytes do not compress: 4 MB (5.3 MB as base64, under the 6 MB request cap) stays
    // about 4 MB gzipped, so it needs a dozen content items.
    const big = randomBytes(4_000_000);
    const bigAttachment = { filename: 'big.bin', content: big };

    async function expectWholeEmail(id: string): Promise<void> {
      const items = await partitionItems(id);
      const contentItems = items.filter((item) => String(item.sk).startsWith('content#'));
      const emailItem = items.find((item) => item.sk === 'email')!;
      expect(contentItems.length).toBeGreaterThan(10);
      expect(emailItem.contentChunks).toBe(contentItems.length);
      expect(Math.max(...contentItems.map((item) => (item.data as Uint8Array).length))).toBeLessThanOrEqual(350_000);
      // The email item holds no content: it stays small, so every status update of it stays cheap.
      expect(Buffer.byteLength(JSON.stringify(emailItem))).toBeLessThan(2_000);
      expect(contentItems.every((item) => item.expiresAt === emailItem.expiresAt)).toBe(true);

      const parsed = await simpleParser(sesMessageFor(id).mime);
      expect(parsed.attachments).toHaveLength(1);
      expect(parsed.attachments[0]!.content.equals(big)).toBe(true);

      const view = await getEmail(id);
      expect(view).toMatchObject({ subject: 'Big', text: 'See attached', last_event: 'sent', attachments: [{ filename: 'big.bin', content_type: 'application/octet-stream', content_id: null, size: big.length }] });

      // What a queued sender reads: the whole draft, the bytes included.
      const store = new DynamoDbEmailStore(documents, localTableName(EMAILS_TABLE), systemClock, 90);
      const details = await store.get(id);
      expect(Buffer.from(details!.email.attachments[0]!.content, 'base64').equals(big)).toBe(true);
      expect(details!.email.text).toBe('See attached');
    }

    it('keeps a 4 MB attachment of POST /emails in content items, sends it whole and gives the whole email back', async () => {
      const { data, error } = await resend.emails.send({ ...base, subject: 'Big', text: 'See attached', attachments: [bigAttachment] });
      expect(error).toBeNull();
      await expectWholeEmail(data!.id);
    });

    it('keeps a 4 MB attachment of POST /emails/batch in content items, and the sender sends it whole', async () => {
      // Plain HTTP: the SDK's batch type leaves attachments out, while Outbox takes each email as for POST /emails.
      const response = await fetch(`${outbox.url}/emails/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify([
          { ...base, subject: 'Big', text: 'See attached', attachments: [{ filename: 'big.bin', content: big.toString('base64') }] },
          { ...base, subject: 'Small', text: 'Hello' },
        ]),
      });
      expect(response.status).toBe(200);
      const [bigId, smallId] = ((await response.json()) as { data: { id: string }[] }).data.map((entry) => entry.id);
      await outbox.outboundQueue.idle();
      expect(outbox.outboundQueue.deadLettered()).toHaveLength(0);
      await expectWholeEmail(bigId!);
      expect((await simpleParser(sesMessageFor(smallId!).mime)).text?.trim()).toBe('Hello');
      expect(await getEmail(smallId!)).toMatchObject({ subject: 'Small', text: 'Hello', last_event: 'sent' });
    });

    it('keeps content alive as long as its email when a scheduled email moves later, and never shortens it', async () => {
      const { data, error } = await resend.emails.send({ ...base, subject: 'Later', text: 'x', attachments: [{ filename: 'a.bin', content: randomBytes(500_000) }], scheduledAt: 'in 1 day' });
      expect(error).toBeNull();
      const id = data!.id;
      const expiries = async () => {
        const items = await partitionItems(id);
        return {
          email: items.find((item) => item.sk === 'email')!.expiresAt as number,
          content: items.filter((item) => String(item.sk).startsWith('content#')).map((item) => item.expiresAt as number),
        };
      };
      const created = await expiries();
      expect(created.content).toEqual([created.email, created.email]);

      const later = new Date(Date.now() + 20 * 86_400_000).toISOString();
      expect((await resend.emails.update({ id, scheduledAt: later })).error).toBeNull();
      const moved = await expiries();
      expect(moved.email).toBe(Math.floor(Date.parse(later) / 1000) + 90 * 86_400);
      expect(moved.content).toEqual([moved.email, moved.email]);

      const sooner = new Date(Date.now() + 2 * 86_400_000).toISOString();
      expect((await resend.emails.update({ id, scheduledAt: sooner })).error).toBeNull();
      const movedBack = await expiries();
      expect(movedBack.email).toBeLessThan(moved.email);
      expect(movedBack.content).toEqual([moved.email, moved.email]);

      expect(await getEmail(id)).toMatchObject({ last_event: 'scheduled', scheduled_at: sooner, attachments: [{ filename: 'a.bin', size: 500_000 }] });
    });
  });

  async function partitionItems(id: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({ TableName: localTableName(EMAILS_TABLE), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': id }, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
});

describe('DynamoDbEmailStore content items', () => {
  let outbox: LocalOutbox;
  let documents: DynamoDbDocumentClient;
  let store: DynamoDbEmailStore;
  /** Write units DynamoDB reports for each call, by command: the store's real calls, observed. */
  const writeUnits: { command: string; units: number }[] = [];
  const table = () => localTableName(EMAILS_TABLE);

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const send = documents.send.bind(documents);
    documents.send = async (command) => {
      Object.assign(command.input, { ReturnConsumedCapacity: 'TOTAL' });
      const output = await send(command);
      const consumed = (output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      if (consumed?.CapacityUnits !== undefined) writeUnits.push({ command: command.operation, units: consumed.CapacityUnits });
      return output;
    };
    store = new DynamoDbEmailStore(documents, table(), systemClock, 90);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  let n = 0;
  function record(content: Partial<EmailRecord>): EmailRecord {
    n++;
    return {
      id: `019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b${String(n).padStart(2, '0')}`,
      createdAt: new Date().toISOString(),
      apiKeyId: 'k',
      lastEvent: 'queued',
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
      from: { address: 'hello@acme.test' },
      to: [{ address: 'b@example.com' }],
      cc: [],
      bcc: [],
      replyTo: [],
      subject: 'Hi',
      headers: [],
      tags: [],
      attachments: [],
      ...content,
    };
  }

  async function items(id: string): Promise<Record<string, unknown>[]> {
    return (await documents.send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': id } }))).Items ?? [];
  }

  it('keeps small content in one compressed content item beside a small email item', async () => {
    const email = record({ html: `<p>${'Hello there. '.repeat(400)}</p>`, text: 'small', attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 'text/plain' }] });
    await store.create(email);
    const stored = await items(email.id);
    expect(stored.map((item) => item.sk)).toEqual(['content#00', 'email']);
    expect((stored[0]!.data as Uint8Array).length).toBeLessThan(1_000);
    expect(stored[1]).not.toHaveProperty('html');
    expect(stored[1]).not.toHaveProperty('attachments');
    expect(stored[1]!.contentChunks).toBe(1);
    expect((await store.get(email.id))!.email).toEqual(email);
  });

  it('keeps a sync send\'s small content inline in its one email item, and records the send beside it without rewriting that item', async () => {
    const email = record({ html: `<p>${'Hello there. '.repeat(400)}</p>`, text: 'small', attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 'text/plain' }] });
    await store.create(email, { sendingNow: true });
    const [stored] = await items(email.id);
    expect((await items(email.id)).map((item) => item.sk)).toEqual(['email']);
    expect(stored).not.toHaveProperty('html');
    expect(stored!.contentChunks).toBe(0);
    expect((stored!.content as Uint8Array).length).toBeLessThan(1_000);
    expect((await store.get(email.id))!.email).toEqual(email);

    writeUnits.length = 0;
    await store.markSent(email.id, `ses-sync-${email.id}`, { sendingNow: true });
    expect(writeUnits).toEqual([{ command: 'UpdateItem', units: 1 }]);
    const after = await items(email.id);
    expect(after.map((item) => item.sk)).toEqual(['email', 'email#sent']);
    expect(after[0]).toEqual(stored);
    expect((await store.get(email.id))!.email).toEqual({ ...email, lastEvent: 'sent', sesMessageId: `ses-sync-${email.id}` });
    expect(await store.findEmail(`ses-sync-${email.id}`)).toEqual({ id: email.id, createdAt: email.createdAt, from: email.from, to: email.to, subject: 'Hi', tags: [] });
    const listed = await store.list({ limit: 100 });
    expect(listed.emails.find((details) => details.email.id === email.id)?.email).toMatchObject({ lastEvent: 'sent', sesMessageId: `ses-sync-${email.id}` });
    expect(listed.emails.find((details) => details.email.id === email.id)?.email).not.toHaveProperty('html');
  });

  it('keeps a sync send\'s content that does not compress small in a content item, as any email\'s', async () => {
    const email = record({ text: randomBytes(3_000).toString('base64') });
    await store.create(email, { sendingNow: true });
    expect((await items(email.id)).map((item) => item.sk)).toEqual(['content#00', 'email']);
    expect((await store.get(email.id))!.email).toEqual(email);
  });

  it('writes no content item for an email without content (a template)', async () => {
    const email = record({ subject: undefined, template: { id: 'welcome', variables: { name: 'Ada' } } });
    await store.create(email);
    expect((await items(email.id)).map((item) => item.sk)).toEqual(['email']);
    expect((await store.get(email.id))!.email).toEqual(email);
  });

  it('splits a large body and raw message into content items, reads them back, records a send in one write unit, and removes them on discard', async () => {
    const email = record({ html: randomBytes(600_000).toString('hex'), raw: randomBytes(300_000).toString('base64') });
    await store.create(email);
    const chunks = (await items(email.id)).filter((item) => String(item.sk).startsWith('content#'));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect((await store.get(email.id))!.email).toEqual(email);

    writeUnits.length = 0;
    await store.markSent(email.id, `ses-large-${email.id}`);
    expect(writeUnits).toEqual([{ command: 'UpdateItem', units: 1 }]);
    // The events path reads a few attributes of the email item alone: none of the content.
    expect(await store.findEmail(`ses-large-${email.id}`)).toEqual({ id: email.id, createdAt: email.createdAt, from: email.from, to: email.to, subject: 'Hi', tags: [] });

    await store.discard(email.id);
    expect(await items(email.id)).toEqual([]);
    expect(await store.get(email.id)).toBeUndefined();
  });

  it('refuses to read an email missing one of its content items rather than give it back incomplete', async () => {
    const email = record({ html: randomBytes(500_000).toString('hex') });
    await store.create(email);
    await documents.send(new DeleteCommand({ TableName: table(), Key: { pk: email.id, sk: 'content#01' } }));
    await expect(store.get(email.id)).rejects.toThrow(new RegExp(`email ${email.id} is missing 1 of its \\d+ content items`));
  });

  it('never replaces the content of an email whose id is taken', async () => {
    const email = record({ text: 'first' });
    await store.create(email);
    await expect(store.create({ ...email, text: 'second' })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await store.get(email.id))!.email.text).toBe('first');
  });

  it('reads an email item written with its content inline, as items were before content items', async () => {
    const email = record({ html: '<p>inline</p>', attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 'text/plain' }] });
    const { id, ...rest } = email;
    await documents.send(new PutCommand({ TableName: table(), Item: { pk: id, sk: 'email', createdDay: email.createdAt.slice(0, 10), lastEventRank: 0, ...rest } }));
    expect((await store.get(id))!.email).toEqual(email);
  });
});

describe('sending with a ClamAV daemon (fake clamd server)', () => {
  const clamd = new FakeClamd();
  let outbox: LocalOutbox;
  let resend: Resend;
  const email = { from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'], subject: 'Scanned', text: 'Hello' };

  beforeAll(async () => {
    await clamd.listen({ port: 0, host: '127.0.0.1' });
    outbox = await startLocalOutbox({ port: 0, clamd: `127.0.0.1:${clamd.port}`, logError: () => undefined });
    outbox.ses.setSimulateEvents(false);
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  });
  afterAll(async () => {
    await outbox.stop();
    await clamd.close();
  });

  it('scans each attachment and the body with clamd before sending', async () => {
    const scannedBefore = clamd.streams.length;
    const { error } = await resend.emails.send({ ...email, attachments: [{ filename: 'a.pdf', content: PDF }] });
    expect(error).toBeNull();
    expect(clamd.streams.slice(scannedBefore).map((s) => s.toString())).toEqual([PDF.toString(), 'Hello']);
  });

  it("refuses what clamd finds, with clamd's name for it, and sends nothing", async () => {
    const sentBefore = outbox.ses.messages().length;
    const { error } = await resend.emails.send({ ...email, attachments: [{ filename: 'a.doc', content: Buffer.from(`xx${FAKE_CLAMD_MARKER}xx`) }] });
    expect(error).toEqual({ statusCode: 422, name: 'security_error', message: 'The virus scanner found Fake.Test.Marker in attachment `a.doc`, so nothing was sent.' });
    expect(outbox.ses.messages().length).toBe(sentBefore);
  });

  it('refuses to send unscanned mail when clamd does not answer', async () => {
    clamd.behaviour = 'hang-up';
    try {
      const sentBefore = outbox.ses.messages().length;
      const { error } = await resend.emails.send(email);
      expect(error).toMatchObject({ statusCode: 503, name: 'application_error', message: expect.stringMatching(/^The virus scanner is unavailable, so nothing was sent/) });
      expect(outbox.ses.messages().length).toBe(sentBefore);
    } finally {
      clamd.behaviour = 'scan';
    }
  });
});
