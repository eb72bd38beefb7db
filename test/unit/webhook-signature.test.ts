import { randomBytes } from 'node:crypto';
import { Resend } from 'resend';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { signWebhook, svixSignatureHeaders } from '../../lambda/core/webhook-signature';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
const id = 'msg_019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';
const body = JSON.stringify({ type: 'email.delivered', created_at: '2026-01-01T00:00:00.000Z', data: { email_id: 'e1', to: ['a@example.com'] } });
const now = () => Math.floor(Date.now() / 1000);

type Verifier = (payload: string, headers: ReturnType<typeof signWebhook>, key: string) => unknown;

const verifiers: [string, Verifier][] = [
  ['standardwebhooks', (payload, headers, key) => new StandardWebhook(key).verify(payload, { ...headers })],
  ['svix', (payload, headers, key) => new SvixWebhook(key).verify(payload, { ...headers })],
  ['svix reading only the svix-* headers', (payload, headers, key) => new SvixWebhook(key).verify(payload, { ...svixSignatureHeaders(headers) })],
  [
    "the resend SDK's webhooks.verify",
    (payload, headers, key) =>
      new Resend('re_x').webhooks.verify({
        payload,
        headers: { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
        webhookSecret: key,
      }),
  ],
];

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The example in the spec and in the svix/standardwebhooks libraries' own tests.
    const headers = signWebhook({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, body: '{"test": 2432232314}', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('signs with the secret key and the message id', () => {
    const headers = signWebhook({ id, timestamp: 1_700_000_000.9, body, secret });
    expect(headers['webhook-id']).toBe(id);
    expect(headers['webhook-timestamp']).toBe('1700000000');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(signWebhook({ id, timestamp: 1_700_000_000, body, secret })).toEqual(headers);
    expect(signWebhook({ id, timestamp: 1_700_000_001, body, secret })['webhook-signature']).not.toBe(headers['webhook-signature']);
  });

  it('gives the same three values under the Svix names', () => {
    const headers = signWebhook({ id, timestamp: 1_700_000_000, body, secret });
    expect(svixSignatureHeaders(headers)).toEqual({ 'svix-id': id, 'svix-timestamp': '1700000000', 'svix-signature': headers['webhook-signature'] });
  });

  it('refuses a secret with no key', () => {
    expect(() => signWebhook({ id, timestamp: now(), body, secret: 'whsec_' })).toThrow(/base64 key/);
  });

  describe.each(verifiers)('as %s verifies it', (_name, verify) => {
    it('accepts the signed body with the secret', () => {
      const headers = signWebhook({ id, timestamp: now(), body, secret });
      expect(verify(body, headers, secret)).toEqual(JSON.parse(body));
    });

    it('refuses a wrong secret', () => {
      const headers = signWebhook({ id, timestamp: now(), body, secret });
      expect(() => verify(body, headers, otherSecret)).toThrow(/no matching signature/i);
    });

    it('refuses a tampered body', () => {
      const headers = signWebhook({ id, timestamp: now(), body, secret });
      expect(() => verify(body.replace('e1', 'e2'), headers, secret)).toThrow(/no matching signature/i);
    });

    it('refuses a changed webhook-id', () => {
      const headers = signWebhook({ id, timestamp: now(), body, secret });
      expect(() => verify(body, { ...headers, 'webhook-id': 'msg_other' }, secret)).toThrow(/no matching signature/i);
    });
  });
});
