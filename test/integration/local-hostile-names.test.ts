import { Resend } from 'resend';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { waitFor } from '../helpers/wait-for';

/**
 * Local mode's own routes and the SES stand-in meet the same hostile names as the API: a malformed
 * percent-escape in a path, and tags named after Object.prototype's members. Real HTTP, nothing mocked.
 */
describe('local mode with hostile names', () => {
  let outbox: LocalOutbox;
  let resend: Resend;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  });
  afterAll(() => outbox.stop());

  it('answers a malformed escape in /_local/templates/{name} with 400 validation_error, not a 500', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${outbox.url}/_local/templates/%ZZ`, { method });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ statusCode: 400, name: 'validation_error' });
    }
  });

  it("answers a malformed escape in the stand-in's template and message paths as SES's NotFound", async () => {
    for (const path of ['/v2/email/templates/%ZZ', '/_local/messages/%u0041']) {
      const response = await fetch(`${outbox.ses.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });

  it('reads a malformed escape in an identity name as that name (every sender is verified locally, so it answers), never a 500', async () => {
    const response = await fetch(`${outbox.ses.url}/v2/email/identities/%E0%A4`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ VerifiedForSendingStatus: true });
  });

  it('delivers an email whose tags are named constructor and __proto__, with its events', async () => {
    const sent = await resend.emails.send({
      from: 'hello@acme.test',
      to: 'success@simulator.amazonses.com',
      subject: 'Tags',
      text: 'x',
      tags: [
        { name: 'constructor', value: 'a' },
        { name: '__proto__', value: 'b' },
      ],
    });
    expect(sent.error).toBeNull();
    const email = await waitFor('the email to be delivered', async () => {
      const { data } = await resend.emails.get(sent.data!.id);
      return data?.last_event === 'delivered' ? data : undefined;
    });
    expect(email.tags).toEqual([
      { name: 'constructor', value: 'a' },
      { name: '__proto__', value: 'b' },
    ]);
  });
});
