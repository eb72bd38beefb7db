/**
 * SES v2 errors as the stand-in answers them.
 *
 * SES v2 speaks restJson1: an error is an HTTP status, the `x-amzn-ErrorType` header naming the
 * error shape, and a body `{"message": "..."}`. The SDK (3.1176.0, `loadRestJsonErrorCode` in
 * @smithy/core) reads the header first, then a body `code`, then a body `__type`; it keeps the text
 * before any `:` and after any `#`, then looks the name up among the service's error shapes. A known
 * name becomes that exception class (`MessageRejected`, `TooManyRequestsException`, ...) with
 * `.name` and `.message` set; an unknown name becomes a plain `SESv2ServiceException` whose `.name`
 * is the header's value. We send the header and the body (with `message` only, as the observed
 * 429 body in SES-FACTS §7 shows).
 */
export class SesError extends Error {
  constructor(
    /** The SES error shape name, written to `x-amzn-ErrorType`. */
    override readonly name: SesErrorName,
    message: string,
    /** The HTTP status the SES model gives this shape (SES-FACTS §7). */
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * Error shape names the stand-in can answer with. All but the last three are shapes of the SES v2
 * model; the last is SES v1's, for a configuration set whose sending is disabled.
 */
export type SesErrorName =
  | 'AccountSuspendedException'
  | 'AlreadyExistsException'
  | 'BadRequestException'
  | 'InternalServiceErrorException'
  | 'LimitExceededException'
  | 'MailFromDomainNotVerifiedException'
  | 'MessageRejected'
  | 'NotFoundException'
  | 'SendingPausedException'
  | 'TooManyRequestsException'
  | 'UnknownOperationException'
  | 'RequestEntityTooLargeException'
  | 'ConfigurationSetSendingPausedException';

/** HTTP status of each error shape, from the httpError traits of the SES v2 model (SES-FACTS §7). */
export const STATUS_OF: Readonly<Record<SesErrorName, number>> = {
  AccountSuspendedException: 400,
  AlreadyExistsException: 400,
  BadRequestException: 400,
  InternalServiceErrorException: 500,
  LimitExceededException: 400,
  MailFromDomainNotVerifiedException: 400,
  MessageRejected: 400,
  NotFoundException: 404,
  SendingPausedException: 400,
  TooManyRequestsException: 429,
  UnknownOperationException: 404,
  RequestEntityTooLargeException: 413,
  ConfigurationSetSendingPausedException: 400,
};

/** A 400 `BadRequestException`: SES v2's name for what v1 called `InvalidParameterValue`. */
export function badRequest(message: string): SesError {
  return new SesError('BadRequestException', message, 400);
}

/** A 400 `MessageRejected`: the request is well formed but SES will not take this message. */
export function messageRejected(message: string): SesError {
  return new SesError('MessageRejected', message, 400);
}

/** A 404 `NotFoundException`. */
export function notFound(message: string): SesError {
  return new SesError('NotFoundException', message, 404);
}
