import { accessDeniedMessage } from '../../lambda/adapters/ses-email-sender';

describe('accessDeniedMessage', () => {
  it('names the permission and the identity IAM refused, and says how to fix it', () => {
    const message = accessDeniedMessage(
      'User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:eu-west-1:1:identity/acme.example because no identity-based policy allows the ses:SendEmail action',
    );
    expect(message).toMatch(/^SES refused the call: User: .* action\. /);
    expect(message).toContain("Outbox's role is missing ses:SendEmail on arn:aws:ses:eu-west-1:1:identity/acme.example: send from an identity the stack was deployed with");
    expect(message).toMatch(/Nothing was sent\.$/);
  });

  it('points at the role for a resource that is not an identity, such as a template', () => {
    const message = accessDeniedMessage('User: x is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:eu-west-1:1:template/welcome.');
    expect(message).toContain('missing ses:SendEmail on arn:aws:ses:eu-west-1:1:template/welcome: grant it to the role');
  });

  it('still reads when SES gives no permission in its words', () => {
    const message = accessDeniedMessage('Access denied');
    expect(message).toBe(
      "SES refused the call: Access denied. Outbox's role is missing an SES permission for this send: check the identities the stack was deployed with (outbox:sendingDomain, outbox:identities). Nothing was sent.",
    );
  });
});
