import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../../lambda/shared/request-limits';
import { LENGTH_REQUIRED_ANSWER, WAF_BODY_INSPECTION_LIMIT, integersAbove } from '../../lib/constructs/firewall';
import { CONTEXT } from '../../lib/context';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { acknowledgements, logicalId, nagViolations, render, synthOutboxFromContext } from './synth';

/** Lambda's limit on a synchronous invocation's event (6 MB). */
const LAMBDA_REQUEST_LIMIT = 6 * 1024 * 1024;

/** The web ACL's rules by name. */
function rulesOf(template: ReturnType<typeof synthOutboxFromContext>['template']): Record<string, Record<string, unknown>> {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  const rules = acls[0]!.Properties.Rules as Array<Record<string, unknown>>;
  return Object.fromEntries(rules.map((rule) => [rule.Name as string, rule]));
}

describe('integersAbove', () => {
  const cap = new RegExp(integersAbove(MAX_REQUEST_BODY_BYTES));

  it('matches every whole number above the cap and none at or below it, around the cap', () => {
    for (let n = MAX_REQUEST_BODY_BYTES - 3000; n <= MAX_REQUEST_BODY_BYTES + 3000; n++) {
      expect({ n, matches: cap.test(String(n)) }).toEqual({ n, matches: n > MAX_REQUEST_BODY_BYTES });
    }
  });

  it('matches by value, not by length, for numbers of every size and with leading zeros', () => {
    const samples = [0, 1, 9, 10, 999_999, 1_000_000, 5_999_999, 6_999_999, 7_000_000, 9_999_999, 10_000_000, 60_000_000, 123_456_789_012];
    for (let seed = 1; seed < 400; seed++) samples.push(Math.floor((seed * 2_654_435_761) % 20_000_000));
    for (const n of samples) {
      for (const text of [String(n), `000${n}`]) {
        expect({ text, matches: cap.test(text) }).toEqual({ text, matches: n > MAX_REQUEST_BODY_BYTES });
      }
    }
  });

  it.each([[''], ['abc'], ['7000000x'], ['x7000000'], ['-7000000'], ['7 000 000'], ['7e6'], ['7000000.5']])(
    'does not match %p, which is no Content-Length',
    (text) => {
      expect(cap.test(text)).toBe(false);
    },
  );

  it('works for any limit, its last digit a nine included', () => {
    for (const limit of [0, 9, 99, 109, 1999, 6_000_009]) {
      const above = new RegExp(integersAbove(limit));
      for (let n = Math.max(0, limit - 120); n <= limit + 120; n++) expect({ limit, n, matches: above.test(String(n)) }).toEqual({ limit, n, matches: n > limit });
    }
  });

  it('uses no group, which every PCRE engine reads alike', () => {
    expect(integersAbove(MAX_REQUEST_BODY_BYTES)).not.toMatch(/[()]/);
    expect(integersAbove(MAX_REQUEST_BODY_BYTES).length).toBeLessThanOrEqual(512); // AWS WAF's limit on a regex
  });
});

describe('the firewall on the API stage (default)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com' });
  const { stack, template } = synthesized;
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
  });
  afterAll(() => outbox.stop());

  /** A raw POST to the local server, answered as status and parsed JSON. */
  async function post(body: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${outbox.url}/emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${outbox.apiKey}` },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  it('is a regional web ACL that allows what no rule blocks', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.anyValue() },
    });
    expect(Object.keys(rulesOf(template))).toEqual(['BodyOverCap', 'BodyOfUnstatedSize']);
  });

  it('blocks a Content-Length over the cap with 413, by a regex on the header value', () => {
    expect(rulesOf(template).BodyOverCap).toMatchObject({
      Priority: 0,
      Statement: {
        RegexMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'content-length' } },
          RegexString: integersAbove(MAX_REQUEST_BODY_BYTES),
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'body-too-large' } } },
      VisibilityConfig: { CloudWatchMetricsEnabled: true },
    });
  });

  it("answers the 413 with the local server's JSON, word for word, as application/json", async () => {
    const bodies = new Capture();
    template.hasResourceProperties('AWS::WAFv2::WebACL', { CustomResponseBodies: bodies });
    const tooLarge = bodies.asObject()['body-too-large'] as { ContentType: string; Content: string };
    expect(tooLarge.ContentType).toBe('APPLICATION_JSON');

    const local = await post('x'.repeat(MAX_REQUEST_BODY_BYTES + 1));
    expect(local.status).toBe(413);
    expect(JSON.parse(tooLarge.Content)).toEqual(local.body);
    expect(local.body).toEqual({ statusCode: 413, name: 'validation_error', message: BODY_TOO_LARGE_MESSAGE });
  });

  it('draws the line where the local server does: a body of exactly the cap passes both', async () => {
    // The local server reads the whole body, then finds it is not JSON: past the cap, refused for another reason.
    const atCap = await post('x'.repeat(MAX_REQUEST_BODY_BYTES));
    expect(atCap.status).toBe(400);
    const cap = new RegExp(integersAbove(MAX_REQUEST_BODY_BYTES));
    expect([cap.test(String(MAX_REQUEST_BODY_BYTES)), cap.test(String(MAX_REQUEST_BODY_BYTES + 1))]).toEqual([false, true]);
  });

  it('blocks with 411 a body over the inspection limit without Content-Length (chunked), or any compressed body', () => {
    const rule = rulesOf(template).BodyOfUnstatedSize!;
    expect(rule.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 411, CustomResponseBodyKey: 'length-required' } } });
    expect(rule.Statement).toEqual({
      OrStatement: {
        Statements: [
          {
            AndStatement: {
              Statements: [
                {
                  NotStatement: {
                    Statement: {
                      SizeConstraintStatement: {
                        FieldToMatch: { SingleHeader: { Name: 'content-length' } },
                        ComparisonOperator: 'GE',
                        Size: 1,
                        TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                      },
                    },
                  },
                },
                {
                  SizeConstraintStatement: {
                    FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
                    ComparisonOperator: 'GT',
                    Size: WAF_BODY_INSPECTION_LIMIT,
                    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                  },
                },
              ],
            },
          },
          {
            RegexMatchStatement: {
              FieldToMatch: { SingleHeader: { Name: 'content-encoding' } },
              RegexString: 'gzip|deflate',
              TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
            },
          },
        ],
      },
    });
    expect(WAF_BODY_INSPECTION_LIMIT).toBe(16 * 1024);
  });

  it('answers the 411 in the Resend error shape', () => {
    const bodies = new Capture();
    template.hasResourceProperties('AWS::WAFv2::WebACL', { CustomResponseBodies: bodies });
    const lengthRequired = bodies.asObject()['length-required'] as { ContentType: string; Content: string };
    expect(lengthRequired.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(lengthRequired.Content)).toEqual(LENGTH_REQUIRED_ANSWER);
    expect(LENGTH_REQUIRED_ANSWER).toEqual({ statusCode: 411, name: 'validation_error', message: expect.stringContaining('Content-Length') });
  });

  it("is associated with the API's stage, after the stage exists", () => {
    const stage = logicalId(stack, stack.api.restApi.deploymentStage);
    const associations = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    expect(associations).toHaveLength(1);
    const association = associations[0]!.Properties;
    expect(render(association.ResourceArn)).toBe(
      `arn:\${AWS::Partition}:apigateway:\${AWS::Region}::/restapis/\${${logicalId(stack, stack.api.restApi)}}/stages/\${${stage}}`,
    );
    expect(association.WebACLArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.api.firewall!.webAcl), 'Arn'] });
  });

  it('needs no APIG3 acknowledgement: cdk-nag sees the stage protected', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).map((a) => a.id)).not.toContainEqual(expect.stringContaining('AwsSolutions-APIG3'));
  });
});

describe('the firewall turned off (outbox:firewall=false)', () => {
  const synthesized = synthOutboxFromContext({ [CONTEXT.identities]: 'example.com', [CONTEXT.firewall]: 'false' });
  const { stack, template } = synthesized;

  it('creates no web ACL and no association', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(stack.api.firewall).toBeUndefined();
  });

  it('acknowledges APIG3 on the stage, with the reason, and passes cdk-nag', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).filter((a) => a.id.includes('AwsSolutions-APIG3'))).toEqual([
      { id: expect.any(String), reason: expect.stringContaining('outbox:firewall=false'), path: stack.api.restApi.deploymentStage.node.path },
    ]);
  });
});

describe('the cap and the Lambda request limit', () => {
  /** A full REST proxy event as API Gateway sends it to the api Lambda, headers at their largest. */
  function proxyEvent(body: string): APIGatewayProxyEvent {
    // API Gateway REST takes at most 10,240 bytes of headers; the event carries them twice.
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer re_${'k'.repeat(40)}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abcdefghij.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'resend-node:6.38.0',
      'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    };
    const used = Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
    headers['x-padding'] = 'p'.repeat(10_240 - used - 'x-padding'.length - 4);
    return {
      resource: '/{proxy+}',
      path: '/emails',
      httpMethod: 'POST',
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { proxy: 'emails' },
      stageVariables: null,
      requestContext: {
        resourceId: 'abc123',
        resourcePath: '/{proxy+}',
        httpMethod: 'POST',
        extendedRequestId: 'Abcdefghijklmno=',
        requestTime: '28/Nov/2026:12:00:00 +0000',
        path: '/v1/emails',
        accountId: '123456789012',
        protocol: 'HTTP/1.1',
        stage: 'v1',
        domainPrefix: 'abcdefghij',
        requestTimeEpoch: 1_795_867_200_000,
        requestId: '0190ab12-3456-7890-abcd-ef0123456789',
        identity: {
          cognitoIdentityPoolId: null,
          accountId: null,
          cognitoIdentityId: null,
          caller: null,
          sourceIp: '203.0.113.7',
          principalOrgId: null,
          accessKey: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          userArn: null,
          userAgent: headers['user-agent']!,
          user: null,
          apiKey: null,
          apiKeyId: null,
          clientCert: null,
        },
        domainName: headers.host!,
        apiId: 'abcdefghij',
        authorizer: { principalId: '0190ab12-0000-7000-8000-000000000001', keyId: '0190ab12-0000-7000-8000-000000000001', scope: 'full_access', integrationLatency: 12 },
      },
      body,
      isBase64Encoded: false,
    };
  }

  /** An email of `bytes` bytes of JSON: HTML with quoted attributes, and a base64 attachment filling the rest. */
  function emailBody(bytes: number, htmlBytes: number): string {
    const row = '<tr><td class="cell" style="padding:4px 8px;border:1px solid #ddd">Item</td><td align="right">9.99</td></tr>\n';
    const html = `<table width="100%">\n${row.repeat(Math.ceil(htmlBytes / row.length))}</table>`.slice(0, htmlBytes);
    const base = { from: 'Acme <billing@acme.example>', to: ['customer@example.com'], subject: 'Your invoice', html, attachments: [{ filename: 'invoice.pdf', content: '' }] };
    const room = bytes - Buffer.byteLength(JSON.stringify(base));
    const content = Buffer.alloc(Math.floor((room * 3) / 4), 0xa5).toString('base64').slice(0, room).replace(/=+$/, (pad) => 'A'.repeat(pad.length));
    const body = JSON.stringify({ ...base, attachments: [{ filename: 'invoice.pdf', content }] });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  }

  it('keeps the event of a body at the cap under the Lambda limit: an email of attachments with 1 MB of HTML', () => {
    const event = JSON.stringify(proxyEvent(emailBody(MAX_REQUEST_BODY_BYTES, 1_000_000)));
    expect(Buffer.byteLength(event)).toBeLessThan(LAMBDA_REQUEST_LIMIT);
  });

  it('leaves room for the largest headers and over 200 KB of JSON escapes', () => {
    const overhead = Buffer.byteLength(JSON.stringify(proxyEvent(''))) + 2; // the empty body's quotes are counted twice
    expect(LAMBDA_REQUEST_LIMIT - MAX_REQUEST_BODY_BYTES - overhead).toBeGreaterThan(200_000);
  });

  it('would not have with a cap of 6 MiB, the Lambda limit itself', () => {
    const event = JSON.stringify(proxyEvent(emailBody(LAMBDA_REQUEST_LIMIT, 1_000_000)));
    expect(Buffer.byteLength(event)).toBeGreaterThan(LAMBDA_REQUEST_LIMIT);
  });
});
