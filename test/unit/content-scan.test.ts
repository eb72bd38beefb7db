import MailComposer from 'nodemailer/lib/mail-composer';
import { BLOCKED_EXTENSIONS, blockedExtensionOf, containsEicar, EICAR_SIGNATURE, scanDraft, type ScanVerdict, type VirusScanner } from '../../lambda/core/content-scan';
import type { EmailDraft } from '../../lambda/core/email';
import { OutboxError } from '../../lambda/core/errors';

const draft: EmailDraft = {
  from: { address: 'hello@acme.test' },
  to: [{ address: 'b@example.com' }],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: 'Hi',
  html: '<p>Hi</p>',
  text: 'Hi',
  headers: [],
  tags: [],
  attachments: [],
};
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const file = (filename: string, content: string | Buffer = 'hello') => ({ filename, content: b64(content), contentType: 'application/octet-stream' });

async function raw(attachments: { filename?: string; content: string | Buffer }[], text = 'Hello'): Promise<string> {
  const mail = new MailComposer({ from: 'hello@acme.test', to: 'b@example.com', subject: 'Hi', text, attachments });
  return (await mail.compile().build()).toString('base64');
}

async function refusal(promise: Promise<unknown>): Promise<OutboxError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** A scanner that records what it was given and answers as told. */
class FakeScanner implements VirusScanner {
  readonly description = 'fake scanner';
  readonly scanned: Buffer[] = [];
  constructor(private readonly answer: (content: Buffer) => ScanVerdict | Promise<ScanVerdict>) {}
  async scan(content: Uint8Array): Promise<ScanVerdict> {
    this.scanned.push(Buffer.from(content));
    return this.answer(Buffer.from(content));
  }
}

describe('blocked attachment types', () => {
  it('holds the 90 extensions SES refuses', () => {
    expect(BLOCKED_EXTENSIONS.size).toBe(90);
    for (const ext of ['exe', 'vbs', 'js', 'bat', 'msh1xml', 'ps2xml', 'vsmacros', 'xnk']) expect(BLOCKED_EXTENSIONS.has(ext)).toBe(true);
  });

  it.each([
    ['run.exe', 'exe'],
    ['RUN.EXE', 'exe'],
    ['invoice.pdf.exe', 'exe'],
    ['script.vbs', 'vbs'],
    ['trailing.exe.', 'exe'],
    ['trailing.exe .', 'exe'],
    ['profile.ps1xml', 'ps1xml'],
  ])('blocks %s (.%s)', (filename, extension) => {
    expect(blockedExtensionOf(filename)).toBe(extension);
  });

  it.each(['invoice.pdf', 'photo.png', 'archive.zip', 'exe', 'noextension', 'report.exe.pdf', 'notes.txt'])('lets %s through', (filename) => {
    expect(blockedExtensionOf(filename)).toBeUndefined();
  });
});

describe('scanDraft', () => {
  it('passes a clean email with attachments', async () => {
    await expect(scanDraft({}, { ...draft, attachments: [file('invoice.pdf'), file('logo.png')] })).resolves.toBeUndefined();
  });

  it('refuses blocked attachment types as invalid_attachment, naming every file and saying SES refuses them', async () => {
    const error = await refusal(scanDraft({}, { ...draft, attachments: [file('setup.exe'), file('ok.pdf'), file('Invoice.PDF.vbs')] }));
    expect(error.kind).toBe('invalid_attachment');
    expect(error.status).toBe(422);
    expect(error.code).toBe('invalid_attachment');
    expect(error.message).toBe(
      'SES refuses attachments of these types, so nothing was sent: `setup.exe` (.exe), `Invoice.PDF.vbs` (.vbs). The blocked extensions are listed at https://docs.aws.amazon.com/ses/latest/dg/mime-types.html; send such files in an archive or as a link.',
    );
  });

  it.each<[string, Partial<EmailDraft>, string]>([
    ['an attachment', { attachments: [file('eicar.txt', EICAR_SIGNATURE)] }, 'attachment `eicar.txt`'],
    ['an attachment with bytes around it', { attachments: [file('x.bin', Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(EICAR_SIGNATURE), Buffer.from([255])]))] }, 'attachment `x.bin`'],
    ['the HTML body', { html: `<p>${EICAR_SIGNATURE}</p>` }, 'the HTML body'],
    ['the text body', { text: `see ${EICAR_SIGNATURE}` }, 'the text body'],
    ['a template variable', { subject: undefined, html: undefined, text: undefined, template: { id: 't', variables: { body: EICAR_SIGNATURE } } }, 'template variable `body`'],
  ])('refuses the EICAR signature in %s as security_error', async (_case, change, where) => {
    const error = await refusal(scanDraft({}, { ...draft, ...change }));
    expect(error.kind).toBe('virus_found');
    expect(error.status).toBe(422);
    expect(error.code).toBe('security_error');
    expect(error.message).toBe(`A virus signature (the EICAR test file) was found in ${where}, so nothing was sent.`);
  });

  it('checks blocked types before anything else, and never calls the scanner then', async () => {
    const scanner = new FakeScanner(() => ({ infected: false }));
    const error = await refusal(scanDraft({ virusScanner: scanner }, { ...draft, attachments: [file('eicar.exe', EICAR_SIGNATURE)] }));
    expect(error.kind).toBe('invalid_attachment');
    expect(scanner.scanned).toHaveLength(0);
  });

  it('hands each attachment and the bodies to the virus scanner', async () => {
    const scanner = new FakeScanner(() => ({ infected: false }));
    await scanDraft({ virusScanner: scanner }, { ...draft, attachments: [file('a.pdf', 'AAA'), file('b.png', 'BBB')] });
    expect(scanner.scanned.map((b) => b.toString())).toEqual(['AAA', 'BBB', '<p>Hi</p>\nHi']);
  });

  it("refuses what the virus scanner finds as security_error, with the scanner's name for it", async () => {
    const scanner = new FakeScanner((content) => (content.toString() === 'BAD' ? { infected: true, signature: 'Win.Test.Fake-1' } : { infected: false }));
    const error = await refusal(scanDraft({ virusScanner: scanner }, { ...draft, attachments: [file('a.pdf', 'ok'), file('b.doc', 'BAD')] }));
    expect(error.kind).toBe('virus_found');
    expect(error.message).toBe('The virus scanner found Win.Test.Fake-1 in attachment `b.doc`, so nothing was sent.');
  });

  it('refuses with 503 application_error when the virus scanner cannot answer (fail closed)', async () => {
    const scanner = new FakeScanner(() => {
      throw new Error('clamd is unreachable: connect ECONNREFUSED');
    });
    const error = await refusal(scanDraft({ virusScanner: scanner }, draft));
    expect(error.kind).toBe('unavailable');
    expect(error.status).toBe(503);
    expect(error.code).toBe('application_error');
    expect(error.message).toBe(
      'The virus scanner is unavailable, so nothing was sent: Outbox does not send unscanned mail while a scanner is configured. Please try again shortly.',
    );
    expect((error.cause as Error).message).toMatch(/ECONNREFUSED/);
  });

  describe('a raw message', () => {
    const rawDraft = (rawBase64: string): EmailDraft => ({ ...draft, raw: rawBase64 });

    it('passes a clean message', async () => {
      await expect(scanDraft({}, rawDraft(await raw([{ filename: 'a.pdf', content: 'pdf' }])))).resolves.toBeUndefined();
    });

    it.each(['tool.exe', 'macro.VBS', 'invoice.pdf.exe'])('refuses a %s part', async (filename) => {
      const error = await refusal(scanDraft({}, rawDraft(await raw([{ filename: 'ok.pdf', content: 'x' }, { filename, content: 'MZ' }]))));
      expect(error.kind).toBe('invalid_attachment');
      expect(error.message).toContain(`\`${filename}\``);
    });

    it('refuses the EICAR signature in a base64-encoded part', async () => {
      const rawBase64 = await raw([{ filename: 'eicar.com.txt', content: Buffer.from(EICAR_SIGNATURE) }]);
      expect(Buffer.from(rawBase64, 'base64').toString()).not.toContain(EICAR_SIGNATURE);
      const error = await refusal(scanDraft({}, rawDraft(rawBase64)));
      expect(error.kind).toBe('virus_found');
      expect(error.message).toBe('A virus signature (the EICAR test file) was found in attachment `eicar.com.txt`, so nothing was sent.');
    });

    it('refuses the EICAR signature in the message as sent', async () => {
      const error = await refusal(scanDraft({}, rawDraft(await raw([], `look: ${EICAR_SIGNATURE}`))));
      expect(error.message).toBe('A virus signature (the EICAR test file) was found in the raw message, so nothing was sent.');
    });

    it('hands the whole message to the virus scanner once', async () => {
      const scanner = new FakeScanner(() => ({ infected: false }));
      const rawBase64 = await raw([{ filename: 'a.pdf', content: 'x' }]);
      await scanDraft({ virusScanner: scanner }, rawDraft(rawBase64));
      expect(scanner.scanned).toEqual([Buffer.from(rawBase64, 'base64')]);
    });
  });
});

describe('containsEicar', () => {
  it('finds the signature in bytes and text, and nothing in near misses', () => {
    expect(containsEicar(Buffer.from(`xx${EICAR_SIGNATURE}yy`))).toBe(true);
    expect(containsEicar(EICAR_SIGNATURE)).toBe(true);
    expect(containsEicar(EICAR_SIGNATURE.replace('EICAR', 'EICAX'))).toBe(false);
    expect(containsEicar(new Uint8Array(Buffer.from(EICAR_SIGNATURE)).subarray(1))).toBe(false);
  });
});
