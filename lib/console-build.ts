import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { CONSOLE_APP_DIR, CONSOLE_PATH, type ConsoleFile } from '../lambda/shared/console';

const REPO_ROOT = path.resolve(__dirname, '..');

/** The browsers the console is built for: every evergreen browser of the last few years. */
const BROWSER_TARGETS = ['chrome111', 'edge111', 'firefox114', 'safari16.4'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Builds the web console into the files it is served as, in memory: its TypeScript (`main.ts` and
 * what it imports) bundled and minified by esbuild for the browser into `app-<hash>.js`, its
 * `styles.css` into `styles-<hash>.css`, and `index.html` with its references to `app.js` and
 * `styles.css` pointed at those names. Nothing is fetched, at build time or when the page runs:
 * every byte the page loads is one of these files. The hashed names change with their content, so
 * they may be cached for good; the page itself is revalidated.
 *
 * Synchronous, so the stack can build at synth (a construct cannot wait); `npm start` builds at
 * start. Throws esbuild's errors, or when index.html does not reference an output exactly once.
 */
export function buildConsole(appDir: string = path.join(REPO_ROOT, CONSOLE_APP_DIR)): ConsoleFile[] {
  const entryPoints: Record<string, string> = { app: path.join(appDir, 'main.ts') };
  const styles = path.join(appDir, 'styles.css');
  if (existsSync(styles)) entryPoints.styles = styles;
  const outdir = path.join(appDir, 'out');
  const { outputFiles } = buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints,
    outdir,
    entryNames: '[name]-[hash]',
    write: false,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: BROWSER_TARGETS,
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    tsconfig: path.join(appDir, 'tsconfig.json'),
    logLevel: 'silent',
  });

  let html = readFileSync(path.join(appDir, 'index.html'), 'utf8');
  const assets: ConsoleFile[] = [];
  for (const output of outputFiles) {
    const name = path.relative(outdir, output.path);
    const extension = path.extname(name);
    const contentType = CONTENT_TYPES[extension];
    const plain = /^(.+)-[A-Z0-9]+(\.\w+)$/.exec(name);
    if (!contentType || !plain || name.includes('/')) throw new Error(`The console's build made ${name}, which it does not know how to serve.`);
    html = pointAt(html, `${plain[1]}${plain[2]}`, name);
    assets.push({ path: `${CONSOLE_PATH}/${name}`, contentType, body: output.text, immutable: true });
  }
  return [{ path: `${CONSOLE_PATH}/`, contentType: 'text/html; charset=utf-8', body: html, immutable: false }, ...assets];
}

/** index.html with its one `src="<plain>"` or `href="<plain>"` pointing at `hashed` instead. */
function pointAt(html: string, plain: string, hashed: string): string {
  const escaped = plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const reference = new RegExp(`(\\s(?:src|href)=)(["'])${escaped}\\2`, 'g');
  const found = html.match(reference)?.length ?? 0;
  if (found !== 1) throw new Error(`The console's index.html must reference ${plain} once, as src="${plain}" or href="${plain}" (found ${found}).`);
  return html.replace(reference, `$1$2${hashed}$2`);
}
