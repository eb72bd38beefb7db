import { OutboxError } from './errors';

/** How far ahead an email can be scheduled (Resend: 30 days, since its "Extended Email Scheduling"). */
export const MAX_SCHEDULE_AHEAD_DAYS = 30;
/**
 * A time this little in the past is taken as "now" (the email goes on the scheduler's next run):
 * the client's clock and the network can put "in one second" a moment behind ours.
 */
export const SCHEDULE_PAST_GRACE_MS = 60_000;

/** ISO 8601 / RFC 3339 date-time with a time zone (`Z` or `+hh:mm`); seconds and fractions optional. */
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;
/** The natural-language forms Outbox understands: "in 5 minutes", "in 1 hour", "in 2 days". */
const RELATIVE = /^in\s+(\d{1,6})\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads `scheduled_at`: an ISO 8601 date-time with a time zone (`2026-08-05T11:52:01.858Z`,
 * `2026-08-05T13:52:01+02:00`), or "in N seconds/minutes/hours/days". The time must lie in the
 * future (up to a minute in the past counts as now) and at most 30 days ahead. Returns the time as
 * an ISO string in UTC with milliseconds, the form the due-time index sorts on. Throws a
 * validation error naming what to fix. Resend also reads phrases like "tomorrow at 9am"; Outbox
 * does not guess at those and says so.
 */
export function parseScheduledAt(value: unknown, now: Date, field = 'scheduled_at'): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OutboxError('validation', `\`${field}\` must be a date-time string such as "2026-08-05T11:52:01.858Z" or "in 10 minutes".`);
  }
  const text = value.trim();
  let at: number;
  const relative = RELATIVE.exec(text);
  if (relative) {
    at = now.getTime() + Number(relative[1]) * UNIT_MS[relative[2]!.charAt(0).toLowerCase()]!;
  } else if (ISO_WITH_ZONE.test(text)) {
    at = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    // Date.parse rolls 2026-02-30 over into March; a calendar date that does not exist is refused.
    if (Number.isNaN(at) || !isRealDateTime(ISO_WITH_ZONE.exec(text)!)) {
      throw new OutboxError('validation', `\`${field}\` ${JSON.stringify(text)} is not a valid date-time.`);
    }
  } else if (ISO_WITHOUT_ZONE.test(text)) {
    throw new OutboxError('validation', `\`${field}\` ${JSON.stringify(text)} has no time zone: add \`Z\` for UTC or an offset such as \`+02:00\`.`);
  } else {
    throw new OutboxError(
      'validation',
      `\`${field}\` ${JSON.stringify(text.slice(0, 80))} is not a date-time Outbox understands: use ISO 8601 with a time zone ("2026-08-05T11:52:01Z") or "in N minutes", "in N hours", "in N days".`,
    );
  }
  const nowMs = now.getTime();
  if (at < nowMs - SCHEDULE_PAST_GRACE_MS) {
    throw new OutboxError('validation', `\`${field}\` ${new Date(at).toISOString()} is in the past; give a time in the future, or leave it out to send now.`);
  }
  if (at > nowMs + MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) {
    throw new OutboxError('validation', `\`${field}\` ${new Date(at).toISOString()} is more than ${MAX_SCHEDULE_AHEAD_DAYS} days ahead; an email can be scheduled at most ${MAX_SCHEDULE_AHEAD_DAYS} days in advance.`);
  }
  return new Date(Math.max(at, nowMs)).toISOString();
}

function isRealDateTime([, year, month, day, hour, minute, second = '0', offsetHours = '0', offsetMinutes = '0']: RegExpExecArray): boolean {
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  return (
    Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth &&
    Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 59 && Number(offsetHours) <= 23 && Number(offsetMinutes) <= 59
  );
}

/** `scheduled_at` of a send body, parsed (see parseScheduledAt); undefined when absent or null. */
export function scheduledAtOf(body: unknown, now: Date): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>).scheduled_at;
  return value === undefined || value === null ? undefined : parseScheduledAt(value, now);
}
