/**
 * Outbox's errors. Every refusal is an OutboxError of one kind; the kind decides the HTTP status
 * and the Resend SDK error name (the SDK's names are the public contract), so one table maps
 * every error in the system. Messages are sentences a person can act on; causes stay internal.
 */

export const ERROR_KINDS = {
  /** The body is not JSON, or not the JSON type the route takes. */
  malformed_body: { status: 400, name: 'validation_error' },
  /** A path segment with a `%` that does not start a percent-escape of UTF-8 bytes. */
  malformed_path: { status: 400, name: 'validation_error' },
  body_too_large: { status: 413, name: 'validation_error' },
  validation: { status: 422, name: 'validation_error' },
  missing_field: { status: 422, name: 'missing_required_field' },
  invalid_from: { status: 422, name: 'invalid_from_address' },
  invalid_attachment: { status: 422, name: 'invalid_attachment' },
  /** A virus (or the EICAR test signature) in the content: refused, nothing sent. */
  virus_found: { status: 422, name: 'security_error' },
  missing_api_key: { status: 401, name: 'missing_api_key' },
  invalid_api_key: { status: 403, name: 'invalid_api_key' },
  restricted_api_key: { status: 401, name: 'restricted_api_key' },
  not_found: { status: 404, name: 'not_found' },
  method_not_allowed: { status: 405, name: 'method_not_allowed' },
  /** The Idempotency-Key header is empty, too long or not printable ASCII. */
  invalid_idempotency_key: { status: 400, name: 'invalid_idempotency_key' },
  /** The Idempotency-Key was already used with another body (Resend answers 409). */
  idempotency_key_reused: { status: 409, name: 'invalid_idempotent_request' },
  /** A request with the same Idempotency-Key is still running (Resend answers 409). */
  concurrent_idempotent_requests: { status: 409, name: 'concurrent_idempotent_requests' },
  /** SES refused the sender: the address or its domain is not a verified identity. */
  sender_not_verified: { status: 403, name: 'invalid_from_address' },
  /**
   * SES refused the call for lack of an IAM permission (AccessDeniedException): a refusal, not an
   * outage, since retrying cannot succeed until the deployment's role is changed.
   */
  ses_access_denied: { status: 403, name: 'invalid_access' },
  /** Every recipient is on the suppression list: nothing to send. */
  all_recipients_suppressed: { status: 422, name: 'validation_error' },
  /** SES refused the content in its current form (MessageRejected and kin). */
  message_rejected: { status: 422, name: 'validation_error' },
  rate_limited: { status: 429, name: 'rate_limit_exceeded' },
  /** The SES account cannot send now (paused, suspended); nothing was sent. */
  sending_paused: { status: 503, name: 'application_error' },
  /** SES or the store is unreachable or failing; the request can be retried. */
  unavailable: { status: 503, name: 'application_error' },
  internal: { status: 500, name: 'internal_server_error' },
} as const satisfies Record<string, { status: number; name: string }>;

export type ErrorKind = keyof typeof ERROR_KINDS;
export type ErrorName = (typeof ERROR_KINDS)[ErrorKind]['name'];

export class OutboxError extends Error {
  override readonly name = 'OutboxError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  get code(): ErrorName {
    return ERROR_KINDS[this.kind].name;
  }
}

/** The error body every route answers with, in the Resend SDK's shape. */
/** Refuses a request with every problem found in it at once (`validation`), `outcome` after them if given. */
export function throwProblems(problems: readonly string[], outcome?: string): void {
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}.${outcome ? ` ${outcome}` : ''}`);
}

export interface ErrorBody {
  readonly statusCode: number;
  readonly name: ErrorName;
  readonly message: string;
}

/** Maps any thrown value to the public error body; unknown errors never leak their details. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof OutboxError) {
    return { statusCode: error.status, name: error.code, message: error.message };
  }
  return {
    statusCode: 500,
    name: 'internal_server_error',
    message: 'An unexpected error occurred. Nothing was sent; please try again.',
  };
}
