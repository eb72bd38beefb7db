import { SesError, badRequest, notFound } from './errors';
import { checkTemplate, TemplateSyntaxError, type TemplateParts } from './template-render';
import { nameFromPath } from './path-name';

/**
 * The account's stored email templates, and the SES v2 operations on them (restJson1, field names
 * as the SDK serializes them):
 *
 * | operation | request | answer |
 * |---|---|---|
 * | CreateEmailTemplate | `POST /v2/email/templates` `{TemplateName, TemplateContent: {Subject, Text, Html}, Tags?}` | `{}`; `AlreadyExistsException` for a name in use |
 * | GetEmailTemplate | `GET /v2/email/templates/{TemplateName}` | `{TemplateName, TemplateContent, Tags?}`; `NotFoundException` |
 * | ListEmailTemplates | `GET /v2/email/templates?PageSize=&NextToken=` | `{TemplatesMetadata: [{TemplateName, CreatedTimestamp}], NextToken?}`, oldest first |
 * | UpdateEmailTemplate | `PUT /v2/email/templates/{TemplateName}` `{TemplateContent}` | `{}`; `NotFoundException` |
 * | DeleteEmailTemplate | `DELETE /v2/email/templates/{TemplateName}` | `{}`; `NotFoundException` |
 *
 * Limits from the SES guide ("Using templates to send personalized email"): 20,000 templates per
 * Region, 500 KB per template (text and HTML). The wording of the errors is ours except "Template
 * <name> does not exist.", which is what SES v1's TemplateDoesNotExist said. A template the
 * stand-in cannot render (see template-render.ts) is refused when stored, where real SES would
 * take it.
 */

/** A stored template's parts, with Handlebars placeholders. */
export type StoredTemplate = TemplateParts;

export interface TemplateRecord {
  readonly name: string;
  readonly content: StoredTemplate;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** SES resource names: letters, digits, underscores and dashes, at most 64. */
const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TEMPLATES = 20_000;
export const MAX_TEMPLATE_BYTES = 500 * 1024;
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

export class TemplateStore {
  private readonly templates = new Map<string, TemplateRecord>();

  constructor(private readonly clock: () => number) {}

  /** CreateEmailTemplate: throws AlreadyExistsException when the name is taken. */
  create(name: string, content: StoredTemplate, tags: TemplateRecord['tags'] = []): TemplateRecord {
    checkName(name);
    if (this.templates.has(name)) throw new SesError('AlreadyExistsException', `Template ${name} already exists.`, 400);
    if (this.templates.size >= MAX_TEMPLATES) throw new SesError('LimitExceededException', `The account already has ${MAX_TEMPLATES} templates, SES's limit per Region.`, 400);
    checkContent(name, content);
    const record = { name, content: { ...content }, tags: [...tags], createdAt: this.clock() };
    this.templates.set(name, record);
    return record;
  }

  /** Stores or replaces a template (the stand-in's own API and `/_local/templates`); true when it is new. */
  put(name: string, content: StoredTemplate): boolean {
    const existing = this.templates.get(name);
    if (!existing) {
      this.create(name, content);
      return true;
    }
    this.update(name, content);
    return false;
  }

  /** UpdateEmailTemplate: the content changes, the creation time stays. */
  update(name: string, content: StoredTemplate): TemplateRecord {
    const existing = this.require(name);
    checkContent(name, content);
    const record = { ...existing, content: { ...content } };
    this.templates.set(name, record);
    return record;
  }

  get(name: string): TemplateRecord | undefined {
    return this.templates.get(name);
  }

  /** The template, or SES's NotFoundException. */
  require(name: string): TemplateRecord {
    const record = this.templates.get(name);
    if (!record) throw notFound(`Template ${name} does not exist.`);
    return record;
  }

  delete(name: string): void {
    this.require(name);
    this.templates.delete(name);
  }

  /** Oldest first. */
  list(): TemplateRecord[] {
    return [...this.templates.values()];
  }
}

/**
 * Answers a template operation, or undefined when `path` is not one (`path` without a trailing
 * slash, `query` from the URL, `body` parsed JSON). Throws SesError as SES would answer.
 */
export function handleTemplateRequest(store: TemplateStore, method: string, path: string, query: URLSearchParams, body: unknown): unknown {
  if (path === '/v2/email/templates') {
    if (method === 'POST') {
      const request = object(body, 'request body');
      const name = requiredString(request.TemplateName, 'TemplateName');
      const tags = request.Tags === undefined || request.Tags === null ? [] : list(request.Tags, 'Tags').map((tag, i) => decodeTag(tag, `Tags[${i}]`));
      store.create(name, decodeContent(request.TemplateContent), tags);
      return {};
    }
    if (method === 'GET') return listPage(store, query);
    return undefined;
  }
  const match = /^\/v2\/email\/templates\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  const name = nameFromPath(match[1]!);
  switch (method) {
    case 'GET': {
      const record = store.require(name);
      return {
        TemplateName: record.name,
        TemplateContent: { Subject: record.content.subject, Text: record.content.text, Html: record.content.html },
        ...(record.tags.length > 0 ? { Tags: record.tags } : {}),
      };
    }
    case 'PUT':
      store.update(name, decodeContent(object(body, 'request body').TemplateContent));
      return {};
    case 'DELETE':
      store.delete(name);
      return {};
    default:
      return undefined;
  }
}

/** The template a SendEmail names by TemplateName or TemplateArn (`arn:aws:ses:<region>:<account>:template/<name>`). */
export function templateNameOf(name: string | undefined, arn: string | undefined): string | undefined {
  if (name !== undefined) return name;
  if (arn === undefined) return undefined;
  const at = arn.lastIndexOf(':template/');
  if (at < 0) throw badRequest(`Invalid value for TemplateArn: ${arn} is not a template ARN.`);
  return arn.slice(at + ':template/'.length);
}

function listPage(store: TemplateStore, query: URLSearchParams): unknown {
  const sizeText = query.get('PageSize');
  const size = sizeText === null ? DEFAULT_PAGE_SIZE : Number(sizeText);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw badRequest(`PageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  const token = query.get('NextToken');
  const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw badRequest('Invalid NextToken.');
  const all = store.list();
  const page = all.slice(start, start + size);
  return {
    // restJson1 timestamps are epoch seconds.
    TemplatesMetadata: page.map((t) => ({ TemplateName: t.name, CreatedTimestamp: t.createdAt / 1000 })),
    ...(start + size < all.length ? { NextToken: Buffer.from(String(start + size), 'utf8').toString('base64url') } : {}),
  };
}

function checkName(name: string): void {
  if (!TEMPLATE_NAME.test(name)) throw badRequest(`Invalid template name ${JSON.stringify(name)}: use 1-64 letters, digits, underscores or dashes.`);
}

function checkContent(name: string, content: StoredTemplate): void {
  const size = [content.subject, content.text, content.html].reduce((sum, part) => sum + (part === undefined ? 0 : Buffer.byteLength(part)), 0);
  if (size > MAX_TEMPLATE_BYTES) throw badRequest(`Template ${name} is ${size} bytes; a template can be at most ${MAX_TEMPLATE_BYTES} bytes.`);
  try {
    checkTemplate(content);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw badRequest(`Template ${name}: ${error.message}`);
    throw error;
  }
}

function decodeContent(value: unknown): StoredTemplate {
  if (value === undefined || value === null) throw badRequest('Missing required field: TemplateContent.');
  const content = object(value, 'TemplateContent');
  const parts = {
    subject: optionalString(content.Subject, 'TemplateContent.Subject'),
    text: optionalString(content.Text, 'TemplateContent.Text'),
    html: optionalString(content.Html, 'TemplateContent.Html'),
  };
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as StoredTemplate;
}

function decodeTag(value: unknown, path: string): { Key: string; Value: string } {
  const tag = object(value, path);
  return { Key: requiredString(tag.Key, `${path}.Key`), Value: optionalString(tag.Value, `${path}.Value`) ?? '' };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`Invalid value for ${path}: expected an object.`);
  return value as Record<string, unknown>;
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(`Invalid value for ${path}: expected a list.`);
  return value;
}

function requiredString(value: unknown, path: string): string {
  const text = optionalString(value, path);
  if (text === undefined || text === '') throw badRequest(`Missing required field: ${path}.`);
  return text;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`Invalid value for ${path}: expected a string.`);
  return value;
}
