import { DEFAULT_QUEUE_CONCURRENCY, CONTEXT } from '../../lib/context';
import { logicalId, synthOutboxFromContext } from './synth';

/** The concurrent executions a new AWS account may be limited to. */
const NEW_ACCOUNT_CONCURRENCY = 10;

/**
 * Each SQS event source's MaximumConcurrency, by the description of the function it invokes. The
 * one stream event source (the account-level suppression sync) has no such setting: it runs one
 * instance per stream shard (parallelization factor 1), and only while suppressions change.
 */
function pollers(context: Record<string, unknown>): Record<string, number> {
  const { stack, template } = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', ...context });
  const functions = template.findResources('AWS::Lambda::Function');
  const all = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
  const streams = all.filter((mapping) => mapping.Properties.StartingPosition !== undefined);
  expect(streams.map((mapping) => [mapping.Properties.FunctionName.Ref, mapping.Properties.ParallelizationFactor])).toEqual([
    [logicalId(stack, stack.accountSuppressionSync.function.function), 1],
  ]);
  const mappings = all.filter((mapping) => !streams.includes(mapping));
  expect(mappings.every((mapping) => mapping.Properties.ScalingConfig?.MaximumConcurrency !== undefined)).toBe(true);
  const byFunction = Object.fromEntries(
    mappings.map((mapping) => [functions[mapping.Properties.FunctionName.Ref]!.Properties.Description as string, mapping.Properties.ScalingConfig.MaximumConcurrency as number]),
  );
  // The three queue consumers, and no other event source.
  expect(Object.keys(byFunction).sort()).toEqual(['Outbox SES events consumer', 'Outbox sender', 'Outbox webhook delivery']);
  expect(mappings.map((mapping) => mapping.Properties.FunctionName.Ref).sort()).toEqual(
    [stack.eventsFunction, stack.outbound.senderFunction, stack.webhooks.deliveryFunction].map((fn) => logicalId(stack, fn.function)).sort(),
  );
  return byFunction;
}

describe('queue consumer concurrency', () => {
  it('fits an account limited to 10 concurrent executions by default, leaving 4 for the api, the console and the scheduler (3 while the suppression sync runs)', () => {
    const byFunction = pollers({});
    expect(byFunction).toEqual({ 'Outbox SES events consumer': 2, 'Outbox sender': 2, 'Outbox webhook delivery': 2 });
    const total = Object.values(byFunction).reduce((sum, n) => sum + n, 0);
    expect(NEW_ACCOUNT_CONCURRENCY - total).toBeGreaterThanOrEqual(4);
    // The suppressions table is small: its stream has one shard at a time, so the sync runs one instance.
    expect(NEW_ACCOUNT_CONCURRENCY - total - 1).toBeGreaterThanOrEqual(3);
    expect(DEFAULT_QUEUE_CONCURRENCY).toBe(2); // SQS's minimum for a Lambda event source
  });

  it('reserves no concurrency on any function, which would take from the same pool', () => {
    const { template } = synthOutboxFromContext({});
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('raises every consumer to outbox:queueConcurrency, for accounts with the default 1,000', () => {
    expect(pollers({ [CONTEXT.queueConcurrency]: '10' })).toEqual({ 'Outbox SES events consumer': 10, 'Outbox sender': 10, 'Outbox webhook delivery': 10 });
  });
});
