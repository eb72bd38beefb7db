import fc from 'fast-check';
import { OutboxError } from '../../lambda/core/errors';
import { canonicalJson, fingerprintOf } from '../../lambda/core/idempotency';
import { MAX_JSON_DEPTH, nestingDepthExceeds, readJsonBody } from '../../lambda/core/json-body';
import { parseSendRequest } from '../../lambda/core/send-request';
import { isTemplateNumber, parseTemplate } from '../../lambda/core/template-request';
import { decodePathParameter } from '../../lambda/entrypoints/route';
import { splitRequestTarget } from '../../local/http-server';
import { fuzzSettings, fuzzTimeoutMs } from './fuzz-settings';
import { anyText, deepText, draftProblems, EMAIL, EMAIL_PATHS, fieldText, numberText, TEMPLATE_PATHS, TEMPLATED_EMAIL, withFieldText, withSentinelAt } from './http-requests';

/**
 * The request parsers on their own, each against a statement of what it must do written here:
 * the JSON reader (depth and size limits, else JSON.parse's value), the Idempotency-Key canonical
 * JSON (a recursive reference, key order, any depth), the path-parameter decoder
 * (decodeURIComponent or a 400), the local server's request-target split, the send-body parser
 * (a draft that passes independent checks, or a 4xx OutboxError) and the template-number rule.
 */

/** The nesting depth of a parsed JSON value (a scalar is 0, `[]` is 1); iterative, for values thousands deep. */
function depthOf(root: unknown): number {
  let deepest = 0;
  const todo: [unknown, number][] = [[root, 0]];
  while (todo.length > 0) {
    const [value, depth] = todo.pop()!;
    if (value === null || typeof value !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const member of Array.isArray(value) ? value : Object.values(value)) todo.push([member, depth + 1]);
  }
  return deepest;
}

/** The canonical JSON as first written, recursively: the iterative one must write the same text. */
function referenceCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse().map(([k, v]) => [k, reversedKeys(v)]));
  }
  return value;
}

/** Runs `read`; its value, or the OutboxError it threw (anything else thrown fails the property). */
function outcome<T>(read: () => T): { value: T } | { error: OutboxError } {
  try {
    return { value: read() };
  } catch (error) {
    if (!(error instanceof OutboxError)) throw error;
    return { error };
  }
}

const jsonValue = fc.jsonValue({ maxDepth: 6 });

describe('the request parsers (property)', () => {
  it(
    'reads JSON as JSON.parse does within the depth limit, and refuses with a 4xx OutboxError otherwise',
    () => {
      const text = fc.oneof(jsonValue.map((v) => JSON.stringify(v)), anyText, deepText, fieldText, fc.string({ unit: 'grapheme-ascii' }));
      fc.assert(
        fc.property(text, (body) => {
          const read = outcome(() => readJsonBody(body));
          let parsed: unknown;
          let parses = true;
          try {
            parsed = JSON.parse(body);
          } catch {
            parses = false;
          }
          if ('value' in read) {
            expect(parses).toBe(true);
            expect(read.value).toEqual(parsed);
            expect(depthOf(read.value)).toBeLessThanOrEqual(MAX_JSON_DEPTH);
          } else {
            expect(read.error.kind).toBe('malformed_body');
            expect(read.error.status).toBe(400);
            if (parses) expect(body.trim() === '' || depthOf(parsed) > MAX_JSON_DEPTH).toBe(true);
          }
        }),
        fuzzSettings(1000),
      );
    },
    fuzzTimeoutMs(20_000),
  );

  it('finds the nesting depth of JSON text exactly, brackets inside strings not counted', () => {
    const nested = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: fc.constantFrom('[', '{', '"', '\\', 'k') }), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(nested, fc.integer({ min: 0, max: 12 }), (value, limit) => {
        expect(nestingDepthExceeds(JSON.stringify(value), limit)).toBe(depthOf(value) > limit);
      }),
      fuzzSettings(1000),
    );
  });

  it('writes the canonical JSON the recursive reference writes, whatever the key order, and reads back as the value', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(referenceCanonicalJson(value));
        expect(canonicalJson(reversedKeys(value))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(fingerprintOf(reversedKeys(value))).toBe(fingerprintOf(value));
      }),
      fuzzSettings(1000),
    );
  });

  it('decodes a path parameter as decodeURIComponent does, and refuses exactly what it cannot decode with a 400', () => {
    const raw = fc.oneof(
      anyText,
      anyText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))),
      fc.array(fc.oneof(fc.constantFrom('%', '%2', '%ZZ', '%C3', '%A9', '%ED%A0%80', '%F0%9F', '%u0041'), fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`)), { maxLength: 6 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(raw, (segment) => {
        let expected: string | undefined;
        try {
          expected = decodeURIComponent(segment);
        } catch {
          expected = undefined;
        }
        const read = outcome(() => decodePathParameter(segment));
        if (expected === undefined) {
          expect('error' in read && read.error.kind === 'malformed_path' && read.error.status === 400 && read.error.code === 'validation_error').toBe(true);
        } else {
          expect(read).toEqual({ value: expected });
        }
      }),
      fuzzSettings(1000),
    );
  });

  it('splits any request target into a path without its query, never throwing', () => {
    const target = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 60 }),
      fc.tuple(fc.constantFrom('', 'http://host', 'https://[', 'x-y://a:b@c'), fc.string({ maxLength: 30 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined })).map(
        ([origin, path, query]) => `${origin}${path}${query !== undefined ? `?${query}` : ''}`,
      ),
    );
    fc.assert(
      fc.property(target, (value) => {
        const { path, query } = splitRequestTarget(value);
        expect(path.length).toBeGreaterThan(0);
        expect(path.includes('?') || path.includes('#')).toBe(false);
        expect(typeof query).toBe('object');
        if (value.startsWith('/') && !/[?#]/.test(value)) expect(path).toBe(value);
      }),
      fuzzSettings(1000),
    );
  });

  it(
    'turns any send body into a draft that passes independent checks, or a 4xx OutboxError',
    () => {
      const body = fc.oneof(
        jsonValue.map((value) => JSON.stringify(value)),
        fc.tuple(fc.constantFrom(...EMAIL_PATHS), fieldText).map(([path, text]) => withFieldText(withSentinelAt(EMAIL, path), text)),
        fc.tuple(fc.constantFrom(...TEMPLATE_PATHS), fieldText).map(([path, text]) => withFieldText(withSentinelAt(TEMPLATED_EMAIL, path), text)),
      );
      let drafts = 0;
      fc.assert(
        fc.property(body, (text) => {
          const read = outcome(() => parseSendRequest(readJsonBody(text)));
          if ('value' in read) {
            drafts++;
            expect(draftProblems(read.value)).toEqual([]);
          } else {
            expect(read.error.status >= 400 && read.error.status < 500).toBe(true);
          }
        }),
        fuzzSettings(1000),
      );
      expect(drafts).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(20_000),
  );

  it('takes a template number exactly when it is a safe integer or a decimal of at least 0.000001, and sends it as exact JSON', () => {
    const number = fc.oneof(fc.double({ noNaN: true }), fc.integer(), numberText.map((text) => JSON.parse(text) as number), fc.constantFrom(2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e-6, 9.99e-7, -0));
    fc.assert(
      fc.property(number, (n) => {
        const problems: string[] = [];
        const template = parseTemplate({ id: 'welcome', variables: { n } }, (_kind, message) => problems.push(message));
        const exact = Number.isFinite(n) && (Number.isInteger(n) ? Math.abs(n) <= Number.MAX_SAFE_INTEGER : Math.abs(n) >= 0.000001);
        expect(isTemplateNumber(n)).toBe(exact);
        if (exact) {
          expect(problems).toEqual([]);
          const data = JSON.stringify(template!.variables);
          expect(JSON.parse(data)).toEqual({ n: n === 0 ? 0 : n });
          expect(Object.is(template!.variables.n, -0)).toBe(false);
          expect(data).not.toMatch(/e/i);
        } else {
          expect(template).toBeUndefined();
          expect(problems.join(' ')).toMatch(/`template\.variables\.n` is a number SES would not get as written/);
        }
      }),
      fuzzSettings(1000),
    );
  });
});
