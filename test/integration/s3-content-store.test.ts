import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentStoreFor } from '../../lambda/wiring';

/**
 * The content store the api and the sender build deployed (S3),
 * through the real S3 client and HTTP, against a loopback stand-in that keeps objects by path.
 */
describe('S3 content store from contentStoreFor', () => {
  const objects = new Map<string, string>();
  const requests: string[] = [];
  let server: Server;
  const endpointVariable = 'AWS_ENDPOINT_URL_S3';
  const previousEndpoint = process.env[endpointVariable];
  const options = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const key = decodeURIComponent(new URL(request.url ?? '/', 'http://s3').pathname);
      requests.push(`${request.method} ${key}`);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method === 'PUT') {
          objects.set(key, Buffer.concat(chunks).toString('utf8'));
          response.writeHead(200, { etag: '"1"' }).end();
        } else if (request.method === 'DELETE') {
          objects.delete(key);
          response.writeHead(204).end();
        } else if (objects.has(key)) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(objects.get(key));
        } else {
          response
            .writeHead(404, { 'content-type': 'application/xml' })
            .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The SDK's own setting for a service's endpoint; an IP address makes it address buckets by path.
    process.env[endpointVariable] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (previousEndpoint === undefined) delete process.env[endpointVariable];
    else process.env[endpointVariable] = previousEndpoint;
    await new Promise((resolve) => server.close(resolve));
  });

  it('is absent when no bucket is configured', () => {
    expect(contentStoreFor({}, options)).toBeUndefined();
  });

  it('stores, reads back and deletes the content of an email at emails/<id>.json in the bucket', async () => {
    const store = contentStoreFor({ contentBucket: 'outbox-content' }, options)!;
    const content = { html: '<p>big</p>', text: 'big', attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 'text/plain' }] };

    await store.put('msg_1', content);
    expect(await store.get('msg_1')).toEqual(content);
    await store.delete('msg_1');
    expect(await store.get('msg_1')).toBeUndefined();

    expect(requests).toEqual([
      'PUT /outbox-content/emails/msg_1.json',
      'GET /outbox-content/emails/msg_1.json',
      'DELETE /outbox-content/emails/msg_1.json',
      'GET /outbox-content/emails/msg_1.json',
    ]);
  });
});
