/**
 * The one source of truth for Outbox's DynamoDB tables. The CDK stack builds its tables from these
 * definitions and the local runtime creates the same tables in the embedded store, so the two can
 * never drift. Pure data: no AWS imports, so both sides (and the Lambdas) can read it.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

/**
 * Which attributes an index copies: `ALL`, only the keys, or the keys plus the named attributes.
 * Every write of a projected attribute is written again to the index, so large ones stay out.
 */
export type IndexProjection = { readonly type: 'ALL' } | { readonly type: 'KEYS_ONLY' } | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] };

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** ALL when absent. */
  readonly projection?: IndexProjection;
}

export interface TableDefinition {
  /** Short stable id: the CDK construct id and the suffix of the local table name. */
  readonly id: string;
  /** The environment variable through which a Lambda learns the table's name. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes: readonly IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry; readers treat expired items as absent. */
  readonly timeToLiveAttribute?: string;
  /**
   * The table's change stream, when something consumes it: what each stream record carries.
   * The local runtime's embedded store has no streams; local mode produces the same records itself.
   */
  readonly stream?: StreamViewType;
}

/** What a stream record holds of the item: as DynamoDB's StreamViewType. */
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/** Every item that expires carries its expiry (epoch seconds) in this attribute. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * An email, its content and its event timeline share one partition (pk = email id), so reading an
 * email whole is one Query. Sort keys: `email`, `content#NN` (bodies and attachments, compressed;
 * a sync send's small content is inline in its `email` item instead), `email#sent` (a sync send's
 * SES message ID, recorded beside its email item rather than rewriting it), `event#<time>#<event id>`. (Tables written by earlier versions may also hold `rcpt#<address>`
 * items; nothing reads them any more, and they expire.) The two indexes
 * a lookup goes through (by SES message ID, by day) project keys only: the reader then reads
 * the partition it needs, so no email attribute is copied into them on every write.
 */
export const EMAILS_TABLE: TableDefinition = {
  id: 'Emails',
  envVar: 'OUTBOX_EMAILS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [
    // Sparse: only email items and `email#sent` items carry sesMessageId, so SES events without
    // Outbox's tag find their email's id here (the rare path; a GetItem follows when more is needed).
    { indexName: 'by-ses-message-id', partitionKey: { name: 'sesMessageId', type: 'S' }, projection: { type: 'KEYS_ONLY' } },
    // Newest-first listing, sharded by UTC day so no single partition takes every write. A listing
    // must read each email's partition anyway (`last_event` folds in its timeline), so keys suffice.
    {
      indexName: 'by-created-day',
      partitionKey: { name: 'createdDay', type: 'S' },
      sortKey: { name: 'pk', type: 'S' },
      projection: { type: 'KEYS_ONLY' },
    },
    // Sparse: only emails not yet handed to SES carry dueShard/dueAt (a scheduled one at its time,
    // a queued one at its check time for the sweep), so the scheduler reads just what is due.
    { indexName: 'by-due', partitionKey: { name: 'dueShard', type: 'S' }, sortKey: { name: 'dueAt', type: 'S' } },
  ],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

/** API keys, keyed by the SHA-256 of the secret; the secret itself is never stored. */
export const API_KEYS_TABLE: TableDefinition = {
  id: 'ApiKeys',
  envVar: 'OUTBOX_API_KEYS_TABLE',
  partitionKey: { name: 'keyHash', type: 'S' },
  globalIndexes: [{ indexName: 'by-id', partitionKey: { name: 'id', type: 'S' } }],
};

/** Idempotency-Key records, kept 24 hours. */
export const IDEMPOTENCY_TABLE: TableDefinition = {
  id: 'Idempotency',
  envVar: 'OUTBOX_IDEMPOTENCY_TABLE',
  partitionKey: { name: 'key', type: 'S' },
  globalIndexes: [],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

/**
 * The suppression list, keyed by the lower-cased address. `by-origin` lists one origin newest
 * first (ids are time-ordered). Items without `origin` (such as soft-bounce counters, keyed
 * `<address>#soft`) stay out of both indexes. Its stream, with both images, is how SES's
 * account-level suppression list follows every entry added, raised, removed or expired.
 */
export const SUPPRESSIONS_TABLE: TableDefinition = {
  id: 'Suppressions',
  envVar: 'OUTBOX_SUPPRESSIONS_TABLE',
  partitionKey: { name: 'email', type: 'S' },
  globalIndexes: [
    { indexName: 'by-id', partitionKey: { name: 'id', type: 'S' } },
    { indexName: 'by-origin', partitionKey: { name: 'origin', type: 'S' }, sortKey: { name: 'id', type: 'S' } },
  ],
  timeToLiveAttribute: TTL_ATTRIBUTE,
  stream: 'NEW_AND_OLD_IMAGES',
};

/**
 * Webhooks and their delivery log, one partition per webhook (pk = webhook id): the `webhook`
 * item, a `msg#<message id>` item per notification sent to it, and a
 * `try#<message id>#<attempt nnn>#<attempt id>` item per delivery attempt (a prefix of their own,
 * so listing messages newest first with `begins_with(sk, "msg#")` never reads attempts). Webhook
 * items carry `listKey = "webhook"`, so `by-list` lists them (oldest first by their time-ordered
 * ids) without reading the log. Messages and attempts expire with retention; webhooks do not.
 */
export const WEBHOOKS_TABLE: TableDefinition = {
  id: 'Webhooks',
  envVar: 'OUTBOX_WEBHOOKS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [{ indexName: 'by-list', partitionKey: { name: 'listKey', type: 'S' }, sortKey: { name: 'pk', type: 'S' } }],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

/**
 * Small shared state the senders coordinate through: the per-second send-rate windows
 * (`rate#<epoch second>`), the sending-paused flag, the cached SES account quota. Items expire.
 */
export const CONTROL_TABLE: TableDefinition = {
  id: 'Control',
  envVar: 'OUTBOX_CONTROL_TABLE',
  partitionKey: { name: 'key', type: 'S' },
  globalIndexes: [],
  timeToLiveAttribute: TTL_ATTRIBUTE,
};

export const ALL_TABLES: readonly TableDefinition[] = [
  EMAILS_TABLE,
  API_KEYS_TABLE,
  IDEMPOTENCY_TABLE,
  SUPPRESSIONS_TABLE,
  WEBHOOKS_TABLE,
  CONTROL_TABLE,
];
