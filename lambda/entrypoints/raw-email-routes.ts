import { sendRawEmail } from '../core/raw-email';
import { parseJsonBody, principalOf, type Route } from './route';

/**
 * `POST /emails/raw`: Outbox's extension for sending a whole MIME message (SES's Raw content).
 * Any key may call it, as `POST /emails`.
 */
export const RAW_EMAIL_ROUTES: readonly Route[] = [
  {
    pattern: /^\/emails\/raw$/,
    methods: {
      POST: async (deps, request) => ({
        body: await sendRawEmail({ ...deps, warn: deps.log }, principalOf(request), parseJsonBody(request)),
      }),
    },
  },
];
