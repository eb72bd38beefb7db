import { ResourceFailure } from '../../lambda/core/custom-resource';
import {
  customResourceHandler,
  failedCreatePhysicalId,
  putResponse,
  responseBody,
  toResourceRequest,
} from '../../lambda/entrypoints/cloudformation-custom-resource';
import { CustomResourceReceiver, lambdaContext } from '../helpers/custom-resource-receiver';

/**
 * The custom-resource protocol against a real HTTP server on 127.0.0.1 standing in for the
 * pre-signed S3 URL: every request gets exactly one well-formed answer, whatever the logic does.
 */
describe('CloudFormation custom-resource protocol', () => {
  let receiver: CustomResourceReceiver;
  const logs: Array<Record<string, unknown>> = [];
  const log = (entry: Record<string, unknown>): void => void logs.push(entry);

  beforeAll(async () => {
    receiver = await CustomResourceReceiver.start();
  });
  afterAll(() => receiver.stop());

  it('answers SUCCESS once with the physical id and data, as an empty-Content-Type PUT with its length', async () => {
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'thing-1', data: { Origin: 'created' } }), { log });
    const event = receiver.event({ RequestType: 'Create', RequestId: 'req-success' });

    await handler(event, lambdaContext(60_000));

    const requests = receiver.received.filter((r) => r.url.includes('/req-success?'));
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('PUT');
    expect(request!.url).toContain('X-Amz-Signature=abc123');
    expect(request!.headers['content-type']).toBe('');
    expect(Number(request!.headers['content-length'])).toBe(Buffer.byteLength(request!.body));
    expect(JSON.parse(request!.body)).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'thing-1',
      StackId: event.StackId,
      RequestId: 'req-success',
      LogicalResourceId: 'TestResource',
      Data: { Origin: 'created' },
    });
  });

  it("answers FAILED with the logic's ResourceFailure as the Reason, keeping the physical id of an Update", async () => {
    const handler = customResourceHandler(
      async () => {
        throw new ResourceFailure('Could not create the SES identity mail.example.com: SES says "no" (BadRequestException).');
      },
      { log },
    );
    await handler(receiver.event({ RequestType: 'Update', RequestId: 'req-update-fails', PhysicalResourceId: 'created:mail.example.com' }), lambdaContext(60_000));

    expect(receiver.answersFor('req-update-fails')).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'Could not create the SES identity mail.example.com: SES says "no" (BadRequestException).',
        PhysicalResourceId: 'created:mail.example.com',
      }),
    ]);
  });

  it('answers FAILED naming an unexpected error and the log stream, with a physical id naming the failed Create', async () => {
    const handler = customResourceHandler(
      async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'Tokens')");
      },
      { log },
    );
    const event = receiver.event({ RequestType: 'Create', RequestId: 'req-throws' });
    await handler(event, lambdaContext(60_000));

    const answers = receiver.answersFor('req-throws');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: failedCreatePhysicalId(event) });
    expect(answers[0]!.Reason).toContain("TypeError: Cannot read properties of undefined (reading 'Tokens')");
    expect(answers[0]!.Reason).toContain('2026/12/02/[$LATEST]0123456789abcdef');
    expect(failedCreatePhysicalId(event)).toBe('TestResource-create-failed-req-throws');
  });

  it('answers FAILED when the logic throws synchronously or rejects with something that is not an Error', async () => {
    const syncThrow = customResourceHandler(
      (() => {
        throw new Error('boom');
      }) as never,
      { log },
    );
    const rejectsString = customResourceHandler(() => Promise.reject('plain string'), { log });
    await syncThrow(receiver.event({ RequestType: 'Delete', RequestId: 'req-sync', PhysicalResourceId: 'p-1' }), lambdaContext(60_000));
    await rejectsString(receiver.event({ RequestType: 'Delete', RequestId: 'req-string', PhysicalResourceId: 'p-2' }), lambdaContext(60_000));

    expect(receiver.answersFor('req-sync')).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'p-1' })]);
    expect(receiver.answersFor('req-sync')[0]!.Reason).toContain('Error: boom');
    expect(receiver.answersFor('req-string')).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'p-2' })]);
    expect(receiver.answersFor('req-string')[0]!.Reason).toContain('plain string');
  });

  it('answers FAILED before the Lambda times out when the logic is still running, and only once', async () => {
    let finish: (() => void) | undefined;
    const handler = customResourceHandler(
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ physicalResourceId: 'too-late' });
        }),
      { log, answerMarginMs: 1_000 },
    );
    const started = Date.now();
    await handler(receiver.event({ RequestType: 'Create', RequestId: 'req-slow' }), lambdaContext(1_400));
    const elapsed = Date.now() - started;

    // Answered at about 400 ms: well before the 1,400 ms the context had left.
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1_300);
    const answers = receiver.answersFor('req-slow');
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: 'TestResource-create-failed-req-slow' })]);
    expect(answers[0]!.Reason).toMatch(/did not finish within 0 seconds/);

    finish!();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.answersFor('req-slow')).toHaveLength(1);
  });

  it('answers FAILED for a RequestType CloudFormation does not send, without calling the logic', async () => {
    const logic = jest.fn();
    const handler = customResourceHandler(logic, { log });
    await handler({ ...receiver.event({ RequestType: 'Create', RequestId: 'req-odd' }), RequestType: 'Replace' as never }, lambdaContext(60_000));
    expect(logic).not.toHaveBeenCalled();
    expect(receiver.answersFor('req-odd')).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('Unknown RequestType "Replace"') })]);
  });

  it('retries the PUT after a 5xx from the response URL and stops at the first 2xx', async () => {
    receiver.answerNext(503);
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'p' }), { log, putRetryDelaysMs: [10, 10] });
    await handler(receiver.event({ RequestType: 'Delete', RequestId: 'req-retry', PhysicalResourceId: 'p' }), lambdaContext(60_000));
    expect(receiver.answersFor('req-retry')).toHaveLength(2);
  });

  it('does not retry a 4xx from the response URL (an expired URL stays expired) and logs the failure', async () => {
    receiver.answerNext(403);
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'p' }), { log, putRetryDelaysMs: [10, 10] });
    await handler(receiver.event({ RequestType: 'Delete', RequestId: 'req-expired', PhysicalResourceId: 'p' }), lambdaContext(60_000));
    expect(receiver.answersFor('req-expired')).toHaveLength(1);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'could not deliver the custom resource answer', requestId: 'req-expired' }));
  });

  it('never logs the pre-signed response URL', async () => {
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'p' }), { log });
    const event = receiver.event({ RequestType: 'Delete', RequestId: 'req-log', PhysicalResourceId: 'p', ResourceProperties: { ServiceToken: 'arn:x', Name: 'n' } });
    await handler(event, lambdaContext(60_000));
    expect(JSON.stringify(logs)).not.toContain('X-Amz-Signature');
    expect(logs).toContainEqual(expect.objectContaining({ message: 'custom resource request', requestId: 'req-log', properties: { Name: 'n' } }));
  });

  it('refuses an event without a ResponseURL, since there is nothing to answer to', async () => {
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'p' }), { log });
    await expect(handler({ RequestType: 'Create' } as never, lambdaContext(60_000))).rejects.toThrow('has no ResponseURL');
  });

  it('refuses to send an answer over plain http anywhere but loopback', async () => {
    await expect(putResponse('http://example.com/answer', '{}')).rejects.toThrow('https');
  });

  it('keeps an answer within 4,096 bytes by shortening a long Reason', () => {
    const body = responseBody({
      Status: 'FAILED',
      Reason: `SES says ${'x'.repeat(10_000)}`,
      PhysicalResourceId: 'p'.repeat(1_000),
      StackId: 's'.repeat(300),
      RequestId: 'r',
      LogicalResourceId: 'l',
    });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
    expect(JSON.parse(body).Reason).toMatch(/^SES says x+…$/);
  });

  it('maps the event to the core request, reading the old properties of an Update too', () => {
    const event = receiver.event({
      RequestType: 'Update',
      PhysicalResourceId: 'p',
      ResourceProperties: { Name: 'new' },
      OldResourceProperties: { Name: 'old' },
    });
    const request = toResourceRequest(event, (properties) => String(properties.Name));
    expect(request).toEqual({
      type: 'Update',
      stackId: event.StackId,
      requestId: event.RequestId,
      logicalResourceId: 'TestResource',
      physicalResourceId: 'p',
      properties: 'new',
      oldProperties: 'old',
    });
  });
});
