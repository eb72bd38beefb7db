import { connect } from 'node:net';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/** Writes raw bytes on one connection and returns everything the server answered before it closed. */
function rawExchange(url: string, bytes: Buffer | string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function statusAndBody(answer: string): { statusLine: string; body: unknown } {
  const end = answer.indexOf('\r\n\r\n');
  return { statusLine: answer.slice(0, answer.indexOf('\r\n')), body: JSON.parse(answer.slice(end + 4)) as unknown };
}

describe('the local server on requests Node cannot parse or that a URL parser would misread', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
  });
  afterAll(() => outbox.stop());

  it('answers a byte not allowed in the request line 400 in the resend SDK error shape, then closes', async () => {
    const answer = await rawExchange(outbox.url, Buffer.concat([Buffer.from('GET /webhooks/'), Buffer.from([0xe9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
    const { statusLine, body } = statusAndBody(answer);
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(body).toEqual({ statusCode: 400, name: 'validation_error', message: expect.stringContaining('not HTTP/1.1 Outbox can read') });
  });

  it('answers headers over 16 KB 431 in the resend SDK error shape', async () => {
    const answer = await rawExchange(outbox.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const { statusLine, body } = statusAndBody(answer);
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(body).toEqual({ statusCode: 431, name: 'validation_error', message: expect.stringContaining('over 16 KB') });
  });

  it.each([
    ['//health', 404],
    ['/health/../health', 404],
    ['//', 404],
    ['http://[', 404],
    ['http://elsewhere.test/health', 200],
  ])('routes the request target %s as written (%i), never as a URL parser would resolve it', async (target, status) => {
    const answer = await rawExchange(outbox.url, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${outbox.apiKey}\r\nConnection: close\r\n\r\n`);
    expect(statusAndBody(answer).statusLine).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
  });
});
