import { Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../../lambda/shared/request-limits';
import type { ErrorBody } from './send-api';

/**
 * How much of a request body API Gateway hands AWS WAF to inspect, by default (more costs extra).
 * WAF still knows when a body is larger: the Body field's oversize handling.
 */
export const WAF_BODY_INSPECTION_LIMIT = 16 * 1024;

/** The message of the 411 answer to a body whose size the request does not state. */
export const LENGTH_REQUIRED_MESSAGE =
  `Send the request body uncompressed and with a Content-Length header: Outbox refuses a body over ${MAX_REQUEST_BODY_BYTES / 1_000_000} MB before it reaches the API, so it must know the size up front.`;

/** The answer to a body over the cap: the local server's 413, word for word. */
export const BODY_TOO_LARGE_ANSWER: ErrorBody = { statusCode: 413, name: 'validation_error', message: BODY_TOO_LARGE_MESSAGE };

/** The answer to a body of unstated size. */
export const LENGTH_REQUIRED_ANSWER: ErrorBody = { statusCode: 411, name: 'validation_error', message: LENGTH_REQUIRED_MESSAGE };

export interface FirewallProps {
  /** The API Gateway stage the web ACL protects. */
  readonly stage: apigateway.Stage;
}

/**
 * An AWS WAF web ACL on the API's stage that refuses, before API Gateway invokes the api Lambda,
 * the bodies the Lambda could not take. API Gateway REST accepts up to 10 MB, but a Lambda request
 * is capped at 6 MB, and a larger one fails the invoke with API Gateway's own answer, which no
 * Gateway Response can turn into the Resend error shape (API Gateway applies no customized
 * REQUEST_TOO_LARGE either). Everything else is allowed. Two rules:
 *
 * - `BodyOverCap`: a `Content-Length` above MAX_REQUEST_BODY_BYTES (a regular expression on the
 *   header's digits) gets 413 `validation_error`, the same JSON the local server answers.
 * - `BodyOfUnstatedSize`: a body whose size the request does not state, which the first rule
 *   cannot judge: over WAF's 16 KB inspection limit with no `Content-Length` (chunked transfer
 *   encoding), or compressed (`Content-Encoding: gzip` or `deflate`, which API Gateway inflates
 *   before the Lambda sees it, so the stated length is not the size that arrives). It gets 411
 *   `validation_error`. A chunked body under 16 KB passes: it is under the cap anyway.
 *
 * The web ACL costs money whether or not it blocks anything (about $5 a month, $1 a month per
 * rule and $0.60 per million requests): `outbox:firewall=false` leaves it out.
 */
export class Firewall extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly association: wafv2.CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: FirewallProps) {
    super(scope, id);
    const metricPrefix = Stack.of(this).stackName;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${metricPrefix}-${name}`,
      sampledRequestsEnabled: true,
    });
    const header = (name: string): wafv2.CfnWebACL.FieldToMatchProperty => ({ singleHeader: { Name: name } });
    const block = (responseCode: number, customResponseBodyKey: string): wafv2.CfnWebACL.RuleActionProperty => ({
      block: { customResponse: { responseCode, customResponseBodyKey } },
    });

    const bodyAnswer = (answer: ErrorBody): wafv2.CfnWebACL.CustomResponseBodyProperty => ({
      contentType: 'APPLICATION_JSON',
      content: JSON.stringify(answer),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'Outbox: refuses request bodies the api Lambda cannot take, in the Resend error shape',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('firewall'),
      customResponseBodies: {
        'body-too-large': bodyAnswer(BODY_TOO_LARGE_ANSWER),
        'length-required': bodyAnswer(LENGTH_REQUIRED_ANSWER),
      },
      rules: [
        {
          name: 'BodyOverCap',
          priority: 0,
          statement: {
            regexMatchStatement: {
              fieldToMatch: header('content-length'),
              regexString: integersAbove(MAX_REQUEST_BODY_BYTES),
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          action: block(413, 'body-too-large'),
          visibilityConfig: visibility('BodyOverCap'),
        },
        {
          name: 'BodyOfUnstatedSize',
          priority: 1,
          statement: {
            orStatement: {
              statements: [
                {
                  andStatement: {
                    statements: [
                      // A header is present when its value has at least one byte.
                      {
                        notStatement: {
                          statement: {
                            sizeConstraintStatement: {
                              fieldToMatch: header('content-length'),
                              comparisonOperator: 'GE',
                              size: 1,
                              textTransformations: [{ priority: 0, type: 'NONE' }],
                            },
                          },
                        },
                      },
                      {
                        sizeConstraintStatement: {
                          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                          comparisonOperator: 'GT',
                          size: WAF_BODY_INSPECTION_LIMIT,
                          textTransformations: [{ priority: 0, type: 'NONE' }],
                        },
                      },
                    ],
                  },
                },
                {
                  regexMatchStatement: {
                    fieldToMatch: header('content-encoding'),
                    regexString: 'gzip|deflate',
                    textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
                  },
                },
              ],
            },
          },
          action: block(411, 'length-required'),
          visibilityConfig: visibility('BodyOfUnstatedSize'),
        },
      ],
    });

    // The stage's ARN names the stage by reference, so the association waits for the stage.
    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/**
 * A regular expression matching the decimal whole numbers above `limit` (leading zeros allowed)
 * and nothing else: a number with more digits, or as many digits and larger at the first digit
 * that differs. Each alternative is anchored on its own, with no group, so any PCRE engine reads
 * it the same (AWS WAF's included).
 */
export function integersAbove(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`integersAbove needs a whole number, not ${limit}`);
  const digits = String(limit);
  const alternatives = [`[1-9][0-9]{${digits.length},}`];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${digit + 1}-9]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return alternatives.map((alternative) => `^0*${alternative}$`).join('|');
}
