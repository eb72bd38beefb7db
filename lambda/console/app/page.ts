import { ApiError, type Api } from './api';
import { h, replaceChildren } from './dom';

/** What every page gets: the API client and whether this is `npm start`. */
export interface PageContext {
  readonly api: Api;
  readonly local: boolean;
  /** The key was refused mid-session (revoked, restart): back to sign-in. */
  readonly signOut: (message?: string) => void;
}

/** A mounted page: `dispose` stops its timers when the route changes. */
export interface MountedPage {
  readonly dispose: () => void;
}

/** How often the pages that watch mail arrive refresh themselves. */
export const REFRESH_MS = 2000;

/**
 * Runs `task` every `ms`, never two at once, skipping ticks while the tab is hidden. Returns the
 * function that stops it.
 */
export function every(ms: number, task: () => Promise<void>): () => void {
  let running = false;
  let stopped = false;
  const timer = window.setInterval(() => {
    if (running || stopped || document.hidden) return;
    running = true;
    task().finally(() => {
      running = false;
    });
  }, ms);
  return () => {
    stopped = true;
    window.clearInterval(timer);
  };
}

/** The page's one h1, focusable so a route change can move focus (and a screen reader) to it. */
export function heading(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: -1 }, text);
}

/** An alert region: errors are announced when they appear. */
export function alertRegion(): HTMLDivElement {
  return h('div', { class: 'alert', role: 'alert' });
}

/** A status region for quiet confirmations ("Removed 3 suppressions"). */
export function statusRegion(): HTMLDivElement {
  return h('div', { class: 'status-line', role: 'status' });
}

/** Shows an error in an alert region, and signs out when the key itself was refused. */
export function showError(ctx: PageContext, region: HTMLElement, error: unknown): void {
  if (error instanceof ApiError && (error.errorName === 'invalid_api_key' || error.errorName === 'missing_api_key')) {
    ctx.signOut('The API key was refused (revoked, or Outbox restarted with another key). Sign in again.');
    return;
  }
  region.classList.add('visible');
  replaceChildren(region, error instanceof Error ? error.message : String(error));
}

/**
 * A page's action runner: runs the task, shows the confirmation it answers in `status` and loads
 * the page again, or shows its error in `alert`.
 */
export function actionRunner(ctx: PageContext, alert: HTMLElement, status: HTMLElement, reload: () => Promise<void>): (task: () => Promise<string>) => Promise<void> {
  return async (task) => {
    try {
      const message = await task();
      clearError(alert);
      replaceChildren(status, message);
      await reload();
    } catch (error) {
      showError(ctx, alert, error);
    }
  };
}

export function clearError(region: HTMLElement): void {
  region.classList.remove('visible');
  replaceChildren(region);
}
