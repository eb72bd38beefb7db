import { segment } from '../api';
import type { ListAnswer, Webhook, WebhookAttempt, WebhookEventLogEntry, WebhookEventView } from '../api-types';
import { append, button, h, replaceChildren, routeLink, scrollingTable } from '../dom';
import { inParallel } from '../email-cache';
import { badge, time } from '../format';
import { actionRunner, alertRegion, clearError, type MountedPage, type PageContext, showError, statusRegion } from '../page';
import { secretRegion, webhookActions } from './webhooks';

/**
 * One webhook: its state (and why Outbox disabled it), and its delivery log: each notification's
 * status and each attempt with the endpoint's HTTP status and answer.
 */
export function mountWebhook(ctx: PageContext, page: HTMLElement, id: string): MountedPage {
  const alert = alertRegion();
  const status = statusRegion();
  const secret = secretRegion();
  const title = h('h1', { tabindex: -1 }, 'Webhook');
  const facts = h('div');
  const log = h('div');
  const refresh = button('Refresh', () => void load());
  append(page, h('p', { class: 'crumbs' }, routeLink('#/webhooks', '← Webhooks')), title, alert, status, secret, facts, h('section', { class: 'card' }, h('h2', null, 'Delivery log'), refresh, log));

  const act = actionRunner(ctx, alert, status, () => load());

  async function load(): Promise<void> {
    try {
      const webhook = await ctx.api.get<Webhook>(`/webhooks/${segment(id)}`);
      title.textContent = webhook.endpoint;
      document.title = `${webhook.endpoint} · Outbox`;
      replaceChildren(
        facts,
        h(
          'section',
          { class: 'card', 'aria-label': 'Webhook' },
          h(
            'dl',
            { class: 'facts' },
            h('dt', null, 'Status'),
            h('dd', null, badge(webhook.status)),
            webhook.disabled_reason ? [h('dt', null, 'Why Outbox disabled it'), h('dd', { class: 'reason' }, webhook.disabled_reason)] : null,
            h('dt', null, 'Events'),
            h('dd', null, (webhook.events ?? ['every event']).join(', ')),
            h('dt', null, 'Created'),
            h('dd', null, time(webhook.created_at)),
            h('dt', null, 'Id'),
            h('dd', null, h('code', null, webhook.id)),
          ),
          h('div', { class: 'actions' }, webhookActions(ctx, webhook, secret, act)),
        ),
      );
      replaceChildren(log, await deliveryLog(ctx, id));
      clearError(alert);
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  return { dispose: () => undefined };
}

async function deliveryLog(ctx: PageContext, id: string): Promise<HTMLElement> {
  const events = await ctx.api.get<ListAnswer<WebhookEventLogEntry>>(`/webhooks/${segment(id)}/events`, { limit: '50' });
  if (events.data.length === 0) return h('p', { class: 'empty' }, 'Nothing delivered yet.');
  const details = new Map<string, { view?: WebhookEventView; attempts: WebhookAttempt[] }>();
  await inParallel(events.data, 6, async (event) => {
    const base = `/webhooks/${segment(id)}/events/${segment(event.id)}`;
    const [view, attempts] = await Promise.all([
      ctx.api.get<WebhookEventView>(base).catch(() => undefined),
      ctx.api.get<ListAnswer<WebhookAttempt>>(`${base}/attempts`).catch(() => ({ object: 'list' as const, data: [] })),
    ]);
    details.set(event.id, { ...(view ? { view } : {}), attempts: attempts.data });
  });
  const tbody = h(
    'tbody',
    null,
    events.data.map((event) => {
      const detail = details.get(event.id);
      return h(
        'tr',
        null,
        h('td', { class: 'when' }, time(event.created_at)),
        h('td', null, event.type),
        h('td', null, badge(event.status), detail?.view?.next_attempt_at ? h('div', { class: 'muted' }, 'next try ', time(detail.view.next_attempt_at)) : null),
        h('td', null, attemptsList(detail?.attempts ?? [])),
        h('td', null, h('code', { title: event.id }, event.id)),
      );
    }),
  );
  return scrollingTable('Delivery log', ['Created', 'Event', 'Status', 'Attempts', 'Event id'], tbody);
}

/** The latest attempt in full; earlier ones (a failing endpoint may have many) folded away. */
function attemptsList(attempts: readonly WebhookAttempt[]): HTMLElement {
  if (attempts.length === 0) return h('span', { class: 'muted' }, 'none yet');
  const [latest, ...earlier] = attempts;
  return h(
    'div',
    null,
    h('ol', { class: 'attempts' }, attemptItem(latest!)),
    earlier.length > 0
      ? h('details', null, h('summary', null, `${earlier.length} earlier attempt${earlier.length === 1 ? '' : 's'}`), h('ol', { class: 'attempts' }, earlier.map(attemptItem)))
      : null,
  );
}

function attemptItem(attempt: WebhookAttempt): HTMLElement {
  const ok = attempt.http_status_code >= 200 && attempt.http_status_code < 300;
  return h(
    'li',
    null,
    h('span', { class: ok ? 'http ok' : 'http bad' }, attempt.http_status_code === 0 ? 'no answer' : `HTTP ${attempt.http_status_code}`),
    ' ',
    time(attempt.sent_at),
    ` · ${attempt.latency_ms} ms`,
    attempt.response ? h('pre', { class: 'answer', tabindex: 0 }, attempt.response) : null,
  );
}
