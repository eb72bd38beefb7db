import type { SesAccountReport } from '../../lambda/core/account-report';
import type { Principal } from '../../lambda/core/api-keys';
import type { ApiDeps } from '../../lambda/entrypoints/http';
import {
  InMemoryApiKeyStore,
  InMemoryEmailStore,
  InMemorySuppressionList,
  InMemoryWebhookStore,
  RecordingSender,
  StaticHostResolver,
  tickingClock,
} from './in-memory';
import { InMemoryIdempotencyStore, InMemoryScheduleStore, RecordingOutboundQueue } from './in-memory-scheduling';

/** A principal of each scope, as the API key check gives it. */
export const FULL_ACCESS: Principal = { keyId: 'key-full', scope: 'full_access' };
export const SENDING_ACCESS: Principal = { keyId: 'key-sending', scope: 'sending_access' };

/** A public host webhooks may name (the SSRF guard resolves it to a public address). */
export const WEBHOOK_HOST = 'hooks.example.com';

/** SES's view of a healthy production account with one verified domain, acme.test. */
export const HEALTHY_ACCOUNT: SesAccountReport = {
  region: async () => 'eu-west-1',
  getAccount: async () => ({
    productionAccessEnabled: true,
    sendingEnabled: true,
    enforcementStatus: 'HEALTHY',
    sendQuota: { maxSendRate: 14, max24HourSend: 50_000, sentLast24Hours: 0 },
  }),
  listIdentities: async () => ({ identities: [{ name: 'acme.test', type: 'DOMAIN', sendingEnabled: true, verificationStatus: 'SUCCESS' }], more: false }),
  getIdentity: async () => ({ type: 'DOMAIN', verifiedForSending: true, verificationStatus: 'SUCCESS', dkim: { status: 'SUCCESS', signingEnabled: true } }),
};

/** handleHttp's dependencies as in-memory fakes, with handles on what was sent, queued and logged. */
export interface InMemoryApi {
  readonly deps: ApiDeps;
  readonly emails: InMemoryEmailStore;
  readonly sender: RecordingSender;
  readonly outbound: RecordingOutboundQueue;
  readonly keys: InMemoryApiKeyStore;
  readonly webhooks: InMemoryWebhookStore;
  readonly suppressions: InMemorySuppressionList;
  readonly idempotency: InMemoryIdempotencyStore;
  /** What handleHttp logged (it logs unexpected errors and 5xx answers). */
  readonly logged: { message: string; error?: unknown }[];
}

export function inMemoryApi(now = '2026-12-01T09:00:00.000Z'): InMemoryApi {
  const clock = tickingClock(now);
  const emails = new InMemoryEmailStore();
  const sender = new RecordingSender();
  const outbound = new RecordingOutboundQueue();
  const keys = new InMemoryApiKeyStore();
  const webhooks = new InMemoryWebhookStore();
  const suppressions = new InMemorySuppressionList();
  const idempotency = new InMemoryIdempotencyStore();
  const logged: { message: string; error?: unknown }[] = [];
  const deps: ApiDeps = {
    emails,
    sender,
    keys,
    suppressions,
    webhooks,
    idempotency,
    schedule: new InMemoryScheduleStore(emails, clock),
    outbound,
    resolver: new StaticHostResolver({ [WEBHOOK_HOST]: ['93.184.215.14'] }),
    allowPrivateWebhookUrls: false,
    clock,
    retentionDays: 90,
    configurationSet: 'outbox',
    accountReport: HEALTHY_ACCOUNT,
    log: (message, error) => logged.push({ message, error }),
  };
  return { deps, emails, sender, outbound, keys, webhooks, suppressions, idempotency, logged };
}
