import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readEventsConfig } from '../config';
import { handleSesEventBatch } from '../entrypoints/sqs-events';
import { buildEventsDeps } from '../wiring';

const deps = buildEventsDeps(readEventsConfig(process.env));

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleSesEventBatch(deps, event);
