import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readWebhookDeliveryConfig } from '../config';
import { handleWebhookBatch } from '../entrypoints/sqs-webhooks';
import { buildWebhookDeliveryDeps } from '../wiring';

const deps = buildWebhookDeliveryDeps(readWebhookDeliveryConfig(process.env));

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleWebhookBatch(deps, event);
