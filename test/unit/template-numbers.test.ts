import { OutboxError } from '../../lambda/core/errors';
import { parseSendRequest } from '../../lambda/core/send-request';
import { isTemplateNumber } from '../../lambda/core/template-request';
import { readJsonBody } from '../../lambda/core/json-body';

/** A templated send body whose `count` variable is the JSON text given. */
function withCount(text: string): string {
  return `{"from":"hello@acme.test","to":"ada@example.com","template":{"id":"welcome","variables":{"name":"Ada","count":${text}}}}`;
}

function refusal(text: string): string {
  try {
    parseSendRequest(readJsonBody(withCount(text)));
  } catch (error) {
    if (error instanceof OutboxError && error.status === 422) return error.message;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe('template variable numbers', () => {
  it.each(['0', '42', '-7', '9007199254740991', '-9007199254740991', '0.1', '2.5', '0.000001', '-0.000001', '123456.789', '1e3', '1.5e2'])(
    'sends %s as the same number, in plain decimal JSON',
    (text) => {
      const draft = parseSendRequest(readJsonBody(withCount(text)));
      const count = draft.template!.variables.count as number;
      expect(count).toBe(Number(text));
      expect(JSON.stringify(draft.template!.variables)).toBe(`{"name":"Ada","count":${String(Number(text))}}`);
      expect(String(count)).not.toMatch(/e/);
    },
  );

  it('sends -0 as 0', () => {
    const draft = parseSendRequest(readJsonBody(withCount('-0')));
    expect(Object.is(draft.template!.variables.count, 0)).toBe(true);
  });

  it.each([
    ['1e308', '1e+308'],
    ['-1e308', '-1e+308'],
    ['9007199254740993', '9007199254740992'],
    ['9007199254740992', '9007199254740992'],
    ['1e21', '1e+21'],
    ['123456789012345678901234567890', '1.2345678901234568e+29'],
    ['5e-324', '5e-324'],
    ['1e-7', '1e-7'],
    ['1e400', 'Infinity'],
    ['-1e400', '-Infinity'],
  ])('refuses %s with 422 validation_error, naming the variable and the value as read', (text, read) => {
    expect(refusal(text)).toBe(
      `\`template.variables.count\` is a number SES would not get as written (read as ${read}): give integers within ±9007199254740991 and decimals no smaller than 0.000001, or send the value as a string.`,
    );
  });

  it('takes such values as strings, as written', () => {
    const draft = parseSendRequest(readJsonBody(withCount('"1e308"')));
    expect(draft.template!.variables.count).toBe('1e308');
  });

  it('states the rule as isTemplateNumber', () => {
    expect([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.000001, 0.5].every(isTemplateNumber)).toBe(true);
    expect([2 ** 53, -(2 ** 53), 9.99e-7, Number.MIN_VALUE, Infinity, NaN].some(isTemplateNumber)).toBe(false);
  });
});
