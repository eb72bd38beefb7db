import type { SesAccountReport } from './account-report';
import { requireFullAccess, type Principal } from './api-keys';
import { OutboxError } from './errors';
import { isObject } from './json-body';
import type { PauseSource, PauseState } from './send-rate';
import { checkFields } from './send-request';
import { MAX_PAUSE_REASON_LENGTH, pauseSending, resumeSending, type SendingControlDeps } from './sending-control';

/**
 * `GET /sending`, `POST /sending/pause`, `POST /sending/resume`: Outbox's sending switch, for
 * full-access keys (see sending-control.ts for what a pause does).
 */

export interface SendingApiDeps extends SendingControlDeps {
  /** SES's GetAccount, for the `ses` part of the answer; absent, those fields are null. */
  readonly account?: Pick<SesAccountReport, 'getAccount'>;
}

/** The `sending` object every route here answers with. */
export interface SendingView {
  readonly object: 'sending';
  /** False while a pause is in force: Outbox's held one, or the short one SES's SendingPaused caused. */
  readonly enabled: boolean;
  readonly paused_reason: string | null;
  readonly paused_at: string | null;
  /** `api`, `guard` or `alarm` for Outbox's pause; `ses` for the short pause SES caused. */
  readonly paused_by: PauseSource | 'ses' | null;
  /** What SES's GetAccount says; null where it could not be asked. */
  readonly ses: { readonly sending_enabled: boolean | null; readonly enforcement_status: string | null };
  /** Only when pausing or re-enabling the configuration set failed (Outbox's own pause or resume stands). */
  readonly configuration_set_error?: string;
}

/** `GET /sending`: Outbox's pause, if any, and SES's view of the account. */
export async function getSending(deps: SendingApiDeps, principal: Principal): Promise<SendingView> {
  requireFullAccess(principal);
  return toSendingView(await deps.pause.read(), deps.clock.now(), await sesView(deps));
}

/**
 * `POST /sending/pause` with an optional `{ "reason": "..." }`: holds the pause (by `api`) until
 * a person resumes. Idempotent: pausing a paused Outbox keeps the first reason and notifies
 * nobody again. Answers the sending object as it now stands.
 */
export async function pauseFromApi(deps: SendingApiDeps, principal: Principal, body: unknown): Promise<SendingView> {
  requireFullAccess(principal);
  const reason = parsePauseRequest(body);
  const result = await pauseSending(deps, { reason, by: 'api' });
  return withError(toSendingView(result.state, deps.clock.now(), await sesView(deps)), result.configurationSetError);
}

/** `POST /sending/resume`: ends Outbox's held pause (see resumeSending). Idempotent. */
export async function resumeFromApi(deps: SendingApiDeps, principal: Principal): Promise<SendingView> {
  requireFullAccess(principal);
  const result = await resumeSending(deps, { by: 'api' });
  return withError(toSendingView(await deps.pause.read(), deps.clock.now(), await sesView(deps)), result.configurationSetError);
}

/** The sending object for a pause state (as read, at `now`) and SES's view. */
export function toSendingView(state: PauseState | undefined, now: Date, ses: SendingView['ses']): SendingView {
  const inForce = state !== undefined && (state.held !== undefined || state.until > now.getTime());
  return {
    object: 'sending',
    enabled: !inForce,
    paused_reason: inForce ? state.reason : null,
    paused_at: inForce && state.held ? new Date(state.held.at).toISOString() : null,
    paused_by: inForce ? (state.held?.by ?? 'ses') : null,
    ses,
  };
}

export const PAUSE_FIELDS = ['reason'] as const;
const DEFAULT_PAUSE_REASON = 'Paused through the API.';

/**
 * The reason a POST /sending/pause body gives: no body, `{}` or `{ "reason": "..." }` (1 to
 * MAX_PAUSE_REASON_LENGTH characters, trimmed). Throws a validation error (422) for another field
 * or a reason that is not such a string.
 */
export function parsePauseRequest(body: unknown): string {
  if (body === undefined) return DEFAULT_PAUSE_REASON;
  if (!isObject(body)) throw new OutboxError('malformed_body', 'The request body must be a JSON object, such as {"reason": "bounce spike on the newsletter"}.');
  const problems: string[] = [];
  checkFields(body, PAUSE_FIELDS, { prefix: '', noun: 'a pause' }, (_kind, message) => problems.push(message));
  if (problems.length > 0) throw new OutboxError('validation', problems.join(' '));
  if (body.reason === undefined || body.reason === null) return DEFAULT_PAUSE_REASON;
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  if (reason === '' || reason.length > MAX_PAUSE_REASON_LENGTH) {
    throw new OutboxError('validation', `\`reason\` must be a string of 1-${MAX_PAUSE_REASON_LENGTH} characters saying why sending is paused.`);
  }
  return reason;
}

/** GetAccount's SendingEnabled and EnforcementStatus; nulls (logged) when SES cannot be asked, never an error. */
async function sesView(deps: SendingApiDeps): Promise<SendingView['ses']> {
  if (!deps.account) return { sending_enabled: null, enforcement_status: null };
  try {
    const account = await deps.account.getAccount();
    return { sending_enabled: account.sendingEnabled ?? null, enforcement_status: account.enforcementStatus ?? null };
  } catch (error) {
    deps.log('GetAccount failed for GET /sending; its ses fields are null', error);
    return { sending_enabled: null, enforcement_status: null };
  }
}

function withError(view: SendingView, configurationSetError: string | undefined): SendingView {
  return configurationSetError === undefined ? view : { ...view, configuration_set_error: configurationSetError };
}
