import type { HttpResponse } from '../lambda/entrypoints/http';
import { SesError } from './ses-standin/errors';
import type { TemplateRecord, TemplateStore } from './ses-standin/templates';
import { decodePathParameter } from '../lambda/entrypoints/route';

/** The fields of `POST /_local/templates`. */
const FIELDS = ['name', 'subject', 'html', 'text'] as const;
/** As Outbox's `template.id` takes them, so every template defined here can be sent. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `/_local/templates`: the SES stand-in's stored templates over Outbox's local server, so a
 * template can be defined with curl, without the stand-in's port or an SES client (those work too:
 * CreateEmailTemplate against the stand-in reaches the same store).
 *
 * - `POST /_local/templates` `{ "name", "subject", "html"?, "text"? }` defines or replaces one
 *   (201 when new, 200 when replaced) → the template;
 * - `GET /_local/templates` → `{ "object": "list", "data": [...] }`, oldest first;
 * - `GET /_local/templates/{name}` → one; `DELETE /_local/templates/{name}` → `{ object, name, deleted }`.
 *
 * Refusals use Outbox's error shape: 422 for a missing or bad field (what SES's CreateEmailTemplate
 * would refuse, and a Handlebars feature the stand-in does not render), 404 for an unknown name.
 * Returns undefined for other paths.
 */
export function localTemplateRoute(store: TemplateStore, method: string, path: string, body: string | undefined): HttpResponse | undefined {
  if (path === '/_local/templates') {
    if (method === 'GET') return json(200, { object: 'list', data: store.list().map(view) });
    if (method === 'POST') return defineTemplate(store, body);
    return error(405, 'method_not_allowed', `${method} is not allowed on /_local/templates; use GET or POST.`);
  }
  const match = /^\/_local\/templates\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  let name: string;
  try {
    name = decodePathParameter(match[1]!);
  } catch (refusal) {
    return error(400, 'validation_error', (refusal as Error).message);
  }
  const record = store.get(name);
  if (method !== 'GET' && method !== 'DELETE') return error(405, 'method_not_allowed', `${method} is not allowed on ${path}; use GET or DELETE.`);
  if (!record) return error(404, 'not_found', `The SES stand-in has no template ${JSON.stringify(name)}; define it with POST /_local/templates.`);
  if (method === 'GET') return json(200, view(record));
  store.delete(name);
  return json(200, { object: 'template', name, deleted: true });
}

function defineTemplate(store: TemplateStore, body: string | undefined): HttpResponse {
  let input: unknown;
  try {
    input = JSON.parse(body ?? '');
  } catch {
    return error(400, 'validation_error', 'Send a JSON object: `{ "name": "welcome", "subject": "Hi {{name}}", "html": "<p>Hi {{name}}</p>", "text": "Hi {{name}}" }`.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return error(400, 'validation_error', 'The request body must be a JSON object.');
  const fields = input as Record<string, unknown>;
  const problems: { name: 'missing_required_field' | 'validation_error'; message: string }[] = [];
  const unknown = Object.keys(fields).filter((f) => !(FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    problems.push({ name: 'validation_error', message: `${unknown.map((f) => `\`${f}\``).join(', ')} ${unknown.length === 1 ? 'is not a field' : 'are not fields'} of a template; the fields are ${FIELDS.map((f) => `\`${f}\``).join(', ')}.` });
  }
  for (const field of FIELDS) {
    if (fields[field] !== undefined && fields[field] !== null && typeof fields[field] !== 'string') problems.push({ name: 'validation_error', message: `\`${field}\` must be a string.` });
  }
  const { name, subject, html, text } = fields as Partial<Record<(typeof FIELDS)[number], string>>;
  if (name === undefined || name === null || name === '') problems.push({ name: 'missing_required_field', message: 'Missing `name`: the template id emails will give as `template.id`.' });
  else if (typeof name === 'string' && !NAME.test(name)) problems.push({ name: 'validation_error', message: '`name` must be 1-64 letters, digits, underscores or dashes, as `template.id` takes it.' });
  if (subject === undefined || subject === null || subject === '') problems.push({ name: 'missing_required_field', message: 'Missing `subject`.' });
  if (!html && !text) problems.push({ name: 'missing_required_field', message: 'Missing `html` or `text`: a template needs a body.' });
  if (problems.length > 0) return error(422, problems[0]!.name, problems.map((p) => p.message).join(' '));

  const content = { subject: subject!, ...(html ? { html } : {}), ...(text ? { text } : {}) };
  try {
    const created = store.put(name!, content);
    return json(created ? 201 : 200, view(store.get(name!)!));
  } catch (caught) {
    if (caught instanceof SesError && caught.statusCode < 500) return error(422, 'validation_error', caught.message);
    throw caught;
  }
}

function view(record: TemplateRecord): Record<string, unknown> {
  return {
    object: 'template',
    name: record.name,
    subject: record.content.subject ?? null,
    html: record.content.html ?? null,
    text: record.content.text ?? null,
    created_at: new Date(record.createdAt).toISOString(),
  };
}

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function error(status: number, name: string, message: string): HttpResponse {
  return json(status, { statusCode: status, name, message });
}
