/**
 * SES template rendering, as far as the stand-in models it. SES renders templates with Handlebars
 * (AWS "Advanced email personalization"): stored templates (CreateEmailTemplate) may use nested
 * attributes, `{{#each}}`, `{{#if}}` and other built-in helpers; inline `TemplateContent` in a
 * SendEmail takes "only simple substitutions" (SendEmail API reference). SES does not escape HTML
 * in what it substitutes ("SES doesn't escape HTML content when rendering").
 *
 * A variable the template uses and the data lacks (absent or null) is a Rendering Failure: SES
 * accepts the send, does not deliver it, and publishes a `Rendering Failure` event whose
 * `failure.errorMessage` reads "Attribute 'name' is not present in the rendering data." (AWS's
 * example; AWS knowledge center "ses-sendtemplatedemail-delivery-failure"). Extra data is ignored.
 *
 * Modelled: `{{path}}`, `{{{path}}}` and `{{& path}}` (the same here, since SES escapes nothing),
 * paths with `.` or `/`, `this`, `../`, `@index`, `@key`, `@first`, `@last`; `{{#if}}`,
 * `{{#unless}}`, `{{#each}}` (lists and objects), `{{#with}}`, each with `{{else}}`; comments;
 * `~` whitespace control. In a block's condition a missing attribute is simply false (that is
 * what `{{#if}}` is for), so only substitutions fail. Not modelled, and refused when a template is
 * stored: partials (`{{> name}}`, `{{#*inline}}`), other helpers (`{{lookup a b}}`, `{{#custom}}`),
 * inverse sections (`{{^name}}`), bracketed path segments.
 */

export type TemplateNode =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'value'; readonly path: string }
  | { readonly kind: 'block'; readonly helper: BlockHelper; readonly path: string; readonly body: TemplateNode[]; readonly inverse: TemplateNode[] };

type BlockHelper = 'if' | 'unless' | 'each' | 'with';
const BLOCK_HELPERS: readonly string[] = ['if', 'unless', 'each', 'with'];
const PATH = /^(?:\.\.\/)*(?:this|\.|@index|@key|@first|@last|(?:this[./])?[A-Za-z0-9_$:-]+(?:[./][A-Za-z0-9_$:-]+)*)$/;

/** A template the stand-in cannot read: unbalanced blocks, or a Handlebars feature it does not model. */
export class TemplateSyntaxError extends Error {}

/** The parts of a template, as stored or given inline. */
export interface TemplateParts {
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
}

export type RenderResult = { readonly ok: true; readonly parts: TemplateParts } | { readonly ok: false; readonly errorMessage: string };

/** Throws TemplateSyntaxError naming the first part the stand-in cannot render. */
export function checkTemplate(parts: TemplateParts): void {
  for (const [name, text] of Object.entries(parts) as [keyof TemplateParts, string | undefined][]) {
    if (text === undefined) continue;
    try {
      parseTemplate(text);
    } catch (error) {
      if (error instanceof TemplateSyntaxError) throw new TemplateSyntaxError(`${partName(name)}: ${error.message}`);
      throw error;
    }
  }
}

/**
 * Renders each part with `data` (TemplateData, parsed). `inline`: the SendEmail TemplateContent
 * form, which takes simple substitutions only. A problem in any part fails the whole message, as
 * SES sends nothing then.
 */
export function renderTemplate(parts: TemplateParts, data: Readonly<Record<string, unknown>>, options: { inline?: boolean } = {}): RenderResult {
  const rendered: { -readonly [K in keyof TemplateParts]: string } = {};
  for (const [name, text] of Object.entries(parts) as [keyof TemplateParts, string | undefined][]) {
    if (text === undefined) continue;
    let nodes: TemplateNode[];
    try {
      nodes = parseTemplate(text);
    } catch (error) {
      if (error instanceof TemplateSyntaxError) return { ok: false, errorMessage: `${partName(name)}: ${error.message}` };
      throw error;
    }
    if (options.inline && nodes.some((n) => n.kind === 'block')) {
      // Ours: SES documents the limit but not its error text.
      return { ok: false, errorMessage: `${partName(name)}: inline TemplateContent takes only simple substitutions ({{name}}, {{a.b}}); blocks such as {{#if}} need a stored template.` };
    }
    try {
      rendered[name] = renderNodes(nodes, [data], {});
    } catch (error) {
      if (error instanceof MissingAttribute) return { ok: false, errorMessage: `Attribute '${error.path}' is not present in the rendering data.` };
      throw error;
    }
  }
  return { ok: true, parts: rendered };
}

function partName(name: keyof TemplateParts): string {
  return { subject: 'Subject', text: 'Text', html: 'Html' }[name];
}

// --- parsing -------------------------------------------------------------------------------

/** A `{{...}}` tag: what is between the braces, less `~` and a triple-stash's own braces (marked `&`). */
interface Tag {
  readonly inner: string;
}

/** Splits a template into text and `{{...}}` tags, applying `~` whitespace control. */
function tokenize(template: string): (string | Tag)[] {
  const tokens: (string | Tag)[] = [];
  let at = 0;
  let stripNext = false;
  const pushText = (text: string) => {
    const value = stripNext ? text.replace(/^\s+/, '') : text;
    stripNext = false;
    if (value !== '') tokens.push(value);
  };
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    if (open < 0) {
      pushText(template.slice(at));
      break;
    }
    pushText(template.slice(at, open));
    const triple = template.startsWith('{{{', open) || template.startsWith('{{~{', open);
    const comment = /^\{\{~?!--/.test(template.slice(open, open + 6));
    const closer = comment ? '--' : triple ? '}' : '';
    const close = findClose(template, open + 2, closer);
    if (close < 0) throw new TemplateSyntaxError(`${JSON.stringify(template.slice(open, open + 20))} is not closed with }}.`);
    let inner = template.slice(open + 2, close);
    const end = template.indexOf('}}', close) + 2;
    const stripBefore = inner.startsWith('~');
    if (stripBefore) inner = inner.slice(1);
    const stripAfter = inner.endsWith('~');
    if (stripAfter) inner = inner.slice(0, -1);
    if (triple) inner = `&${inner.replace(/^\{/, '').replace(/\}$/, '')}`;
    if (stripBefore && typeof tokens.at(-1) === 'string') {
      const trimmed = (tokens.pop() as string).replace(/\s+$/, '');
      if (trimmed !== '') tokens.push(trimmed);
    }
    tokens.push({ inner });
    stripNext = stripAfter;
    at = end;
  }
  return tokens;
}

/** Where the tag opened at `from` ends: the index of its closing `}}` (after `closer`, for `--}}` and `}}}`), or -1. */
function findClose(template: string, from: number, closer: string): number {
  const pattern = closer === '--' ? /--~?\}\}/g : closer === '}' ? /\}~?\}\}/g : /~?\}\}/g;
  pattern.lastIndex = from;
  const match = pattern.exec(template);
  if (!match) return -1;
  // Keep the closer's characters (`--`, `}`, `~`) in the tag's inner text; they are removed later.
  return match.index + match[0].length - 2;
}

/** Parses a template into nodes; throws TemplateSyntaxError for what the stand-in cannot render. */
export function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: { helper: BlockHelper; path: string; body: TemplateNode[]; inverse: TemplateNode[]; inElse: boolean }[] = [];
  const target = (): TemplateNode[] => {
    const top = stack.at(-1);
    return top === undefined ? root : top.inElse ? top.inverse : top.body;
  };
  for (const token of tokenize(template)) {
    if (typeof token === 'string') {
      target().push({ kind: 'text', value: token });
      continue;
    }
    const trimmed = token.inner.trim();
    if (trimmed.startsWith('!')) continue;
    if (trimmed.startsWith('>') || trimmed.startsWith('#>') || trimmed.startsWith('#*')) {
      throw new TemplateSyntaxError(`{{${trimmed}}}: Handlebars partials are not modelled by the SES stand-in (real SES renders them).`);
    }
    if (trimmed.startsWith('#')) {
      const [helper = '', path, ...rest] = trimmed.slice(1).trim().split(/\s+/);
      if (!BLOCK_HELPERS.includes(helper)) {
        throw new TemplateSyntaxError(`{{${trimmed}}}: the block helper \`${helper}\` is not modelled by the SES stand-in (it renders #if, #unless, #each and #with).`);
      }
      if (path === undefined || rest.length > 0 || !PATH.test(path)) {
        throw new TemplateSyntaxError(`{{${trimmed}}}: #${helper} takes one attribute path, such as {{#${helper} items}}.`);
      }
      stack.push({ helper: helper as BlockHelper, path, body: [], inverse: [], inElse: false });
      continue;
    }
    if (trimmed === 'else' || trimmed === '^') {
      const top = stack.at(-1);
      if (!top || top.inElse) throw new TemplateSyntaxError('{{else}} outside a block, or given twice.');
      top.inElse = true;
      continue;
    }
    if (trimmed.startsWith('/')) {
      const name = trimmed.slice(1).trim();
      const top = stack.pop();
      if (!top) throw new TemplateSyntaxError(`{{/${name}}} closes no block.`);
      if (top.helper !== name) throw new TemplateSyntaxError(`{{/${name}}} closes {{#${top.helper}}}.`);
      target().push({ kind: 'block', helper: top.helper, path: top.path, body: top.body, inverse: top.inverse });
      continue;
    }
    if (trimmed.startsWith('^')) {
      throw new TemplateSyntaxError(`{{${trimmed}}}: inverse sections are not modelled by the SES stand-in; use {{#unless}}.`);
    }
    const expression = trimmed.startsWith('&') ? trimmed.slice(1).trim() : trimmed;
    if (/\s/.test(expression)) {
      throw new TemplateSyntaxError(`{{${trimmed}}}: helpers such as \`${expression.split(/\s+/)[0]}\` are not modelled by the SES stand-in; only attribute paths are substituted.`);
    }
    if (!PATH.test(expression)) throw new TemplateSyntaxError(`{{${trimmed}}} is not an attribute path the SES stand-in can read.`);
    target().push({ kind: 'value', path: expression });
  }
  const open = stack.at(-1);
  if (open) throw new TemplateSyntaxError(`{{#${open.helper} ${open.path}}} is not closed with {{/${open.helper}}}.`);
  return root;
}

// --- rendering -----------------------------------------------------------------------------

class MissingAttribute extends Error {
  constructor(readonly path: string) {
    super(`Attribute '${path}' is not present in the rendering data.`);
  }
}

interface DataFrame {
  readonly index?: number;
  readonly key?: string;
  readonly first?: boolean;
  readonly last?: boolean;
}

function renderNodes(nodes: readonly TemplateNode[], contexts: readonly unknown[], frame: DataFrame): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.value;
    } else if (node.kind === 'value') {
      const value = lookup(node.path, contexts, frame);
      if (value === undefined || value === null) throw new MissingAttribute(node.path);
      out += String(value);
    } else {
      out += renderBlock(node, contexts, frame);
    }
  }
  return out;
}

function renderBlock(node: Extract<TemplateNode, { kind: 'block' }>, contexts: readonly unknown[], frame: DataFrame): string {
  const value = lookup(node.path, contexts, frame);
  switch (node.helper) {
    case 'if':
      return renderNodes(truthy(value) ? node.body : node.inverse, contexts, frame);
    case 'unless':
      return renderNodes(truthy(value) ? node.inverse : node.body, contexts, frame);
    case 'with':
      return value === undefined || value === null ? renderNodes(node.inverse, contexts, frame) : renderNodes(node.body, [...contexts, value], {});
    case 'each': {
      const entries: [string | number, unknown][] = Array.isArray(value)
        ? value.map((item, index) => [index, item])
        : value !== null && typeof value === 'object'
          ? Object.entries(value)
          : [];
      if (entries.length === 0) return renderNodes(node.inverse, contexts, frame);
      return entries
        .map(([key, item], index) =>
          renderNodes(node.body, [...contexts, item], {
            index,
            ...(typeof key === 'string' ? { key } : {}),
            first: index === 0,
            last: index === entries.length - 1,
          }),
        )
        .join('');
    }
  }
}

/** Handlebars' truthiness: false for undefined, null, false, 0, '' and an empty list. */
function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

function lookup(path: string, contexts: readonly unknown[], frame: DataFrame): unknown {
  let rest = path;
  let depth = contexts.length - 1;
  while (rest.startsWith('../')) {
    rest = rest.slice(3);
    depth = Math.max(0, depth - 1);
  }
  if (rest.startsWith('@')) return frame[rest.slice(1) as keyof DataFrame];
  let value = contexts[depth];
  if (rest === 'this' || rest === '.') return value;
  for (const segment of rest.replace(/^this[./]/, '').split(/[./]/)) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
