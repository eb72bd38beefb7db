import { createHash } from 'node:crypto';
import { API_DOMAIN_TAG } from '../shared/env';
import type { SesAccountReport } from './account-report';
import { MAIL_FROM_SPF } from './dns-records';
import { throwProblems, OutboxError } from './errors';
import { describeValue, pageNewestFirst, parseListLimit } from './list-query';
import type { Clock } from './ports';
import { BEHAVIOR_ON_MX_FAILURE, dkimRecords, IdentityAlreadyExists, SesRefusal, type EmailIdentities, type EmailIdentityState } from './sending-identity';

/**
 * Resend's domains resource (`/domains`) on SES domain identities. A domain created here is an SES
 * identity with Easy DKIM (RSA 2048), the stack's configuration set as its default and a custom
 * MAIL FROM domain; the stack's own sending identities are listed too, marked as managed by the
 * stack, and cannot be changed or deleted here. SES is the source of truth for every status; the
 * registry only remembers which domains exist here and when they were created.
 */

/** A domain the registry knows: made through the API, or one of the stack's seen for the first time. */
export interface RegisteredDomain {
  readonly name: string;
  readonly createdAt: string;
  /** One of the stack's identities (outbox:sendingDomain, outbox:identities), not the API's. */
  readonly managedByStack: boolean;
  /** The MAIL FROM subdomain (one label) the domain was created with; absent: SES's own MAIL FROM. */
  readonly returnPath?: string;
}

export interface DomainRegistry {
  list(): Promise<RegisteredDomain[]>;
  /** Adds the domain unless one of that name is there; false when it was. */
  add(domain: RegisteredDomain): Promise<boolean>;
  remove(name: string): Promise<void>;
}

export interface DomainDeps {
  readonly identities: EmailIdentities;
  /** The region and the account's identity list (with each one's verification status). */
  readonly account: Pick<SesAccountReport, 'region' | 'listIdentities'>;
  readonly registry: DomainRegistry;
  /** The stack's identities (addresses among them are not domains and are left out). */
  readonly stackIdentities: readonly string[];
  readonly configurationSet: string;
  /** The MAIL FROM subdomain of a domain created without `custom_return_path`; undefined: SES's own MAIL FROM. */
  readonly defaultReturnPath?: string;
  readonly clock: Clock;
}

/** The MAIL FROM subdomain of a domain made without `custom_return_path`, as the stack's own sending domain has. */
export const DEFAULT_DOMAIN_MAIL_FROM_SUBDOMAIN = 'bounce';


export type DomainStatus = 'pending' | 'verified' | 'failed' | 'not_started' | 'partially_verified' | 'partially_failed';
export type DomainRecordStatus = 'pending' | 'verified' | 'failed' | 'temporary_failure' | 'not_started';

export interface DomainRecordView {
  readonly record: 'DKIM' | 'SPF';
  /** Relative to the domain, as DNS consoles take it. */
  readonly name: string;
  readonly type: 'CNAME' | 'MX' | 'TXT';
  readonly value: string;
  readonly ttl: 'Auto';
  readonly status: DomainRecordStatus;
  readonly priority?: number;
}

export interface DomainView {
  readonly id: string;
  readonly name: string;
  readonly status: DomainStatus;
  readonly created_at: string;
  readonly region: string;
  readonly capabilities: { readonly sending: 'enabled' | 'disabled'; readonly receiving: 'disabled' };
  readonly open_tracking: boolean;
  readonly click_tracking: boolean;
  /** Outbox's own: true for the stack's identities, which only a deploy changes. */
  readonly managed_by_stack: boolean;
}

/** Whether the stack's configuration set tracks opens and clicks (its event destination takes OPEN and CLICK). */
const TRACKING = { open: true, click: true } as const;

const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CREATE_FIELDS = ['name', 'region', 'custom_return_path', 'capabilities', 'open_tracking', 'click_tracking', 'tls', 'tracking_subdomain'];
const UPDATE_FIELDS = ['capabilities', 'open_tracking', 'click_tracking', 'tls', 'tracking_subdomain'];

/**
 * A domain's id: a UUID (version 8) derived from its name, so the stack's identities have stable
 * ids without any record, and the same domain always has the same id.
 */
export function domainIdOf(name: string): string {
  const hex = createHash('sha256').update(`outbox-domain:${name.toLowerCase()}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * `POST /domains`: creates the SES identity (Easy DKIM, the configuration set, the API's tag),
 * sets its MAIL FROM domain (`custom_return_path`, else the stack's subdomain), registers it and
 * answers the domain with the DNS records to publish. Options SES only has per configuration set
 * (tracking, TLS, a tracking subdomain) or that Outbox lacks (receiving, another region) are
 * refused unless they ask for what is already so.
 */
export async function createDomain(deps: DomainDeps, body: Readonly<Record<string, unknown>>): Promise<DomainView & { object: 'domain'; records: DomainRecordView[] }> {
  const problems = unknownFields(body, CREATE_FIELDS);
  if (body.name === undefined || body.name === null) throw new OutboxError('missing_field', 'Give `name`: the domain to send from, such as `mail.example.com`.');
  const name = typeof body.name === 'string' ? body.name.trim().toLowerCase().replace(/\.$/, '') : '';
  if (!DOMAIN_NAME.test(name)) problems.push(`\`name\` must be a domain name such as mail.example.com, not ${describeValue(body.name)}`);
  const region = await regionOf(deps);
  if (body.region !== undefined && body.region !== region) problems.push(`\`region\` must be ${region}, the region this Outbox sends from, not ${describeValue(body.region)}`);
  let returnPath = deps.defaultReturnPath;
  if (body.custom_return_path !== undefined) {
    const given = typeof body.custom_return_path === 'string' ? body.custom_return_path.trim().toLowerCase() : '';
    if (DNS_LABEL.test(given)) returnPath = given;
    else problems.push(`\`custom_return_path\` must be one DNS label such as \`send\` (the MAIL FROM domain is <it>.<name>), not ${describeValue(body.custom_return_path)}`);
  }
  checkSettings(body, problems);
  throwProblems(problems, 'Nothing was created.');

  if (stackDomains(deps).includes(name)) throw new OutboxError('validation', `${name} is one of the stack's own sending identities: it is listed already and managed by the stack.`);
  let state: EmailIdentityState;
  try {
    state = await deps.identities.create(name, { configurationSetName: deps.configurationSet, tags: { [API_DOMAIN_TAG]: deps.configurationSet } });
  } catch (error) {
    if (error instanceof IdentityAlreadyExists) {
      throw new OutboxError('validation', `SES already has an identity ${name} in ${region}, made outside this API; Outbox does not take over identities it did not create. Delete it in SES first, or add it to the stack (outbox:identities).`);
    }
    throw sesFailure('create', name, error);
  }
  const createdAt = deps.clock.now().toISOString();
  // Registered before the MAIL FROM call, so a failure there still leaves a domain one can delete.
  await deps.registry.add({ name, createdAt, managedByStack: false, ...(returnPath !== undefined ? { returnPath } : {}) });
  if (returnPath !== undefined) {
    try {
      await deps.identities.putMailFrom(name, { domain: `${returnPath}.${name}`, behaviorOnMxFailure: BEHAVIOR_ON_MX_FAILURE });
      state = { ...state, mailFrom: { domain: `${returnPath}.${name}`, status: 'PENDING' } };
    } catch (error) {
      throw sesFailure('set the MAIL FROM domain of', name, error);
    }
  }
  const view = toView({ name, createdAt, managedByStack: false, ...(returnPath !== undefined ? { returnPath } : {}) }, region, statusOf(state));
  return { object: 'domain', ...view, records: recordsOf(name, region, state) };
}

/** `GET /domains`: the stack's domains and the API's, newest first, paged by id (`limit`, `after`, `before`). */
export async function listDomains(deps: DomainDeps, query: Readonly<Record<string, string>>): Promise<{ object: 'list'; has_more: boolean; data: DomainView[] }> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = cursor(query, 'after', problems);
  const before = cursor(query, 'before', problems);
  if (after !== undefined && before !== undefined) problems.push('give `after` or `before`, not both');
  throwProblems(problems);

  const [domains, region, listed] = await Promise.all([
    known(deps),
    regionOf(deps),
    deps.account.listIdentities(1000).catch((error: unknown) => {
      throw sesFailure('list', 'the account', error);
    }),
  ]);
  const statusByName = new Map(listed.identities.map((identity) => [identity.name.toLowerCase(), identity.verificationStatus]));
  const all = domains.map((domain) => toView(domain, region, domainStatus(statusByName.get(domain.name), undefined)));
  // Ids derive from names, so they do not sort by time: the order is the list's own positions.
  const position = new Map(all.map((domain, index) => [domain.id, index]));
  const { page, hasMore } = pageNewestFirst(all, limit, { after, before }, {
    isNewer: (domain, id) => position.get(domain.id)! < (position.get(id) ?? -1),
    isCursor: (domain, id) => domain.id === id,
  });
  return { object: 'list', has_more: hasMore, data: page };
}

/** `GET /domains/{id}`: the domain, its statuses read from SES now, and its DNS records. */
export async function getDomain(deps: DomainDeps, id: string): Promise<DomainView & { object: 'domain'; records: DomainRecordView[] }> {
  const domain = await find(deps, id);
  const [region, state] = await Promise.all([regionOf(deps), readIdentity(deps, domain.name)]);
  return { object: 'domain', ...toView(domain, region, statusOf(state)), records: recordsOf(domain.name, region, state) };
}

/**
 * `POST /domains/{id}/verify`: asks SES for the domain's state again. SES itself checks the DNS
 * records, for up to 72 hours after the domain was created; a domain it gave up on (`failed`) is
 * deleted and created again.
 */
export async function verifyDomain(deps: DomainDeps, id: string): Promise<{ object: 'domain'; id: string }> {
  const domain = await find(deps, id);
  await readIdentity(deps, domain.name);
  return { object: 'domain', id: domainIdOf(domain.name) };
}

/**
 * `PATCH /domains/{id}`: SES keeps open and click tracking, TLS and a tracking domain per
 * configuration set, not per identity, so a change is refused with that reason and an answer
 * that asks for what is already so succeeds. The stack's domains are refused outright.
 */
export async function updateDomain(deps: DomainDeps, id: string, body: Readonly<Record<string, unknown>>): Promise<{ object: 'domain'; id: string }> {
  const domain = await find(deps, id);
  const problems = unknownFields(body, UPDATE_FIELDS);
  checkSettings(body, problems);
  throwProblems(problems, 'Nothing was changed.');
  if (domain.managedByStack) throw managedRefusal(domain.name, 'changed');
  return { object: 'domain', id: domainIdOf(domain.name) };
}

/** `DELETE /domains/{id}`: deletes the SES identity and forgets the domain. The stack's domains are refused. */
export async function removeDomain(deps: DomainDeps, id: string): Promise<{ object: 'domain'; id: string; deleted: true }> {
  const domain = await find(deps, id);
  if (domain.managedByStack) throw managedRefusal(domain.name, 'deleted');
  const state = await readIdentity(deps, domain.name, { missingIsGone: true });
  // Only an identity this stack's API made (its tag says so) is deleted in SES.
  if (state && state.tags[API_DOMAIN_TAG] !== deps.configurationSet) {
    throw new OutboxError('validation', `SES's identity ${domain.name} was not made by this Outbox (its ${API_DOMAIN_TAG} tag differs), so it is left as it is. Nothing was deleted.`);
  }
  if (state) {
    try {
      await deps.identities.delete(domain.name);
    } catch (error) {
      throw sesFailure('delete', domain.name, error);
    }
  }
  await deps.registry.remove(domain.name);
  return { object: 'domain', id: domainIdOf(domain.name), deleted: true };
}

/** The stack's domains (first seen now, registered once) and the API's, newest first. */
async function known(deps: DomainDeps): Promise<RegisteredDomain[]> {
  const registered = await deps.registry.list();
  const byName = new Map(registered.map((domain) => [domain.name, domain]));
  for (const name of stackDomains(deps)) {
    const seen = byName.get(name);
    if (seen?.managedByStack) continue;
    const domain: RegisteredDomain = { name, createdAt: seen?.createdAt ?? deps.clock.now().toISOString(), managedByStack: true };
    if (!seen) await deps.registry.add(domain);
    byName.set(name, domain);
  }
  const stack = new Set(stackDomains(deps));
  return [...byName.values()]
    .map((domain) => (domain.managedByStack && !stack.has(domain.name) ? { ...domain, managedByStack: false } : domain))
    .sort((a, b) => (a.createdAt === b.createdAt ? (domainIdOf(a.name) < domainIdOf(b.name) ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
}

async function find(deps: DomainDeps, id: string): Promise<RegisteredDomain> {
  const wanted = id.trim().toLowerCase();
  if (!DOMAIN_ID.test(wanted)) throw new OutboxError('not_found', `There is no domain ${id}: a domain id is a UUID, as POST /domains and GET /domains answer it.`);
  const domain = (await known(deps)).find((candidate) => domainIdOf(candidate.name) === wanted);
  if (!domain) throw new OutboxError('not_found', `There is no domain ${id}.`);
  return domain;
}

function stackDomains(deps: DomainDeps): string[] {
  return [...new Set(deps.stackIdentities.map((identity) => identity.trim().toLowerCase()).filter((identity) => identity !== '' && !identity.includes('@')))];
}

async function readIdentity(deps: DomainDeps, name: string, options: { missingIsGone?: boolean } = {}): Promise<EmailIdentityState | undefined> {
  let state: EmailIdentityState | undefined;
  try {
    state = await deps.identities.get(name);
  } catch (error) {
    throw sesFailure('read', name, error);
  }
  if (!state && !options.missingIsGone) {
    throw new OutboxError('not_found', `SES has no identity ${name} any more (deleted outside Outbox); DELETE /domains/{id} forgets it.`);
  }
  return state;
}

async function regionOf(deps: DomainDeps): Promise<string> {
  return (await deps.account.region()) ?? 'us-east-1';
}

function toView(domain: RegisteredDomain, region: string, status: DomainStatus): DomainView {
  return {
    id: domainIdOf(domain.name),
    name: domain.name,
    status,
    created_at: domain.createdAt,
    region,
    capabilities: { sending: 'enabled', receiving: 'disabled' },
    open_tracking: TRACKING.open,
    click_tracking: TRACKING.click,
    managed_by_stack: domain.managedByStack,
  };
}

function statusOf(state: EmailIdentityState | undefined): DomainStatus {
  return domainStatus(state?.verificationStatus ?? state?.dkim?.status, state?.mailFrom?.domain ? state.mailFrom.status : undefined);
}

/** SES's verification status as Resend's, the MAIL FROM domain's status making a verified domain partly so. */
function domainStatus(verification: string | undefined, mailFrom: string | undefined): DomainStatus {
  switch (verification) {
    case 'SUCCESS':
      if (mailFrom === 'FAILED') return 'partially_failed';
      if (mailFrom === 'PENDING' || mailFrom === 'TEMPORARY_FAILURE') return 'partially_verified';
      return 'verified';
    case 'FAILED':
      return 'failed';
    case 'PENDING':
    case 'TEMPORARY_FAILURE':
      return 'pending';
    default:
      return 'not_started';
  }
}

function recordStatus(status: string | undefined): DomainRecordStatus {
  switch (status) {
    case 'SUCCESS':
      return 'verified';
    case 'FAILED':
      return 'failed';
    case 'TEMPORARY_FAILURE':
      return 'temporary_failure';
    case 'PENDING':
      return 'pending';
    default:
      return 'not_started';
  }
}

/** The DKIM CNAMEs and, with a custom MAIL FROM domain, its MX and SPF TXT (Resend files both under SPF). */
function recordsOf(name: string, region: string, state: EmailIdentityState | undefined): DomainRecordView[] {
  const relative = (fqdn: string): string => (fqdn.endsWith(`.${name}`) ? fqdn.slice(0, -(name.length + 1)) : fqdn);
  const dkimStatus = recordStatus(state?.dkim?.status);
  const records: DomainRecordView[] = dkimRecords(name, state?.dkim).map((record) => ({
    record: 'DKIM',
    name: relative(record.name),
    type: 'CNAME',
    value: record.value,
    ttl: 'Auto',
    status: dkimStatus,
  }));
  const mailFrom = state?.mailFrom?.domain;
  if (mailFrom) {
    const status = recordStatus(state?.mailFrom?.status);
    records.push(
      { record: 'SPF', name: relative(mailFrom), type: 'MX', value: `feedback-smtp.${region}.amazonses.com`, ttl: 'Auto', status, priority: 10 },
      { record: 'SPF', name: relative(mailFrom), type: 'TXT', value: `"${MAIL_FROM_SPF}"`, ttl: 'Auto', status },
    );
  }
  return records;
}

/** The options SES keeps per configuration set, or Outbox lacks: refused unless they ask for what is already so. */
function checkSettings(body: Readonly<Record<string, unknown>>, problems: string[]): void {
  for (const [field, current] of [['open_tracking', TRACKING.open], ['click_tracking', TRACKING.click]] as const) {
    if (body[field] !== undefined && body[field] !== current) {
      problems.push(`\`${field}\` is ${current} for every domain: SES tracks opens and clicks per configuration set, and Outbox's set tracks both`);
    }
  }
  if (body.tls !== undefined && body.tls !== 'opportunistic') {
    problems.push(`\`tls\` can only be \`opportunistic\`: SES sets TLS per configuration set, not per domain, and Outbox's set uses opportunistic TLS`);
  }
  if (body.tracking_subdomain !== undefined) problems.push('`tracking_subdomain` is not supported: SES sets a custom tracking domain per configuration set, not per domain');
  const capabilities = body.capabilities;
  if (capabilities !== undefined) {
    const given = typeof capabilities === 'object' && capabilities !== null ? (capabilities as Record<string, unknown>) : undefined;
    if (!given) problems.push(`\`capabilities\` must be an object such as {"sending":"enabled"}, not ${describeValue(capabilities)}`);
    else {
      if (given.receiving !== undefined && given.receiving !== 'disabled') problems.push('`capabilities.receiving` can only be `disabled`: Outbox does not receive email');
      if (given.sending !== undefined && given.sending !== 'enabled') problems.push('`capabilities.sending` can only be `enabled`: a domain here exists to send from');
      for (const key of Object.keys(given)) if (key !== 'sending' && key !== 'receiving') problems.push(`\`capabilities.${key}\` is not a capability (sending, receiving)`);
    }
  }
}

function unknownFields(body: Readonly<Record<string, unknown>>, fields: readonly string[]): string[] {
  return Object.keys(body)
    .filter((key) => !fields.includes(key))
    .map((key) => `\`${key}\` is not a field of this route (${fields.join(', ')})`);
}

function cursor(query: Readonly<Record<string, string>>, name: 'after' | 'before', problems: string[]): string | undefined {
  const value = query[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (DOMAIN_ID.test(value)) return value;
  problems.push(`\`${name}\` must be a domain id, not ${describeValue(query[name])}`);
  return undefined;
}

function managedRefusal(name: string, what: 'changed' | 'deleted'): OutboxError {
  return new OutboxError('validation', `${name} is managed by the stack (outbox:sendingDomain or outbox:identities): it is ${what} only by deploying the stack with other settings.`);
}

/** SES refusing or failing a call: its words, and whether retrying can help. */
function sesFailure(action: string, name: string, error: unknown): OutboxError {
  // The account report's own refusals (ses_access_denied, unavailable) already say what to do.
  if (error instanceof OutboxError) return error;
  if (error instanceof SesRefusal) {
    if (error.code === 'AccessDeniedException') {
      return new OutboxError('ses_access_denied', `SES refused to ${action} ${name}: ${error.message} Deploy the current stack, which grants the api what the domains API needs.`, { cause: error });
    }
    if (error.code === 'TooManyRequestsException' || error.code === 'LimitExceededException') {
      return new OutboxError('rate_limited', `SES throttled the call to ${action} ${name} (${error.code}); retry in a few seconds.`, { cause: error });
    }
    return new OutboxError('validation', `SES refused to ${action} ${name}: ${error.message}`, { cause: error });
  }
  return new OutboxError('unavailable', `SES did not answer when asked to ${action} ${name}; please try again.`, { cause: error });
}
