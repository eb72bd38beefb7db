import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../lambda/console/serve';
import { buildConsole } from '../../lib/console-build';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

const NOT_FOUND = { statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' };

/** The headers every console answer carries. */
function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

/** The `src` and `href` values of the page's script and stylesheet tags. */
function assetReferences(html: string): string[] {
  return [...html.matchAll(/<(?:script|link rel="stylesheet")[^>]*\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

describe('the web console served by npm start, over real HTTP', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
  });
  afterAll(() => outbox.stop());

  it('redirects /console to console/, relative, so the page and its assets resolve under any path prefix', async () => {
    const response = await fetch(`${outbox.url}/console`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('console/');
    expect(new URL(response.headers.get('location')!, `${outbox.url}/console`).pathname).toBe('/console/');
    expect(new URL(response.headers.get('location')!, 'https://api.example/v1/console').pathname).toBe('/v1/console/');
    expectSecurityHeaders(response);
  });

  it('serves the page without a key, with the strict policy, revalidated on each load, and no inline script, style or handler', async () => {
    const response = await fetch(`${outbox.url}/console`);
    expect(response.url).toBe(`${outbox.url}/console/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expectSecurityHeaders(response);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    const html = await response.text();
    for (const script of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) expect(script).toMatch(/^<script src="[^"]+"[^>]*><\/script>$/);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    expect(assetReferences(html)).toEqual([expect.stringMatching(/^styles-[A-Z0-9]+\.css$/), expect.stringMatching(/^app-[A-Z0-9]+\.js$/)]);

    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${outbox.url}/console/`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(`${outbox.url}/console/`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('serves the script and the stylesheet the page names, minified, under hashed names cached for good', async () => {
    const html = await (await fetch(`${outbox.url}/console/`)).text();
    const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
    for (const name of assetReferences(html)) {
      const response = await fetch(`${outbox.url}/console/${name}`);
      expect({ name, status: response.status, type: response.headers.get('content-type') }).toEqual({ name, status: 200, type: types[path.extname(name)] });
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expectSecurityHeaders(response);
      const body = await response.text();
      // Minified: no line of source-like length, no source map.
      expect(body.split('\n').length).toBeLessThan(20);
      expect(body).not.toMatch(/sourceMappingURL/);
    }
  });

  it('answers other paths under /console and other methods 404 as API Gateway does, never asking for a key', async () => {
    for (const [method, target] of [
      ['GET', '/console/app.js'],
      ['GET', '/console/index.html'],
      ['POST', '/console/'],
      ['DELETE', '/console'],
      ['HEAD', '/console/'],
    ] as const) {
      const response = await fetch(`${outbox.url}${target}`, { method, redirect: 'manual' });
      expect({ method, target, status: response.status }).toEqual({ method, target, status: 404 });
      expectSecurityHeaders(response);
      if (method !== 'HEAD') expect(await response.json()).toEqual(NOT_FOUND);
    }
  });

  it('leaves the API as it was: its routes still need a key, /health does not, and /consoles is no console path', async () => {
    expect((await fetch(`${outbox.url}/health`)).status).toBe(200);
    const consoles = await fetch(`${outbox.url}/consoles`);
    expect(consoles.status).toBe(401);
    expect(consoles.headers.get('content-security-policy')).toBeNull();
    const emails = await fetch(`${outbox.url}/emails`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    expect(emails.status).toBe(200);
  });
});

describe('buildConsole', () => {
  it('builds the page, one script and one stylesheet, each fetching nothing from elsewhere', () => {
    const files = buildConsole();
    expect(files.map((f) => f.path)).toEqual(['/console/', expect.stringMatching(/^\/console\/app-\w+\.js$/), expect.stringMatching(/^\/console\/styles-\w+\.css$/)]);
    const [page, script, styles] = files;
    expect(page).toMatchObject({ contentType: 'text/html; charset=utf-8', immutable: false });
    expect(script).toMatchObject({ contentType: 'text/javascript; charset=utf-8', immutable: true });
    expect(styles!.body).not.toMatch(/@import|url\((?!["']?data:)/);
    // An immediately invoked bundle: no module loader, nothing imported at run time.
    expect(script!.body).not.toMatch(/\bimport\s*\(|\brequire\s*\(/);
  });

  it("refuses an index.html that does not name the app's script", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outbox-console-build-'));
    try {
      writeFileSync(path.join(dir, 'main.ts'), 'document.title = "x";\n');
      writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
      writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script src="/app.js"></script>');
      expect(() => buildConsole(dir)).toThrow(`The console's index.html must reference app.js once, as src="app.js" or href="app.js" (found 0).`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
