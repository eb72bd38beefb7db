import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClamdScanner, parseClamdAddress, parseInstreamReply } from '../../lambda/adapters/clamd-scanner';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';
import { FakeClamd } from '../helpers/fake-clamd';

describe('ClamdScanner against a fake clamd server', () => {
  const clamd = new FakeClamd();
  let scanner: ClamdScanner;

  beforeAll(async () => {
    await clamd.listen({ port: 0, host: '127.0.0.1' });
    scanner = new ClamdScanner({ address: `127.0.0.1:${clamd.port}`, chunkBytes: 1000, timeoutMs: 500 });
  });
  afterAll(() => clamd.close());
  beforeEach(() => {
    clamd.behaviour = 'scan';
  });

  it('streams the content in length-prefixed chunks and reads stream: OK as clean', async () => {
    const content = Buffer.alloc(2500, 7);
    await expect(scanner.scan(content)).resolves.toEqual({ infected: false });
    expect(clamd.chunkLengths).toEqual([1000, 1000, 500]);
    expect(clamd.streams.at(-1)).toEqual(content);
  });

  it('reads `stream: <name> FOUND` as infected, with the signature name', async () => {
    await expect(scanner.scan(Buffer.from(`x${EICAR_SIGNATURE}`))).resolves.toEqual({ infected: true, signature: 'Eicar-Test-Signature' });
  });

  it('scans empty content', async () => {
    await expect(scanner.scan(Buffer.alloc(0))).resolves.toEqual({ infected: false });
  });

  it("throws clamd's error answer (a size limit) instead of calling the content clean", async () => {
    clamd.behaviour = 'size-limit';
    await expect(scanner.scan(Buffer.alloc(200_000, 1))).rejects.toThrow('clamd could not scan the content: INSTREAM size limit exceeded. ERROR');
  });

  it('throws when clamd does not answer in time', async () => {
    clamd.behaviour = 'silent';
    await expect(scanner.scan(Buffer.from('hello'))).rejects.toThrow('clamd did not answer within 500 ms');
  });

  it('throws when clamd hangs up without an answer', async () => {
    clamd.behaviour = 'hang-up';
    await expect(scanner.scan(Buffer.from('hello'))).rejects.toThrow(/clamd (closed the connection without an answer|is unreachable)/);
  });

  it('throws when nothing listens at the address', async () => {
    const closed = new FakeClamd();
    await closed.listen({ port: 0, host: '127.0.0.1' });
    const port = closed.port;
    await closed.close();
    await expect(new ClamdScanner({ address: `127.0.0.1:${port}` }).scan(Buffer.from('x'))).rejects.toThrow(/clamd is unreachable: connect ECONNREFUSED/);
  });

  it('answers PING', async () => {
    await expect(scanner.ping()).resolves.toBe(true);
    await expect(new ClamdScanner({ address: '127.0.0.1:1', timeoutMs: 200 }).ping()).resolves.toBe(false);
  });

  it('speaks the same protocol over a unix socket', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outbox-clamd-'));
    const socketPath = path.join(dir, 'clamd.sock');
    const overSocket = new FakeClamd();
    await overSocket.listen({ path: socketPath });
    try {
      const viaSocket = new ClamdScanner({ address: socketPath });
      expect(viaSocket.description).toBe(`clamd at ${socketPath}`);
      await expect(viaSocket.scan(Buffer.from(EICAR_SIGNATURE))).resolves.toEqual({ infected: true, signature: 'Eicar-Test-Signature' });
    } finally {
      await overSocket.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clamd addresses and answers', () => {
  it.each([
    ['127.0.0.1:3310', { host: '127.0.0.1', port: 3310 }],
    ['clamav.internal:3310', { host: 'clamav.internal', port: 3310 }],
    ['[::1]:3310', { host: '::1', port: 3310 }],
    ['/run/clamav/clamd.ctl', { path: '/run/clamav/clamd.ctl' }],
  ])('reads %s', (address, target) => {
    expect(parseClamdAddress(address)).toEqual(target);
  });

  it.each(['localhost', '127.0.0.1:0', '127.0.0.1:99999', ''])('refuses %j', (address) => {
    expect(() => parseClamdAddress(address)).toThrow(/host:port .* or a unix socket path/);
  });

  it('reads verdicts and refuses anything else', () => {
    expect(parseInstreamReply('stream: OK')).toEqual({ infected: false });
    expect(parseInstreamReply('stream: Win.Test.EICAR_HDB-1 FOUND')).toEqual({ infected: true, signature: 'Win.Test.EICAR_HDB-1' });
    expect(() => parseInstreamReply('UNKNOWN COMMAND')).toThrow('clamd could not scan the content: UNKNOWN COMMAND');
    expect(() => parseInstreamReply('')).toThrow('(empty answer)');
  });
});
