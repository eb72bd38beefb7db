/**
 * What the core sees of a CloudFormation custom resource: one lifecycle request in, one outcome (or
 * a ResourceFailure) out. The protocol itself (the event, the pre-signed response URL, the timer)
 * lives in lambda/entrypoints/cloudformation-custom-resource.ts; the use cases here only decide what
 * a Create, Update or Delete does.
 */

export type ResourceRequestType = 'Create' | 'Update' | 'Delete';

/** One lifecycle request, its properties already read and checked. */
export interface ResourceRequest<P> {
  readonly type: ResourceRequestType;
  /** The stack's ARN: it tells what this stack made apart from what it found. */
  readonly stackId: string;
  readonly requestId: string;
  readonly logicalResourceId: string;
  /** The id the resource answered before; absent on Create. */
  readonly physicalResourceId?: string;
  readonly properties: P;
  /** Update only: the properties before the change. */
  readonly oldProperties?: P;
}

/** A successful answer: the resource's id and the attributes Fn::GetAtt reads. */
export interface ResourceOutcome {
  /**
   * A new id on Update tells CloudFormation the resource was replaced: it then sends a Delete for
   * the old id once the stack update has succeeded.
   */
  readonly physicalResourceId: string;
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * A failure whose message is the Reason CloudFormation shows in the stack events: a sentence a
 * person can act on, with the service's own words in it.
 */
export class ResourceFailure extends Error {
  override readonly name = 'ResourceFailure';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Runs one step of a resource's lifecycle: any failure but a ResourceFailure becomes one that says
 * what could not be done, in the service's own words, and that deploying again will retry it.
 */
export async function resourceStep<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ResourceFailure) throw error;
    const detail = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
    throw new ResourceFailure(`Could not ${what}: ${detail}. Deploy again once that is fixed.`, { cause: error });
  }
}

/**
 * Reads a required string property. CloudFormation passes every property value as a string, so
 * anything else (or an empty string) is a template error, reported by name.
 */
export function requiredString(properties: Readonly<Record<string, unknown>>, name: string, resource: string): string {
  const value = properties[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ResourceFailure(`The ${resource} resource needs the property ${name} (a non-empty string); the template gave ${describe(value)}.`);
  }
  return value.trim();
}

function describe(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'string') return 'an empty string';
  return `a ${Array.isArray(value) ? 'list' : typeof value}`;
}

/**
 * A secret's value read as a JSON object; undefined for no value or anything else (such as the
 * random placeholder a secret is created with, before the resource writes it).
 */
export function secretObject(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
