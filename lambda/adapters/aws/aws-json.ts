import { AwsHttpClient, header, type AwsClientOptions, type AwsResponse, type AwsService } from './aws-http-client';

/**
 * The AWS JSON 1.0 protocol (DynamoDB, SQS): every call a POST of the input as JSON to `/`, named by
 * the `X-Amz-Target` header; the output is the answer's JSON; an error names itself in `__type`
 * (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`) or the
 * `X-Amzn-ErrorType` header, and carries `message` (or `Message`) and the error's own members.
 */
export class AwsJsonClient {
  private http: AwsHttpClient | undefined;

  /**
   * `service.parseError` defaults to parseJsonError; `headers` go on every call (SQS's
   * `x-amzn-query-mode`).
   */
  constructor(
    private readonly service: Omit<AwsService, 'parseError'> & Partial<Pick<AwsService, 'parseError'>>,
    private readonly targetPrefix: string,
    private readonly options: AwsClientOptions = {},
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  async call<Output>(operation: string, input: object): Promise<Output> {
    // Built at the first call, so a missing region fails a call, not the wiring, as with the SDK.
    this.http ??= new AwsHttpClient({ parseError: parseJsonError, ...this.service }, this.options);
    const response = await this.http.send({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${this.targetPrefix}.${operation}`, ...this.headers },
      body: JSON.stringify(input),
    });
    return (response.body === '' ? {} : JSON.parse(response.body)) as Output;
  }
}

/** An error answer's JSON object; empty when the body is none or not a JSON object (a proxy's page, say: the status names the error). */
export function errorBody(response: AwsResponse): Record<string, unknown> {
  try {
    const parsed: unknown = response.body === '' ? {} : JSON.parse(response.body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The error of a JSON (1.0 or 1.1, or REST-JSON) answer, named as the SDK names it. */
export function parseJsonError(response: AwsResponse): { name: string; message: string; fields: Record<string, unknown> } {
  const body = errorBody(response);
  const { __type, message, Message, code, ...fields } = body;
  const typeName = header(response, 'x-amzn-errortype') ?? (typeof __type === 'string' ? __type : typeof code === 'string' ? code : undefined);
  const name = typeName ? sanitizeErrorName(typeName) : `Http${response.status}Error`;
  const text = typeof message === 'string' ? message : typeof Message === 'string' ? Message : `${name} (HTTP ${response.status})`;
  return { name, message: text, fields };
}

/** `aws.protocoltests#FooError:http://internal.amazon.com/` → `FooError`, as the SDK reads error types. */
export function sanitizeErrorName(typeName: string): string {
  let name = typeName;
  // A header sent twice arrives comma-joined; the SDK reads the first.
  if (name.includes(',')) name = name.split(',')[0]!;
  if (name.includes(':')) name = name.split(':')[0]!;
  if (name.includes('#')) name = name.split('#')[1]!;
  return name.trim();
}
