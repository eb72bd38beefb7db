import { createHmac } from 'node:crypto';

/**
 * SES's SMTP password for an IAM access key, derived from the key's secret as SES documents it
 * ("Obtaining Amazon SES SMTP credentials by converting existing AWS credentials"): a SigV4-style
 * HMAC-SHA256 chain keyed by "AWS4" + secret over a fixed date, the Region, "ses", "aws4_request"
 * and "SendRawEmail", prefixed with the version byte 0x04, in base64. The SMTP user name is the
 * access key id. A password is valid only in the Region it was derived for, because the Region is
 * part of the chain.
 */
export function smtpPasswordFor(secretAccessKey: string, region: string): string {
  // SES's algorithm fixes these values: they are not a date or a choice.
  const chain = ['11111111', region, 'ses', 'aws4_request', 'SendRawEmail'];
  const signature = chain.reduce<Buffer>((key, message) => hmac(key, message), Buffer.from(`AWS4${secretAccessKey}`, 'utf8'));
  return Buffer.concat([Buffer.from([SMTP_PASSWORD_VERSION]), signature]).toString('base64');
}

/** The version byte of SigV4 SMTP passwords (0x02 was the retired SigV2 kind). */
const SMTP_PASSWORD_VERSION = 0x04;

function hmac(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

/** SES's SMTP endpoint for a Region (TLS required: STARTTLS or TLS wrapper). */
export function smtpHostFor(region: string): string {
  return `email-smtp.${region}.amazonaws.com`;
}

/** The ports of SES's SMTP endpoint Outbox names: 587 with STARTTLS, 465 with TLS from the start. */
export const SES_SMTP_PORTS = { starttls: 587, tls: 465 } as const;
