import { badRequest, notFound } from './errors';
import { nameFromPath } from './path-name';

/**
 * The account-level suppression list, answered in SES v2's JSON shapes (restJson1, timestamps as
 * epoch seconds), so the real `SESv2Client` reads it as it reads SES (SES-FACTS §10):
 *
 * | Operation | Request | Answer |
 * |---|---|---|
 * | PutSuppressedDestination | `PUT /v2/email/suppression/addresses` `{EmailAddress, Reason}` | `{}`; a listed address takes the new reason |
 * | GetSuppressedDestination | `GET /v2/email/suppression/addresses/{EmailAddress}` | `{SuppressedDestination: {EmailAddress, Reason, LastUpdateTime, Attributes}}`; `NotFoundException` |
 * | DeleteSuppressedDestination | `DELETE /v2/email/suppression/addresses/{EmailAddress}` | `{}`; `NotFoundException` when not listed |
 * | ListSuppressedDestinations | `GET /v2/email/suppression/addresses?Reason=&StartDate=&EndDate=&PageSize=&NextToken=` | `{SuppressedDestinationSummaries: [{EmailAddress, Reason, LastUpdateTime}], NextToken?}`, most recently put first |
 *
 * Addresses are compared case-insensitively and kept as first written. A message SES accepts for
 * a listed address is not sent: the simulator answers it with a Bounce Permanent/OnAccountSuppressionList
 * (simulator.ts). SES refuses PutSuppressedDestination without production access; the stand-in
 * plays an account out of the sandbox. Entries stay until removed.
 */
export type SuppressedReason = 'BOUNCE' | 'COMPLAINT';

export interface SuppressedDestination {
  readonly emailAddress: string;
  readonly reason: SuppressedReason;
  /** Milliseconds since the epoch. */
  readonly lastUpdateTime: number;
}

const REASONS: readonly SuppressedReason[] = ['BOUNCE', 'COMPLAINT'];
/** ListSuppressedDestinations' PageSize (SES v2 model: 1-1000). */
const MAX_PAGE_SIZE = 1000;
const PATH = '/v2/email/suppression/addresses';

export class StandInSuppressionList {
  /** Lower-cased address -> entry. */
  private readonly entries = new Map<string, SuppressedDestination>();

  constructor(private readonly clock: () => number) {}

  /** Whether SES would suppress mail to this address. */
  has(address: string): boolean {
    return this.entries.has(address.toLowerCase());
  }

  /** Every entry, most recently put first. */
  all(): SuppressedDestination[] {
    return [...this.entries.values()].reverse();
  }

  /** Answers one of the four operations, or gives undefined when the request is none of them. */
  answer(method: string, url: URL, body: () => unknown): unknown {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === PATH && method === 'PUT') return this.put(body());
    if (path === PATH && method === 'GET') return this.list(url.searchParams);
    const one = /^\/v2\/email\/suppression\/addresses\/([^/]+)$/.exec(path);
    if (!one) return undefined;
    const address = nameFromPath(one[1]!);
    if (method === 'GET') return this.get(address);
    if (method === 'DELETE') return this.delete(address);
    return undefined;
  }

  private put(request: unknown): Record<string, never> {
    const fields = typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
    const { EmailAddress: address, Reason: reason } = fields;
    if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address)) throw badRequest('EmailAddress must be an email address.');
    if (typeof reason !== 'string' || !(REASONS as readonly string[]).includes(reason)) throw badRequest(`Reason must be one of ${REASONS.join(', ')}.`);
    const key = address.toLowerCase();
    const kept = this.entries.get(key)?.emailAddress ?? address;
    // Delete first, so the Map's order (insertion) stays the order of updates, which all() lists.
    this.entries.delete(key);
    this.entries.set(key, { emailAddress: kept, reason: reason as SuppressedReason, lastUpdateTime: this.clock() });
    return {};
  }

  private get(address: string): unknown {
    const entry = this.entries.get(address.toLowerCase());
    if (!entry) throw notFound(`Email address ${address} does not exist on your suppression list.`);
    return {
      SuppressedDestination: { ...summaryOf(entry), Attributes: {} },
    };
  }

  private delete(address: string): Record<string, never> {
    if (!this.entries.delete(address.toLowerCase())) throw notFound(`Email address ${address} does not exist on your suppression list.`);
    return {};
  }

  private list(query: URLSearchParams): unknown {
    const reasons = query.getAll('Reason');
    for (const reason of reasons) {
      if (!(REASONS as readonly string[]).includes(reason)) throw badRequest(`Reason must be one of ${REASONS.join(', ')}.`);
    }
    const start = dateOf(query, 'StartDate');
    const end = dateOf(query, 'EndDate');
    const sizeText = query.get('PageSize');
    const size = sizeText === null || sizeText === '' ? MAX_PAGE_SIZE : Number(sizeText);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw badRequest(`PageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    const token = query.get('NextToken');
    const offset = token === null || token === '' ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw badRequest('Invalid NextToken.');
    const matching = this.all().filter(
      (entry) =>
        (reasons.length === 0 || reasons.includes(entry.reason)) &&
        (start === undefined || entry.lastUpdateTime >= start) &&
        (end === undefined || entry.lastUpdateTime <= end),
    );
    const page = matching.slice(offset, offset + size);
    return {
      SuppressedDestinationSummaries: page.map(summaryOf),
      ...(offset + size < matching.length ? { NextToken: Buffer.from(String(offset + size), 'utf8').toString('base64url') } : {}),
    };
  }
}

function summaryOf(entry: SuppressedDestination): { EmailAddress: string; Reason: SuppressedReason; LastUpdateTime: number } {
  // restJson1 timestamps are epoch seconds.
  return { EmailAddress: entry.emailAddress, Reason: entry.reason, LastUpdateTime: entry.lastUpdateTime / 1000 };
}

/** A query timestamp (the SDK writes ISO 8601; epoch seconds are taken too), in milliseconds. */
function dateOf(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be a timestamp.`);
  return ms;
}
