import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { Webhook } from 'standardwebhooks';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';
import { npmStart, type StartedProcess } from '../helpers/npm-start';
import { sleep, waitFor } from '../helpers/wait-for';

/** What the SES stand-in received, as GET /_local/messages lists it. */
interface StandInMessage {
  readonly messageId: string;
  readonly destination: { to: string[]; cc: string[]; bcc: string[] };
  readonly headers: { name: string; value: string }[];
  readonly attachments: { filename?: string; contentType: string; contentId?: string }[];
  readonly tags: { name: string; value: string }[];
  readonly html?: string;
  readonly raw: string;
}

interface EmailView {
  readonly id: string;
  readonly from: string;
  readonly to: string[];
  readonly cc: string[] | null;
  readonly bcc: string[] | null;
  readonly last_event: string;
  readonly message_id: string | null;
  readonly html: string | null;
  readonly tags?: { name: string; value: string }[];
}

/** SMTP submission against `npm start`, with nodemailer as the client, as a framework would send. */
describe('SMTP submission against npm start', () => {
  let outbox: StartedProcess;
  let receiver: { url: string; bodies: string[]; headers: Record<string, string>[]; server: Server };
  let webhookSecret: string;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${outbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as T;
  };
  const standIn = async (): Promise<StandInMessage[]> => ((await (await fetch(`${outbox.url}/_local/messages`)).json()) as { data: StandInMessage[] }).data;
  const transport = (password = outbox.apiKey, extra: Record<string, unknown> = {}) =>
    nodemailer.createTransport({ host: outbox.smtp!.host, port: outbox.smtp!.port, auth: { user: 'outbox', pass: password }, tls: { rejectUnauthorized: false }, ...extra });
  const send = (message: Mail.Options, password?: string) => transport(password).sendMail(message);
  /** The refusal a send gets: its SMTP code and reply line. */
  const refusal = async (message: Mail.Options, password?: string): Promise<{ code: number; response: string }> => {
    try {
      const info = await send(message, password);
      throw new Error(`expected a refusal, got ${info.response}`);
    } catch (error) {
      const { responseCode, response } = error as { responseCode?: number; response?: string };
      if (responseCode === undefined) throw error;
      return { code: responseCode, response: response ?? '' };
    }
  };
  const idFrom = (response: string) => /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(response)?.[1];

  beforeAll(async () => {
    outbox = await npmStart({ OUTBOX_LOCAL_IDENTITIES: 'acme.test' });
    const bodies: string[] = [];
    const headers: Record<string, string>[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push(body);
        headers.push(request.headers as Record<string, string>);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    receiver = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, headers, server };
    const webhook = await api<{ signing_secret: string }>('POST', '/webhooks', { endpoint: receiver.url, events: ['email.sent', 'email.delivered'] });
    webhookSecret = webhook.signing_secret;
  }, 60_000);

  afterAll(async () => {
    receiver?.server.closeAllConnections();
    receiver?.server.close();
    await outbox?.stop();
  });

  it('prints the SMTP port and states SIZE, STARTTLS and AUTH in EHLO', async () => {
    expect(outbox.output()).toMatch(/^SMTP: 127\.0\.0\.1:\d+, user outbox, password an API key/m);
    const session = await rawSession();
    const ehlo = await session.command('EHLO client.test');
    expect(ehlo).toMatch(/^250[- ]SIZE 10485760$/m);
    expect(ehlo).toMatch(/^250[- ]STARTTLS$/m);
    expect(ehlo).toMatch(/AUTH PLAIN LOGIN/);
    session.socket.destroy();
  });

  it('sends a plain message over STARTTLS to delivered, with email.sent and email.delivered webhooks, as an HTTPS send', async () => {
    const info = await transport(outbox.apiKey, { requireTLS: true }).sendMail({ from: 'App <app@acme.test>', to: 'success@simulator.amazonses.com', subject: 'Over SMTP', text: 'Hello' });
    const id = idFrom(info.response);
    expect(id).toBeDefined();
    const email = await waitFor('delivered', async () => {
      const view = await api<EmailView>('GET', `/emails/${id}`);
      return view.last_event === 'delivered' ? view : undefined;
    });
    expect(email).toMatchObject({ from: 'App <app@acme.test>', to: ['success@simulator.amazonses.com'] });
    const events = await waitFor('both webhooks', () => {
      const mine = receiver.bodies
        .map((body, i) => new Webhook(webhookSecret).verify(body, receiver.headers[i]!) as { type: string; data: { email_id: string } })
        .filter((event) => event.data.email_id === id);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(events.map((e) => e.type).sort()).toEqual(['email.delivered', 'email.sent']);
  });

  it('keeps HTML, an inline image and an attachment, and the recipients as the envelope says: Bcc never in the headers', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const info = await send({
      from: 'app@acme.test',
      to: 'success@simulator.amazonses.com',
      cc: 'Copy <success+cc@simulator.amazonses.com>',
      bcc: 'success+hidden@simulator.amazonses.com',
      subject: 'Rich',
      html: '<p>Logo: <img src="cid:logo@acme.test"></p>',
      attachments: [
        { filename: 'logo.png', content: png, cid: 'logo@acme.test' },
        { filename: 'report.pdf', content: Buffer.from('%PDF-1.4 not really'), contentType: 'application/pdf' },
      ],
    });
    const id = idFrom(info.response)!;
    const email = await api<EmailView>('GET', `/emails/${id}`);
    expect(email).toMatchObject({ to: ['success@simulator.amazonses.com'], cc: ['success+cc@simulator.amazonses.com'], bcc: ['success+hidden@simulator.amazonses.com'] });
    const received = (await standIn()).find((m) => m.messageId === email.message_id)!;
    expect(received.destination).toEqual({ to: ['success@simulator.amazonses.com'], cc: ['success+cc@simulator.amazonses.com'], bcc: ['success+hidden@simulator.amazonses.com'] });
    expect(received.headers.map((h) => h.name.toLowerCase())).not.toContain('bcc');
    expect(received.raw).not.toContain('hidden');
    expect(received.html).toContain('cid:logo@acme.test');
    expect(received.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['logo.png', 'image/png'],
      ['report.pdf', 'application/pdf'],
    ]);
  });

  it('takes X-Outbox-Tags as tags, beside the outbox-message-id tag, and strips the header', async () => {
    const info = await send({ from: 'app@acme.test', to: 'success@simulator.amazonses.com', subject: 'Tagged', text: 'x', headers: { 'X-Outbox-Tags': 'flow=welcome, plan=pro' } });
    const id = idFrom(info.response)!;
    const email = await api<EmailView>('GET', `/emails/${id}`);
    const received = (await standIn()).find((m) => m.messageId === email.message_id)!;
    expect(received.tags).toEqual(expect.arrayContaining([{ name: 'flow', value: 'welcome' }, { name: 'plan', value: 'pro' }, { name: 'outbox-message-id', value: id }]));
    expect(received.raw).not.toMatch(/X-Outbox-Tags/i);
  });

  it('answers a retry with the same Outbox-Idempotency-Key (or Resend-Idempotency-Key) with the same id, and SES gets one message', async () => {
    for (const header of ['Outbox-Idempotency-Key', 'Resend-Idempotency-Key']) {
      const key = `smtp-${header}-${Date.now()}`;
      const message = { from: 'app@acme.test', to: 'success@simulator.amazonses.com', subject: 'Once', text: 'only once', headers: { [header]: key } };
      const first = idFrom((await send(message)).response);
      const again = idFrom((await send(message)).response);
      expect(again).toBe(first);
      const copies = (await standIn()).filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === first));
      expect(copies).toHaveLength(1);
      expect(copies[0]!.raw).not.toMatch(/Idempotency-Key/i);
    }
  });

  it('takes a sending-only key as the password', async () => {
    const key = await api<{ token: string }>('POST', '/api-keys', { name: 'smtp app', permission: 'sending_access' });
    const info = await send({ from: 'app@acme.test', to: 'success@simulator.amazonses.com', subject: 'Restricted key', text: 'x' }, key.token);
    expect(idFrom(info.response)).toBeDefined();
  });

  it('refuses with the reply codes clients act on, and sends nothing', async () => {
    const before = (await standIn()).length;
    const message = { from: 'app@acme.test', to: 'success@simulator.amazonses.com', subject: 'Refused', text: 'x' };

    expect(await refusal(message, 'ob_wrong_key')).toMatchObject({ code: 535, response: expect.stringMatching(/^535 5\.7\.8 /) });
    const anonymous = nodemailer.createTransport({ host: outbox.smtp!.host, port: outbox.smtp!.port, tls: { rejectUnauthorized: false } });
    await expect(anonymous.sendMail(message)).rejects.toMatchObject({ responseCode: 530, response: expect.stringMatching(/^530 5\.7\.0 /) });

    expect(await refusal({ ...message, from: 'someone@elsewhere.test' })).toMatchObject({ code: 550, response: expect.stringMatching(/^550 5\.7\.1 .*elsewhere\.test/) });

    await api('POST', '/suppressions', { email: 'gone@example.com' });
    expect(await refusal({ ...message, to: 'gone@example.com' })).toMatchObject({ code: 550, response: expect.stringMatching(/^550 5\.1\.1 .*gone@example\.com/) });

    expect(await refusal({ ...message, attachments: [{ filename: 'eicar.txt', content: EICAR_SIGNATURE }] })).toMatchObject({ code: 554, response: expect.stringMatching(/^554 5\.7\.1 /) });
    expect(await refusal({ ...message, attachments: [{ filename: 'setup.exe', content: Buffer.from('MZ') }] })).toMatchObject({ code: 554, response: expect.stringMatching(/^554 5\.7\.1 .*\.exe/) });

    const big = await refusal({ ...message, attachments: [{ filename: 'big.bin', content: Buffer.alloc(8 * 1024 * 1024, 7) }] });
    expect(big).toMatchObject({ code: 552, response: expect.stringMatching(/^552 5\.3\.4 /) });

    await api('POST', '/sending/pause', { reason: 'SMTP test' });
    try {
      expect(await refusal(message)).toMatchObject({ code: 451, response: expect.stringMatching(/^451 4\.3\.2 /) });
    } finally {
      await api('POST', '/sending/resume');
    }

    expect((await standIn()).length).toBe(before);
  }, 30_000);

  it('refuses the 51st RCPT TO with 452 4.5.3, so the client sends it in another message, and sends the first 50', async () => {
    const many = Array.from({ length: 51 }, (_, i) => `success+${i}@simulator.amazonses.com`);
    const info = await send({ from: 'app@acme.test', to: many, subject: 'Many', text: 'x' });
    expect(info.accepted).toHaveLength(50);
    expect(info.rejected).toEqual([many[50]]);
    expect(info.rejectedErrors?.[0]).toMatchObject({ responseCode: 452, response: expect.stringMatching(/^452 4\.5\.3 /) });
    const email = await api<EmailView>('GET', `/emails/${idFrom(info.response)}`);
    expect(email.to).toHaveLength(50);
  });

  it('sends nothing when the client goes away in the middle of DATA', async () => {
    const emailsBefore = (await api<{ data: unknown[] }>('GET', '/emails?limit=100')).data.length;
    const messagesBefore = (await standIn()).length;
    const session = await rawSession();
    await session.command('EHLO client.test');
    expect(await session.command(`AUTH PLAIN ${Buffer.from(`\0outbox\0${outbox.apiKey}`).toString('base64')}`)).toMatch(/^235/);
    expect(await session.command('MAIL FROM:<app@acme.test>')).toMatch(/^250/);
    expect(await session.command('RCPT TO:<success@simulator.amazonses.com>')).toMatch(/^250/);
    expect(await session.command('DATA')).toMatch(/^354/);
    session.socket.write('From: app@acme.test\r\nTo: success@simulator.amazonses.com\r\nSubject: Cut off\r\n\r\nThe first half');
    await sleep(100);
    session.socket.destroy();
    await sleep(500);
    expect((await api<{ data: unknown[] }>('GET', '/emails?limit=100')).data.length).toBe(emailsBefore);
    expect((await standIn()).length).toBe(messagesBefore);
  });

  it('takes 50 clients connected at once, each message with its own id', async () => {
    const infos = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send({ from: 'app@acme.test', to: 'success@simulator.amazonses.com', subject: `Concurrent ${i}`, text: `message ${i}` })),
    );
    const ids = infos.map((info) => idFrom(info.response));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(50);
    const stored = await Promise.all(ids.map((id) => api<EmailView>('GET', `/emails/${id}`)));
    expect(stored.every((email) => email.id !== undefined)).toBe(true);
  }, 30_000);

  // Last: it locks this client's address out of logins.
  it('refuses logins from an address that failed too often (421), so keys cannot be guessed at socket speed', async () => {
    const codes: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      codes.push((await refusal({ from: 'app@acme.test', to: 'success@simulator.amazonses.com', text: 'x' }, `ob_guess_${attempt}`)).code);
    }
    // The earlier test's wrong key counted too: five failures in all lock the address.
    expect(codes.slice(0, 4)).toEqual([535, 535, 535, 535]);
    expect(codes.slice(4)).toEqual([421, 421]);
    expect(await refusal({ from: 'app@acme.test', to: 'success@simulator.amazonses.com', text: 'x' })).toMatchObject({ code: 421 });
  });

  /** A bare SMTP session, for what a client library would not do (stop mid-DATA, read EHLO). */
  async function rawSession(): Promise<{ socket: Socket; command: (line: string) => Promise<string> }> {
    const socket = connect(outbox.smtp!.port, outbox.smtp!.host);
    let buffer = '';
    let waiting: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      waiting?.();
    });
    socket.on('error', () => undefined);
    const reply = async (): Promise<string> => {
      // A reply ends with a line whose code is followed by a space.
      while (!/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer)) await new Promise<void>((resolve) => (waiting = resolve));
      const text = buffer.trim();
      buffer = '';
      return text;
    };
    await reply();
    return {
      socket,
      command: async (line: string) => {
        socket.write(`${line}\r\n`);
        return reply();
      },
    };
  }
});
