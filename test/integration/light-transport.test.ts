import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AwsHttpClient, configuredEndpoint } from '../../lambda/adapters/aws/aws-http-client';
import { parseJsonError } from '../../lambda/adapters/aws/aws-json';
import { SnsClient } from '../../lambda/adapters/aws/sns';

/**
 * The shared transport's behaviour under failure that the differential tests do not reach: a
 * pooled connection the far end dropped, the retry quota during an outage, and endpoints from the
 * environment. Real HTTP on loopback throughout.
 */

const CREDENTIALS = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const SERVICE = { endpointPrefix: 'test', signingName: 'test', parseError: parseJsonError };

interface Loopback {
  readonly server: Server;
  readonly endpoint: string;
  readonly requests: string[];
}

async function listen(handle: (url: string, count: number, socket: Socket) => { status: number; body: string } | 'drop'): Promise<Loopback> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests.push(request.url ?? '');
      const answer = handle(request.url ?? '', requests.length, request.socket);
      if (answer === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const close = (loopback: Loopback) => new Promise<void>((resolve) => loopback.server.close(() => resolve()));

describe('the light clients’ transport', () => {
  it('retries a reset connection within its attempts, on a fresh one, and never beyond them (the far end may have read the request)', async () => {
    // The second request arrives on the first one's kept-alive socket, which the server reads and
    // then drops without answering.
    const loopback = await listen((_url, count) => (count === 2 ? 'drop' : { status: 200, body: '{}' }));
    const retrying = new AwsHttpClient(SERVICE, { region: 'us-east-1', endpoint: loopback.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
    try {
      await retrying.send({ method: 'POST', path: '/one', body: '{}' });
      expect((await retrying.send({ method: 'POST', path: '/two', body: '{}' })).status).toBe(200);
      expect(loopback.requests).toEqual(['/one', '/two', '/two']);
      const dropAll = await listen(() => 'drop');
      const single = new AwsHttpClient(SERVICE, { region: 'us-east-1', endpoint: dropAll.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
      try {
        await expect(single.send({ method: 'POST', path: '/x', body: '{}' })).rejects.toMatchObject({ code: 'ECONNRESET' });
        expect(dropAll.requests).toEqual(['/x']);
      } finally {
        await close(dropAll);
      }
    } finally {
      await close(loopback);
    }
  });

  it('stops retrying once its retry quota is spent, and earns it back with successes', async () => {
    let failing = true;
    const loopback = await listen(() => (failing ? { status: 500, body: '{"__type":"InternalFailure","message":"down"}' } : { status: 200, body: '{}' }));
    const client = new AwsHttpClient(SERVICE, { region: 'us-east-1', endpoint: loopback.endpoint, credentials: CREDENTIALS, maxAttempts: 2 });
    const requestsPerCall: number[] = [];
    try {
      for (let call = 0; call < 40; call++) {
        const before = loopback.requests.length;
        await expect(client.send({ method: 'POST', path: '/', body: '{}' })).rejects.toMatchObject({ name: 'InternalFailure', $fault: 'server' });
        requestsPerCall.push(loopback.requests.length - before);
      }
      // 500 tokens at 14 a retry: 35 calls are retried, the rest fail at their first answer.
      expect(requestsPerCall.slice(0, 35)).toEqual(Array(35).fill(2));
      expect(requestsPerCall.slice(35)).toEqual(Array(5).fill(1));
      failing = false;
      for (let call = 0; call < 14; call++) await client.send({ method: 'POST', path: '/', body: '{}' });
      failing = true;
      const before = loopback.requests.length;
      await expect(client.send({ method: 'POST', path: '/', body: '{}' })).rejects.toMatchObject({ name: 'InternalFailure' });
      expect(loopback.requests.length - before).toBe(2);
    } finally {
      await close(loopback);
    }
  });

  it('takes the endpoint from AWS_ENDPOINT_URL_<service>, then AWS_ENDPOINT_URL, as the SDK does, unless told to ignore them', async () => {
    const loopback = await listen(() => ({ status: 200, body: '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>' }));
    const saved = process.env.AWS_ENDPOINT_URL_SNS;
    try {
      process.env.AWS_ENDPOINT_URL_SNS = loopback.endpoint;
      const sns = new SnsClient({ region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
      await expect(sns.publish({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'm' })).resolves.toMatchObject({ MessageId: 'm-1' });
      expect(loopback.requests).toEqual(['/']);
      expect(configuredEndpoint('SNS', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_SNS: 'http://b' })).toBe('http://b');
      expect(configuredEndpoint('SQS', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_SNS: 'http://b' })).toBe('http://a');
      expect(configuredEndpoint('SNS', { AWS_ENDPOINT_URL_SNS: 'http://b', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SNS;
      else process.env.AWS_ENDPOINT_URL_SNS = saved;
      await close(loopback);
    }
  });
});
