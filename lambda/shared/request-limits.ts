/**
 * The largest request body Outbox takes, in bytes, shared by the api's JSON reader (deployed and
 * local) and the local server (local/http-server.ts), so a body refused in one is refused in the
 * other, with the same answer.
 *
 * Why this number: the HTTP API hands the api Lambda an event carrying the body as a JSON string,
 * beside the headers (at most 10 KB) and the request context, and Lambda refuses a synchronous
 * event over 6 MB (6,291,456 bytes). JSON escaping adds one byte for each quote, backslash or
 * newline in the body. 6,000,000 leaves 291,456 bytes for all of that: about 12 KB for headers and
 * context at their largest, and over 250 KB for escapes, enough for an ordinary email of
 * attachments (base64 needs no escaping) and a few MB of HTML. A body past the Lambda's cap never
 * reaches Outbox: API Gateway answers it (see the README). test/unit/api-gateway-request.test.ts
 * builds such an event and holds the number to it.
 */
export const MAX_REQUEST_BODY_BYTES = 6_000_000;

/** `6,000,000`: a whole number with thousands separators, whatever the locale. */
function withSeparators(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** The message of the 413 `validation_error` answer to a body over MAX_REQUEST_BODY_BYTES. */
export const BODY_TOO_LARGE_MESSAGE =
  `The request body is over ${MAX_REQUEST_BODY_BYTES / 1_000_000} MB (${withSeparators(MAX_REQUEST_BODY_BYTES)} bytes), ` +
  'the most one Outbox request can carry. Send smaller content, or large files as links.';
