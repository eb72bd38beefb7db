import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { AwsServiceError } from '../../lambda/adapters/aws/aws-http-client';
import type { SesV2Client } from '../../lambda/adapters/aws/sesv2';
import { SesAccountSuppressionList } from '../../lambda/adapters/ses-account-suppression-list';
import { accountSuppressionActionFor, type AccountSuppressionList, type AccountSuppressionReason } from '../../lambda/core/account-suppression';
import { handleSuppressionStreamBatch, plainItem } from '../../lambda/entrypoints/dynamodb-suppression-stream';

const ADDRESS = 'someone@example.com';
const entry = (origin: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  email: ADDRESS,
  id: '0190a7e2-0000-7000-8000-000000000001',
  origin,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const SOFT_COUNTER = { email: `${ADDRESS}#soft`, count: 2, expiresAt: 1767225600 };

describe('accountSuppressionActionFor', () => {
  it.each([
    ['bounce', 'BOUNCE'],
    ['complaint', 'COMPLAINT'],
    ['manual', 'BOUNCE'],
  ])('puts a new %s entry with reason %s', (origin, reason) => {
    expect(accountSuppressionActionFor({ newImage: entry(origin) })).toEqual({ kind: 'put', email: ADDRESS, reason });
  });

  it('puts an entry raised from a bounce to a complaint with reason COMPLAINT', () => {
    expect(accountSuppressionActionFor({ oldImage: entry('bounce'), newImage: entry('complaint') })).toEqual({ kind: 'put', email: ADDRESS, reason: 'COMPLAINT' });
  });

  it('does nothing when an entry changes but its SES reason does not (manual raised to bounce, the reason text rewritten)', () => {
    expect(accountSuppressionActionFor({ oldImage: entry('manual'), newImage: entry('bounce') })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ oldImage: entry('bounce'), newImage: entry('bounce', { reason: 'Permanent/General' }) })).toEqual({ kind: 'none' });
  });

  it('removes an entry that was deleted, or that expired (a REMOVE by the TTL service has the same old image only)', () => {
    expect(accountSuppressionActionFor({ oldImage: entry('complaint') })).toEqual({ kind: 'remove', email: ADDRESS });
    expect(accountSuppressionActionFor({ oldImage: entry('manual', { expiresAt: 1767225600 }) })).toEqual({ kind: 'remove', email: ADDRESS });
  });

  it('removes an entry whose item stops being a suppression', () => {
    expect(accountSuppressionActionFor({ oldImage: entry('bounce'), newImage: { email: ADDRESS } })).toEqual({ kind: 'remove', email: ADDRESS });
  });

  it('ignores soft-bounce counters however they change', () => {
    expect(accountSuppressionActionFor({ newImage: SOFT_COUNTER })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ oldImage: SOFT_COUNTER, newImage: { ...SOFT_COUNTER, count: 3 } })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ oldImage: SOFT_COUNTER })).toEqual({ kind: 'none' });
  });

  it('ignores items that are not suppression entries: no origin, an unknown origin, a key that is no address, a # key with an origin', () => {
    expect(accountSuppressionActionFor({ newImage: { email: ADDRESS } })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ newImage: entry('unsubscribe') })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ newImage: entry('toString') })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ newImage: { ...entry('bounce'), email: 'not-an-address' } })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({ newImage: { ...entry('bounce'), email: `${ADDRESS}#soft` } })).toEqual({ kind: 'none' });
    expect(accountSuppressionActionFor({})).toEqual({ kind: 'none' });
  });
});

/** An item as a stream image carries it (DynamoDB's typed attribute values). */
function image(item: Record<string, unknown>): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]): [string, AttributeValue] => {
      if (typeof value === 'number') return [name, { N: String(value) }];
      if (value === null) return [name, { NULL: true }];
      return [name, { S: String(value) }];
    }),
  );
}

function record(sequenceNumber: string, images: { old?: Record<string, unknown>; new?: Record<string, unknown> }): DynamoDBRecord {
  const eventName = images.old && images.new ? 'MODIFY' : images.new ? 'INSERT' : 'REMOVE';
  const key = (images.new ?? images.old)!.email as string;
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { email: { S: key } },
      ...(images.old ? { OldImage: image(images.old) } : {}),
      ...(images.new ? { NewImage: image(images.new) } : {}),
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

class RecordingAccountList implements AccountSuppressionList {
  readonly calls: string[] = [];
  async put(email: string, reason: AccountSuppressionReason): Promise<void> {
    this.calls.push(`put ${email} ${reason}`);
  }
  async remove(email: string): Promise<void> {
    this.calls.push(`remove ${email}`);
  }
}

interface SentCall {
  readonly operation: 'PutSuppressedDestination' | 'DeleteSuppressedDestination';
  readonly input: unknown;
}

/** A mocked SES v2 client: answers each call with what `answer` gives (or throws). */
function mockedSes(answer: (call: SentCall) => unknown): { client: SesV2Client; sent: SentCall[] } {
  const sent: SentCall[] = [];
  const record = async (call: SentCall): Promise<unknown> => {
    sent.push(call);
    return answer(call);
  };
  const client = {
    putSuppressedDestination: async (input: unknown) => record({ operation: 'PutSuppressedDestination', input }),
    deleteSuppressedDestination: async (input: unknown) => record({ operation: 'DeleteSuppressedDestination', input }),
  } as unknown as SesV2Client;
  return { client, sent };
}

/** An SES error answer as the client gives it. */
const sesError = (name: string, message: string, status: number): AwsServiceError => new AwsServiceError(name, message, status, undefined, 1);

const noWait = { minIntervalMs: 1_000, sleep: async () => undefined };

describe('handleSuppressionStreamBatch', () => {
  const log = (): void => undefined;

  it('applies each change in stream order and skips soft-bounce counters', async () => {
    const accountList = new RecordingAccountList();
    const event: DynamoDBStreamEvent = {
      Records: [
        record('100', { new: entry('bounce') }),
        record('101', { new: SOFT_COUNTER }),
        record('102', { old: entry('bounce'), new: entry('complaint', { reason: null }) }),
        record('103', { old: entry('complaint') }),
        record('104', { new: { ...entry('manual'), email: 'other@example.com' } }),
      ],
    };
    await expect(handleSuppressionStreamBatch({ accountList, log }, event)).resolves.toEqual({ batchItemFailures: [] });
    expect(accountList.calls).toEqual([`put ${ADDRESS} BOUNCE`, `put ${ADDRESS} COMPLAINT`, `remove ${ADDRESS}`, 'put other@example.com BOUNCE']);
  });

  it('reads numbers, nulls, maps and lists out of stream images', () => {
    expect(plainItem({ n: { N: '12.5' }, z: { NULL: true }, m: { M: { s: { S: 'x' } } }, l: { L: [{ BOOL: true }, { N: '1' }] }, ss: { SS: ['a', 'b'] } })).toEqual({
      n: 12.5,
      z: null,
      m: { s: 'x' },
      l: [true, 1],
      ss: ['a', 'b'],
    });
  });

  it('reports the throttled record (TooManyRequestsException from a mocked SES client) and stops there, so it and the rest are retried', async () => {
    let calls = 0;
    const { client, sent } = mockedSes(() => {
      calls += 1;
      if (calls === 2) throw sesError('TooManyRequestsException', 'Too many requests.', 429);
      return {};
    });
    const logged: string[] = [];
    const deps = { accountList: new SesAccountSuppressionList(client, noWait), log: (message: string) => void logged.push(message) };
    const event: DynamoDBStreamEvent = {
      Records: [record('200', { new: entry('bounce') }), record('201', { new: { ...entry('complaint'), email: 'b@example.com' } }), record('202', { old: entry('bounce') })],
    };
    await expect(handleSuppressionStreamBatch(deps, event)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: '201' }] });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ operation: 'PutSuppressedDestination', input: { EmailAddress: 'b@example.com', Reason: 'COMPLAINT' } });
    expect(logged).toEqual([expect.stringContaining('stream record 201')]);
  });

  it('fails the whole batch (an identifier Lambda cannot match) for a failing record without a sequence number', async () => {
    const accountList: AccountSuppressionList = { put: async () => Promise.reject(new Error('down')), remove: async () => undefined };
    const broken = record('300', { new: entry('bounce') });
    delete broken.dynamodb!.SequenceNumber;
    await expect(handleSuppressionStreamBatch({ accountList, log }, { Records: [broken] })).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: '' }] });
  });
});

describe('SesAccountSuppressionList', () => {
  it('takes NotFoundException on delete (from a mocked SES client) as the address already being off the list', async () => {
    const { client, sent } = mockedSes(() => {
      throw sesError('NotFoundException', 'Email address someone@example.com does not exist on your suppression list.', 404);
    });
    await expect(new SesAccountSuppressionList(client, noWait).remove(ADDRESS)).resolves.toBeUndefined();
    expect(sent[0]).toEqual({ operation: 'DeleteSuppressedDestination', input: { EmailAddress: ADDRESS } });
  });

  it('passes other delete errors on (from a mocked SES client)', async () => {
    const { client } = mockedSes(() => {
      throw sesError('TooManyRequestsException', 'Too many requests.', 429);
    });
    await expect(new SesAccountSuppressionList(client, noWait).remove(ADDRESS)).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
  });

  it('paces its calls at least the interval apart, counted from the end of the previous call, and does not wait before the first', async () => {
    let now = 10_000;
    const waits: number[] = [];
    const { client } = mockedSes(() => {
      now += 200; // each call takes 200 ms
      return {};
    });
    const list = new SesAccountSuppressionList(client, {
      minIntervalMs: 1_000,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    await list.put(ADDRESS, 'BOUNCE');
    await list.remove(ADDRESS);
    now += 1_500;
    await list.put(ADDRESS, 'COMPLAINT');
    expect(waits).toEqual([1_000]);
  });
});
