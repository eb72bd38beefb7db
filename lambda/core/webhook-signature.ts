import { createHmac } from 'node:crypto';

/** The three headers the Standard Webhooks spec puts on every delivery. */
export interface WebhookSignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** The same three under the names Svix (and so Resend) signs with, which receivers written for Resend read. */
export interface SvixSignatureHeaders {
  readonly 'svix-id': string;
  readonly 'svix-timestamp': string;
  readonly 'svix-signature': string;
}

export interface WebhookToSign {
  /** The message id (`msg_...`): the same on every retry, so receivers can drop duplicates. */
  readonly id: string;
  /** Unix seconds of this attempt (receivers refuse timestamps more than ~5 minutes off). */
  readonly timestamp: number;
  /** The exact bytes that are POSTed, as a string. */
  readonly body: string;
  /** `whsec_` + base64 of the key. */
  readonly secret: string;
}

const SECRET_PREFIX = 'whsec_';

/**
 * Signs one delivery per the Standard Webhooks spec (what the `standardwebhooks` and `svix`
 * libraries and the resend SDK's `webhooks.verify` check): the signature is
 * base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), where the key is the base64-decoded secret
 * without its `whsec_` prefix, sent as `v1,<signature>`. Pure; throws only on an empty key.
 */
export function signWebhook(input: WebhookToSign): WebhookSignatureHeaders {
  const encoded = input.secret.startsWith(SECRET_PREFIX) ? input.secret.slice(SECRET_PREFIX.length) : input.secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('A webhook signing secret must hold a base64 key after whsec_');
  const timestamp = String(Math.floor(input.timestamp));
  const signature = createHmac('sha256', key).update(`${input.id}.${timestamp}.${input.body}`, 'utf8').digest('base64');
  return { 'webhook-id': input.id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/**
 * A signature's headers under Svix's names, the same values: Resend delivers through Svix, so code
 * written for Resend reads `svix-id`, `svix-timestamp` and `svix-signature` (the `svix` library
 * reads those first, then the `webhook-*` ones). Pure.
 */
export function svixSignatureHeaders(signed: WebhookSignatureHeaders): SvixSignatureHeaders {
  return { 'svix-id': signed['webhook-id'], 'svix-timestamp': signed['webhook-timestamp'], 'svix-signature': signed['webhook-signature'] };
}
