import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CustomResourceEvent } from '../../lambda/entrypoints/cloudformation-custom-resource';

/** One PUT the receiver got, as CloudFormation's pre-signed S3 URL would. */
export interface ReceivedAnswer {
  readonly method: string;
  /** Path and query, as requested. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for the pre-signed S3 URL CloudFormation gives each
 * custom-resource request: it records every request and answers 200, or the statuses queued with
 * `answerNext`.
 */
export class CustomResourceReceiver {
  readonly received: ReceivedAnswer[] = [];
  private readonly statuses: number[] = [];
  private server!: Server;
  private base = '';

  static async start(): Promise<CustomResourceReceiver> {
    const receiver = new CustomResourceReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = receiver.statuses.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', () => resolve()));
    receiver.base = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** A URL shaped like a pre-signed one, unique per request. */
  url(requestId: string): string {
    return `${this.base}/cloudformation-custom-resource-response-useast1/${encodeURIComponent(requestId)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123`;
  }

  /** The next requests are answered with these statuses, in order. */
  answerNext(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  /** The answers received for this request, their bodies parsed. */
  answersFor(requestId: string): Array<Record<string, any>> {
    return this.received.filter((r) => r.url.includes(`/${encodeURIComponent(requestId)}?`)).map((r) => JSON.parse(r.body));
  }

  /** A CloudFormation request whose ResponseURL is this receiver. */
  event(overrides: Partial<CustomResourceEvent> & Pick<CustomResourceEvent, 'RequestType'>): CustomResourceEvent {
    const requestId = overrides.RequestId ?? `req-${Math.random().toString(36).slice(2)}`;
    return {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:outbox-custom-resource',
      ResponseURL: this.url(requestId),
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Outbox/0f7e4b20-8f0c-11ef-9d3c-0a1b2c3d4e5f',
      RequestId: requestId,
      ResourceType: 'Custom::Test',
      LogicalResourceId: 'TestResource',
      ResourceProperties: {},
      ...overrides,
    };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A Lambda context with this much time left when the invocation starts. */
export function lambdaContext(remainingMs: number): { getRemainingTimeInMillis(): number; logStreamName: string } {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now(), logStreamName: '2026/12/02/[$LATEST]0123456789abcdef' };
}
