import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Dialog, type Page } from 'playwright-core';

/** Debian's chromium package; `.ci/run` installs it where it is missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The switches Chromium runs with: headless, no sandbox (the tests run as root in CI), and nothing
 * that reaches the network on its own (background requests, component updates, sync, QUIC), so a run touches
 * only loopback. Playwright adds a fresh, temporary --user-data-dir for every launch (it refuses one
 * given here) and deletes it at close, so no profile carries over between runs.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's headless Chromium through playwright-core; fails loudly, saying how to install it, when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: the browser tests need Debian's chromium package (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, chromiumSandbox: false, args: [...CHROMIUM_ARGS] });
}

/** Where the browser tests leave their screenshots (gitignored). */
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../test-output/console');

/**
 * Saves a screenshot of the whole of `page` as test-output/console/<name>.png and returns its path.
 * The viewport is stretched to the page's height for it rather than using Playwright's fullPage,
 * which leaves a sandboxed frame below the fold unpainted (Chromium draws such a frame, being
 * another process, only where the viewport shows it).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document.documentElement.scrollHeight);
  if (viewport && height > viewport.height) {
    await page.setViewportSize({ width: viewport.width, height });
    // One frame for the stretched layout to paint, the sandboxed frame's process included.
    await page.waitForTimeout(100);
  }
  try {
    await page.screenshot({ path: file });
  } finally {
    if (viewport && height > viewport.height) await page.setViewportSize(viewport);
  }
  return file;
}

/** What a page said that a test may want to assert on: console errors, uncaught exceptions, dialogs opened. */
export interface PageWatch {
  readonly consoleErrors: { text: string; url: string }[];
  readonly pageErrors: string[];
  readonly dialogs: string[];
}

/**
 * Records every console error, uncaught exception and dialog (alert, confirm, prompt) of `page`.
 * Dialogs are dismissed, so a payload that opens one cannot hang the test; it is only recorded.
 */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], dialogs: [] };
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') watch.consoleErrors.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error: Error) => watch.pageErrors.push(error.message));
  page.on('dialog', (dialog: Dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  return watch;
}
