import { SENDING_IDENTITY_RESOURCE } from '../shared/custom-resources';
import { ResourceFailure, requiredString, type ResourceOutcome, type ResourceRequest } from './custom-resource';
import { dmarcRecord, mailFromRecords, recordLine, zoneFileSnippet, type DnsRecord } from './dns-records';

/**
 * The sending domain as a custom resource: created in SES when it is missing, adopted as it is when
 * it already exists (the user tried SES before), removed on Delete only when this resource made it.
 * An AWS::SES::EmailIdentity would instead fail with AlreadyExists and roll the whole stack back.
 */

/** The DKIM settings of an identity, in SES's words (DkimAttributes). */
export interface DkimState {
  readonly signingEnabled?: boolean;
  /** PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED. */
  readonly status?: string;
  /** Easy DKIM: the three tokens of the CNAME records. BYODKIM: the selector. */
  readonly tokens: readonly string[];
  /** AWS_SES (Easy DKIM), EXTERNAL (Bring Your Own DKIM) or AWS_SES_<REGION> (a DEED replica). */
  readonly signingAttributesOrigin?: string;
  /** The zone the CNAMEs point into, when SES names it. */
  readonly signingHostedZone?: string;
}

/** An identity's custom MAIL FROM settings, in SES's words (MailFromAttributes). */
export interface MailFromState {
  /** The MAIL FROM domain; absent when the identity uses SES's own (a subdomain of amazonses.com). */
  readonly domain?: string;
  /** USE_DEFAULT_VALUE or REJECT_MESSAGE. */
  readonly behaviorOnMxFailure?: string;
  /** PENDING, SUCCESS, FAILED or TEMPORARY_FAILURE: whether SES found the MX record. */
  readonly status?: string;
}

/** What SES says of an identity (GetEmailIdentity, or CreateEmailIdentity's answer). */
export interface EmailIdentityState {
  readonly dkim?: DkimState;
  /** The identity's tags; CreateEmailIdentity's answer carries none. */
  readonly tags: Readonly<Record<string, string>>;
  readonly mailFrom?: MailFromState;
  /** The identity's default configuration set; CreateEmailIdentity's answer carries none. */
  readonly configurationSetName?: string;
  /** PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED: whether SES has verified the identity. */
  readonly verificationStatus?: string;
}

/** The SES identity operations the resource uses (SES v2). */
export interface EmailIdentities {
  /** GetEmailIdentity; undefined when SES answers NotFoundException. */
  get(identity: string): Promise<EmailIdentityState | undefined>;
  /**
   * CreateEmailIdentity with Easy DKIM (RSA 2048), the configuration set as the identity's default
   * and the tags. Throws IdentityAlreadyExists when SES answers AlreadyExistsException.
   */
  create(identity: string, settings: { configurationSetName: string; tags: Readonly<Record<string, string>> }): Promise<EmailIdentityState>;
  /** DeleteEmailIdentity; an identity already gone counts as deleted. */
  delete(identity: string): Promise<void>;
  /** PutEmailIdentityMailFromAttributes; no domain goes back to SES's own MAIL FROM domain. */
  putMailFrom(identity: string, settings: { domain?: string; behaviorOnMxFailure?: string }): Promise<void>;
  /** PutEmailIdentityConfigurationSetAttributes; undefined leaves the identity without a default. */
  putConfigurationSet(identity: string, configurationSetName: string | undefined): Promise<void>;
}

/** SES answered AlreadyExistsException to CreateEmailIdentity. */
export class IdentityAlreadyExists extends Error {
  override readonly name = 'IdentityAlreadyExists';
}

/** SES refused a call: its exception name and its own message. */
export class SesRefusal extends Error {
  override readonly name = 'SesRefusal';

  constructor(
    readonly operation: SesOperation,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SesOperation =
  | 'GetEmailIdentity'
  | 'CreateEmailIdentity'
  | 'DeleteEmailIdentity'
  | 'PutEmailIdentityMailFromAttributes'
  | 'PutEmailIdentityConfigurationSetAttributes';

/** The tag CreateEmailIdentity puts on an identity this resource made: its value is the stack's ARN. */
export const CREATED_BY_STACK_TAG = SENDING_IDENTITY_RESOURCE.createdByStackTag;

/** Where Easy DKIM's CNAMEs point when SES names no other zone. */
export const DEFAULT_DKIM_ZONE = 'dkim.amazonses.com';

/**
 * What SES does when the MAIL FROM domain's MX record is missing: send with its own MAIL FROM
 * domain. REJECT_MESSAGE would refuse every send (MailFromDomainNotVerifiedException) from the
 * moment the stack deploys until the MX record is published and SES has seen it; this way mail
 * flows from the first minute, DKIM alone aligns for DMARC meanwhile, and SPF aligns too once the
 * records are in.
 */
export const BEHAVIOR_ON_MX_FAILURE = 'USE_DEFAULT_VALUE';

export interface SendingIdentityProperties {
  /** The domain, lower-cased. */
  readonly domain: string;
  readonly configurationSetName: string;
  /** `<subdomain>.<domain>`, lower-cased; absent when custom MAIL FROM is off. */
  readonly mailFromDomain?: string;
  /** The stack's Region: the MAIL FROM MX record points at its feedback endpoint. */
  readonly region?: string;
  /** Where DMARC aggregate reports go (rua), when given. */
  readonly dmarcReportTo?: string;
  /** The Route 53 zone the stack writes the records into, when it does: needs Easy DKIM's three CNAMEs. */
  readonly hostedZoneName?: string;
}

const PROPERTIES = SENDING_IDENTITY_RESOURCE.properties;
const ATTRIBUTES = SENDING_IDENTITY_RESOURCE.attributes;

/**
 * Reads the resource's properties: EmailIdentity (the domain) and ConfigurationSetName, and the
 * optional MailFromDomain (with Region), DmarcReportTo and HostedZoneName.
 */
export function readSendingIdentityProperties(properties: Readonly<Record<string, unknown>>): SendingIdentityProperties {
  const domain = requiredString(properties, PROPERTIES.emailIdentity, 'sending identity').toLowerCase();
  const mailFromDomain = optionalString(properties[PROPERTIES.mailFromDomain])?.toLowerCase();
  if (mailFromDomain !== undefined && !mailFromDomain.endsWith(`.${domain}`)) {
    throw new ResourceFailure(`The sending identity's ${PROPERTIES.mailFromDomain} must be a subdomain of ${domain}; the template gave ${mailFromDomain}.`);
  }
  const region = mailFromDomain === undefined ? optionalString(properties[PROPERTIES.region]) : requiredString(properties, PROPERTIES.region, 'sending identity');
  const dmarcReportTo = optionalString(properties[PROPERTIES.dmarcReportTo]);
  const hostedZoneName = optionalString(properties[PROPERTIES.hostedZoneName])?.toLowerCase().replace(/\.$/, '');
  return {
    domain,
    configurationSetName: requiredString(properties, PROPERTIES.configurationSetName, 'sending identity'),
    ...(mailFromDomain !== undefined ? { mailFromDomain } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(dmarcReportTo !== undefined ? { dmarcReportTo } : {}),
    ...(hostedZoneName !== undefined ? { hostedZoneName } : {}),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export type IdentityOrigin = 'created' | 'adopted';

/** A CNAME record Easy DKIM needs in the domain's DNS. */
export interface DkimRecord {
  readonly name: string;
  readonly value: string;
}

/** What the physical id remembers of an adopted identity: its MAIL FROM settings as found. */
interface FoundState {
  readonly mailFrom: MailFromState;
}

interface PhysicalId {
  readonly origin: IdentityOrigin;
  readonly domain: string;
  /** Adopted identities only; absent in ids made before the resource managed MAIL FROM. */
  readonly found?: FoundState;
}

type Deps = { identities: EmailIdentities };

/**
 * Applies one lifecycle request to the sending domain:
 * 1. Create: GetEmailIdentity. Missing: CreateEmailIdentity (Easy DKIM RSA 2048, the
 *    configuration set as default, tagged with the stack's ARN); `created`. Present: adopted,
 *    its DKIM untouched; `adopted`, unless its tag names this very stack (an earlier attempt of
 *    this stack made it, e.g. before a rollback), then `created`.
 * 2. Then, on Create and Update alike (settle): with a hosted zone, refuses an identity without
 *    Easy DKIM's three CNAMEs before changing anything; sets the custom MAIL FROM domain
 *    (BehaviorOnMxFailure USE_DEFAULT_VALUE), or with MAIL FROM off puts back what was found
 *    (created: none); makes the configuration set the identity's default, except that an adopted
 *    identity whose default is another application's set keeps it (the DefaultConfigurationSet
 *    attribute says which it is).
 * 3. Update, same domain: reads the identity again (creating it if it went missing), settles it;
 *    same id. Another domain: as Create, which gives a new id, so CloudFormation deletes the old.
 * 4. Delete: removes the identity only when the id says `created`, or, after a Create that never
 *    answered success, when its tag names this stack. An adopted identity is left as found: its
 *    MAIL FROM settings put back, and the default configuration set cleared if it is still this
 *    stack's, so the set can be deleted after it.
 * The physical id is `created:<domain>`, or `adopted:<domain>?mail-from=<found>&on-mx-failure=<found>`
 * (what Delete puts back). Attributes: see SENDING_IDENTITY_RESOURCE.attributes. Every SES error
 * becomes a ResourceFailure naming what to do, with SES's words. Idempotent.
 */
export async function applySendingIdentity(deps: Deps, request: ResourceRequest<SendingIdentityProperties>): Promise<ResourceOutcome> {
  const { domain } = request.properties;
  switch (request.type) {
    case 'Create':
      return createOrAdopt(deps, request);
    case 'Update': {
      const previous = parsePhysicalId(request.physicalResourceId);
      if (previous?.domain !== domain) return createOrAdopt(deps, request);
      const state = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
      if (!state) return createOrAdopt(deps, request);
      // An id from before MAIL FROM was managed records the identity as it is now: the new id makes
      // CloudFormation delete the old one, which for an adopted identity without a record is a no-op.
      const found = previous.origin === 'adopted' ? (previous.found ?? foundOf(state)) : undefined;
      return settle(deps, request, { origin: previous.origin, domain, ...(found ? { found } : {}) }, state);
    }
    case 'Delete': {
      const made = parsePhysicalId(request.physicalResourceId);
      if (made?.origin === 'adopted') {
        if (made.found) await leaveAsFound(deps, request, made.domain, made.found);
        return { physicalResourceId: request.physicalResourceId! };
      }
      if (made?.origin === 'created') {
        await call('DeleteEmailIdentity', made.domain, () => deps.identities.delete(made.domain));
        return { physicalResourceId: request.physicalResourceId! };
      }
      // A Create that never answered success (its rollback): remove the identity only if this
      // stack's earlier attempt made it.
      const state = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
      if (state && madeByStack(state, request.stackId)) {
        await call('DeleteEmailIdentity', domain, () => deps.identities.delete(domain));
      }
      return { physicalResourceId: request.physicalResourceId ?? `none:${domain}` };
    }
  }
}

async function createOrAdopt(deps: Deps, request: ResourceRequest<SendingIdentityProperties>): Promise<ResourceOutcome> {
  const { domain, configurationSetName } = request.properties;
  const existing = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
  if (existing) return settle(deps, request, identified(domain, existing, request.stackId), existing);
  let created: EmailIdentityState;
  try {
    created = await call(
      'CreateEmailIdentity',
      domain,
      () => deps.identities.create(domain, { configurationSetName, tags: { [CREATED_BY_STACK_TAG]: request.stackId } }),
      { configurationSetName },
    );
  } catch (error) {
    if (!(error instanceof IdentityAlreadyExists)) throw error;
    // Made by someone else between our read and our create: adopt it as well.
    const raced = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
    if (!raced) throw new ResourceFailure(`SES says ${domain} already exists but then does not find it; deploy again.`, { cause: error });
    return settle(deps, request, identified(domain, raced, request.stackId), raced);
  }
  return settle(deps, request, { origin: 'created', domain }, { ...created, configurationSetName });
}

function identified(domain: string, state: EmailIdentityState, stackId: string): PhysicalId {
  return madeByStack(state, stackId) ? { origin: 'created', domain } : { origin: 'adopted', domain, found: foundOf(state) };
}

function foundOf(state: EmailIdentityState): FoundState {
  const { domain, behaviorOnMxFailure } = state.mailFrom ?? {};
  return { mailFrom: { ...(domain ? { domain } : {}), ...(behaviorOnMxFailure ? { behaviorOnMxFailure } : {}) } };
}

/** Step 2 of applySendingIdentity: MAIL FROM and the default configuration set, then the outcome. */
async function settle(deps: Deps, request: ResourceRequest<SendingIdentityProperties>, id: PhysicalId, state: EmailIdentityState): Promise<ResourceOutcome> {
  const { domain, configurationSetName, mailFromDomain, hostedZoneName } = request.properties;
  if (hostedZoneName !== undefined && dkimRecords(domain, state.dkim).length !== 3) {
    throw new ResourceFailure(
      `The stack writes the DNS records into the Route 53 zone ${hostedZoneName}, which needs Easy DKIM's three CNAME records, but ${noRecordLine(domain, state.dkim, dkimRecords(domain, state.dkim).length).replace(/^none: /, '')}. ` +
        'Unset outbox:hostedZoneId and publish the records yourself, or switch the identity to Easy DKIM.',
    );
  }

  const wantedMailFrom: MailFromState =
    mailFromDomain !== undefined ? { domain: mailFromDomain, behaviorOnMxFailure: BEHAVIOR_ON_MX_FAILURE } : (id.found?.mailFrom ?? (id.origin === 'created' ? {} : currentMailFrom(state)));
  let mailFrom = state.mailFrom;
  if (!sameMailFrom(state.mailFrom, wantedMailFrom)) {
    await call('PutEmailIdentityMailFromAttributes', domain, () => deps.identities.putMailFrom(domain, wantedMailFrom));
    mailFrom = { ...wantedMailFrom, ...(wantedMailFrom.domain ? { status: 'PENDING' } : {}) };
  }

  // An adopted identity's default set is replaced only when it has none, or had this stack's
  // (before the set was replaced): another application's default stays.
  const current = state.configurationSetName;
  const ours = current === undefined || current === configurationSetName || current === request.oldProperties?.configurationSetName;
  let defaultSet = current;
  if ((id.origin === 'created' || ours) && current !== configurationSetName) {
    try {
      await call('PutEmailIdentityConfigurationSetAttributes', domain, () => deps.identities.putConfigurationSet(domain, configurationSetName), { configurationSetName });
    } catch (error) {
      // Leave an adopted identity as it was: put its MAIL FROM back before failing.
      if (id.origin === 'adopted' && mailFrom !== state.mailFrom) {
        await deps.identities.putMailFrom(domain, currentMailFrom(state)).catch(() => undefined);
      }
      throw error;
    }
    defaultSet = configurationSetName;
  }
  return outcome(id, request.properties, { ...state, ...(mailFrom ? { mailFrom } : {}), ...(defaultSet ? { configurationSetName: defaultSet } : {}) });
}

/** Step 4 of applySendingIdentity for an adopted identity: its MAIL FROM as found, and no default set of this stack's. */
async function leaveAsFound(deps: Deps, request: ResourceRequest<SendingIdentityProperties>, domain: string, found: FoundState): Promise<void> {
  const state = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
  if (!state) return;
  if (!sameMailFrom(state.mailFrom, found.mailFrom)) {
    await call('PutEmailIdentityMailFromAttributes', domain, () => deps.identities.putMailFrom(domain, found.mailFrom));
  }
  if (state.configurationSetName !== undefined && state.configurationSetName === request.properties.configurationSetName) {
    await call('PutEmailIdentityConfigurationSetAttributes', domain, () => deps.identities.putConfigurationSet(domain, undefined));
  }
}

function currentMailFrom(state: EmailIdentityState): MailFromState {
  return foundOf(state).mailFrom;
}

function sameMailFrom(actual: MailFromState | undefined, wanted: MailFromState): boolean {
  if ((actual?.domain ?? '') !== (wanted.domain ?? '')) return false;
  // Without a MAIL FROM domain the behaviour means nothing.
  return !wanted.domain || (actual?.behaviorOnMxFailure ?? BEHAVIOR_ON_MX_FAILURE) === (wanted.behaviorOnMxFailure ?? BEHAVIOR_ON_MX_FAILURE);
}

function madeByStack(state: EmailIdentityState, stackId: string): boolean {
  return state.tags[CREATED_BY_STACK_TAG] === stackId;
}

/** Every DNS record the domain needs, and notes on those that cannot be given. */
export function sendingDomainRecords(
  properties: Pick<SendingIdentityProperties, 'domain' | 'mailFromDomain' | 'region' | 'dmarcReportTo'>,
  dkim: DkimState | undefined,
): { records: DnsRecord[]; notes: string[] } {
  const { domain, mailFromDomain, region, dmarcReportTo } = properties;
  const dkimFound = dkimRecords(domain, dkim);
  const records: DnsRecord[] = dkimFound.map((record, index) => ({ ...record, type: 'CNAME', purpose: `DKIM ${index + 1} of ${dkimFound.length}` }));
  const notes: string[] = [];
  if (dkimFound.length !== 3) notes.push(noRecordLine(domain, dkim, dkimFound.length));
  if (mailFromDomain !== undefined) records.push(...mailFromRecords(mailFromDomain, region ?? ''));
  else notes.push(`none: custom MAIL FROM is off (outbox:mailFromSubdomain off), so SPF does not align with ${domain}; DKIM alone aligns for DMARC`);
  records.push(dmarcRecord(domain, dmarcReportTo));
  return { records, notes };
}

function outcome(id: PhysicalId, properties: SendingIdentityProperties, state: EmailIdentityState): ResourceOutcome {
  const { domain, mailFromDomain } = properties;
  const records = dkimRecords(domain, state.dkim);
  const data: Record<string, string> = { [ATTRIBUTES.origin]: id.origin };
  for (const n of [1, 2, 3] as const) {
    const record = records[n - 1];
    data[ATTRIBUTES.dkimRecord(n)] = record ? `${record.name} CNAME ${record.value}` : noRecordLine(domain, state.dkim, records.length);
    data[ATTRIBUTES.dkimRecordName(n)] = record?.name ?? '';
    data[ATTRIBUTES.dkimRecordValue(n)] = record?.value ?? '';
  }
  const all = sendingDomainRecords(properties, state.dkim);
  const [mx, spf] = mailFromDomain !== undefined ? all.records.filter((r) => r.name === mailFromDomain) : [];
  const off = 'none: custom MAIL FROM is off (outbox:mailFromSubdomain off)';
  data[ATTRIBUTES.mailFromDomain] = mailFromDomain ?? '';
  data[ATTRIBUTES.mailFromMxRecord] = mx ? recordLine(mx) : off;
  data[ATTRIBUTES.mailFromMxValue] = mx?.value ?? '';
  data[ATTRIBUTES.mailFromSpfRecord] = spf ? recordLine(spf) : off;
  data[ATTRIBUTES.mailFromSpfValue] = spf?.value ?? '';
  const dmarc = all.records.at(-1)!;
  data[ATTRIBUTES.dmarcRecord] = recordLine(dmarc);
  data[ATTRIBUTES.dmarcRecordName] = dmarc.name;
  data[ATTRIBUTES.dmarcRecordValue] = dmarc.value;
  data[ATTRIBUTES.zoneFile] = zoneFileSnippet(all.records, all.notes);
  data[ATTRIBUTES.defaultConfigurationSet] = state.configurationSetName ?? '';
  return { physicalResourceId: physicalIdOf(id), data };
}

/**
 * The CNAME records of an Easy DKIM identity: `<token>._domainkey.<domain>` pointing at
 * `<token>.dkim.amazonses.com` (or the signing zone SES names). A DEED replica (origin
 * AWS_SES_<REGION>) uses its parent's tokens, so the same records. Bring Your Own DKIM (EXTERNAL)
 * has a TXT record of the user's own public key instead, and an identity without DKIM has none.
 */
export function dkimRecords(domain: string, dkim: DkimState | undefined): DkimRecord[] {
  if (!dkim || !isEasyDkim(dkim.signingAttributesOrigin)) return [];
  const zone = dkim.signingHostedZone?.replace(/\.$/, '') || DEFAULT_DKIM_ZONE;
  return dkim.tokens.map((token) => ({ name: `${token}._domainkey.${domain}`, value: `${token}.${zone}` }));
}

function isEasyDkim(origin: string | undefined): boolean {
  // SES leaves the origin out of identities made before BYODKIM existed: those are Easy DKIM.
  return origin === undefined || origin === 'AWS_SES' || origin.startsWith('AWS_SES_');
}

function noRecordLine(domain: string, dkim: DkimState | undefined, found: number): string {
  if (found > 0) return `none: SES gave ${found} DKIM record${found === 1 ? '' : 's'} for ${domain}`;
  if (dkim?.signingAttributesOrigin === 'EXTERNAL') {
    const selector = dkim.tokens[0];
    return `none: ${domain} signs with Bring Your Own DKIM${selector ? ` (selector ${selector})` : ''}; keep its TXT record ${selector ?? '<selector>'}._domainkey.${domain}`;
  }
  return `none: SES has no DKIM tokens for ${domain}; set up DKIM for it in the SES console`;
}

function physicalIdOf(id: PhysicalId): string {
  if (!id.found) return `${id.origin}:${id.domain}`;
  const found = new URLSearchParams({ 'mail-from': id.found.mailFrom.domain ?? '', 'on-mx-failure': id.found.mailFrom.behaviorOnMxFailure ?? '' });
  return `${id.origin}:${id.domain}?${found.toString()}`;
}

function parsePhysicalId(id: string | undefined): PhysicalId | undefined {
  const match = /^(created|adopted):([^?]+)(?:\?(.*))?$/.exec(id ?? '');
  if (!match) return undefined;
  const origin = match[1] as IdentityOrigin;
  const domain = match[2]!;
  if (origin === 'created' || match[3] === undefined) return { origin, domain };
  const query = new URLSearchParams(match[3]);
  const mailFromDomain = query.get('mail-from') ?? '';
  const behaviorOnMxFailure = query.get('on-mx-failure') ?? '';
  return { origin, domain, found: { mailFrom: { ...(mailFromDomain ? { domain: mailFromDomain } : {}), ...(behaviorOnMxFailure ? { behaviorOnMxFailure } : {}) } } };
}

/** Runs one SES call, turning its failure into a Reason a person can act on. */
async function call<T>(operation: SesOperation, domain: string, fn: () => Promise<T>, context: { configurationSetName?: string } = {}): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof IdentityAlreadyExists || error instanceof ResourceFailure) throw error;
    throw new ResourceFailure(failureReason(operation, domain, error, context), { cause: error });
  }
}

const ACTIONS: Record<SesOperation, string> = {
  GetEmailIdentity: 'read the SES identity',
  CreateEmailIdentity: 'create the SES identity',
  DeleteEmailIdentity: 'delete the SES identity',
  PutEmailIdentityMailFromAttributes: 'set the MAIL FROM domain of the SES identity',
  PutEmailIdentityConfigurationSetAttributes: 'set the default configuration set of the SES identity',
};

/** The Reason for a failed SES call: what failed, SES's own words, and what to do about it. */
export function failureReason(operation: SesOperation, domain: string, error: unknown, context: { configurationSetName?: string } = {}): string {
  const action = `Could not ${ACTIONS[operation]} ${domain}`;
  if (!(error instanceof SesRefusal)) {
    const detail = error instanceof Error ? error.message : String(error);
    return `${action}: SES could not be reached (${detail}). Deploy again once SES answers.`;
  }
  const says = `SES says "${error.message}" (${error.code})`;
  switch (error.code) {
    case 'AccessDeniedException':
      return `${action}: ${says}. The function's role lacks a permission for ${operation}; the stack grants it on this identity only, so check for a service control policy or permissions boundary that denies it.`;
    case 'TooManyRequestsException':
    case 'ThrottlingException':
      return `${action}: ${says}. SES allows about one identity call per second per account; deploy again in a minute.`;
    case 'LimitExceededException':
      return `${action}: ${says}. The account has as many identities as SES allows in this Region; delete unused ones or ask AWS Support for more.`;
    case 'NotFoundException':
      return operation === 'CreateEmailIdentity' || operation === 'PutEmailIdentityConfigurationSetAttributes'
        ? `${action}: ${says}. The configuration set ${context.configurationSetName ?? ''} it names as default was not found; deploy again.`
        : `${action}: ${says}.`;
    case 'BadRequestException':
      return operation === 'PutEmailIdentityMailFromAttributes'
        ? `${action}: ${says}. Check that outbox:mailFromSubdomain is a DNS label such as bounce, and that its domain receives no mail of its own.`
        : `${action}: ${says}. Check that outbox:sendingDomain is a domain name you own, such as mail.example.com.`;
    case 'ConcurrentModificationException':
      return `${action}: ${says}. Something else changed the identity at the same moment; deploy again.`;
    default:
      return `${action}: ${says}.`;
  }
}
