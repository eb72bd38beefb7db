import { parseBatchValidation, sendBatch } from '../core/send-batch';
import { idempotent } from './idempotent';
import { parseJsonBody, principalOf, type Route } from './route';

/** The request header choosing strict or permissive validation, as the Resend SDK sends it. */
export const BATCH_VALIDATION_HEADER = 'x-batch-validation';

/**
 * `POST /emails/batch`: up to 100 emails queued and sent at the SES rate (see sendBatch), with
 * Idempotency-Key; the validation mode counts as part of the request. Any key may call it, as
 * `POST /emails`.
 */
export const BATCH_ROUTES: readonly Route[] = [
  {
    pattern: /^\/emails\/batch$/,
    methods: {
      POST: idempotent(
        'POST /emails/batch',
        async (deps, request) => {
          const mode = parseBatchValidation(request.headers[BATCH_VALIDATION_HEADER]);
          return { body: await sendBatch({ ...deps, warn: deps.log }, principalOf(request), parseJsonBody(request), mode) };
        },
        [BATCH_VALIDATION_HEADER],
      ),
    },
  },
];
