/**
 * What the console's build (lib/console-build.ts, run by the stack at synth and by `npm start`)
 * and its serving (lambda/console/serve.ts) share.
 */

/** One file of the built console, as it is served. */
export interface ConsoleFile {
  /** Its URL path: `/console/` for the page, `/console/<name>` for an asset. */
  readonly path: string;
  /** The Content-Type it is served with. */
  readonly contentType: string;
  readonly body: string;
  /** Its name carries a hash of its content, so it may be cached for good. */
  readonly immutable: boolean;
}

/** Where the console is served, on the API's own origin. */
export const CONSOLE_PATH = '/console';

/** The browser app's sources, relative to the repository root. */
export const CONSOLE_APP_DIR = 'lambda/console/app';

/** The file next to the console Lambda's bundle holding the built console (a JSON array of ConsoleFile). */
export const CONSOLE_FILES_NAME = 'console-files.json';
