import { segment } from '../api';
import type { ListAnswer, Webhook, WebhookSecret } from '../api-types';
import { WEBHOOK_EVENT_TYPES } from '../api-types';
import { append, button, field, h, on, replaceChildren, routeLink, scrollingTable, type Child } from '../dom';
import { badge, time } from '../format';
import { actionRunner, alertRegion, clearError, heading, type MountedPage, type PageContext, showError, statusRegion } from '../page';
import { webhookRoute } from '../router';

/** Webhooks: create one (its secret shown once), enable or disable, rotate the secret. */
export function mountWebhooks(ctx: PageContext, page: HTMLElement): MountedPage {
  const alert = alertRegion();
  const status = statusRegion();
  const secret = secretRegion();
  const endpoint = h('input', { type: 'url', autocomplete: 'off', required: true, placeholder: 'https://example.com/outbox-webhook' });
  const boxes = WEBHOOK_EVENT_TYPES.map((type) => {
    const box = h('input', { type: 'checkbox', value: type, id: `event-${type.replace(/\./g, '-')}` });
    if (type.startsWith('email.')) box.checked = ['email.delivered', 'email.bounced', 'email.complained', 'email.failed'].includes(type);
    return { type, box };
  });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'Create a webhook' },
    h('h2', null, 'New webhook'),
    field('Endpoint URL', endpoint, ctx.local ? 'Locally, http:// and addresses on this machine are allowed.' : 'An https URL that answers from the internet.'),
    h(
      'fieldset',
      { class: 'checkboxes' },
      h('legend', null, 'Events'),
      boxes.map(({ type, box }) => h('div', { class: 'check' }, box, h('label', { for: box.id }, type))),
    ),
    h('button', { type: 'submit' }, 'Create webhook'),
  );
  on(form, 'submit', (event) => {
    event.preventDefault();
    const events = boxes.filter(({ box }) => box.checked).map(({ type }) => type);
    void act(async () => {
      const created = await ctx.api.post<WebhookSecret>('/webhooks', { endpoint: endpoint.value.trim(), events });
      showSecret(secret, created.signing_secret, 'The new webhook signs its deliveries with this secret.');
      endpoint.value = '';
      return 'Webhook created.';
    });
  });

  const tbody = h('tbody');
  append(
    page,
    h('div', { class: 'page-head' }, heading('Webhooks'), h('p', { class: 'lede' }, 'Endpoints Outbox notifies of what happens to mail, signed with Standard Webhooks signatures.')),
    alert,
    status,
    secret,
    scrollingTable('Webhooks', ['Endpoint', 'Status', 'Events', 'Created', 'Actions'], tbody),
    form,
  );

  const act = actionRunner(ctx, alert, status, () => load());

  async function load(): Promise<void> {
    try {
      const answer = await ctx.api.get<ListAnswer<Webhook>>('/webhooks', { limit: '100' });
      clearError(alert);
      replaceChildren(
        tbody,
        answer.data.length === 0
          ? h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'No webhooks yet.'))
          : answer.data.map((webhook) =>
              h(
                'tr',
                null,
                h('td', { class: 'endpoint' }, routeLink(webhookRoute(webhook.id), webhook.endpoint)),
                h('td', null, badge(webhook.status), webhook.disabled_reason ? h('p', { class: 'reason' }, webhook.disabled_reason) : null),
                h('td', null, (webhook.events ?? ['every event']).join(', ')),
                h('td', { class: 'when' }, time(webhook.created_at)),
                h('td', { class: 'actions' }, webhookActions(ctx, webhook, secret, act)),
              ),
            ),
      );
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  return { dispose: () => undefined };
}

/** Disable/Enable and Rotate secret, shared by the list and the webhook's own page. */
export function webhookActions(ctx: PageContext, webhook: Webhook, secret: HTMLElement, act: (task: () => Promise<string>) => Promise<void>): Child {
  const enabled = webhook.status === 'enabled';
  return [
    button(enabled ? 'Disable' : 'Enable', () =>
      void act(async () => {
        await ctx.api.patch(`/webhooks/${segment(webhook.id)}`, { status: enabled ? 'disabled' : 'enabled' });
        return `${enabled ? 'Disabled' : 'Enabled'} ${webhook.endpoint}.`;
      }),
    ),
    button('Rotate secret', () =>
      void act(async () => {
        const rotated = await ctx.api.post<WebhookSecret>(`/webhooks/${segment(webhook.id)}/signing-secret/rotate`);
        showSecret(secret, rotated.signing_secret, `The new secret of ${webhook.endpoint}; the old one no longer signs.`);
        return 'Secret rotated.';
      }),
    ),
  ];
}

/** Where a new signing secret appears, once. */
export function secretRegion(): HTMLElement {
  const region = h('section', { class: 'secret card', role: 'region', 'aria-label': 'Signing secret' });
  region.hidden = true;
  return region;
}

export function showSecret(region: HTMLElement, value: string, note: string): void {
  region.hidden = false;
  replaceChildren(
    region,
    h('h2', null, 'Signing secret'),
    h('p', null, note, ' It is shown once here: copy it now.'),
    h('code', { class: 'token', tabindex: 0 }, value),
    button('Hide', () => {
      region.hidden = true;
      replaceChildren(region);
    }),
  );
}
