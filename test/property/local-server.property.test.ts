import { connect } from 'node:net';
import fc from 'fast-check';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { fuzzSettings, fuzzTimeoutMs } from './fuzz-settings';
import { answerProblems, fieldText, segmentArbitrary, shapesFor, TEMPLATED_EMAIL, withFieldText, withSentinelAt } from './http-requests';

/**
 * The local server (`npm start`'s front end) over real HTTP on loopback, with the embedded
 * DynamoDB-compatible store and the SES stand-in, nothing mocked: request targets of arbitrary
 * bytes, several requests pipelined on one keep-alive connection (bad escapes among them), and
 * sends whose field (a template variable's extreme number among them) is arbitrary JSON text, so
 * what the in-memory suite cannot see (DynamoDB's number range, Node's HTTP parser) is covered.
 *
 * The property, as in http.property.test.ts: every answer is 2xx or 4xx with a JSON body, a 4xx in
 * the resend SDK's error shape; pipelined requests are each answered, in order; SES receives an
 * email only when the answer is 2xx.
 */

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The complete responses at the start of `data` (each with a Content-Length, as Outbox's are). */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return responses;
    const [statusLine, ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length)) throw new Error(`a response without Content-Length: ${statusLine}`);
    if (data.length < end + 4 + length) return responses;
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') });
    at = end + 4 + length;
  }
}

/** Writes `bytes` on one connection and reads until `expected` responses came or the server closed (or 5 s passed). */
function exchange(port: number, bytes: Buffer, expected: number): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parseResponses(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    };
    const timer = setTimeout(done, 5_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseResponses(Buffer.concat(chunks)).length >= expected) done();
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes);
  });
}

describe('the local server over real HTTP (property)', () => {
  let outbox: LocalOutbox;
  let port: number;
  const logged: string[] = [];

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, logError: (message) => logged.push(message) });
    port = Number(new URL(outbox.url).port);
    const template = await fetch(`${outbox.url}/_local/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'welcome', subject: 'Hello {{name}}', text: 'You have {{count}} messages.' }),
    });
    expect(template.status).toBe(201);
  });
  afterAll(() => outbox.stop());

  /** The SES stand-in's newest message (it keeps the last 10,000, so counting them would stall in a long run). */
  const lastMessageId = () => outbox.ses.messages().at(-1)?.messageId;

  function requestBytes(method: string, target: Buffer | string, body?: string, close = false): Buffer {
    const head =
      `${method} ` +
      (typeof target === 'string' ? target : target.toString('latin1')) +
      ` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${outbox.apiKey}\r\n` +
      (body !== undefined ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
      (close ? 'Connection: close\r\n' : '') +
      '\r\n';
    return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body ?? '', 'utf8')]);
  }

  it(
    'answers a request target of arbitrary bytes 2xx or 4xx in the resend SDK error shape',
    async () => {
      // Any byte but CR and LF, which would end the request line and make another request of it.
      const targetByte = fc.integer({ min: 0, max: 255 }).filter((byte) => byte !== 0x0d && byte !== 0x0a);
      const target = fc.oneof(
        fc.array(targetByte, { maxLength: 60 }).map((bytes) => Buffer.from([0x2f, ...bytes])),
        fc.tuple(fc.constantFrom('/webhooks/', '/api-keys/', '/suppressions/', '/emails/', '/webhooks/x/events/'), fc.array(targetByte, { minLength: 1, maxLength: 30 })).map(
          ([prefix, bytes]) => Buffer.concat([Buffer.from(prefix), Buffer.from(bytes)]),
        ),
        fc.array(targetByte, { maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
      );
      const method = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE');
      await fc.assert(
        fc.asyncProperty(method, target, async (verb, bytes) => {
          const responses = await exchange(port, requestBytes(verb, bytes, verb === 'GET' ? undefined : '{}', true), 1);
          expect(responses.length).toBe(1);
          const [response] = responses;
          expect(answerProblems(response!.status, response!.body).map((p) => `${verb} ${JSON.stringify(bytes.toString('latin1'))}: ${p}`)).toEqual([]);
        }),
        fuzzSettings(200),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it('answers each of several pipelined keep-alive requests in order, malformed escapes among them', async () => {
    const paths = ['/emails/%ZZ', '/webhooks/%ZZ', '/api-keys/%u0041', '/webhooks/%E0%A4%A/events', '/suppressions/%ED%A0%80', '/health', '/%ZZ', '/health?%ZZ=%E0'];
    const bytes = Buffer.concat([...paths.map((path) => requestBytes(path.startsWith('/api-keys') ? 'DELETE' : 'GET', path)), requestBytes('GET', '/health', undefined, true)]);
    const responses = await exchange(port, bytes, paths.length + 1);
    expect(responses.map((r) => r.status)).toEqual([404, 400, 400, 400, 400, 200, 404, 200, 200]);
    expect(responses.flatMap((r) => answerProblems(r.status, r.body))).toEqual([]);
    expect(JSON.parse(responses[1]!.body)).toEqual({ statusCode: 400, name: 'validation_error', message: expect.stringContaining('`%ZZ` is not valid percent-encoding') });
  });

  it(
    'answers every one of generated pipelined requests, in order, 2xx or 4xx',
    async () => {
      // Bytes a request line carries: segments percent-encoded where they must be, `%` left bare.
      const wire = (segment: string) => segment.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%]/gu, (c) => encodeURIComponent(c.replace(/[\ud800-\udfff]/g, '\ufffd')));
      const one = fc.tuple(
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'),
        fc.constantFrom('/webhooks/{}', '/webhooks/{}/events/{}', '/api-keys/{}', '/suppressions/{}', '/emails/{}', '/emails/{}/cancel', '/{}', '/webhooks/{}/signing-secret/rotate'),
        fc.array(segmentArbitrary(['x']), { minLength: 2, maxLength: 2 }),
        fc.option(fieldText.filter((text) => text.length < 5_000), { nil: undefined }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(one, { minLength: 1, maxLength: 5 }), async (requests) => {
          const written = requests.map(([method, shape, [a, b], body]) => requestBytes(method, shape.replace('{}', wire(a!)).replace('{}', wire(b!)).slice(0, 8_000), body));
          const responses = await exchange(port, Buffer.concat([...written, requestBytes('GET', '/health', undefined, true)]), requests.length + 1);
          expect(responses.length).toBe(requests.length + 1);
          expect(responses.flatMap((r, i) => answerProblems(r.status, r.body).map((p) => `request ${i}: ${p}`))).toEqual([]);
          expect(responses.at(-1)!.body).toBe('{"status":"ok"}');
        }),
        fuzzSettings(60),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'answers a send with one field replaced by arbitrary JSON 2xx or 4xx, and SES receives it only on 2xx',
    async () => {
      const shapes = shapesFor('unused');
      // Sends that reach SES during the request (a batch is sent later, by the sender).
      const send = fc
        .constantFrom('email', 'templated')
        .chain((name) => fc.tuple(fc.constant(shapes[name]!.body), fc.constantFrom(...shapes[name]!.paths), fieldText.filter((text) => text.length < 50_000)));
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(send, async ([body, path, text]) => {
          const before = lastMessageId();
          const response = await fetch(`${outbox.url}/emails`, {
            method: 'POST',
            headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
            body: withFieldText(withSentinelAt(body, path), text),
          });
          const answer = await response.text();
          expect(answerProblems(response.status, answer).map((p) => `${path.join('.')} = ${text.slice(0, 200)}: ${p}`)).toEqual([]);
          if (response.status < 300) accepted++;
          else expect(lastMessageId()).toBe(before);
        }),
        fuzzSettings(100),
      );
      expect(accepted).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(30_000),
  );

  it('sends template numbers SES gets exactly, and refuses those it would not, over real HTTP', async () => {
    const cases: [string, number][] = [
      ['9007199254740991', 200], ['-9007199254740991', 200], ['0.1', 200], ['0.000001', 200], ['-0', 200], ['2.5', 200],
      ['1e308', 422], ['-1e308', 422], ['9007199254740993', 422], ['1e21', 422], ['5e-324', 422], ['1e400', 422],
    ];
    for (const [text, status] of cases) {
      const before = lastMessageId();
      const response = await fetch(`${outbox.url}/emails`, {
        method: 'POST',
        headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
        body: withFieldText(withSentinelAt(TEMPLATED_EMAIL, ['template', 'variables', 'count']), text),
      });
      expect(`${text}: ${response.status}`).toBe(`${text}: ${status}`);
      if (status === 200) {
        const message = outbox.ses.messages().at(-1)!;
        expect(message.messageId).not.toBe(before);
        expect(message.text).toBe(`You have ${String(JSON.parse(text) as number)} messages.`);
      } else {
        expect(lastMessageId()).toBe(before);
      }
    }
  });
});
