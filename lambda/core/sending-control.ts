import type { Notify } from './notifications';
import type { Clock } from './ports';
import type { PauseSource, PauseState, SendingPause } from './send-rate';

/**
 * Outbox's own sending pause: held until a person resumes (POST /sending/resume, `npm run sending
 * -- resume`), set by a person (POST /sending/pause), the reputation guard or the SES reputation
 * alarm. The senders and the sync send honour it through the same SendingPause the short SES
 * pause uses.
 */

/** Where and how to resume, said in the 503 and in the `sending.paused` notification. */
export const HOW_TO_RESUME = 'POST /sending/resume, or npm run sending -- resume';

/** The longest reason a pause keeps. */
export const MAX_PAUSE_REASON_LENGTH = 500;

/** SES's sending switch for Outbox's configuration set (PutConfigurationSetSendingOptions). */
export interface ConfigurationSetSending {
  setSendingEnabled(enabled: boolean): Promise<void>;
}

export interface SendingControlDeps {
  readonly pause: SendingPause;
  /** Paused and resumed with Outbox, so mail reaching SES by another path (SMTP, the console) stops too. Absent: no configuration set. */
  readonly configurationSet?: ConfigurationSetSending;
  /** Sends `sending.paused` / `sending.resumed`. Absent: nobody is told. */
  readonly notify?: Notify;
  readonly clock: Clock;
  readonly log: (message: string, error?: unknown) => void;
}

export interface PauseResult {
  /** False when a held pause already stood: nothing changed and nobody was told again. */
  readonly changed: boolean;
  /** The held pause that stands (the first one when it was already held). */
  readonly state: PauseState;
  /** Set when pausing the configuration set failed; Outbox's pause stands anyway. */
  readonly configurationSetError?: string;
}

export interface ResumeResult {
  /** False when no held pause stood. */
  readonly changed: boolean;
  /** Set when re-enabling the configuration set failed; Outbox's own sending is resumed anyway. */
  readonly configurationSetError?: string;
}

/**
 * Pauses sending until a person resumes it. Idempotent: a second pause keeps the first reason.
 *
 * 1. Hold the pause (one conditional write): of several concurrent pausers only the first changes
 *    it; the others get the pause that stands, `changed` false, and stop here.
 * 2. Pause the configuration set. Only on a change: the guard may ask again with every events
 *    batch, and SES need not hear it each time. A failure is logged and reported; Outbox's pause
 *    stands.
 * 3. Notify `sending.paused` (reason, who, when, how to resume), once. A failed notification is
 *    logged, not thrown: the pause is what matters, and a retry would find it held and stay quiet.
 *
 * Throws only when the pause itself cannot be written.
 */
export async function pauseSending(deps: SendingControlDeps, request: { reason: string; by: PauseSource }): Promise<PauseResult> {
  const at = deps.clock.now().getTime();
  const reason = request.reason.slice(0, MAX_PAUSE_REASON_LENGTH);
  const held = await deps.pause.hold({ until: at, reason, held: { by: request.by, at } });
  if (!held.changed) return held;
  deps.log(`Sending paused by ${request.by}: ${reason}. Emails stay queued until a person resumes (${HOW_TO_RESUME}).`);

  const configurationSetError = deps.configurationSet ? await switchConfigurationSet(deps, false) : undefined;
  await notifyQuietly(deps, {
    type: 'sending.paused',
    created_at: new Date(at).toISOString(),
    data: {
      reason,
      paused_by: request.by,
      paused_at: new Date(at).toISOString(),
      resume: HOW_TO_RESUME,
      ...(deps.configurationSet ? { configuration_set_paused: configurationSetError === undefined } : {}),
    },
  }, `sending.paused-${at}`);
  return { ...held, ...(configurationSetError !== undefined ? { configurationSetError } : {}) };
}

/**
 * Ends the held pause. Idempotent.
 *
 * 1. Release the held pause; queued emails go at their next retry. A short pause SES caused is
 *    left alone: it ends by itself.
 * 2. Re-enable the configuration set, every time (also when nothing was held): resuming is a
 *    person's act, and it mends a configuration set an earlier resume could not re-enable. A
 *    failure is logged and reported.
 * 3. Notify `sending.resumed` when a pause was released, once.
 */
export async function resumeSending(deps: SendingControlDeps, request: { by: PauseSource }): Promise<ResumeResult> {
  const before = await deps.pause.release();
  const changed = before !== undefined;
  const configurationSetError = deps.configurationSet ? await switchConfigurationSet(deps, true) : undefined;
  if (changed) {
    const at = deps.clock.now().toISOString();
    await notifyQuietly(deps, {
      type: 'sending.resumed',
      created_at: at,
      data: {
        resumed_by: request.by,
        resumed_at: at,
        ...(before.held ? { paused_reason: before.reason, paused_by: before.held.by, paused_at: new Date(before.held.at).toISOString() } : {}),
      },
    }, `sending.resumed-${Date.parse(at)}`);
  }
  return { changed, ...(configurationSetError !== undefined ? { configurationSetError } : {}) };
}

/** Why sending is held, who held it, when, and how to resume: the 503's message. */
export function heldPauseMessage(state: PauseState): string {
  const who = state.held ? ` by ${state.held.by} at ${new Date(state.held.at).toISOString()}` : '';
  return `Sending is paused${who}: ${state.reason}. Nothing was sent or stored. Resume with ${HOW_TO_RESUME}.`;
}

async function switchConfigurationSet(deps: SendingControlDeps, enabled: boolean): Promise<string | undefined> {
  try {
    await deps.configurationSet!.setSendingEnabled(enabled);
    return undefined;
  } catch (error) {
    deps.log(`could not ${enabled ? 're-enable' : 'pause'} sending for the configuration set`, error);
    return error instanceof Error ? error.message : String(error);
  }
}

async function notifyQuietly(deps: SendingControlDeps, payload: Parameters<Notify>[0], eventKey: string): Promise<void> {
  if (!deps.notify) return;
  try {
    await deps.notify(payload, eventKey);
  } catch (error) {
    deps.log(`could not notify ${payload.type}`, error);
  }
}
