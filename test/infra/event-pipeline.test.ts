import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HANDLER_ENTRIES } from '../../lambda/shared/env';
import { EventPipeline } from '../../lib/constructs/event-pipeline';
import { NodeFunction } from '../../lib/constructs/node-function';
import { testApp } from './synth';

const ENTRY = path.resolve(__dirname, '../..', HANDLER_ENTRIES.events);

function pipelineAndConsumer(consumerTimeout: Duration, functionTimeout: Duration): { pipeline: EventPipeline; fn: NodeFunction } {
  const stack = new Stack(testApp(), 'Test');
  const pipeline = new EventPipeline(stack, 'Events', { topic: new sns.Topic(stack, 'Topic'), consumerTimeout });
  const fn = new NodeFunction(stack, 'Consumer', { entry: ENTRY, timeout: functionTimeout });
  return { pipeline, fn };
}

describe('EventPipeline.consumeWith', () => {
  it('accepts a consumer that finishes within the timeout the queue is sized for', () => {
    const { pipeline, fn } = pipelineAndConsumer(Duration.seconds(30), Duration.seconds(20));
    expect(() => pipeline.consumeWith(fn)).not.toThrow();
  });

  it('refuses a consumer that could outlive the visibility timeout budget', () => {
    const { pipeline, fn } = pipelineAndConsumer(Duration.seconds(30), Duration.seconds(60));
    expect(() => pipeline.consumeWith(fn)).toThrow(/times out after 60 s.*at most 30 s/);
  });
});
