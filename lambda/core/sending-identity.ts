import { SENDING_IDENTITY_RESOURCE } from '../shared/custom-resources';
import { ResourceFailure, requiredString, type ResourceOutcome, type ResourceRequest } from './custom-resource';

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

/** What SES says of an identity (GetEmailIdentity, or CreateEmailIdentity's answer). */
export interface EmailIdentityState {
  readonly dkim?: DkimState;
  /** The identity's tags; CreateEmailIdentity's answer carries none. */
  readonly tags: Readonly<Record<string, string>>;
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
}

/** SES answered AlreadyExistsException to CreateEmailIdentity. */
export class IdentityAlreadyExists extends Error {
  override readonly name = 'IdentityAlreadyExists';
}

/** SES refused a call: its exception name and its own message. */
export class SesRefusal extends Error {
  override readonly name = 'SesRefusal';

  constructor(
    readonly operation: 'GetEmailIdentity' | 'CreateEmailIdentity' | 'DeleteEmailIdentity',
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The tag CreateEmailIdentity puts on an identity this resource made: its value is the stack's ARN. */
export const CREATED_BY_STACK_TAG = SENDING_IDENTITY_RESOURCE.createdByStackTag;

/** Where Easy DKIM's CNAMEs point when SES names no other zone. */
export const DEFAULT_DKIM_ZONE = 'dkim.amazonses.com';

export interface SendingIdentityProperties {
  /** The domain, lower-cased. */
  readonly domain: string;
  readonly configurationSetName: string;
}

const PROPERTIES = SENDING_IDENTITY_RESOURCE.properties;
const ATTRIBUTES = SENDING_IDENTITY_RESOURCE.attributes;

/** Reads the resource's properties: EmailIdentity (the domain) and ConfigurationSetName. */
export function readSendingIdentityProperties(properties: Readonly<Record<string, unknown>>): SendingIdentityProperties {
  return {
    domain: requiredString(properties, PROPERTIES.emailIdentity, 'sending identity').toLowerCase(),
    configurationSetName: requiredString(properties, PROPERTIES.configurationSetName, 'sending identity'),
  };
}

export type IdentityOrigin = 'created' | 'adopted';

/** A CNAME record Easy DKIM needs in the domain's DNS. */
export interface DkimRecord {
  readonly name: string;
  readonly value: string;
}

/**
 * Applies one lifecycle request to the sending domain:
 * 1. Create: GetEmailIdentity. Missing: CreateEmailIdentity (Easy DKIM RSA 2048, the
 *    configuration set as default, tagged with the stack's ARN); `created`. Present: adopted as it
 *    is, its configuration set and DKIM untouched; `adopted`, unless its tag names this very stack
 *    (an earlier attempt of this stack made it, e.g. before a rollback), then `created`.
 * 2. Update, same domain: reads the identity again (creating it if it went missing); same id.
 *    Another domain: as Create, which gives a new id, so CloudFormation deletes the old one.
 * 3. Delete: removes the identity only when the id says `created`, or, after a Create that never
 *    answered success, when its tag names this stack. An adopted identity stays.
 * The physical id is `<origin>:<domain>`. Attributes: Origin, and DkimRecord1..3 (a line for the
 * stack outputs) with DkimRecordNName / DkimRecordNValue (empty when there is no CNAME).
 * Every SES error becomes a ResourceFailure naming what to do, with SES's words. Idempotent.
 */
export async function applySendingIdentity(
  deps: { identities: EmailIdentities },
  request: ResourceRequest<SendingIdentityProperties>,
): Promise<ResourceOutcome> {
  const { domain } = request.properties;
  switch (request.type) {
    case 'Create':
      return createOrAdopt(deps, request);
    case 'Update': {
      const previous = parsePhysicalId(request.physicalResourceId);
      if (previous?.domain !== domain) return createOrAdopt(deps, request);
      const state = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
      if (!state) return createOrAdopt(deps, request);
      return outcome(previous.origin, domain, state);
    }
    case 'Delete': {
      const made = parsePhysicalId(request.physicalResourceId);
      if (made?.origin === 'adopted') return { physicalResourceId: request.physicalResourceId! };
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

async function createOrAdopt(deps: { identities: EmailIdentities }, request: ResourceRequest<SendingIdentityProperties>): Promise<ResourceOutcome> {
  const { domain, configurationSetName } = request.properties;
  const existing = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
  if (existing) return outcome(madeByStack(existing, request.stackId) ? 'created' : 'adopted', domain, existing);
  try {
    const created = await call(
      'CreateEmailIdentity',
      domain,
      () => deps.identities.create(domain, { configurationSetName, tags: { [CREATED_BY_STACK_TAG]: request.stackId } }),
      { configurationSetName },
    );
    return outcome('created', domain, created);
  } catch (error) {
    if (!(error instanceof IdentityAlreadyExists)) throw error;
    // Made by someone else between our read and our create: adopt it as well.
    const raced = await call('GetEmailIdentity', domain, () => deps.identities.get(domain));
    if (!raced) throw new ResourceFailure(`SES says ${domain} already exists but then does not find it; deploy again.`, { cause: error });
    return outcome(madeByStack(raced, request.stackId) ? 'created' : 'adopted', domain, raced);
  }
}

function madeByStack(state: EmailIdentityState, stackId: string): boolean {
  return state.tags[CREATED_BY_STACK_TAG] === stackId;
}

function outcome(origin: IdentityOrigin, domain: string, state: EmailIdentityState): ResourceOutcome {
  const records = dkimRecords(domain, state.dkim);
  const data: Record<string, string> = { [ATTRIBUTES.origin]: origin };
  for (const n of [1, 2, 3] as const) {
    const record = records[n - 1];
    data[ATTRIBUTES.dkimRecord(n)] = record ? `${record.name} CNAME ${record.value}` : noRecordLine(domain, state.dkim, records.length);
    data[ATTRIBUTES.dkimRecordName(n)] = record?.name ?? '';
    data[ATTRIBUTES.dkimRecordValue(n)] = record?.value ?? '';
  }
  return { physicalResourceId: `${origin}:${domain}`, data };
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

function parsePhysicalId(id: string | undefined): { origin: IdentityOrigin; domain: string } | undefined {
  const match = /^(created|adopted):(.+)$/.exec(id ?? '');
  return match ? { origin: match[1] as IdentityOrigin, domain: match[2]! } : undefined;
}

/** Runs one SES call, turning its failure into a Reason a person can act on. */
async function call<T>(
  operation: SesRefusal['operation'],
  domain: string,
  fn: () => Promise<T>,
  context: { configurationSetName?: string } = {},
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof IdentityAlreadyExists || error instanceof ResourceFailure) throw error;
    throw new ResourceFailure(failureReason(operation, domain, error, context), { cause: error });
  }
}

const ACTIONS: Record<SesRefusal['operation'], string> = {
  GetEmailIdentity: 'read',
  CreateEmailIdentity: 'create',
  DeleteEmailIdentity: 'delete',
};

/** The Reason for a failed SES call: what failed, SES's own words, and what to do about it. */
export function failureReason(operation: SesRefusal['operation'], domain: string, error: unknown, context: { configurationSetName?: string } = {}): string {
  const action = `Could not ${ACTIONS[operation]} the SES identity ${domain}`;
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
      return operation === 'CreateEmailIdentity'
        ? `${action}: ${says}. The configuration set ${context.configurationSetName ?? ''} it names as default was not found; deploy again.`
        : `${action}: ${says}.`;
    case 'BadRequestException':
      return `${action}: ${says}. Check that outbox:sendingDomain is a domain name you own, such as mail.example.com.`;
    case 'ConcurrentModificationException':
      return `${action}: ${says}. Something else changed the identity at the same moment; deploy again.`;
    default:
      return `${action}: ${says}.`;
  }
}
