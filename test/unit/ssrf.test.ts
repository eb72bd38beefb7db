import { OutboxError } from '../../lambda/core/errors';
import { checkWebhookUrl, isBlockedAddress } from '../../lambda/core/ssrf';
import { StaticHostResolver } from '../helpers/in-memory';

describe('the SSRF guard on webhook endpoints', () => {
  const resolver = new StaticHostResolver({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'internal.example.com': ['10.0.0.1'],
    'mixed.example.com': ['93.184.215.14', '192.168.1.20'],
    'mixed6.example.com': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', 'fe80::1'],
    'metadata.example.com': ['169.254.169.254'],
    'nothing.example.com': [],
  });
  const strict = { allowPrivate: false, resolver };
  const local = { allowPrivate: true, resolver };

  async function refusal(url: string, options = strict): Promise<string> {
    const error = await checkWebhookUrl(url, options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof OutboxError)) throw new Error(`expected ${url} to be refused, got ${String(error)}`);
    expect(error.kind).toBe('validation');
    return error.message;
  }

  describe('outside local mode', () => {
    it('accepts an https URL whose name resolves only to public addresses', async () => {
      const url = await checkWebhookUrl('https://hooks.example.com/outbox?team=1', strict);
      expect(url.href).toBe('https://hooks.example.com/outbox?team=1');
    });

    it('accepts a public IP literal without resolving it', async () => {
      const before = resolver.asked.length;
      await expect(checkWebhookUrl('https://93.184.215.14:8443/hook', strict)).resolves.toBeInstanceOf(URL);
      expect(resolver.asked.length).toBe(before);
    });

    it('refuses loopback, metadata and private IP literals, naming the kind of address', async () => {
      expect(await refusal('https://127.0.0.1/')).toBe(
        'The webhook endpoint "https://127.0.0.1/" points to 127.0.0.1, a loopback address (127.0.0.0/8); webhooks must reach a public address.',
      );
      expect(await refusal('http://169.254.169.254/')).toMatch(/uses http; webhook endpoints must use https/);
      expect(await refusal('https://169.254.169.254/latest/meta-data/')).toMatch(/the cloud instance metadata service \(169\.254\.169\.254\/32\)/);
      expect(await refusal('https://[::1]/')).toMatch(/points to ::1, a loopback address \(::1\/128\)/);
      expect(await refusal('https://[fd00:ec2::254]/')).toMatch(/the cloud instance metadata service/);
      expect(await refusal('https://172.20.3.4/')).toMatch(/a private address \(172\.16\.0\.0\/12\)/);
      expect(await refusal('https://100.100.100.200/')).toMatch(/carrier-grade NAT/);
      expect(await refusal('https://0.0.0.0/')).toMatch(/an unspecified address/);
      expect(await refusal('https://[::]/')).toMatch(/an unspecified address/);
    });

    it('refuses IPv4 written in other notations, which URL parsing turns into dotted decimal', async () => {
      expect(await refusal('https://2130706433/')).toMatch(/points to 127\.0\.0\.1, a loopback address/);
      expect(await refusal('https://0x7f.1/')).toMatch(/points to 127\.0\.0\.1, a loopback address/);
    });

    it('judges IPv6 forms carrying an IPv4 address by that address', async () => {
      expect(await refusal('https://[::ffff:10.0.0.1]/')).toMatch(/a private address \(10\.0\.0\.0\/8\)/);
      expect(await refusal('https://[::ffff:169.254.169.254]/')).toMatch(/metadata service/);
      expect(await refusal('https://[64:ff9b::7f00:1]/')).toMatch(/a loopback address \(127\.0\.0\.0\/8\)/);
      expect(await refusal('https://[2002:a9fe:a9fe::1]/')).toMatch(/metadata service/);
      await expect(checkWebhookUrl('https://[::ffff:93.184.215.14]/', strict)).resolves.toBeInstanceOf(URL);
    });

    it('refuses a name that resolves to a private address', async () => {
      expect(await refusal('https://internal.example.com/hook')).toBe(
        'The webhook endpoint "https://internal.example.com/hook": internal.example.com resolves to a private address (10.0.0.0/8); webhooks must reach a public address.',
      );
      expect(await refusal('https://metadata.example.com/')).toMatch(/resolves to the cloud instance metadata service/);
    });

    it('checks every address a name resolves to, refusing one private address among public ones', async () => {
      expect(await refusal('https://mixed.example.com/')).toMatch(/mixed\.example\.com resolves to a private address \(192\.168\.0\.0\/16\)/);
      expect(await refusal('https://mixed6.example.com/')).toMatch(/resolves to a link-local address \(fe80::\/10\)/);
    });

    it('refuses a name that does not resolve, or resolves to nothing', async () => {
      expect(await refusal('https://nowhere.example.com/')).toBe(
        'The webhook endpoint "https://nowhere.example.com/": could not resolve nowhere.example.com (ENOTFOUND); use a host name with public DNS records.',
      );
      expect(await refusal('https://nothing.example.com/')).toMatch(/could not resolve nothing\.example\.com \(it has no addresses\)/);
    });

    it('refuses localhost and its subdomains without resolving them', async () => {
      const before = resolver.asked.length;
      expect(await refusal('https://localhost/')).toMatch(/points to localhost, which is always this machine \(loopback\)/);
      expect(await refusal('https://api.LOCALHOST./hook')).toMatch(/points to api\.localhost/);
      expect(resolver.asked.length).toBe(before);
    });

    it('refuses http and other schemes', async () => {
      expect(await refusal('http://hooks.example.com/')).toBe(
        'The webhook endpoint "http://hooks.example.com/" uses http; webhook endpoints must use https.',
      );
      expect(await refusal('ftp://hooks.example.com/')).toMatch(/uses ftp; webhook endpoints must use https/);
      expect(await refusal('file:///etc/passwd')).toMatch(/uses file/);
    });

    it('refuses credentials in the URL without echoing them', async () => {
      const message = await refusal('https://user:pw@hooks.example.com/');
      expect(message).toBe(
        'The webhook endpoint "https://***:***@hooks.example.com/" carries credentials (user:password@); put them in the path or a query parameter instead.',
      );
      expect(message).not.toContain('pw');
    });

    it('refuses what is not an absolute URL, or is too long', async () => {
      expect(await refusal('hooks.example.com/outbox')).toBe(
        'The webhook endpoint "hooks.example.com/outbox" is not a valid absolute URL (such as https://hooks.example.com/outbox).',
      );
      expect(await refusal(`https://hooks.example.com/${'a'.repeat(2100)}`)).toMatch(/characters long; the limit is 2048/);
    });
  });

  describe('in local mode', () => {
    it('accepts http and https on loopback and private addresses', async () => {
      await expect(checkWebhookUrl('http://127.0.0.1:4000/hook', local)).resolves.toBeInstanceOf(URL);
      await expect(checkWebhookUrl('http://[::1]:4000/hook', local)).resolves.toBeInstanceOf(URL);
      await expect(checkWebhookUrl('https://internal.example.com/hook', local)).resolves.toBeInstanceOf(URL);
    });

    it('still refuses other schemes and the metadata, link-local and reserved addresses', async () => {
      expect(await refusal('ftp://127.0.0.1/', local)).toMatch(/uses ftp; webhook endpoints must use https or http/);
      expect(await refusal('http://169.254.169.254/', local)).toMatch(/metadata service/);
      expect(await refusal('http://[fd00:ec2::254]/', local)).toMatch(/metadata service/);
      expect(await refusal('http://169.254.10.1/', local)).toMatch(/a link-local address/);
      expect(await refusal('http://224.0.0.1/', local)).toMatch(/a multicast address/);
    });
  });

  describe('isBlockedAddress, for the address a delivery connects to', () => {
    it.each([
      ['127.0.0.1', 'a loopback address (127.0.0.0/8)'],
      ['10.255.255.255', 'a private address (10.0.0.0/8)'],
      ['172.31.0.1', 'a private address (172.16.0.0/12)'],
      ['192.168.0.1', 'a private address (192.168.0.0/16)'],
      ['169.254.169.254', 'the cloud instance metadata service (169.254.169.254/32)'],
      ['169.254.0.1', 'a link-local address (169.254.0.0/16)'],
      ['100.64.0.1', 'a carrier-grade NAT (shared) address (100.64.0.0/10)'],
      ['0.1.2.3', 'an unspecified address (0.0.0.0/8)'],
      ['239.255.255.250', 'a multicast address (224.0.0.0/4)'],
      ['255.255.255.255', 'a reserved address (240.0.0.0/4)'],
      ['::', 'an unspecified address (::/128)'],
      ['::1', 'a loopback address (::1/128)'],
      ['fd12:3456::1', 'a private address (fc00::/7)'],
      ['fe80::1%eth0', 'a link-local address (fe80::/10)'],
      ['ff02::1', 'a multicast address (ff00::/8)'],
      ['::ffff:7f00:1', 'a loopback address (127.0.0.0/8)'],
      ['::ffff:0:a00:1', 'a private address (10.0.0.0/8)'],
      ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'a private address (10.0.0.0/8)'],
      ['not-an-address', 'something that is not an IP address'],
    ])('refuses %s as %s', (ip, reason) => {
      expect(isBlockedAddress(ip)).toBe(reason);
    });

    it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2002:5db8:d70e::1', '::ffff:8.8.8.8'])(
      'allows the public address %s',
      (ip) => {
        expect(isBlockedAddress(ip)).toBeUndefined();
      },
    );

    it('allows loopback and private addresses in local mode, but not metadata or link-local', () => {
      expect(isBlockedAddress('127.0.0.1', { allowPrivate: true })).toBeUndefined();
      expect(isBlockedAddress('192.168.1.1', { allowPrivate: true })).toBeUndefined();
      expect(isBlockedAddress('169.254.169.254', { allowPrivate: true })).toMatch(/metadata/);
      expect(isBlockedAddress('fe80::1', { allowPrivate: true })).toMatch(/link-local/);
    });
  });
});
