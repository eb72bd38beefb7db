import type { DraftTemplate } from './email';
import type { ErrorKind } from './errors';
import { describeValue } from './list-query';

/** SES template names: letters, digits, underscores and dashes, at most 64 (as SES names its resources). */
const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_VARIABLES = 1000;
const MAX_VARIABLE_NAME_LENGTH = 256;

type Report = (kind: ErrorKind, message: string) => void;

/** The smallest fraction, in magnitude, JavaScript's JSON writes without an exponent. */
const MIN_TEMPLATE_FRACTION = 0.000001;

/**
 * The numbers a template variable may be, as they become SES's `TemplateData` (JSON text):
 * integers within ±(2^53 - 1) and fractions of magnitude 0.000001 or more; nothing infinite.
 * That is the set whose JSON text is plain decimal and reads back as the value the caller sent:
 *
 * - an integer past 2^53 is already rounded when the body is read (9007199254740993 arrives as
 *   9007199254740992), so the email would show a number nobody sent;
 * - JSON writes 1e21 and up, and fractions below 0.000001, with an exponent (`1e+21`, `5e-324`),
 *   which the rendered email would show as such;
 * - the email's record keeps the variables in DynamoDB, which holds numbers between 1e-130 and
 *   1e126 only, and whose SDK refuses integers past 2^53 rather than round them.
 *
 * Such values go as strings instead (`"1e308"`), which SES renders as written.
 */
export function isTemplateNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (Number.isInteger(value)) return Number.isSafeInteger(value);
  return Math.abs(value) >= MIN_TEMPLATE_FRACTION;
}

/**
 * Reads `template: { id, variables? }` (the resend SDK's EmailTemplateOptions). `id` names an SES
 * template stored in the account; `variables` (strings or numbers) become SES's `TemplateData`.
 * SES renders the subject and body from the stored template, so the body fields do not apply.
 */
export function parseTemplate(value: unknown, report: Report): DraftTemplate | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    report('validation', '`template` must be an object: `{ "id": "<SES template name>", "variables": { ... } }`.');
    return undefined;
  }
  const { id, variables } = value as Record<string, unknown>;
  let ok = true;
  if (id === undefined || id === null || id === '') {
    report('missing_field', 'Missing `template.id`: give the name of an SES email template.');
    ok = false;
  } else if (typeof id !== 'string' || !TEMPLATE_NAME_PATTERN.test(id)) {
    report('validation', `\`template.id\` must be an SES template name: 1-64 letters, digits, underscores or dashes; got ${describeValue(id)}.`);
    ok = false;
  }
  const parsed = parseVariables(variables, report);
  if (!ok || parsed === undefined) return undefined;
  return { id: id as string, variables: parsed };
}

function parseVariables(value: unknown, report: Report): Record<string, string | number> | undefined {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    report('validation', '`template.variables` must be an object of names to strings or numbers.');
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_VARIABLES) {
    report('validation', `\`template.variables\` has ${entries.length} entries; the limit is ${MAX_VARIABLES}.`);
    return undefined;
  }
  const variables: Record<string, string | number> = {};
  let ok = true;
  for (const [name, variable] of entries) {
    if (name === '' || name.length > MAX_VARIABLE_NAME_LENGTH) {
      report('validation', `\`template.variables\` names must be 1-${MAX_VARIABLE_NAME_LENGTH} characters.`);
      ok = false;
    } else if (name === '__proto__') {
      // An object member of that name is its prototype, not a value: neither the record kept in
      // DynamoDB nor JSON handling would keep it as a variable.
      report('validation', '`template.variables` cannot have a variable named `__proto__`; give it another name.');
      ok = false;
    } else if (typeof variable === 'string') {
      variables[name] = variable;
    } else if (typeof variable === 'number' && isTemplateNumber(variable)) {
      // -0 is JSON's 0 (JSON.stringify writes it so) and is kept as 0 everywhere.
      variables[name] = variable === 0 ? 0 : variable;
    } else if (typeof variable === 'number') {
      report(
        'validation',
        `\`template.variables.${name}\` is a number SES would not get as written (read as ${String(variable)}): give integers within ±${Number.MAX_SAFE_INTEGER} and decimals no smaller than ${MIN_TEMPLATE_FRACTION}, or send the value as a string.`,
      );
      ok = false;
    } else {
      report('validation', `\`template.variables.${name}\` must be a string or a number.`);
      ok = false;
    }
  }
  return ok ? variables : undefined;
}
