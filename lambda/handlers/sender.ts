import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readSenderConfig } from '../config';
import { handleOutboundBatch } from '../entrypoints/sqs-outbound';
import { buildSenderDeps } from '../wiring';

const deps = buildSenderDeps(readSenderConfig(process.env));

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleOutboundBatch(deps, event);
