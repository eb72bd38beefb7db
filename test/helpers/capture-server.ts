import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server read it. */
export interface Captured {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A canned answer: 200 unless a status is given. */
export interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** What a client made of an error answer, as far as the SDK's clients and the light ones must agree. */
export interface Failure {
  readonly name: string;
  readonly message: string;
  readonly fault?: unknown;
  readonly status?: number;
  readonly requestId?: string;
}

/** What a client made of an answer: its output without $metadata, or the error's identity. */
export interface Outcome {
  readonly ok?: unknown;
  readonly failed?: Failure;
}

/** The name, message, `$fault`, status and request id of what a client threw, each only when present. */
export function failureOf(error: unknown): Failure {
  const failure = error as Error & { $fault?: unknown; $metadata?: { httpStatusCode?: number; requestId?: string } };
  return {
    name: failure.name,
    message: failure.message,
    ...(failure.$fault !== undefined ? { fault: failure.$fault } : {}),
    ...(failure.$metadata?.httpStatusCode !== undefined ? { status: failure.$metadata.httpStatusCode } : {}),
    ...(failure.$metadata?.requestId !== undefined ? { requestId: failure.$metadata.requestId } : {}),
  };
}

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    const result = await call();
    if (!result || typeof result !== 'object') return { ok: {} };
    const { $metadata: _metadata, ...output } = result as Record<string, unknown>;
    return { ok: output };
  } catch (error) {
    return { failed: failureOf(error) };
  }
}

/**
 * A loopback HTTP server for checking a light AWS client against the SDK's generated one: it records
 * every request and answers the canned answers queued, in order, the last one again once the others
 * are used. Every answer carries a request id (`req-1`), plus the headers given here, under its own.
 */
export class CaptureServer {
  /** The requests made since the answers were last queued. */
  readonly requests: Captured[] = [];
  /** `http://127.0.0.1:<port>`, once started. */
  endpoint = '';
  private answers: Answer[] = [];
  private server: Server | undefined;

  constructor(private readonly headers: Readonly<Record<string, string>> = {}) {}

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
        if (!answer) {
          response.writeHead(500, { 'content-type': 'text/plain' }).end('no answer queued');
          return;
        }
        response.writeHead(answer.status ?? 200, { 'x-amzn-RequestId': 'req-1', ...this.headers, ...answer.headers }).end(answer.body);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  /** Queues what the server answers next and forgets the requests made so far. */
  answerWith(answers: readonly Answer[]): void {
    this.answers = [...answers];
    this.requests.length = 0;
  }

  /** Runs `call` with the server answering `given`; returns what it resolved or threw, and the requests it made. */
  async exchange(given: readonly Answer[], call: () => Promise<unknown>): Promise<{ outcome: Outcome; requests: Captured[] }> {
    this.answerWith(given);
    const outcome = await outcomeOf(call);
    return { outcome, requests: this.requests.splice(0) };
  }

  stop(): Promise<void> {
    const server = this.server;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
