import { Api, ApiError, apiBase, storedKey, storeKey } from './api';
import { button, field, h, on, replaceChildren } from './dom';
import { alertRegion, type MountedPage, type PageContext } from './page';
import { mountApiKeys } from './pages/api-keys';
import { mountDeliverability } from './pages/deliverability';
import { mountEmail } from './pages/email';
import { mountEmails } from './pages/emails';
import { mountDeadLetters, mountStandInMessages } from './pages/local';
import { mountSuppressions } from './pages/suppressions';
import { mountWebhook } from './pages/webhook';
import { mountWebhooks } from './pages/webhooks';
import { parseRoute, type Route } from './router';

/**
 * The console: sign-in with a full-access key, then one page per hash route. Everything shown
 * comes from the public API (and, under `npm start`, the local inspection routes).
 */

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');
const appRoot: HTMLElement = root;

let apiKey: string | null = storedKey();
const api = new Api(apiBase(location.pathname), () => apiKey);
let current: MountedPage | undefined;
let local = false;

const SECTIONS: readonly { label: string; route: string; pages: readonly Route['page'][]; localOnly?: boolean }[] = [
  { label: 'Emails', route: '#/emails', pages: ['emails', 'email'] },
  { label: 'Suppressions', route: '#/suppressions', pages: ['suppressions'] },
  { label: 'Webhooks', route: '#/webhooks', pages: ['webhooks', 'webhook'] },
  { label: 'API keys', route: '#/api-keys', pages: ['api-keys'] },
  { label: 'Deliverability', route: '#/deliverability', pages: ['deliverability'] },
  { label: 'SES stand-in', route: '#/local/messages', pages: ['local-messages'], localOnly: true },
  { label: 'Dead letters', route: '#/local/dead-letters', pages: ['local-dead-letters'], localOnly: true },
];

function signOut(message?: string): void {
  apiKey = null;
  storeKey(null);
  showSignIn(message);
}

const context = (): PageContext => ({ api, local, signOut });

/** The sign-in form: the key is checked with GET /api-keys, which only a full-access key may read. */
function showSignIn(message?: string): void {
  current?.dispose();
  current = undefined;
  document.title = 'Sign in · Outbox console';
  const alert = alertRegion();
  const input = h('input', { type: 'password', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', novalidate: true },
    h('h1', { tabindex: -1 }, 'Outbox console'),
    h('p', null, 'Sign in with a full-access API key. It is kept in this tab only, until you sign out or close it.'),
    alert,
    field('API key', input),
    submit,
  );
  on(form, 'submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') {
      showAlert(alert, 'Give an API key (ob_...): npm start prints one.');
      return;
    }
    submit.disabled = true;
    void checkKey(key)
      .then((problem) => {
        if (problem) {
          showAlert(alert, problem);
          return;
        }
        apiKey = key;
        storeKey(key);
        void start();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replaceChildren(appRoot, h('main', { id: 'main', class: 'signin-page' }, form));
  if (message) showAlert(alert, message);
  input.focus();
}

function showAlert(region: HTMLElement, message: string): void {
  region.classList.add('visible');
  replaceChildren(region, message);
}

/** Why a key cannot sign in, or undefined when it can. */
async function checkKey(key: string): Promise<string | undefined> {
  const probe = new Api(apiBase(location.pathname), () => key);
  try {
    await probe.get('/api-keys');
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) return String(error);
    if (error.errorName === 'restricted_api_key') {
      return 'This key has sending access only. The console needs a full-access key (permission full_access).';
    }
    if (error.errorName === 'invalid_api_key') return 'Outbox does not know this API key. Check it, or copy the one npm start printed.';
    return error.message;
  }
}

/** The signed-in frame: header, navigation and the page of the current route. */
async function start(): Promise<void> {
  local = await api.isLocal();
  const nav = h('nav', { 'aria-label': 'Sections' }, h('ul', null, SECTIONS.filter((section) => !section.localOnly || local).map((section) => h('li', null, h('a', { href: section.route, 'data-section': section.route }, section.label)))));
  const header = h(
    'header',
    { class: 'topbar' },
    h('span', { class: 'brand' }, 'Outbox', local ? h('span', { class: 'badge badge-local' }, 'local') : null),
    nav,
    button('Sign out', () => signOut()),
  );
  const main = h('main', { id: 'main' });
  replaceChildren(appRoot, header, main);
  render(main, nav);
}

let routeListener: (() => void) | undefined;

function render(main: HTMLElement, nav: HTMLElement): void {
  if (routeListener) window.removeEventListener('hashchange', routeListener);
  const show = (): void => {
    if (apiKey === null) return;
    current?.dispose();
    const route = parseRoute(location.hash);
    for (const link of nav.querySelectorAll('a')) {
      const section = SECTIONS.find((candidate) => candidate.route === link.getAttribute('data-section'));
      if (section?.pages.includes(route.page)) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    // One email's or webhook's page names itself once it has loaded.
    document.title = `${SECTIONS.find((section) => section.pages.includes(route.page))?.label ?? 'Outbox'} · Outbox console`;
    const page = h('div', { class: 'page' });
    replaceChildren(main, page);
    current = mount(route, page);
    window.scrollTo(0, 0);
    // Focus the new page's heading, so keyboard and screen-reader users land on it.
    window.setTimeout(() => page.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true }), 0);
  };
  routeListener = show;
  window.addEventListener('hashchange', show);
  show();
}

function mount(route: Route, page: HTMLElement): MountedPage {
  const ctx = context();
  switch (route.page) {
    case 'emails':
      return mountEmails(ctx, page);
    case 'email':
      return mountEmail(ctx, page, route.id);
    case 'suppressions':
      return mountSuppressions(ctx, page);
    case 'webhooks':
      return mountWebhooks(ctx, page);
    case 'webhook':
      return mountWebhook(ctx, page, route.id);
    case 'api-keys':
      return mountApiKeys(ctx, page);
    case 'deliverability':
      return mountDeliverability(ctx, page);
    case 'local-messages':
      return mountStandInMessages(ctx, page);
    case 'local-dead-letters':
      return mountDeadLetters(ctx, page);
  }
}

if (apiKey === null) showSignIn();
else {
  // A key kept from earlier in this tab may have been revoked since.
  void checkKey(apiKey).then((problem) => (problem ? signOut(problem) : start()));
}
