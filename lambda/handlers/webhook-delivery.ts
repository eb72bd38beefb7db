import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CachedWebhookStore } from '../adapters/cached-webhook-store';
import { readWebhookDeliveryConfig } from '../config';
import { systemClock } from '../core/ports';
import { handleWebhookBatch } from '../entrypoints/sqs-webhooks';
import { buildWebhookDeliveryDeps } from '../wiring';

/**
 * How long a warm container delivers with a webhook as it last read it: a webhook disabled,
 * deleted or changed through the API gets no delivery made with its old state after this long.
 * (Local mode reads it on every job.)
 */
const WEBHOOK_CACHE_MS = 10_000;

const wired = buildWebhookDeliveryDeps(readWebhookDeliveryConfig(process.env));
const deps = { ...wired, store: new CachedWebhookStore(wired.store, systemClock, WEBHOOK_CACHE_MS) };

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleWebhookBatch(deps, event);
