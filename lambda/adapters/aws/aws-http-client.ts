import * as http from 'node:http';
import * as https from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256Node } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The transport every light AWS client in this folder shares: an HTTPS request to one service's
 * regional endpoint, signed with the AWS SDK v3's own SigV4 signer and credential chain, sent over
 * one keep-alive agent, retried as the SDK's standard retry mode retries (3 attempts, exponential
 * backoff with full jitter, on throttling, 5xx and dropped connections, within its retry quota),
 * and an error answer turned into an AwsServiceError named as the SDK names it
 * (`ConditionalCheckFailedException`).
 *
 * Why not the SDK's generated clients: each brings its whole client runtime (middleware stack,
 * endpoint rules, schema-driven serde for its protocol), 50-80 KB minified per service, parsed at
 * every cold start, for the handful of calls Outbox makes (docs/benchmark.md, P3). The wire formats
 * these light clients produce are checked against the generated clients' own serializers and
 * parsers in test/integration/light-*.test.ts, their signatures by an independent verifier in
 * light-clients-signatures.test.ts.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** What a light client is built with; everything is optional in a Lambda (region and role from its environment). */
export interface AwsClientOptions {
  readonly region?: string;
  /** Another endpoint than the service's regional one, as local mode and the tests use: `http://127.0.0.1:8000`. */
  readonly endpoint?: string;
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Attempts per call, the first included; the SDK's standard mode makes 3. */
  readonly maxAttempts?: number;
  /** How long a new connection may take (the SDK's `connectionTimeout`); none by default. */
  readonly connectionTimeoutMs?: number;
  /**
   * How long the socket may stay silent during an attempt before the attempt ends with a
   * TimeoutError, like the SDK's `socketTimeout` (its `requestTimeout` of this SDK version only
   * warns); none by default.
   */
  readonly requestTimeoutMs?: number;
}

/** One AWS service: how its endpoint is named and how its requests are signed. */
export interface AwsService {
  /** `dynamodb` in `dynamodb.us-east-1.amazonaws.com`. */
  readonly endpointPrefix: string;
  /** The SDK's service id, for `AWS_ENDPOINT_URL_<id>` (`DYNAMODB`, `SESV2`, `SQS`, `SNS`). */
  readonly endpointEnvId?: string;
  /** The service name in the signature's scope: `ses` for SES v2, whose endpoint is `email`. */
  readonly signingName: string;
  /** Reads the error's name and message from an error answer's headers and body (per protocol). */
  readonly parseError: (response: AwsResponse) => { name: string; message: string; fields?: Record<string, unknown> };
  /** The backoff's base before the first retry of anything but throttling; the SDK's default unless given (DynamoDB's is 25 ms). */
  readonly retryBaseDelayMs?: number;
}

export interface AwsRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Already escaped, as it goes on the wire. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface AwsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** An entry of a batch call (SQS SendMessageBatch, SNS PublishBatch) the service did not take, and why. */
export interface BatchResultErrorEntry {
  readonly Id: string;
  /** True when the entry itself is at fault (resending it cannot help). */
  readonly SenderFault: boolean;
  readonly Code: string;
  readonly Message?: string;
}

/** An error answer from an AWS service, shaped as the SDK's service exceptions are. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string; readonly attempts: number };

  constructor(name: string, message: string, status: number, requestId: string | undefined, attempts: number, fields: Record<string, unknown> = {}) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}), attempts };
  }
}

/** True when `error` is the service error `name` (an AwsServiceError, or any error of that name). */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** Error names the SDK's standard retry mode treats as throttling (retried with backoff). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
/** Error names the SDK treats as transient. */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalFailure', 'ServiceUnavailable']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
/** Connection errors worth another attempt: the request may not have reached the service. */
const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);
const DEFAULT_ATTEMPTS = 3;
/** The pinned SDK's standard mode (its 2026 retry settings): base delays of 50 ms (1 s after throttling), at most 20 s. */
const BASE_DELAY_MS = 50;
const THROTTLED_BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;

/**
 * The SDK's retry quota: a client holds 500 tokens; each retry takes 14 (5 after throttling), and
 * a call that succeeds gives back what its retries took (1 when it needed none). When the tokens run
 * out, as when most calls fail, calls fail at once instead of multiplying the load by 3.
 */
const RETRY_TOKENS = 500;
const RETRY_COST = 14;
const THROTTLED_RETRY_COST = 5;
const NO_RETRY_REFILL = 1;

/** One keep-alive agent per protocol for the whole container, as the SDK's NodeHttpHandler keeps. */
const HTTPS_AGENT = new https.Agent({ keepAlive: true, maxSockets: 50 });
const HTTP_AGENT = new http.Agent({ keepAlive: true, maxSockets: 50 });

/** The credential chain, read once per container and again shortly before what it gave expires. */
const REFRESH_BEFORE_MS = 5 * 60_000;

export class AwsHttpClient {
  /** The region requests are signed for. */
  readonly region: string;
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly maxAttempts: number;
  private readonly connectionTimeoutMs: number | undefined;
  private readonly requestTimeoutMs: number | undefined;
  private retryTokens = RETRY_TOKENS;

  constructor(
    private readonly service: AwsService,
    options: AwsClientOptions = {},
  ) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error(`No AWS region for ${service.endpointPrefix}: set AWS_REGION.`);
    this.region = region;
    this.url = new URL(options.endpoint ?? configuredEndpoint(service.endpointEnvId) ?? `https://${service.endpointPrefix}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
    this.signer = new SignatureV4({
      service: service.signingName,
      region,
      credentials: refreshingCredentials(options.credentials),
      sha256: Sha256Node,
      uriEscapePath: true,
      applyChecksum: true,
    });
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_ATTEMPTS);
    this.connectionTimeoutMs = options.connectionTimeoutMs;
    this.requestTimeoutMs = options.requestTimeoutMs;
  }

  /** Sends `request`, retrying what may pass on another attempt; resolves with a 2xx answer, throws AwsServiceError otherwise. */
  async send(request: AwsRequest): Promise<AwsResponse> {
    let spent = 0;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      let throttled = false;
      try {
        const response = await this.attempt(request);
        if (response.status >= 200 && response.status < 300) {
          this.retryTokens = Math.min(RETRY_TOKENS, this.retryTokens + (spent > 0 ? spent : NO_RETRY_REFILL));
          return response;
        }
        const { name, message, fields } = this.service.parseError(response);
        const requestId = header(response, 'x-amzn-requestid') ?? header(response, 'x-amz-request-id');
        failure = new AwsServiceError(name, message, response.status, requestId, attempt, fields);
        throttled = THROTTLING.has(name) || response.status === 429;
        if (!throttled && !TRANSIENT.has(name) && !TRANSIENT_STATUS.has(response.status)) throw failure;
      } catch (error) {
        // A reset connection (a pooled one the far end closed, too) is retried within maxAttempts
        // only: the far end may have read the request, so a client that must not send twice (the
        // sender's SES client) keeps its one attempt.
        if (error === failure || !isNetworkError(error)) throw error;
        failure = error;
      }
      const cost = throttled ? THROTTLED_RETRY_COST : RETRY_COST;
      if (attempt >= this.maxAttempts || !this.takeRetryTokens(cost)) throw failure;
      spent += cost;
      await backOff(attempt, throttled, this.service.retryBaseDelayMs);
    }
  }

  /** Takes `cost` retry tokens if there are that many (see RETRY_TOKENS). */
  private takeRetryTokens(cost: number): boolean {
    if (this.retryTokens < cost) return false;
    this.retryTokens -= cost;
    return true;
  }

  private async attempt(request: AwsRequest): Promise<AwsResponse> {
    const body = request.body ?? '';
    const signed = await this.signer.sign({
      method: request.method,
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: joinPath(this.url.pathname, request.path),
      query: { ...request.query },
      headers: {
        host: this.url.host,
        ...(body !== '' || request.method === 'POST' || request.method === 'PUT' ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        ...request.headers,
      },
      body,
    });
    const query = new URLSearchParams(signed.query as Record<string, string>).toString().replaceAll('+', '%20');
    return new Promise<AwsResponse>((resolve, reject) => {
      const secure = this.url.protocol === 'https:';
      const call = (secure ? https : http).request(
        {
          method: signed.method,
          hostname: this.url.hostname,
          port: this.url.port || (secure ? 443 : 80),
          path: `${signed.path}${query ? `?${query}` : ''}`,
          headers: signed.headers,
          agent: secure ? HTTPS_AGENT : HTTP_AGENT,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      call.on('error', reject);
      this.applyTimeouts(call);
      call.end(body);
    });
  }

  /** Ends an attempt that hangs with a TimeoutError (code ETIMEDOUT, so retried as a dropped connection), as the SDK's NodeHttpHandler does. */
  private applyTimeouts(call: http.ClientRequest): void {
    const { connectionTimeoutMs, requestTimeoutMs } = this;
    if (connectionTimeoutMs !== undefined) {
      const timer = setTimeout(() => call.destroy(timeoutError(`Socket timed out without establishing a connection within ${connectionTimeoutMs} ms`)), connectionTimeoutMs);
      call.once('socket', (socket) => {
        // A keep-alive socket from the pool is connected already.
        if (socket.connecting) socket.once('connect', () => clearTimeout(timer));
        else clearTimeout(timer);
      });
      call.once('close', () => clearTimeout(timer));
    }
    if (requestTimeoutMs !== undefined) call.setTimeout(requestTimeoutMs, () => call.destroy(timeoutError(`Connection timed out after ${requestTimeoutMs} ms`)));
  }
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

/** The SDK's extendedEncodeURIComponent, for URI labels and Query forms: encodeURIComponent, and `!'()*` escaped too. */
export function uriEscape(text: string): string {
  if (/^[\w.~-]+$/.test(text)) return text;
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A header of an answer, by its lower-case name. */
export function header(response: AwsResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function joinPath(base: string, path: string): string {
  return base === '/' || base === '' ? path : `${base.replace(/\/$/, '')}${path}`;
}

/**
 * The endpoint the SDK takes from the environment when none is given: `AWS_ENDPOINT_URL_<id>`,
 * then `AWS_ENDPOINT_URL`, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
 */
export function configuredEndpoint(serviceId: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  return (serviceId ? env[`AWS_ENDPOINT_URL_${serviceId}`] : undefined) || env.AWS_ENDPOINT_URL || undefined;
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_ERRORS.has(code);
}

/** Full jitter: a random wait up to base × 2^(attempt-1), capped, as the SDK's standard mode waits. */
function backOff(attempt: number, throttled: boolean, baseDelayMs = BASE_DELAY_MS): Promise<void> {
  const base = throttled ? THROTTLED_BASE_DELAY_MS : baseDelayMs;
  const ms = Math.random() * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Static credentials as given, or the SDK's default chain (in a Lambda: its role, from the environment), memoized until near expiry. */
function refreshingCredentials(given: AwsClientOptions['credentials']): () => Promise<AwsCredentials> {
  if (given && typeof given !== 'function') return async () => given;
  const source = given ?? defaultProvider();
  let current: Promise<AwsCredentials> | undefined;
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    if (held && (!held.expiration || held.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS)) return held;
    current = source();
    return current;
  };
}
