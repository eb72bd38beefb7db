import { createHash } from 'node:crypto';
import { SesError, STATUS_OF, badRequest, notFound, type SesErrorName } from './errors';
import { nameFromPath } from './path-name';

/**
 * The stand-in's email identities, answered in SES v2's JSON shapes (restJson1, timestamps as
 * epoch seconds) for ListEmailIdentities and GetEmailIdentity, so the real `SESv2Client` reads
 * them as it reads SES.
 *
 * With `verifiedIdentities` given, those are the account's identities: each verified
 * (`SUCCESS`, VerifiedForSendingStatus true, SendingEnabled true); a domain has Easy DKIM set up
 * (`SUCCESS`, signing on, three tokens), an address has no DKIM of its own (`NOT_STARTED`, signing
 * off), as SES reports an address identity. Any other name is SES's NotFoundException.
 *
 * Without them every sender counts as verified. A list cannot hold every name, so
 * ListEmailIdentities lists one domain identity, ANY_SENDER_IDENTITY, to stand for them, and
 * GetEmailIdentity answers any name as a verified identity, since SES would send from it.
 *
 * PutEmailIdentityMailFromAttributes and PutEmailIdentityConfigurationSetAttributes change what
 * GetEmailIdentity then shows (MailFromAttributes, ConfigurationSetName), with SES's checks: a
 * MAIL FROM domain must be a subdomain of the identity, and a configuration set must exist when
 * the stand-in was given its list. The stand-in reads no DNS, so a MAIL FROM domain is reported
 * SUCCESS at once, as its identities are verified at once.
 *
 * CreateEmailIdentity and DeleteEmailIdentity add and remove identities of the account's own (the
 * domains API's): a created identity is PENDING (DKIM and MAIL FROM too) until `verificationMs`
 * have passed, as if its DNS records had been published and SES had found them, then SUCCESS and
 * allowed to send. A name the account has already is AlreadyExistsException.
 */

/** The one identity listed when every sender counts as verified. */
export const ANY_SENDER_IDENTITY = 'example.com';

/** ListEmailIdentities takes at most this many per page (SES v2 model: 0-1000). */
const MAX_PAGE_SIZE = 1000;

type IdentityType = 'DOMAIN' | 'EMAIL_ADDRESS';

/** What PutEmailIdentityMailFromAttributes and PutEmailIdentityConfigurationSetAttributes set on an identity. */
interface IdentitySettings {
  readonly mailFrom?: { readonly domain: string; readonly behaviorOnMxFailure: unknown };
  readonly configurationSetName?: string;
}

/** An identity CreateEmailIdentity made. */
interface CreatedIdentity {
  readonly name: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

/** How long a created identity stays PENDING by default: long enough to watch, short enough to wait for. */
const DEFAULT_IDENTITY_VERIFICATION_MS = 5_000;

export class StandInIdentities {
  /** Lower-cased name -> the name as configured. Undefined: every sender counts as verified. */
  private readonly names: Map<string, string> | undefined;
  /** Epoch seconds: when the identities were "verified" and their keys made (the stand-in's start). */
  private readonly since: number;
  /** Lower-cased name -> what the Put operations set on it. */
  private readonly settings = new Map<string, IdentitySettings>();
  /** Lower-cased name -> an identity CreateEmailIdentity made. */
  private readonly created = new Map<string, CreatedIdentity>();

  constructor(
    verifiedIdentities: readonly string[] | undefined,
    now: number,
    /** The account's configuration sets; undefined: any name exists. */
    private readonly configurationSets?: ReadonlySet<string>,
    private readonly clock: () => number = Date.now,
    private readonly verificationMs: number = DEFAULT_IDENTITY_VERIFICATION_MS,
  ) {
    this.names = verifiedIdentities ? new Map(verifiedIdentities.map((n) => [n.trim().toLowerCase(), n.trim()])) : undefined;
    this.since = Math.floor(now / 1000);
  }

  /**
   * Answers ListEmailIdentities or GetEmailIdentity (after any fault queued for it), or gives
   * undefined when the request is neither.
   */
  answer(method: string, url: URL, body: () => unknown, faults: ReadFaults): unknown {
    const path = url.pathname.replace(/\/+$/, '');
    if ((method === 'POST' && path === '/v2/email/list-identities') || (method === 'GET' && path === '/v2/email/identities')) {
      faults.check('ListEmailIdentities');
      const request = method === 'POST' ? body() : Object.fromEntries(url.searchParams);
      return this.list(typeof request === 'object' && request !== null ? request : {});
    }
    if (method === 'POST' && path === '/v2/email/identities') {
      const request = body();
      return this.create(typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {});
    }
    const one = /^\/v2\/email\/identities\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) {
      faults.check('GetEmailIdentity');
      return this.get(nameFromPath(one[1]!));
    }
    if (method === 'DELETE' && one) return this.delete(nameFromPath(one[1]!));
    const setting = /^\/v2\/email\/identities\/([^/]+)\/(mail-from|configuration-set)$/.exec(path);
    if (method === 'PUT' && setting) {
      const request = body();
      const fields = typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
      const name = nameFromPath(setting[1]!);
      return setting[2] === 'mail-from' ? this.putMailFrom(name, fields) : this.putConfigurationSet(name, fields);
    }
    return undefined;
  }

  /** PutEmailIdentityMailFromAttributes: `PUT /v2/email/identities/{EmailIdentity}/mail-from`. */
  putMailFrom(name: string, request: { MailFromDomain?: unknown; BehaviorOnMxFailure?: unknown }): unknown {
    const key = this.existing(name);
    const behavior = request.BehaviorOnMxFailure ?? 'USE_DEFAULT_VALUE';
    if (behavior !== 'USE_DEFAULT_VALUE' && behavior !== 'REJECT_MESSAGE') throw badRequest('BehaviorOnMxFailure must be USE_DEFAULT_VALUE or REJECT_MESSAGE.');
    const domain = typeof request.MailFromDomain === 'string' ? request.MailFromDomain.trim().toLowerCase() : '';
    // An address identity's MAIL FROM domain is a subdomain of the address's domain.
    const parent = typeOf(key) === 'DOMAIN' ? key : key.slice(key.lastIndexOf('@') + 1);
    if (domain !== '' && !domain.endsWith(`.${parent}`)) {
      throw badRequest(`The MAIL FROM domain ${domain} must be a subdomain of the verified identity ${name}.`);
    }
    const { mailFrom: _replaced, ...rest } = this.settings.get(key) ?? {};
    this.settings.set(key, { ...rest, ...(domain !== '' ? { mailFrom: { domain, behaviorOnMxFailure: behavior } } : {}) });
    return {};
  }

  /** PutEmailIdentityConfigurationSetAttributes: `PUT /v2/email/identities/{EmailIdentity}/configuration-set`. */
  putConfigurationSet(name: string, request: { ConfigurationSetName?: unknown }): unknown {
    const key = this.existing(name);
    const set = typeof request.ConfigurationSetName === 'string' && request.ConfigurationSetName !== '' ? request.ConfigurationSetName : undefined;
    if (set !== undefined && this.configurationSets && !this.configurationSets.has(set)) throw notFound(`Configuration set <${set}> does not exist.`);
    const { configurationSetName: _replaced, ...rest } = this.settings.get(key) ?? {};
    this.settings.set(key, { ...rest, ...(set !== undefined ? { configurationSetName: set } : {}) });
    return {};
  }

  /** CreateEmailIdentity: `POST /v2/email/identities` with `{EmailIdentity, Tags, ConfigurationSetName, DkimSigningAttributes}`. */
  create(request: Record<string, unknown>): unknown {
    const name = typeof request.EmailIdentity === 'string' ? request.EmailIdentity.trim() : '';
    if (name === '') throw badRequest('EmailIdentity must not be empty.');
    const key = name.toLowerCase();
    if (this.created.has(key) || this.names?.has(key)) {
      throw new SesError('AlreadyExistsException', `Email identity ${name} already exist.`, STATUS_OF.AlreadyExistsException);
    }
    const set = typeof request.ConfigurationSetName === 'string' && request.ConfigurationSetName !== '' ? request.ConfigurationSetName : undefined;
    if (set !== undefined && this.configurationSets && !this.configurationSets.has(set)) throw notFound(`Configuration set <${set}> does not exist.`);
    const tags = Array.isArray(request.Tags)
      ? request.Tags.filter((tag): tag is { Key: string; Value: string } => typeof tag?.Key === 'string' && typeof tag?.Value === 'string').map(({ Key, Value }) => ({ Key, Value }))
      : [];
    this.created.set(key, { name, createdAt: this.clock(), tags });
    if (set !== undefined) this.settings.set(key, { configurationSetName: set });
    const type = typeOf(name);
    return {
      IdentityType: type,
      VerifiedForSendingStatus: false,
      DkimAttributes: type === 'DOMAIN' ? { ...(this.domainDkim(key) as object), Status: 'PENDING' } : ADDRESS_DKIM,
    };
  }

  /** DeleteEmailIdentity: `DELETE /v2/email/identities/{EmailIdentity}`. */
  delete(name: string): unknown {
    const key = this.existing(name);
    if (!this.created.delete(key)) this.names?.delete(key);
    this.settings.delete(key);
    return {};
  }

  /** The names of the created identities verified by now, lower-cased: they may send. */
  verifiedCreated(): string[] {
    return [...this.created.entries()].filter(([, identity]) => this.isVerified(identity)).map(([key]) => key);
  }

  private isVerified(identity: CreatedIdentity): boolean {
    return this.clock() - identity.createdAt >= this.verificationMs;
  }

  /** The lower-cased name of an identity the account has, or SES's NotFoundException. */
  private existing(name: string): string {
    const key = name.trim().toLowerCase();
    if (key === '') throw badRequest('EmailIdentity must not be empty.');
    if (this.names && !this.names.has(key) && !this.created.has(key)) throw notFound(`Email identity ${name.trim()} does not exist.`);
    return key;
  }

  /**
   * ListEmailIdentities: `POST /v2/email/list-identities` with `{PageSize, NextToken, Filter}` in
   * the body (SDK 3.1176's model), or `GET /v2/email/identities?PageSize=&NextToken=` (older SDKs).
   * Filter keys: IDENTITY_TYPE, VERIFICATION_STATUS, IDENTITY_NAME_CONTAINS.
   */
  list(request: { PageSize?: unknown; NextToken?: unknown; Filter?: unknown }): unknown {
    const pageSize = request.PageSize === undefined || request.PageSize === null || request.PageSize === '' ? MAX_PAGE_SIZE : Number(request.PageSize);
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw badRequest(`PageSize must be a whole number from 0 to ${MAX_PAGE_SIZE}.`);
    }
    const start = request.NextToken === undefined || request.NextToken === null || request.NextToken === '' ? 0 : offsetOf(request.NextToken);
    const configured = (this.names ? [...this.names.values()] : [ANY_SENDER_IDENTITY]).map((name) => ({ name, status: 'SUCCESS' }));
    const made = [...this.created.values()].map((identity) => ({ name: identity.name, status: this.isVerified(identity) ? 'SUCCESS' : 'PENDING' }));
    const all = [...configured, ...made].filter(({ name, status }) => matches(name, status, request.Filter));
    const page = all.slice(start, start + pageSize);
    const next = start + pageSize < all.length ? Buffer.from(`offset:${start + pageSize}`).toString('base64') : undefined;
    return {
      EmailIdentities: page.map(({ name, status }) => ({ IdentityType: typeOf(name), IdentityName: name, SendingEnabled: true, VerificationStatus: status })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** GetEmailIdentity: `GET /v2/email/identities/{EmailIdentity}`. */
  get(name: string): unknown {
    const trimmed = name.trim();
    if (trimmed === '') throw badRequest('EmailIdentity must not be empty.');
    const key = this.existing(trimmed);
    const made = this.created.get(key);
    const status = made && !this.isVerified(made) ? 'PENDING' : 'SUCCESS';
    const since = made ? Math.floor((made.createdAt + this.verificationMs) / 1000) : this.since;
    const type = typeOf(trimmed);
    const settings = this.settings.get(key) ?? {};
    const dkim = type === 'DOMAIN' ? { ...(this.domainDkim(key) as object), Status: status } : ADDRESS_DKIM;
    return {
      IdentityType: type,
      FeedbackForwardingStatus: true,
      VerifiedForSendingStatus: status === 'SUCCESS',
      DkimAttributes: dkim,
      MailFromAttributes: settings.mailFrom
        ? { MailFromDomain: settings.mailFrom.domain, MailFromDomainStatus: status, BehaviorOnMxFailure: settings.mailFrom.behaviorOnMxFailure }
        : { BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      ...(settings.configurationSetName ? { ConfigurationSetName: settings.configurationSetName } : {}),
      Policies: {},
      Tags: made ? made.tags : [],
      VerificationStatus: status,
      VerificationInfo: status === 'SUCCESS' ? { LastCheckedTimestamp: since, LastSuccessTimestamp: since } : { LastCheckedTimestamp: Math.floor(this.clock() / 1000) },
    };
  }

  private domainDkim(domain: string): unknown {
    return {
      SigningEnabled: true,
      Status: 'SUCCESS',
      // Easy DKIM's three CNAME tokens: 32 characters each, here derived from the domain.
      Tokens: [1, 2, 3].map((n) => createHash('sha256').update(`${domain}#${n}`).digest('hex').slice(0, 32)),
      SigningAttributesOrigin: 'AWS_SES',
      NextSigningKeyLength: 'RSA_2048_BIT',
      CurrentSigningKeyLength: 'RSA_2048_BIT',
      LastKeyGenerationTimestamp: this.since,
    };
  }
}

/** What SES answers for an address identity's DKIM (an observed AWS answer for a new address identity). */
const ADDRESS_DKIM = { SigningEnabled: false, Status: 'NOT_STARTED', SigningAttributesOrigin: 'AWS_SES', NextSigningKeyLength: 'RSA_1024_BIT' };

function typeOf(name: string): IdentityType {
  return name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN';
}

function offsetOf(token: unknown): number {
  const match = typeof token === 'string' ? /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8')) : null;
  if (!match) throw badRequest('The NextToken is not one this service gave.');
  return Number(match[1]);
}

function matches(name: string, status: string, filter: unknown): boolean {
  if (typeof filter !== 'object' || filter === null) return true;
  const f = filter as Record<string, unknown>;
  if (typeof f.IDENTITY_TYPE === 'string' && f.IDENTITY_TYPE !== typeOf(name)) return false;
  if (typeof f.VERIFICATION_STATUS === 'string' && f.VERIFICATION_STATUS !== status) return false;
  if (typeof f.IDENTITY_NAME_CONTAINS === 'string' && !name.toLowerCase().includes(f.IDENTITY_NAME_CONTAINS.toLowerCase())) return false;
  return true;
}

/** The SES v2 reads the stand-in can be told to fail (SendEmail has failNextSends). */
export type ReadOperation = 'GetAccount' | 'ListEmailIdentities' | 'GetEmailIdentity';

/** Errors queued for the next calls of each read operation, for tests of error handling. */
export class ReadFaults {
  private readonly queued = new Map<ReadOperation, SesError[]>();

  add(operation: ReadOperation, fault: { name: string; message: string; statusCode?: number }, times: number): void {
    const status = fault.statusCode ?? STATUS_OF[fault.name as SesErrorName] ?? 400;
    const list = this.queued.get(operation) ?? [];
    for (let i = 0; i < times; i++) list.push(new SesError(fault.name as SesErrorName, fault.message, status));
    this.queued.set(operation, list);
  }

  /** Throws the next fault queued for this operation, if any. */
  check(operation: ReadOperation): void {
    const fault = this.queued.get(operation)?.shift();
    if (fault) throw fault;
  }
}
