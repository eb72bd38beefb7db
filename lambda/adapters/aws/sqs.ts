import { createHash } from 'node:crypto';
import { configuredEndpoint, header, type AwsClientOptions, type AwsResponse, type BatchResultErrorEntry } from './aws-http-client';
import { AwsJsonClient, errorBody, sanitizeErrorName } from './aws-json';

/**
 * A light SQS client for the calls Outbox makes (SendMessageBatch, ChangeMessageVisibility), in the
 * wire format of the SDK's SQSClient: AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.<Operation>`) in its
 * "query compatible" form, which SQS still answers with its old Query error codes in the
 * `x-amzn-query-error` header. Inputs and outputs use the SDK's member names.
 * One AwsJsonClient per endpoint: SQS's requests go to their queue URL's host.
 */
export class SqsClient {
  private readonly transports = new Map<string, AwsJsonClient>();

  constructor(private readonly options: AwsClientOptions = {}) {}

  /** SendMessageBatch; throws, as the SDK does, when SQS acknowledges a body other than the one sent. */
  async sendMessageBatch(input: SendMessageBatchInput): Promise<SendMessageBatchOutput> {
    const output = await this.transportFor(input.QueueUrl).call<SendMessageBatchOutput>('SendMessageBatch', input);
    checkBodyDigests(input.Entries, output.Successful ?? []);
    return output;
  }

  async changeMessageVisibility(input: ChangeMessageVisibilityInput): Promise<void> {
    await this.transportFor(input.QueueUrl).call('ChangeMessageVisibility', input);
  }

  /**
   * The SDK sends each call to its queue URL's host unless given an endpoint, or one in the
   * environment (AWS_ENDPOINT_URL_SQS) (middleware-sdk-sqs,
   * `useQueueUrlAsEndpoint`), which keeps legacy queue URLs (`queue.amazonaws.com`) working; the
   * signature stays scoped to the client's region.
   */
  private transportFor(queueUrl: string): AwsJsonClient {
    const endpoint = this.options.endpoint ?? configuredEndpoint('SQS') ?? originOf(queueUrl);
    const key = endpoint ?? '';
    let transport = this.transports.get(key);
    if (!transport) {
      transport = new AwsJsonClient(
        { endpointPrefix: 'sqs', signingName: 'sqs', parseError: parseSqsError },
        'AmazonSQS',
        { ...this.options, ...(endpoint ? { endpoint } : {}) },
        // The JSON protocol "query compatible": SQS answers with its old Query error codes too.
        { 'x-amzn-query-mode': 'true' },
      );
      this.transports.set(key, transport);
    }
    return transport;
  }
}

export interface SendMessageBatchRequestEntry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly DelaySeconds?: number;
}

export interface SendMessageBatchInput {
  readonly QueueUrl: string;
  readonly Entries: readonly SendMessageBatchRequestEntry[];
}

export interface SendMessageBatchResultEntry {
  readonly Id: string;
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
  readonly MD5OfMessageAttributes?: string;
  readonly MD5OfMessageSystemAttributes?: string;
  readonly SequenceNumber?: string;
}

export interface SendMessageBatchOutput {
  readonly Successful?: readonly SendMessageBatchResultEntry[];
  readonly Failed?: readonly BatchResultErrorEntry[];
}

export interface ChangeMessageVisibilityInput {
  readonly QueueUrl: string;
  readonly ReceiptHandle: string;
  readonly VisibilityTimeout: number;
}

/** The SDK's check (middleware-sdk-sqs): each acknowledged entry's MD5OfMessageBody is the MD5 of the UTF-8 body sent. */
function checkBodyDigests(entries: readonly SendMessageBatchRequestEntry[], successful: readonly SendMessageBatchResultEntry[]): void {
  const acknowledged = new Map(successful.map((entry) => [entry.Id, entry]));
  const mismatched: string[] = [];
  for (const entry of entries) {
    const answer = acknowledged.get(entry.Id);
    if (answer && answer.MD5OfMessageBody !== createHash('md5').update(entry.MessageBody, 'utf8').digest('hex')) mismatched.push(answer.MessageId);
  }
  if (mismatched.length > 0) throw new Error(`Invalid MD5 checksum on messages: ${mismatched.join(', ')}`);
}

function originOf(queueUrl: string): string | undefined {
  try {
    return new URL(queueUrl).origin;
  } catch {
    return undefined;
  }
}

/**
 * SQS's error shapes whose Query error code (what `x-amzn-query-error` carries) differs from the
 * shape's name, which is the name the SDK gives the error (the SDK's SQS error schemas, awsQueryError).
 */
const SHAPE_OF_QUERY_CODE: Readonly<Record<string, string>> = {
  'AWS.SimpleQueueService.BatchEntryIdsNotDistinct': 'BatchEntryIdsNotDistinct',
  'AWS.SimpleQueueService.BatchRequestTooLong': 'BatchRequestTooLong',
  'AWS.SimpleQueueService.EmptyBatchRequest': 'EmptyBatchRequest',
  'AWS.SimpleQueueService.InvalidBatchEntryId': 'InvalidBatchEntryId',
  'AWS.SimpleQueueService.MessageNotInflight': 'MessageNotInflight',
  'AWS.SimpleQueueService.NonExistentQueue': 'QueueDoesNotExist',
  'AWS.SimpleQueueService.PurgeQueueInProgress': 'PurgeQueueInProgress',
  'AWS.SimpleQueueService.QueueDeletedRecently': 'QueueDeletedRecently',
  'AWS.SimpleQueueService.TooManyEntriesInBatchRequest': 'TooManyEntriesInBatchRequest',
  'AWS.SimpleQueueService.UnsupportedOperation': 'UnsupportedOperation',
  'KMS.AccessDeniedException': 'KmsAccessDenied',
  'KMS.DisabledException': 'KmsDisabled',
  'KMS.InvalidKeyUsageException': 'KmsInvalidKeyUsage',
  'KMS.InvalidStateException': 'KmsInvalidState',
  'KMS.NotFoundException': 'KmsNotFound',
  'KMS.OptInRequired': 'KmsOptInRequired',
  'KMS.ThrottlingException': 'KmsThrottled',
  QueueAlreadyExists: 'QueueNameExists',
};

/**
 * The error of an SQS answer, named as the SDK names it: the Query code of `x-amzn-query-error`
 * (`AWS.SimpleQueueService.NonExistentQueue;Sender`) first, then a `code` member, the
 * `x-amzn-errortype` header and `__type`; a code of a modeled error becomes that error's shape
 * name (`QueueDoesNotExist`), any other stays as it is (`AccessDenied`).
 */
export function parseSqsError(response: AwsResponse): { name: string; message: string; fields: Record<string, unknown> } {
  const body = errorBody(response);
  const queryError = header(response, 'x-amzn-query-error');
  const [queryCode, queryType] = queryError ? queryError.split(';') : [];
  const codeKey = Object.keys(body).find((key) => key.toLowerCase() === 'code');
  const { __type, message, Message, ...fields } = body;
  if (codeKey) delete fields[codeKey];
  const code = [queryCode, codeKey ? body[codeKey] : undefined, header(response, 'x-amzn-errortype'), __type].find((value) => typeof value === 'string' && value !== '') as string | undefined;
  const typeName = code ? sanitizeErrorName(code) : undefined;
  const name = typeName ? (SHAPE_OF_QUERY_CODE[typeName] ?? typeName) : `Http${response.status}Error`;
  const text = typeof Message === 'string' ? Message : typeof message === 'string' ? message : 'UnknownError';
  return { name, message: text, fields: { ...fields, ...(queryCode ? { Code: queryCode, Type: queryType } : {}) } };
}
