import { cancelEmail, rescheduleEmail } from '../core/scheduler';
import { EMAIL_ID, parseJsonBody, principalOf, type Route } from './route';

/**
 * Reschedule and cancel, at the resend SDK's paths and shapes: `emails.update({ id, scheduledAt })`
 * sends `PATCH /emails/{id}` with `{ scheduled_at }`, `emails.cancel(id)` sends
 * `POST /emails/{id}/cancel`; both answer `{ object: "email", id }`.
 */
export const SCHEDULE_ROUTES: readonly Route[] = [
  {
    pattern: new RegExp(`^/emails/${EMAIL_ID}$`),
    methods: {
      PATCH: async (deps, request, [id]) => ({ body: await rescheduleEmail(deps, principalOf(request), id!, parseJsonBody(request)) }),
    },
  },
  {
    pattern: new RegExp(`^/emails/${EMAIL_ID}/cancel$`),
    methods: {
      POST: async (deps, request, [id]) => ({ body: await cancelEmail(deps, principalOf(request), id!) }),
    },
  },
];
