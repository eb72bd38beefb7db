import { reportAccount } from '../core/account-report';
import { requireFullAccess } from '../core/api-keys';
import { OutboxError } from '../core/errors';
import { principalOf, type Route } from './route';

/**
 * `GET /account`, Outbox's extension (Resend has no such route): what SES says of the account and
 * of the identities Outbox sends from (see reportAccount). Full-access keys only.
 */
export const ACCOUNT_ROUTES: readonly Route[] = [
  {
    pattern: /^\/account$/,
    methods: {
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        if (!deps.accountReport) throw new OutboxError('unavailable', 'This Outbox was built without an SES account report; GET /account cannot answer.');
        return {
          body: await reportAccount({
            account: deps.accountReport,
            clock: deps.clock,
            ...(deps.sendingIdentities ? { sendingIdentities: deps.sendingIdentities } : {}),
          }),
        };
      },
    },
  },
];
