import * as http from 'node:http';
import * as https from 'node:https';
import { ResourceFailure, type ResourceOutcome, type ResourceRequest, type ResourceRequestType } from '../core/custom-resource';

/**
 * The CloudFormation custom-resource protocol, written once for every Outbox custom resource whose
 * ServiceToken is a Lambda function. CloudFormation invokes the function asynchronously with a
 * request and then waits (up to an hour) for one JSON answer PUT to the request's pre-signed S3
 * URL. A function that throws, crashes or times out without answering leaves the stack hanging
 * for that hour, so `customResourceHandler` answers every request exactly once: SUCCESS with the
 * outcome, FAILED with a readable Reason when the logic throws, and FAILED shortly before the
 * Lambda's own timeout when the logic is still running.
 */

/** The request CloudFormation sends (RequestType Create, Update or Delete). */
export interface CustomResourceEvent {
  readonly RequestType: ResourceRequestType;
  readonly ServiceToken?: string;
  /** Pre-signed S3 URL the answer is PUT to. It grants write access: it is never logged. */
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly ResourceType: string;
  readonly LogicalResourceId: string;
  /** Absent on Create. */
  readonly PhysicalResourceId?: string;
  /** Every value arrives as a string (or a list or object of strings). */
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Update only. */
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

/** The answer's JSON, as CloudFormation reads it. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: Readonly<Record<string, string>>;
}

/** The part of the Lambda context the protocol uses. */
export interface CustomResourceContext {
  getRemainingTimeInMillis(): number;
  readonly logStreamName?: string;
}

export interface CustomResourceOptions {
  /**
   * How long before the Lambda's timeout the FAILED answer goes out if the logic is still running:
   * time enough for the answer's PUT and its retries. @default 15 000 ms
   */
  readonly answerMarginMs?: number;
  /** One PUT attempt's timeout. @default 4 000 ms */
  readonly putTimeoutMs?: number;
  /** Waits before the second and third PUT attempts. @default [500, 1500] ms */
  readonly putRetryDelaysMs?: readonly number[];
  /** One JSON line per request and per answer. @default console.log */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** CloudFormation refuses answers over 4,096 bytes. */
const MAX_RESPONSE_BYTES = 4096;
/** Keeps a long service message from crowding out the rest of the answer. */
const MAX_REASON_CHARS = 1500;

/**
 * Wraps custom-resource logic as a Lambda handler that always answers CloudFormation once.
 * The logic's ResourceFailure becomes the Reason as it is; any other error becomes a Reason naming
 * it and the function's log stream. A failed Create answers a physical id that names the request,
 * so the Delete CloudFormation sends when it rolls back finds nothing to remove unless the logic
 * recognizes what it made. Returns once the answer has been delivered (or every attempt failed).
 */
export function customResourceHandler(
  logic: (event: CustomResourceEvent) => Promise<ResourceOutcome>,
  options: CustomResourceOptions = {},
): (event: CustomResourceEvent, context: CustomResourceContext) => Promise<void> {
  const log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const marginMs = options.answerMarginMs ?? 15_000;

  return async (event, context) => {
    if (typeof event?.ResponseURL !== 'string' || event.ResponseURL === '') {
      // Nothing to answer to: this is not a CloudFormation request.
      throw new Error('Not a CloudFormation custom-resource request: it has no ResponseURL.');
    }
    log({ level: 'info', message: 'custom resource request', ...describeRequest(event) });

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CustomResourceResponse>((resolve) => {
      // Without a Lambda context (a direct call), the logic gets Lambda's longest run, 15 minutes.
      const remainingMs = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 900_000;
      const waitMs = Math.max(0, remainingMs - marginMs);
      timer = setTimeout(() => {
        resolve(
          failed(
            event,
            `The ${event.ResourceType} function did not finish within ${Math.round(waitMs / 1000)} seconds and stopped waiting; ` +
              `nothing is known about the outcome${logHint(context)}. Retry the deployment.`,
          ),
        );
      }, waitMs);
    });
    const finished = run(logic, event, context);

    const response = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    log({
      level: response.Status === 'SUCCESS' ? 'info' : 'error',
      message: 'custom resource answer',
      status: response.Status,
      reason: response.Reason,
      physicalResourceId: response.PhysicalResourceId,
      dataKeys: Object.keys(response.Data ?? {}),
      requestId: event.RequestId,
    });
    try {
      await putResponse(event.ResponseURL, responseBody(response), options);
    } catch (error) {
      log({ level: 'error', message: 'could not deliver the custom resource answer', requestId: event.RequestId, error: errorText(error) });
    }
  };
}

/** Maps the event to the core's request, reading its properties with `read` (which may throw ResourceFailure). */
export function toResourceRequest<P>(event: CustomResourceEvent, read: (properties: Readonly<Record<string, unknown>>) => P): ResourceRequest<P> {
  return {
    type: event.RequestType,
    stackId: event.StackId,
    requestId: event.RequestId,
    logicalResourceId: event.LogicalResourceId,
    ...(event.PhysicalResourceId !== undefined ? { physicalResourceId: event.PhysicalResourceId } : {}),
    properties: read(event.ResourceProperties ?? {}),
    ...(event.RequestType === 'Update' && event.OldResourceProperties ? { oldProperties: read(event.OldResourceProperties) } : {}),
  };
}

/** The physical id a failed Create answers: it names the request, so no two failures share one. */
export function failedCreatePhysicalId(event: Pick<CustomResourceEvent, 'LogicalResourceId' | 'RequestId'>): string {
  return `${event.LogicalResourceId}-create-failed-${event.RequestId}`;
}

async function run(
  logic: (event: CustomResourceEvent) => Promise<ResourceOutcome>,
  event: CustomResourceEvent,
  context: CustomResourceContext,
): Promise<CustomResourceResponse> {
  try {
    if (!['Create', 'Update', 'Delete'].includes(event.RequestType)) {
      throw new ResourceFailure(`Unknown RequestType ${JSON.stringify(event.RequestType)}: a custom resource answers Create, Update and Delete.`);
    }
    const outcome = await logic(event);
    return {
      Status: 'SUCCESS',
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      ...(outcome.data ? { Data: outcome.data } : {}),
    };
  } catch (error) {
    const reason =
      error instanceof ResourceFailure
        ? error.message
        : `Unexpected error in the ${event.ResourceType} function (${errorText(error)})${logHint(context)}.`;
    return failed(event, reason);
  }
}

function failed(event: CustomResourceEvent, reason: string): CustomResourceResponse {
  return {
    Status: 'FAILED',
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId ?? failedCreatePhysicalId(event),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
}

/** The answer as JSON, its Reason shortened as far as needed to stay within CloudFormation's 4,096 bytes. */
export function responseBody(response: CustomResourceResponse): string {
  let reason = response.Reason === undefined ? undefined : truncate(response.Reason, MAX_REASON_CHARS);
  for (;;) {
    const body = JSON.stringify({ ...response, ...(reason === undefined ? {} : { Reason: reason }) });
    if (Buffer.byteLength(body) <= MAX_RESPONSE_BYTES || reason === undefined || reason.length <= 20) return body;
    reason = truncate(reason, Math.floor(reason.length * 0.8));
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * PUTs the answer to the pre-signed URL with an empty Content-Type (the URL is signed for none) and
 * its Content-Length. Network errors and 5xx answers are retried; a 4xx is not (an expired or
 * refused URL stays so). Plain http is accepted only on loopback, where tests stand in for S3.
 */
export async function putResponse(url: string, body: string, options: Pick<CustomResourceOptions, 'putTimeoutMs' | 'putRetryDelaysMs'> = {}): Promise<void> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : target.protocol === 'http:' && isLoopback(target.hostname) ? http : undefined;
  if (!transport) throw new Error(`Refusing to send the answer over ${target.protocol} to ${target.hostname}: CloudFormation's response URLs are https.`);
  const delays = options.putRetryDelaysMs ?? [500, 1500];
  for (let attempt = 0; ; attempt++) {
    try {
      return await putOnce(transport, target, body, options.putTimeoutMs ?? 4_000);
    } catch (error) {
      const retryable = !(error instanceof AnswerRefused) || error.status >= 500;
      const delay = delays[attempt];
      if (!retryable || delay === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

class AnswerRefused extends Error {
  constructor(readonly status: number) {
    super(`the response URL answered HTTP ${status}`);
  }
}

function putOnce(transport: typeof http | typeof https, target: URL, body: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new AnswerRefused(status));
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from the response URL within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function describeRequest(event: CustomResourceEvent): Record<string, unknown> {
  return {
    requestType: event.RequestType,
    resourceType: event.ResourceType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: event.PhysicalResourceId,
    requestId: event.RequestId,
    stackId: event.StackId,
    properties: withoutServiceToken(event.ResourceProperties),
  };
}

function withoutServiceToken(properties: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const { ServiceToken: _token, ...rest } = properties ?? {};
  return rest;
}

function logHint(context: CustomResourceContext | undefined): string {
  return context?.logStreamName ? `; see the function's log stream ${context.logStreamName}` : '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
