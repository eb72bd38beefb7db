import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isBlockedAddress } from '../core/ssrf';
import { WebhookRequestError, type WebhookHttpClient, type WebhookHttpResponse, type WebhookRequestFailure } from '../core/webhook-delivery';

export interface HttpWebhookClientOptions {
  /** Local mode: loopback and private addresses may be connected to. Default false. */
  readonly allowPrivate?: boolean;
  /** The most of an answer's body read. Default 2048 bytes. */
  readonly maxBodyBytes?: number;
}

/**
 * POSTs webhook deliveries with Node's http/https clients, one fresh connection each.
 *
 * Node's `fetch` cannot say which address it connects to, so this client resolves the name itself
 * and refuses, at connect time, any address the SSRF guard blocks: the check before the request
 * resolves the name separately, and a name with a zero TTL could answer differently the second
 * time (DNS rebinding). Redirects are never followed (node:http does not). The timeout covers the
 * whole exchange; latency is the time to the answer's status line. At most `maxBodyBytes` of the
 * answer are read, then the connection is dropped. No answer: WebhookRequestError with a reason.
 */
export class HttpWebhookClient implements WebhookHttpClient {
  private readonly allowPrivate: boolean;
  private readonly maxBodyBytes: number;
  private readonly lookup: LookupFunction;

  constructor(options: HttpWebhookClientOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.maxBodyBytes = options.maxBodyBytes ?? 2048;
    this.lookup = guardedLookup(this.allowPrivate);
  }

  post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<WebhookHttpResponse> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return Promise.reject(new WebhookRequestError('other', `Unsupported scheme ${target.protocol}`, 0));
    // An IP literal is connected to without a lookup, so it is checked here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    const blocked = isIP(literal) !== 0 ? isBlockedAddress(literal, { allowPrivate: this.allowPrivate }) : undefined;
    if (blocked) return Promise.reject(new WebhookRequestError('blocked', `Not connected: ${literal} is ${blocked}`, 0));

    const signal = AbortSignal.timeout(timeoutMs);
    return new Promise<WebhookHttpResponse>((resolve, reject) => {
      const request = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          signal,
          lookup: this.lookup,
          // A fresh connection per delivery: no pooled socket outlives the check of its address.
          agent: false,
        },
        (response) => {
          const latencyMs = elapsed();
          void readStart(response, this.maxBodyBytes).then((text) => resolve({ status: response.statusCode ?? 0, body: text, latencyMs }));
        },
      );
      request.on('error', (error) => reject(toRequestError(error, signal, timeoutMs, elapsed())));
      request.end(body);
    });
  }
}

/** Reads up to `maxBytes` of the body, then drops the connection; resolves with what came. */
function readStart(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      resolve(Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'));
      response.destroy();
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish();
    });
    response.on('end', finish);
    // A body cut short (timeout, reset) still leaves a status: keep what came.
    response.on('error', finish);
    response.on('close', finish);
  });
}

class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

/** dns.lookup, refusing any answer holding an address the SSRF guard blocks. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options, (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
      if (error) return callback(error, address, family);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      for (const candidate of addresses) {
        const reason = isBlockedAddress(candidate, { allowPrivate });
        if (reason) return callback(new BlockedAddressError(`Not connected: ${hostname} resolves to ${reason}`), address, family);
      }
      callback(null, address, family);
    });
  };
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** Maps what node:http throws to a reason fit for the delivery log. */
function toRequestError(error: Error, signal: AbortSignal, timeoutMs: number, latencyMs: number): WebhookRequestError {
  const make = (failure: WebhookRequestFailure, message: string) => new WebhookRequestError(failure, message, latencyMs, { cause: error });
  if (signal.aborted) return make('timeout', `Timed out after ${timeoutMs / 1000} s without a complete answer`);
  if (error instanceof BlockedAddressError) return make('blocked', error.message);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return make('connection', 'Connection refused');
    case 'ECONNRESET':
    case 'EPIPE':
      return make('connection', 'Connection reset before an answer came');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return make('connection', `Could not connect (${code})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return make('dns', `Could not resolve the host name (${code})`);
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_HEADER_TOKEN':
      return make('other', `The answer was not valid HTTP (${code})`);
  }
  if (TLS_CODES.test(code)) return make('tls', `TLS failed: ${code}`);
  return make('other', `Request failed: ${code || error.message}`);
}
