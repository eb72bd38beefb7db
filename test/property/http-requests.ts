import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { EmailDraft } from '../../lambda/core/email';
import { isTemplateNumber } from '../../lambda/core/template-request';
import { WEBHOOK_HOST } from '../helpers/in-memory-api';

/**
 * What the HTTP property suites generate and check: text of every kind, JSON text for one field
 * (extreme numbers, deep nesting, huge strings), valid bodies with a field to replace, path
 * segments good and bad, and the checks on an answer and on a draft the sender received.
 */

/** The resend SDK's error names, read from the installed SDK's types (RESEND_ERROR_CODE_KEY). */
export function resendErrorNames(): Set<string> {
  const types = readFileSync(join(__dirname, '../../node_modules/resend/dist/index.d.mts'), 'utf8');
  const union = /type RESEND_ERROR_CODE_KEY = ([^;]+);/.exec(types);
  if (!union) throw new Error('RESEND_ERROR_CODE_KEY not found in the resend SDK types');
  return new Set([...union[1]!.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!));
}
export const SDK_ERROR_NAMES = resendErrorNames();

const SENTINEL = '\u0000replace-me\u0000';

/** A JSON text: the body with the sentinel string's JSON replaced by `text` (any JSON text, or none). */
export function withFieldText(body: unknown, text: string): string {
  return JSON.stringify(body).replace(JSON.stringify(SENTINEL), () => text);
}

/** `value` with the member at `path` set to the sentinel (objects and arrays made on the way). */
export function withSentinelAt(value: unknown, path: readonly (string | number)[]): unknown {
  if (path.length === 0) return SENTINEL;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const array = Array.isArray(value) ? [...(value as unknown[])] : [];
    array[head] = withSentinelAt(array[head], rest);
    return array;
  }
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
  object[head!] = withSentinelAt(object[head!], rest);
  return object;
}

// Values. ------------------------------------------------------------------------------------

export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
export const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.oneof(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }), loneSurrogate), maxLength: 20 }),
);

/** Numbers as JSON text, the ones JSON.stringify cannot write among them (-0, past double range, 2^53 + 1). */
export const numberText = fc.oneof(
  fc.constantFrom('-0', '0', '1e308', '-1e308', '1e400', '-1e400', '9007199254740993', '9007199254740991', '-9007199254740992', '1e21', '1e20', '5e-324', '1e-7', '0.000001', '0.1', '123456789012345678901234567890', '1.7976931348623157e308', '2.5'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
);

/** Arrays and objects `depth` levels deep, some mixed. */
export const deepText = fc.tuple(fc.integer({ min: 2, max: 4000 }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, kind]) => {
  const opens: string[] = [];
  for (let i = 0; i < depth; i++) opens.push(kind === 'array' || (kind === 'mixed' && i % 2 === 0) ? '[' : '{"a":');
  const closes = opens.map((open) => (open === '[' ? ']' : '}')).reverse();
  return `${opens.join('')}1${closes.join('')}`;
});

export const hugeText = fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify('x'.repeat(n)));

/** Any JSON text for a field: values of every type, extreme numbers, deep nesting, huge strings. */
/**
 * Objects whose members shadow Object.prototype's: `{"toString":0}` cannot become a string
 * (String() and template literals throw on it), `{"toJSON":...}` is not called by JSON.stringify.
 */
export const hostileObjectText = fc
  .dictionary(fc.constantFrom('toString', 'valueOf', 'toJSON', '__proto__', 'constructor', 'hasOwnProperty', 'length', '0'), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 })
  .map((value) => JSON.stringify(value));

export const fieldText = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: hostileObjectText },
  { weight: 3, arbitrary: numberText },
  { weight: 3, arbitrary: anyText.map((text) => JSON.stringify(text)) },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: hugeText },
);

// Valid bodies, and where a field may be replaced. --------------------------------------------------

export const EMAIL = {
  from: 'Acme <hello@acme.test>',
  to: ['ada@example.com'],
  cc: 'cc@example.com',
  subject: 'Hello',
  text: 'Hi there',
  html: '<p>Hi there</p>',
  headers: { 'X-Entity-Ref-ID': 'abc-123' },
  tags: [{ name: 'category', value: 'welcome' }],
  attachments: [{ filename: 'note.txt', content: Buffer.from('a note').toString('base64') }],
};
export const TEMPLATED_EMAIL = { from: 'hello@acme.test', to: 'ada@example.com', template: { id: 'welcome', variables: { name: 'Ada', count: 3 } } };
export const EMAIL_PATHS: readonly (readonly (string | number)[])[] = [
  ['from'], ['to'], ['to', 0], ['cc'], ['bcc'], ['reply_to'], ['subject'], ['text'], ['html'], ['headers'], ['headers', 'X-Entity-Ref-ID'],
  ['headers', 'X-Other'], ['tags'], ['tags', 0], ['tags', 0, 'name'], ['tags', 0, 'value'], ['attachments'], ['attachments', 0],
  ['attachments', 0, 'filename'], ['attachments', 0, 'content'], ['attachments', 0, 'content_type'], ['attachments', 0, 'content_id'],
  ['attachments', 0, 'path'], ['scheduled_at'], ['template'], ['unknown_field'],
];
export const TEMPLATE_PATHS: readonly (readonly (string | number)[])[] = [
  ['template', 'id'], ['template', 'variables'], ['template', 'variables', 'count'], ['template', 'variables', 'name'], ['template', 'variables', 'other'], ['template', 'extra'],
];
export const RAW_MESSAGE = Buffer.from('From: hello@acme.test\r\nTo: ada@example.com\r\nSubject: Hi\r\n\r\nHello\r\n').toString('base64');

export interface BodyShape {
  readonly body: unknown;
  readonly paths: readonly (readonly (string | number)[])[];
}

export function shapesFor(scheduledId: string): Record<string, BodyShape> {
  return {
    email: { body: EMAIL, paths: EMAIL_PATHS },
    templated: { body: TEMPLATED_EMAIL, paths: TEMPLATE_PATHS },
    batch: { body: [EMAIL, TEMPLATED_EMAIL], paths: [[0], [1], [2], ...EMAIL_PATHS.map((p) => [0, ...p]), ...TEMPLATE_PATHS.map((p) => [1, ...p])] },
    raw: { body: { raw: RAW_MESSAGE, to: 'ada@example.com' }, paths: [['raw'], ['to'], ['from'], ['cc'], ['bcc'], ['tags'], ['subject']] },
    reschedule: { body: { scheduled_at: '2026-12-05T10:00:00.000Z', id: scheduledId }, paths: [['scheduled_at'], ['id'], ['other']] },
    apiKey: { body: { name: 'ci', permission: 'sending_access' }, paths: [['name'], ['permission'], ['other']] },
    suppression: { body: { email: 'someone@example.com' }, paths: [['email'], ['other']] },
    suppressionBatch: { body: { emails: ['a@example.com', 'b@example.com'] }, paths: [['emails'], ['emails', 0], ['ids'], ['other']] },
    webhook: {
      body: { endpoint: `https://${WEBHOOK_HOST}/outbox`, events: ['email.sent', 'email.bounced'] },
      paths: [['endpoint'], ['events'], ['events', 0], ['status'], ['other']],
    },
  };
}

export function segmentArbitrary(knownIds: readonly string[]) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownIds) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: anyText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }) },
    { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary-ascii', maxLength: 2 }), fc.string({ maxLength: 8 })).map(([a, b, c]) => `${a}%${b}${c}`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('%ZZ', '%u0041', '%E0%A4', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%', '%%', '%0', '%00', '%2F', '%2e%2e', '..', '.', 'batch', 'raw', 'cancel', 'events', 'replay', 'attempts', 'signing-secret', 'rotate', 'add', 'remove', 'someone%40example.com'),
    },
    { weight: 1, arbitrary: anyText.filter((text) => text.length > 0 && !text.includes('/')) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'a'.repeat(n)) },
  );
}

/** What the checks written here find wrong with a draft the sender received; empty when none. */
export function draftProblems(draft: EmailDraft): string[] {
  const problems: string[] = [];
  const recipients = draft.to.length + draft.cc.length + draft.bcc.length;
  if (recipients < 1 || recipients > 50) problems.push(`${recipients} recipients`);
  for (const mailbox of [draft.from, ...draft.to, ...draft.cc, ...draft.bcc, ...draft.replyTo]) {
    if (!/^[^@\s]+@[^@\s]+$/.test(mailbox.address)) problems.push(`address ${JSON.stringify(mailbox.address)}`);
  }
  for (const value of [draft.subject ?? '', ...draft.headers.flatMap((h) => [h.name, h.value])]) {
    if (/[\r\n]/.test(value)) problems.push(`CR or LF in ${JSON.stringify(value)}`);
  }
  if (draft.template) {
    const data = JSON.stringify(draft.template.variables);
    if (JSON.stringify(JSON.parse(data)) !== data) problems.push(`TemplateData ${data} does not read back as itself`);
    for (const [name, value] of Object.entries(draft.template.variables)) {
      if (typeof value === 'number' && (!isTemplateNumber(value) || Object.is(value, -0) || /e/i.test(String(value)))) problems.push(`template number ${name}=${value}`);
    }
  }
  return problems;
}

/** The answer's problems as the property sees them: a status outside 2xx and 4xx, a body not JSON, a 4xx not in the SDK's shape. */
export function answerProblems(status: number, body: string): string[] {
  if (!(status >= 200 && status < 300) && !(status >= 400 && status < 500)) return [`status ${status}: ${body.slice(0, 300)}`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`body not JSON: ${body.slice(0, 300)}`];
  }
  if (status < 400) return [];
  const error = (parsed ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (Object.keys(error).sort().join() !== 'message,name,statusCode') problems.push(`error keys ${Object.keys(error).join()}`);
  if (error.statusCode !== status) problems.push(`statusCode ${String(error.statusCode)} on a ${status}`);
  if (!SDK_ERROR_NAMES.has(error.name as string)) problems.push(`name ${String(error.name)} is not the SDK's`);
  if (typeof error.message !== 'string' || error.message === '') problems.push('no message');
  return problems;
}
