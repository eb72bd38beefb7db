import { formatMailbox, parseMailbox } from '../../lambda/core/addresses';

describe('parseMailbox', () => {
  it('parses a quoted display name with a comma', () => {
    expect(parseMailbox('"Doe, Jane" <jane@example.com>')).toEqual({ ok: true, mailbox: { address: 'jane@example.com', name: 'Doe, Jane' } });
  });

  it.each(['plain', 'a@b', 'x@[1.2.3.4]', '', 'a@example.com, b@example.com'])('refuses %j', (input) => {
    expect(parseMailbox(input).ok).toBe(false);
  });
});

describe('formatMailbox', () => {
  it('leaves a bare address alone', () => {
    expect(formatMailbox({ address: 'a@example.com' })).toBe('a@example.com');
  });

  it('quotes a display name with specials', () => {
    expect(formatMailbox({ address: 'a@example.com', name: 'Doe, "J"' })).toBe('"Doe, \\"J\\"" <a@example.com>');
  });

  it('encodes a non-ASCII display name as an RFC 2047 encoded-word', () => {
    const formatted = formatMailbox({ address: 'a@example.com', name: 'Zoë' });
    expect(formatted).toBe(`=?UTF-8?B?${Buffer.from('Zoë').toString('base64')}?= <a@example.com>`);
  });
});
