import { splitRequestTarget } from '../../local/http-server';

describe("splitRequestTarget (the local server's reading of the request line)", () => {
  it.each([
    ['/emails?limit=5', '/emails', { limit: '5' }],
    ['/suppressions/a%40b.com', '/suppressions/a%40b.com', {}],
    ['/emails/../api-keys', '/emails/../api-keys', {}],
    ['//health', '//health', {}],
    ['//', '//', {}],
    ['http://other.test/health?x=1', '/health', { x: '1' }],
    ['http://[', '/', {}],
    ['*', '*', {}],
    ['/health#top', '/health', {}],
    ['/emails?limit=1&limit=2', '/emails', { limit: '2' }],
    ['/emails?after=%ZZ&before=%E0', '/emails', { after: '%ZZ', before: '\ufffd' }],
    ['', '/', {}],
  ])('reads %j as the path %j and its query', (target, path, query) => {
    expect(splitRequestTarget(target)).toEqual({ path, query });
  });
});
