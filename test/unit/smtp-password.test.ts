import { smtpHostFor, smtpPasswordFor } from '../../lambda/core/smtp-password';

/**
 * The vectors terraform-provider-aws checks its own derivation against
 * (TestSESSMTPPasswordFromSecretKeySigV4, internal/service/iam/access_key_test.go), whose
 * passwords authenticate against SES: expectations computed by this code would prove nothing.
 */
const VECTORS: Array<[region: string, secret: string, password: string]> = [
  ['eu-central-1', 'some+secret+key', 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2'],
  ['eu-central-1', 'another+secret+key', 'BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh'],
  ['us-west-1', 'some+secret+key', 'BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj'],
  ['us-west-1', 'another+secret+key', 'BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF'],
];

describe('smtpPasswordFor', () => {
  it.each(VECTORS)('derives in %s the SMTP password SES accepts for the secret %s', (region, secret, password) => {
    expect(smtpPasswordFor(secret, region)).toBe(password);
  });

  it('starts every password with the SigV4 version byte 0x04 and 32 bytes of HMAC-SHA256', () => {
    const bytes = Buffer.from(smtpPasswordFor('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'us-east-1'), 'base64');
    expect(bytes).toHaveLength(33);
    expect(bytes[0]).toBe(0x04);
  });

  it('names the Region in the endpoint', () => {
    expect(smtpHostFor('eu-west-1')).toBe('email-smtp.eu-west-1.amazonaws.com');
  });
});
