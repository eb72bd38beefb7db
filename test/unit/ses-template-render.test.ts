import { checkTemplate, renderTemplate, TemplateSyntaxError } from '../../local/ses-standin/template-render';

function render(text: string, data: Record<string, unknown>, inline = false) {
  const result = renderTemplate({ text }, data, { inline });
  return result.ok ? result.parts.text : { failed: result.errorMessage };
}

describe('SES template rendering in the stand-in', () => {
  it('substitutes attributes and nested paths, with numbers as written', () => {
    expect(render('Hi {{name}}, order {{ order.id }} of {{order/total}} ({{count}} items)', { name: 'Ada', order: { id: 'A-1', total: '9.50' }, count: 3 })).toBe(
      'Hi Ada, order A-1 of 9.50 (3 items)',
    );
  });

  it('renders every part of a template', () => {
    const result = renderTemplate({ subject: 'Welcome, {{name}}', html: '<p>Hi {{name}}</p>', text: 'Hi {{name}}' }, { name: 'Ada' });
    expect(result).toEqual({ ok: true, parts: { subject: 'Welcome, Ada', html: '<p>Hi Ada</p>', text: 'Hi Ada' } });
  });

  it('does not escape HTML, as SES does not', () => {
    expect(render('{{v}} {{{v}}} {{& v}}', { v: '<b>&</b>' })).toBe('<b>&</b> <b>&</b> <b>&</b>');
  });

  it("fails on an attribute the data lacks, or gives as null, in SES's words; extra data is fine", () => {
    expect(render('Your colour is {{favoritecolor}}.', { name: 'Jane', favoritenumber: '10' })).toEqual({
      failed: "Attribute 'favoritecolor' is not present in the rendering data.",
    });
    expect(render('{{a.b}}', { a: { c: 1 } })).toEqual({ failed: "Attribute 'a.b' is not present in the rendering data." });
    expect(render('{{name}}', { name: null })).toEqual({ failed: "Attribute 'name' is not present in the rendering data." });
    expect(render('{{name}}', { name: '' })).toBe('');
  });

  it('fails the whole message when any part fails', () => {
    expect(renderTemplate({ subject: 'Hi {{name}}', text: 'Code {{code}}' }, { name: 'Ada' })).toEqual({
      ok: false,
      errorMessage: "Attribute 'code' is not present in the rendering data.",
    });
  });

  it('renders #if, #unless, #each and #with, with else, and treats a missing condition as false', () => {
    const template = '{{#if vip}}VIP {{else}}Guest {{/if}}{{#unless paid}}unpaid {{/unless}}{{#each items}}[{{@index}}:{{name}}{{#if @last}}.{{/if}}]{{else}}none{{/each}}{{#with address}} {{city}}{{/with}}';
    expect(render(template, { vip: true, items: [{ name: 'a' }, { name: 'b' }], address: { city: 'Oslo' } })).toBe('VIP unpaid [0:a][1:b.] Oslo');
    expect(render(template, { paid: true, items: [] })).toBe('Guest none');
  });

  it('iterates an object with @key, reads this and ../', () => {
    expect(render('{{#each prices}}{{@key}}={{this}}{{#if @first}},{{/if}}{{/each}}', { prices: { a: 1, b: 2 } })).toBe('a=1,b=2');
    expect(render('{{#each tags}}{{../prefix}}{{.}} {{/each}}', { prefix: '#', tags: ['x', 'y'] })).toBe('#x #y ');
  });

  it('drops comments and honours ~ whitespace control', () => {
    expect(render('a {{! note }}b {{!-- has }} inside --}}c', {})).toBe('a b c');
    expect(render('<ul>\n  {{~#each xs~}}\n  <li>{{this}}</li>\n  {{~/each~}}\n</ul>', { xs: [1, 2] })).toBe('<ul><li>1</li><li>2</li></ul>');
  });

  it('takes only simple substitutions in inline content', () => {
    expect(render('Hi {{name}}', { name: 'Ann' }, true)).toBe('Hi Ann');
    expect(render('{{#if a}}x{{/if}}', { a: 1 }, true)).toEqual({ failed: expect.stringMatching(/^Text: inline TemplateContent takes only simple substitutions/) });
  });

  it.each([
    ['a partial', 'Hi {{> footer}}', /Handlebars partials are not modelled/],
    ['an inline partial', '{{#*inline "x"}}y{{/inline}}', /partials are not modelled/],
    ['another block helper', '{{#custom a}}x{{/custom}}', /block helper `custom` is not modelled/],
    ['a helper call', '{{lookup a b}}', /helpers such as `lookup` are not modelled/],
    ['an inverse section', '{{^a}}x{{/a}}', /inverse sections are not modelled/],
    ['an unclosed block', '{{#if a}}x', /\{\{#if a\}\} is not closed with \{\{\/if\}\}/],
    ['a mismatched close', '{{#if a}}x{{/each}}', /\{\{\/each\}\} closes \{\{#if\}\}/],
    ['an unclosed tag', 'Hi {{name', /is not closed with \}\}/],
  ])('refuses %s when the template is stored, naming the part', (_, html, message) => {
    expect(() => checkTemplate({ subject: 'ok {{a}}', html })).toThrow(TemplateSyntaxError);
    expect(() => checkTemplate({ subject: 'ok {{a}}', html })).toThrow(new RegExp(`^Html: .*${message.source}`));
  });
});
