import type { EmailDraft } from './email';
import { OutboxError } from './errors';
import { readMimeMessage, type MimeMessage } from './mime-message';

/**
 * The attachment extensions SES refuses (SES-FACTS §8, AWS "Unsupported attachment types"; the
 * v2 `Attachment.FileName` doc points to the same page). 90 extensions.
 */
export const BLOCKED_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js jse ksh lib lnk ' +
    'mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi msp ' +
    'mst ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps ' +
    'vsmacros vss vst vsw vxd ws wsc wsf wsh xnk'
  ).split(' '),
);

/**
 * The EICAR anti-virus test file (SES-FACTS §4): harmless, and every scanner reports it as a
 * virus. SES accepts a message carrying it and then rejects it (`Reject`, "Bad content"), so
 * Outbox refuses it up front instead, and a developer can check the refusal without a real virus.
 */
export const EICAR_SIGNATURE = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const EICAR_BYTES = Buffer.from(EICAR_SIGNATURE, 'latin1');

/** What a virus scanner said about one piece of content. */
export type ScanVerdict = { readonly infected: false } | { readonly infected: true; readonly signature: string };

/**
 * A virus scanner such as a ClamAV daemon. `scan` throws when the scanner cannot give a verdict
 * (unreachable, timed out, answered with an error); the send is then refused, never let through.
 */
export interface VirusScanner {
  /** Where it is, for the start-up line and logs, e.g. `clamd at 127.0.0.1:3310`. */
  readonly description: string;
  scan(content: Uint8Array): Promise<ScanVerdict>;
}

export interface ContentScanDeps {
  /** Unset: no daemon; the built-in checks (blocked types, EICAR) still run. */
  readonly virusScanner?: VirusScanner;
}

/** The extension that makes SES refuse this file name, or undefined. */
export function blockedExtensionOf(filename: string): string | undefined {
  // Windows ignores trailing dots and spaces, so `run.exe. ` opens as `run.exe`.
  const name = filename.replace(/[.\s]+$/, '');
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const extension = name.slice(dot + 1).toLowerCase();
  return BLOCKED_EXTENSIONS.has(extension) ? extension : undefined;
}

/** Whether the bytes or text contain the EICAR test signature anywhere. */
export function containsEicar(content: Uint8Array | string): boolean {
  if (typeof content === 'string') return content.includes(EICAR_SIGNATURE);
  return Buffer.from(content.buffer, content.byteOffset, content.byteLength).indexOf(EICAR_BYTES) >= 0;
}

/** One piece of a message, named the way a refusal names it. */
interface ScanItem {
  /** e.g. "attachment `invoice.pdf`" or "the HTML body". */
  readonly label: string;
  readonly content: Uint8Array | string;
}

interface ScanPlan {
  /** Every part that has a file name: its extension is checked. */
  readonly filenames: readonly string[];
  /** Searched for the EICAR signature. */
  readonly eicar: readonly ScanItem[];
  /** Handed to the virus scanner, when there is one. */
  readonly scanner: readonly ScanItem[];
}

/**
 * Scans an email's content before anything is stored or sent, cheapest check first.
 *
 * 1. Every file name (JSON attachments, or every named part of a raw message) against the
 *    extensions SES refuses: `invalid_attachment` naming each file.
 * 2. The EICAR test signature in any attachment's bytes, the bodies, the template variables, and
 *    the raw message both as sent and decoded: `virus_found` (422 `security_error`).
 * 3. The virus scanner, when configured: each attachment and the bodies, or the whole raw message
 *    (ClamAV reads MIME itself). A virus: `virus_found`. No verdict (unreachable, timeout, error):
 *    `unavailable` (503); the send is refused rather than sent unscanned (fail closed).
 *
 * Idempotent and side-effect free, so the batch path can call it for each email. `parsedRaw` lets
 * a caller that has already parsed `draft.raw` skip a second parse.
 */
export async function scanDraft(deps: ContentScanDeps, draft: EmailDraft, parsedRaw?: MimeMessage): Promise<void> {
  const plan = draft.raw !== undefined ? await rawPlan(draft.raw, parsedRaw) : structuredPlan(draft);

  const blocked = plan.filenames.flatMap((filename) => {
    const extension = blockedExtensionOf(filename);
    return extension ? [`\`${filename}\` (.${extension})`] : [];
  });
  if (blocked.length > 0) {
    throw new OutboxError(
      'invalid_attachment',
      `SES refuses attachments of these types, so nothing was sent: ${blocked.join(', ')}. The blocked extensions are listed at https://docs.aws.amazon.com/ses/latest/dg/mime-types.html; send such files in an archive or as a link.`,
    );
  }

  const eicar = plan.eicar.find((item) => containsEicar(item.content));
  if (eicar) {
    throw new OutboxError('virus_found', `A virus signature (the EICAR test file) was found in ${eicar.label}, so nothing was sent.`);
  }

  const scanner = deps.virusScanner;
  if (!scanner) return;
  for (const item of plan.scanner) {
    let verdict: ScanVerdict;
    try {
      verdict = await scanner.scan(typeof item.content === 'string' ? Buffer.from(item.content, 'utf8') : item.content);
    } catch (error) {
      throw new OutboxError(
        'unavailable',
        'The virus scanner is unavailable, so nothing was sent: Outbox does not send unscanned mail while a scanner is configured. Please try again shortly.',
        { cause: error },
      );
    }
    if (verdict.infected) {
      throw new OutboxError('virus_found', `The virus scanner found ${verdict.signature} in ${item.label}, so nothing was sent.`);
    }
  }
}

function structuredPlan(draft: EmailDraft): ScanPlan {
  const files: ScanItem[] = draft.attachments.map((a) => ({ label: `attachment \`${a.filename}\``, content: Buffer.from(a.content, 'base64') }));
  const bodies: ScanItem[] = [
    ...(draft.html !== undefined ? [{ label: 'the HTML body', content: draft.html }] : []),
    ...(draft.text !== undefined ? [{ label: 'the text body', content: draft.text }] : []),
  ];
  const variables = Object.entries(draft.template?.variables ?? {})
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => ({ label: `template variable \`${name}\``, content: value }));
  return {
    filenames: draft.attachments.map((a) => a.filename),
    eicar: [...files, ...bodies, ...(draft.subject !== undefined ? [{ label: 'the subject', content: draft.subject }] : []), ...variables],
    scanner: [...files, ...(bodies.length > 0 ? [{ label: 'the body', content: bodies.map((b) => b.content).join('\n') }] : [])],
  };
}

async function rawPlan(raw: string, parsed: MimeMessage | undefined): Promise<ScanPlan> {
  const bytes = Buffer.from(raw, 'base64');
  let message = parsed;
  if (!message) {
    try {
      message = await readMimeMessage(bytes);
    } catch (error) {
      throw new OutboxError('validation', 'The raw message could not be read as MIME, so it cannot be scanned; nothing was sent.', { cause: error });
    }
  }
  const whole: ScanItem = { label: 'the raw message', content: bytes };
  return {
    filenames: message.parts.flatMap((p) => (p.filename !== undefined ? [p.filename] : [])),
    eicar: [
      whole,
      ...message.parts.map((p) => ({ label: p.filename !== undefined ? `attachment \`${p.filename}\`` : `a ${p.contentType} part`, content: p.bytes })),
      ...(message.html !== undefined ? [{ label: 'the HTML body', content: message.html }] : []),
      ...(message.text !== undefined ? [{ label: 'the text body', content: message.text }] : []),
    ],
    scanner: [whole],
  };
}
