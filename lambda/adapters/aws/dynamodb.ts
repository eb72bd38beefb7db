import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsJsonClient } from './aws-json';
import type { AwsClientOptions } from './aws-http-client';

/**
 * A DynamoDB document client for the calls Outbox makes, with the programming surface of
 * `@aws-sdk/lib-dynamodb` (`documents.send(new GetCommand({ TableName, Key }))`, native values in
 * and out) over the light AWS JSON transport. The members lib-dynamodb marshals (Key, Item,
 * ExpressionAttributeValues, ExclusiveStartKey, a BatchGetItem's Keys) are marshalled with the
 * SDK's own `marshall`, and the members it unmarshalls (Item, Items, Attributes, LastEvaluatedKey,
 * Responses, UnprocessedKeys) with its `unmarshall`: numbers as JS numbers, sets as Set, binary as
 * Uint8Array. Every other member goes to the wire, and comes back, as it is.
 *
 * One addition: the `Item` a ConditionalCheckFailedException carries (ReturnValuesOnConditionCheckFailure)
 * is unmarshalled too, where lib-dynamodb leaves it in DynamoDB's attribute-value form.
 *
 * Checked against lib-dynamodb on the embedded store in test/integration/light-dynamodb.test.ts.
 */

/**
 * A value as the client takes and gives it: string, number, boolean, null, binary, Set, list or map
 * of these. `any`, as lib-dynamodb's NativeAttributeValue is: what a stored attribute holds only the
 * adapter that wrote it knows, and it casts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeAttributeValue = any;
/** An item, a key, or a map of expression values, in native values. */
export type NativeItem = Record<string, NativeAttributeValue>;

/** lib-dynamodb's `marshallOptions` that Outbox sets. */
export interface MarshallOptions {
  /** Leaves undefined members of maps, lists and sets out instead of refusing them. */
  readonly removeUndefinedValues?: boolean;
  /** Marshals any object (not only those whose constructor is Object) as a map. */
  readonly convertClassInstanceToMap?: boolean;
}

export interface DocumentClientOptions extends AwsClientOptions {
  readonly marshallOptions?: MarshallOptions;
}

type ReturnConsumedCapacity = 'INDEXES' | 'TOTAL' | 'NONE';
type ReturnValuesOnConditionCheckFailure = 'ALL_OLD' | 'NONE';
type Select = 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

interface Capacity {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

export interface ConsumedCapacity extends Capacity {
  readonly TableName?: string;
  readonly Table?: Capacity;
  readonly LocalSecondaryIndexes?: Record<string, Capacity>;
  readonly GlobalSecondaryIndexes?: Record<string, Capacity>;
}

interface ExpressionInput {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: NativeItem;
}

export interface GetCommandInput {
  TableName: string;
  Key: NativeItem;
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface PutCommandInput extends ExpressionInput {
  TableName: string;
  Item: NativeItem;
  ConditionExpression?: string;
  ReturnValues?: 'NONE' | 'ALL_OLD';
  ReturnValuesOnConditionCheckFailure?: ReturnValuesOnConditionCheckFailure;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface UpdateCommandInput extends ExpressionInput {
  TableName: string;
  Key: NativeItem;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
  ReturnValuesOnConditionCheckFailure?: ReturnValuesOnConditionCheckFailure;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface DeleteCommandInput extends ExpressionInput {
  TableName: string;
  Key: NativeItem;
  ConditionExpression?: string;
  ReturnValues?: 'NONE' | 'ALL_OLD';
  ReturnValuesOnConditionCheckFailure?: ReturnValuesOnConditionCheckFailure;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface QueryCommandInput extends ExpressionInput {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  Select?: Select;
  Limit?: number;
  ScanIndexForward?: boolean;
  ConsistentRead?: boolean;
  ExclusiveStartKey?: NativeItem;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface ScanCommandInput extends ExpressionInput {
  TableName: string;
  IndexName?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  Select?: Select;
  Limit?: number;
  ConsistentRead?: boolean;
  Segment?: number;
  TotalSegments?: number;
  ExclusiveStartKey?: NativeItem;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

/** The keys to read from one table, and how. */
export interface KeysAndAttributes {
  Keys: NativeItem[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

export interface BatchGetCommandInput {
  RequestItems: Record<string, KeysAndAttributes>;
  ReturnConsumedCapacity?: ReturnConsumedCapacity;
}

export interface GetCommandOutput {
  Item?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
}

/** What PutItem, UpdateItem and DeleteItem answer. */
export interface WriteCommandOutput {
  Attributes?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
}
export type PutCommandOutput = WriteCommandOutput;
export type UpdateCommandOutput = WriteCommandOutput;
export type DeleteCommandOutput = WriteCommandOutput;

/** What Query and Scan answer. */
export interface ReadManyCommandOutput {
  Items?: NativeItem[];
  Count?: number;
  ScannedCount?: number;
  LastEvaluatedKey?: NativeItem;
  ConsumedCapacity?: ConsumedCapacity;
}
export type QueryCommandOutput = ReadManyCommandOutput;
export type ScanCommandOutput = ReadManyCommandOutput;

export interface BatchGetCommandOutput {
  Responses?: Record<string, NativeItem[]>;
  /** The keys DynamoDB did not read this time (throttled, or over 16 MB), to ask for again. */
  UnprocessedKeys?: Record<string, Partial<KeysAndAttributes>>;
  ConsumedCapacity?: ConsumedCapacity[];
}

/** DynamoDB's typed attribute value as it travels as JSON (binary as base64 text). */
interface WireValue {
  readonly B?: string;
  readonly BS?: readonly string[];
  readonly M?: WireItem;
  readonly L?: readonly WireValue[];
  readonly [type: string]: unknown;
}
type WireItem = Readonly<Record<string, WireValue>>;
type WireOutput = Record<string, unknown>;

/** Turns native values into attribute values, with the client's marshalling options. */
export interface Marshaller {
  item(item: NativeItem): Record<string, unknown>;
}

/** One DynamoDB call: its input in native values, how it goes on the wire and how its answer comes back. */
export abstract class DocumentCommand<Input extends object, Output> {
  /** The DynamoDB action, as `X-Amz-Target` names it: `GetItem`. */
  abstract readonly operation: string;

  constructor(readonly input: Input) {}

  /** The input as DynamoDB takes it. */
  abstract toRequest(marshaller: Marshaller): object;

  /** The answer in native values. */
  abstract fromResponse(output: WireOutput): Output;
}

export class GetCommand extends DocumentCommand<GetCommandInput, GetCommandOutput> {
  readonly operation = 'GetItem';

  toRequest(marshaller: Marshaller): object {
    return { ...this.input, Key: marshaller.item(this.input.Key) };
  }

  fromResponse(output: WireOutput): GetCommandOutput {
    return withItem(output, 'Item');
  }
}

/** PutItem, UpdateItem and DeleteItem answer the same way. */
abstract class WriteCommand<Input extends ExpressionInput> extends DocumentCommand<Input, WriteCommandOutput> {
  fromResponse(output: WireOutput): WriteCommandOutput {
    return withItem(output, 'Attributes');
  }
}

export class PutCommand extends WriteCommand<PutCommandInput> {
  readonly operation = 'PutItem';

  toRequest(marshaller: Marshaller): object {
    return { ...this.input, Item: marshaller.item(this.input.Item), ...expressionValues(this.input, marshaller) };
  }
}

/** A write addressed by key: UpdateItem and DeleteItem. */
abstract class KeyedWriteCommand<Input extends ExpressionInput & { Key: NativeItem }> extends WriteCommand<Input> {
  toRequest(marshaller: Marshaller): object {
    return { ...this.input, Key: marshaller.item(this.input.Key), ...expressionValues(this.input, marshaller) };
  }
}

export class UpdateCommand extends KeyedWriteCommand<UpdateCommandInput> {
  readonly operation = 'UpdateItem';
}

export class DeleteCommand extends KeyedWriteCommand<DeleteCommandInput> {
  readonly operation = 'DeleteItem';
}

/** Query and Scan: a page of items from a start key. */
abstract class ReadManyCommand<Input extends ExpressionInput & { ExclusiveStartKey?: NativeItem }> extends DocumentCommand<Input, ReadManyCommandOutput> {
  toRequest(marshaller: Marshaller): object {
    return { ...this.input, ...startKey(this.input, marshaller), ...expressionValues(this.input, marshaller) };
  }

  fromResponse(output: WireOutput): ReadManyCommandOutput {
    return readManyOutput(output);
  }
}

export class QueryCommand extends ReadManyCommand<QueryCommandInput> {
  readonly operation = 'Query';
}

export class ScanCommand extends ReadManyCommand<ScanCommandInput> {
  readonly operation = 'Scan';
}

export class BatchGetCommand extends DocumentCommand<BatchGetCommandInput, BatchGetCommandOutput> {
  readonly operation = 'BatchGetItem';

  toRequest(marshaller: Marshaller): object {
    const requestItems = Object.entries(this.input.RequestItems).map(([table, request]) => [table, { ...request, Keys: request.Keys.map((key) => marshaller.item(key)) }]);
    return { ...this.input, RequestItems: Object.fromEntries(requestItems) };
  }

  fromResponse(output: WireOutput): BatchGetCommandOutput {
    const { Responses, UnprocessedKeys, ...rest } = output as { Responses?: Record<string, WireItem[]>; UnprocessedKeys?: Record<string, { Keys?: WireItem[] }> };
    return {
      ...rest,
      ...(Responses ? { Responses: mapValues(Responses, (items) => items.map(nativeItem)) } : {}),
      ...(UnprocessedKeys ? { UnprocessedKeys: mapValues(UnprocessedKeys, (request) => ({ ...request, ...(request.Keys ? { Keys: request.Keys.map(nativeItem) } : {}) })) } : {}),
    };
  }
}

const DYNAMODB_ATTEMPTS = 4;
/** The SDK's DynamoDB client backs off from 25 ms, where its others start at 50 ms. */
const DYNAMODB_RETRY_BASE_DELAY_MS = 25;

/** The document client: `send(command)` answers the command's output in native values, or throws the service's error (an AwsServiceError named as the SDK names it). */
export class DynamoDbDocumentClient {
  private readonly json: AwsJsonClient;
  private readonly marshaller: Marshaller;

  constructor(options: DocumentClientOptions = {}) {
    const { marshallOptions, ...clientOptions } = options;
    this.json = new AwsJsonClient(
      { endpointPrefix: 'dynamodb', endpointEnvId: 'DYNAMODB', signingName: 'dynamodb', retryBaseDelayMs: DYNAMODB_RETRY_BASE_DELAY_MS },
      'DynamoDB_20120810',
      // The SDK's DynamoDB client makes 4 attempts where its other clients make 3.
      { maxAttempts: DYNAMODB_ATTEMPTS, ...clientOptions },
    );
    // As lib-dynamodb marshals: each attribute on its own, a map or list as M or L, undefined and functions left out.
    const valueOptions = { ...marshallOptions, convertTopLevelContainer: true } as const;
    this.marshaller = {
      item: (item) => {
        const marshalled: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(item)) {
          if (value !== undefined && typeof value !== 'function') marshalled[name] = withBase64(marshall(value as unknown, valueOptions) as Record<string, unknown>);
        }
        return marshalled;
      },
    };
  }

  async send<Output>(command: DocumentCommand<object, Output>): Promise<Output> {
    const request = command.toRequest(this.marshaller);
    let output: WireOutput;
    try {
      output = await this.json.call<WireOutput>(command.operation, request);
    } catch (error) {
      const failed = error as { Item?: unknown };
      if (isWireItem(failed.Item)) failed.Item = nativeItem(failed.Item);
      throw error;
    }
    return command.fromResponse(output);
  }
}

function expressionValues(input: ExpressionInput, marshaller: Marshaller): { ExpressionAttributeValues?: Record<string, unknown> } {
  return input.ExpressionAttributeValues ? { ExpressionAttributeValues: marshaller.item(input.ExpressionAttributeValues) } : {};
}

function startKey(input: { ExclusiveStartKey?: NativeItem }, marshaller: Marshaller): { ExclusiveStartKey?: Record<string, unknown> } {
  return input.ExclusiveStartKey ? { ExclusiveStartKey: marshaller.item(input.ExclusiveStartKey) } : {};
}

/** `output` with its member `name` (an item) in native values. */
function withItem<Name extends string>(output: WireOutput, name: Name): WireOutput & { [N in Name]?: NativeItem } {
  const item = output[name];
  return (isWireItem(item) ? { ...output, [name]: nativeItem(item) } : output) as WireOutput & { [N in Name]?: NativeItem };
}

function readManyOutput(output: WireOutput): ReadManyCommandOutput {
  const { Items, LastEvaluatedKey, ...rest } = output as { Items?: WireItem[]; LastEvaluatedKey?: WireItem };
  return { ...rest, ...(Items ? { Items: Items.map(nativeItem) } : {}), ...(LastEvaluatedKey ? { LastEvaluatedKey: nativeItem(LastEvaluatedKey) } : {}) };
}

function isWireItem(value: unknown): value is WireItem {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nativeItem(item: WireItem): NativeItem {
  return unmarshall(mapValues(item, withBinary) as Parameters<typeof unmarshall>[0]);
}

/** The attribute value with its binary (B, BS, inside maps and lists too) as bytes, as the SDK reads them before unmarshalling. */
function withBinary(value: WireValue): unknown {
  if (typeof value.B === 'string') return { B: bytesOf(value.B) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map(bytesOf) };
  if (value.M) return { M: mapValues(value.M, withBinary) };
  if (value.L) return { L: value.L.map(withBinary) };
  return value;
}

/** Base64 to a plain Uint8Array (not a Buffer), as the SDK decodes a blob. */
function bytesOf(base64: string): Uint8Array {
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A marshalled attribute value with its binary as base64 text, as DynamoDB takes it. */
function withBase64(value: Record<string, unknown>): unknown {
  if (value.B !== undefined) return { B: base64Of(value.B) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map(base64Of) };
  if (isWireItem(value.M)) return { M: mapValues(value.M as Record<string, Record<string, unknown>>, withBase64) };
  if (Array.isArray(value.L)) return { L: (value.L as Record<string, unknown>[]).map(withBase64) };
  return value;
}

/** Bytes (any typed array or DataView, or an ArrayBuffer) as base64, as the SDK encodes a blob. */
function base64Of(bytes: unknown): string {
  if (ArrayBuffer.isView(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  if (bytes instanceof ArrayBuffer) return Buffer.from(bytes).toString('base64');
  throw new TypeError(`Binary attribute values must be bytes (Uint8Array, Buffer, ArrayBuffer), not ${typeof bytes}.`);
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, convert: (value: T) => U): Record<string, U> {
  const converted: Record<string, U> = {};
  for (const [name, value] of Object.entries(record)) converted[name] = convert(value);
  return converted;
}
