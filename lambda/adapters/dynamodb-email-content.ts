import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';
import { isAwsError } from './aws/aws-http-client';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import type { EmailRecord } from '../core/email';
import { CONTENT_PREFIX } from './email-partition';

const compress = promisify(gzip);
const decompress = promisify(gunzip);

/** The body-like part of an email: what makes it big, and what no status update touches. */
export type EmailContent = Pick<EmailRecord, 'html' | 'text' | 'attachments' | 'raw'>;


/**
 * Compressed bytes per content item. DynamoDB items stop at 400 KB (names and values together);
 * this leaves room for the keys and the expiry, and a 6 MB request still fits in a few dozen items.
 */
export const CONTENT_CHUNK_BYTES = 350_000;

/** `content#00`, `content#01`, ... Readers order chunks by number, not by key. */
export function contentSortKey(index: number): string {
  return `${CONTENT_PREFIX}${String(index).padStart(2, '0')}`;
}

/**
 * An email's content in the emails table: gzip-compressed JSON, cut into `content#NN` items (a
 * Binary `data` attribute each) in the email's partition, beside its `email` item. The email item
 * says how many there are (`contentChunks`), so status updates of that item stay small and cheap
 * (DynamoDB charges a write by the size of the whole item). The content items are written once,
 * before the email item, and carry an expiry never earlier than the email item's.
 */
export class DynamoDbEmailContent {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the content items of a new email, all at once; returns how many. Each write is
   * conditional on the item being new, so an id that is already taken never gets its content
   * replaced. No content (a template with no attachments) writes nothing and returns 0.
   */
  async put(emailId: string, content: EmailContent, expiresAt: number): Promise<number> {
    const packed = await packContent(content);
    return packed === undefined ? 0 : this.putPacked(emailId, packed, expiresAt);
  }

  /** As put, for content packContent already packed. */
  async putPacked(emailId: string, packed: Buffer, expiresAt: number): Promise<number> {
    const chunks: Buffer[] = [];
    for (let start = 0; start < packed.length; start += CONTENT_CHUNK_BYTES) chunks.push(packed.subarray(start, start + CONTENT_CHUNK_BYTES));
    await Promise.all(
      chunks.map((data, index) =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: emailId, sk: contentSortKey(index), data, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    );
    return chunks.length;
  }

  /**
   * Raises the content items' expiry to `expiresAt`, never lowering it: each write is conditional
   * on the stored expiry being earlier, so whichever of two racing changes asks for more wins.
   */
  async extendExpiry(emailId: string, chunks: number, expiresAt: number): Promise<void> {
    await Promise.all(
      range(chunks).map(async (index) => {
        try {
          await this.documents.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: emailId, sk: contentSortKey(index) },
              UpdateExpression: 'SET expiresAt = :expires',
              ConditionExpression: 'attribute_exists(pk) AND expiresAt < :expires',
              ExpressionAttributeValues: { ':expires': expiresAt },
            }),
          );
        } catch (error) {
          if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
        }
      }),
    );
  }

  /** Removes the content items; removing absent ones is not an error. */
  async delete(emailId: string, chunks: number): Promise<void> {
    await Promise.all(range(chunks).map((index) => this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: emailId, sk: contentSortKey(index) } }))));
  }
}

/** The content as stored: gzip-compressed JSON; undefined when there is none (a template with no attachments). */
export async function packContent(content: EmailContent): Promise<Buffer | undefined> {
  if (isEmpty(content)) return undefined;
  const json = JSON.stringify(content);
  return json.length <= COMPRESS_INLINE_BELOW ? gzipSync(json) : compress(json);
}

/**
 * Up to this size (characters of JSON; packed, 2x bytes at most), content is compressed and
 * decompressed on the main thread: a typical email's 6 KB takes about 25 µs so, against 130-200 µs
 * through the thread pool, where the hand-off costs more than the work. Larger content (attachments,
 * up to 40 MB) goes to the pool, where it does not hold up other requests.
 */
const COMPRESS_INLINE_BELOW = 64 * 1024;

/** The content packContent packed. */
export async function unpackContent(packed: Uint8Array): Promise<EmailContent> {
  const json = packed.byteLength <= COMPRESS_INLINE_BELOW / 4 ? gunzipSync(packed) : await decompress(packed);
  return JSON.parse(json.toString('utf8')) as EmailContent;
}

/**
 * The content put back together from the items of the email's partition (as a Query returned
 * them; items other than content are ignored). Throws when any of the `chunks` is missing, as an
 * email must never be sent or shown without part of its content.
 */
export async function readContent(emailId: string, chunks: number, items: readonly Record<string, unknown>[]): Promise<EmailContent> {
  const parts = new Map<number, Uint8Array>();
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith(CONTENT_PREFIX)) parts.set(Number(sk.slice(CONTENT_PREFIX.length)), item.data as Uint8Array);
  }
  const ordered = range(chunks).map((index) => parts.get(index));
  const missing = ordered.filter((part) => part === undefined).length;
  if (missing > 0) throw new Error(`email ${emailId} is missing ${missing} of its ${chunks} content items`);
  return unpackContent(Buffer.concat(ordered as Uint8Array[]));
}

function isEmpty(content: EmailContent): boolean {
  return content.html === undefined && content.text === undefined && content.raw === undefined && content.attachments.length === 0;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}
