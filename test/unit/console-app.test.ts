import { parseRoute, emailRoute } from '../../lambda/console/app/router';
import { emailDocument } from '../../lambda/console/app/srcdoc';

describe("the console's hash routes", () => {
  it('reads every page and its id, decoding the id once', () => {
    expect(parseRoute('#/emails')).toEqual({ page: 'emails' });
    expect(parseRoute(emailRoute('019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'))).toEqual({ page: 'email', id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11' });
    expect(parseRoute('#/webhooks/a%2Fb')).toEqual({ page: 'webhook', id: 'a/b' });
    expect(parseRoute('#/suppressions')).toEqual({ page: 'suppressions' });
    expect(parseRoute('#/api-keys')).toEqual({ page: 'api-keys' });
    expect(parseRoute('#/deliverability')).toEqual({ page: 'deliverability' });
    expect(parseRoute('#/local/messages')).toEqual({ page: 'local-messages' });
    expect(parseRoute('#/local/dead-letters')).toEqual({ page: 'local-dead-letters' });
  });

  it('shows the emails for an unknown or malformed route rather than failing', () => {
    for (const hash of ['', '#', '#/nothing', '#/emails/a/b', '#/suppressions/x', '#/webhooks/%E0%A4']) {
      const route = parseRoute(hash);
      expect(['emails', 'webhook']).toContain(route.page);
    }
    expect(parseRoute('#/webhooks/%E0%A4')).toEqual({ page: 'webhook', id: '%E0%A4' });
    expect(parseRoute('#/nothing')).toEqual({ page: 'emails' });
  });
});

describe("the sandboxed frame's document for an email's HTML", () => {
  const policyOf = (document: string): string => /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(document)![1]!;

  it('starts with a policy that allows no scripts, connections or remote images, before any of the email', () => {
    const html = '<html><head><meta http-equiv="Content-Security-Policy" content="img-src *"></head><body><img src="https://tracker.example/p.gif"></body></html>';
    const document = emailDocument(html, false);
    expect(document.indexOf('Content-Security-Policy')).toBeLessThan(document.indexOf(html));
    const policy = policyOf(document);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain('img-src data:;');
    expect(policy).not.toContain('https:');
    expect(policy).not.toMatch(/script-src|connect-src/);
  });

  it('allows https images only once the reader asks for them', () => {
    expect(policyOf(emailDocument('<p>x</p>', true))).toContain('img-src data: https:;');
  });
});
