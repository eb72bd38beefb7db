import type { EmailSummary, EmailView, ListAnswer } from '../api-types';
import { LAST_EVENTS } from '../api-types';
import { append, button, field, h, on, replaceChildren, routeLink, scrollingTable, select } from '../dom';
import { EmailDetails } from '../email-cache';
import { addressOf, badge, subjectText, time } from '../format';
import { alertRegion, clearError, every, heading, REFRESH_MS, showError, statusRegion, type MountedPage, type PageContext } from '../page';
import { emailRoute } from '../router';

/**
 * The emails, newest first, 20 a page, refreshed every 2 s. GET /emails has no filters, so
 * filtering reads pages of 100 and keeps the matches, at most 500 emails per look (Older goes on
 * from where it stopped); the tag filter also reads the candidates' details (cached: tags never
 * change).
 */

const PAGE_SIZE = 20;
const SCAN_PAGE = 100;
const SCAN_LIMIT = 500;

interface Filters {
  readonly status: string;
  readonly recipient: string;
  readonly tag: string;
}

type Cursor = { readonly after: string } | { readonly before: string } | null;

interface View {
  readonly rows: EmailSummary[];
  readonly older: string | null;
  readonly newer: boolean;
  /** Set when a filtered look stopped at the scan limit. */
  readonly scanned?: number;
}

/** Kept across visits, so coming back from an email shows the same filters and page. */
let saved: { filters: Filters; cursor: Cursor } = { filters: { status: '', recipient: '', tag: '' }, cursor: null };

export function mountEmails(ctx: PageContext, page: HTMLElement): MountedPage {
  const details = new EmailDetails(ctx.api);
  const alert = alertRegion();
  const status = statusRegion();
  let filters = saved.filters;
  let cursor = saved.cursor;
  let view: View | undefined;
  let generation = 0;

  const statusSelect = select([{ value: '', label: 'All' }, ...LAST_EVENTS.map((value) => ({ value, label: value }))], filters.status);
  const recipientInput = h('input', { type: 'search', value: filters.recipient, autocomplete: 'off', placeholder: 'address or part of one' });
  const tagInput = h('input', { type: 'search', value: filters.tag, autocomplete: 'off', placeholder: 'name=value, or a name' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter emails' },
    field('Status', statusSelect),
    field('Recipient', recipientInput),
    field('Tag', tagInput),
  );
  on(form, 'submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  on(statusSelect, 'change', () => applyFilters());
  let typing: number | undefined;
  for (const input of [recipientInput, tagInput]) {
    on(input, 'input', () => {
      window.clearTimeout(typing);
      typing = window.setTimeout(applyFilters, 300);
    });
  }

  const tbody = h('tbody');
  const newerButton = button('Newer', () => go('newer'));
  const olderButton = button('Older', () => go('older'));
  // Until the first page arrives there is nowhere to page to.
  newerButton.disabled = true;
  olderButton.disabled = true;
  const pager = h('div', { class: 'pager' }, newerButton, olderButton);

  append(
    page,
    h('div', { class: 'page-head' }, heading('Emails'), h('p', { class: 'lede' }, 'Every email sent through this Outbox, newest first. This page refreshes itself.')),
    form,
    alert,
    scrollingTable('Emails', ['Subject', 'From', 'Recipients and their statuses', 'Status', 'Created'], tbody, { cards: true }),
    status,
    pager,
  );

  function applyFilters(): void {
    filters = { status: statusSelect.value, recipient: recipientInput.value.trim(), tag: tagInput.value.trim() };
    cursor = null;
    saved = { filters, cursor };
    void load();
  }

  function go(direction: 'newer' | 'older'): void {
    if (!view) return;
    if (direction === 'older' && view.older) cursor = { after: view.older };
    else if (direction === 'newer' && view.rows[0]) cursor = { before: view.rows[0].id };
    else if (direction === 'newer') cursor = null;
    saved = { filters, cursor };
    void load().then(() => tbody.closest('.table-scroll')?.scrollIntoView({ block: 'start' }));
  }

  async function load(): Promise<void> {
    const mine = ++generation;
    try {
      const next = await readView(ctx, details, filters, cursor);
      await details.refresh(next.rows.map((row) => row.id));
      // A newer look (filters changed meanwhile) wins.
      if (mine !== generation) return;
      if (cursor !== null && 'before' in cursor && !next.newer) {
        // Paged back up to the newest: follow new mail again.
        cursor = null;
        saved = { filters, cursor };
      }
      view = next;
      clearError(alert);
      renderRows(tbody, next.rows, details);
      newerButton.disabled = !next.newer;
      olderButton.disabled = next.older === null;
      replaceChildren(
        status,
        next.rows.length === 0 ? (isFiltered(filters) ? 'No email matches these filters.' : 'No emails yet. Send one, and it shows here within seconds.') : '',
        next.scanned ? ` Looked through ${next.scanned} emails; press Older to look further.` : '',
      );
    } catch (error) {
      if (mine === generation) showError(ctx, alert, error);
    }
  }

  void load();
  const stop = every(REFRESH_MS, load);
  return {
    dispose: () => {
      stop();
      window.clearTimeout(typing);
      generation++;
    },
  };
}

function isFiltered(filters: Filters): boolean {
  return filters.status !== '' || filters.recipient !== '' || filters.tag !== '';
}

async function readView(ctx: PageContext, details: EmailDetails, filters: Filters, cursor: Cursor): Promise<View> {
  if (!isFiltered(filters)) {
    const answer = await ctx.api.get<ListAnswer<EmailSummary>>('/emails', { limit: String(PAGE_SIZE), ...(cursor ?? {}) });
    const rows = answer.data;
    const last = rows[rows.length - 1];
    if (cursor !== null && 'before' in cursor) {
      return { rows, older: last ? last.id : cursor.before, newer: answer.has_more === true };
    }
    return { rows, older: answer.has_more && last ? last.id : null, newer: cursor !== null };
  }
  return cursor !== null && 'before' in cursor ? scanNewer(ctx, details, filters, cursor.before) : scanOlder(ctx, details, filters, cursor?.after);
}

/** From `after` (or the newest) toward older emails, until a page of matches or the scan limit. */
async function scanOlder(ctx: PageContext, details: EmailDetails, filters: Filters, after: string | undefined): Promise<View> {
  const matches: EmailSummary[] = [];
  let from = after;
  let scanned = 0;
  let more = true;
  while (matches.length <= PAGE_SIZE && more && scanned < SCAN_LIMIT) {
    const answer = await ctx.api.get<ListAnswer<EmailSummary>>('/emails', { limit: String(SCAN_PAGE), after: from });
    scanned += answer.data.length;
    matches.push(...(await matching(details, filters, answer.data)));
    more = answer.has_more === true && answer.data.length > 0;
    from = answer.data[answer.data.length - 1]?.id ?? from;
  }
  const rows = matches.slice(0, PAGE_SIZE);
  const older = matches.length > PAGE_SIZE ? rows[rows.length - 1]!.id : more ? (from ?? null) : null;
  return { rows, older, newer: after !== undefined, ...(more && matches.length < PAGE_SIZE ? { scanned } : {}) };
}

/** From `before` toward newer emails; keeps the matches nearest to it. */
async function scanNewer(ctx: PageContext, details: EmailDetails, filters: Filters, before: string): Promise<View> {
  const matches: EmailSummary[] = [];
  let from = before;
  let scanned = 0;
  let more = true;
  while (matches.length <= PAGE_SIZE && more && scanned < SCAN_LIMIT) {
    const answer = await ctx.api.get<ListAnswer<EmailSummary>>('/emails', { limit: String(SCAN_PAGE), before: from });
    scanned += answer.data.length;
    matches.push(...(await matching(details, filters, answer.data)));
    more = answer.has_more === true && answer.data.length > 0;
    from = answer.data[0]?.id ?? from;
  }
  matches.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const rows = matches.slice(-PAGE_SIZE);
  return { rows, older: before, newer: more || matches.length > PAGE_SIZE };
}

async function matching(details: EmailDetails, filters: Filters, emails: readonly EmailSummary[]): Promise<EmailSummary[]> {
  const needle = filters.recipient.toLowerCase();
  const candidates = emails.filter(
    (email) =>
      (filters.status === '' || email.last_event === filters.status) &&
      (needle === '' || [...email.to, ...(email.cc ?? []), ...(email.bcc ?? [])].some((mailbox) => addressOf(mailbox).toLowerCase().includes(needle))),
  );
  if (filters.tag === '') return candidates;
  await details.tagsOf(candidates.map((email) => email.id));
  return candidates.filter((email) => hasTag(details.cached(email.id), filters.tag));
}

/** `name=value` matches that tag; a bare word matches a tag of that name or that value. */
function hasTag(view: EmailView | undefined, wanted: string): boolean {
  if (!view) return false;
  const eq = wanted.indexOf('=');
  return view.tags.some((tag) =>
    eq >= 0 ? tag.name === wanted.slice(0, eq).trim() && tag.value === wanted.slice(eq + 1).trim() : tag.name === wanted || tag.value === wanted,
  );
}

/**
 * Updates the table in place, row by row, so a refresh keeps the reader's scroll position and
 * focus; a row is rebuilt only when what it shows changed.
 */
function renderRows(tbody: HTMLTableSectionElement, rows: readonly EmailSummary[], details: EmailDetails): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const row of Array.from(tbody.rows)) existing.set(row.dataset.id ?? '', row);
  let previous: HTMLTableRowElement | null = null;
  for (const email of rows) {
    const detail = details.cached(email.id);
    const signature = JSON.stringify([email, detail?.recipients ?? null]);
    let row = existing.get(email.id);
    existing.delete(email.id);
    if (!row || row.dataset.signature !== signature) {
      const focusedLink = row?.contains(document.activeElement) ?? false;
      const fresh = emailRow(email, detail);
      fresh.dataset.id = email.id;
      fresh.dataset.signature = signature;
      if (row) row.replaceWith(fresh);
      row = fresh;
      if (focusedLink) row.querySelector('a')?.focus({ preventScroll: true });
    }
    const wantedPosition: ChildNode | null = previous ? previous.nextSibling : tbody.firstChild;
    if (wantedPosition !== row) tbody.insertBefore(row, wantedPosition);
    previous = row;
  }
  for (const stale of existing.values()) stale.remove();
}

function emailRow(email: EmailSummary, detail: EmailView | undefined): HTMLTableRowElement {
  const recipients = detail
    ? h('ul', { class: 'recipients' }, detail.recipients.map((recipient) => h('li', null, h('span', { class: 'address' }, recipient.email), ' ', badge(recipient.status))))
    : h('ul', { class: 'recipients' }, [...email.to, ...(email.cc ?? []), ...(email.bcc ?? [])].map((mailbox) => h('li', null, h('span', { class: 'address' }, addressOf(mailbox)))));
  return h(
    'tr',
    null,
    h('td', { class: 'subject wide' }, routeLink(emailRoute(email.id), subjectText(email.subject))),
    h('td', { class: 'from wide' }, email.from),
    h('td', { class: 'wide' }, recipients),
    h('td', { 'data-label': 'Status' }, badge(email.last_event)),
    h('td', { class: 'when' }, time(email.created_at)),
  );
}
