import { segment } from '../api';
import type { ApiKey, CreatedApiKey, ListAnswer } from '../api-types';
import { append, button, field, h, on, replaceChildren, scrollingTable, select } from '../dom';
import { time } from '../format';
import { actionRunner, alertRegion, clearError, heading, type MountedPage, type PageContext, showError, statusRegion } from '../page';

const PERMISSIONS = [
  { value: 'full_access', label: 'Full access' },
  { value: 'sending_access', label: 'Sending access' },
];

/** API keys: list (never their secrets), create (the token shown once), revoke after a confirm step. */
export function mountApiKeys(ctx: PageContext, page: HTMLElement): MountedPage {
  const alert = alertRegion();
  const status = statusRegion();
  const tokenRegion = h('section', { class: 'secret card', role: 'region', 'aria-label': 'New API key' });
  tokenRegion.hidden = true;
  const name = h('input', { type: 'text', autocomplete: 'off', required: true, maxlength: 50, placeholder: 'billing service' });
  const permission = select(PERMISSIONS, 'sending_access');
  const form = h('form', { class: 'inline-form', 'aria-label': 'Create an API key' }, field('Name', name), field('Permission', permission), h('button', { type: 'submit' }, 'Create key'));
  on(form, 'submit', (event) => {
    event.preventDefault();
    void act(async () => {
      const created = await ctx.api.post<CreatedApiKey>('/api-keys', { name: name.value.trim(), permission: permission.value });
      tokenRegion.hidden = false;
      replaceChildren(
        tokenRegion,
        h('h2', null, 'New API key'),
        h('p', null, 'Shown once: copy it now. Outbox keeps only its hash.'),
        h('code', { class: 'token', tabindex: 0 }, created.token),
        button('Hide', () => {
          tokenRegion.hidden = true;
          replaceChildren(tokenRegion);
        }),
      );
      name.value = '';
      return `Created the key ${created.id}.`;
    });
  });
  const tbody = h('tbody');
  append(
    page,
    h('div', { class: 'page-head' }, heading('API keys'), h('p', { class: 'lede' }, 'Full-access keys can do everything; sending-access keys can only send.')),
    form,
    alert,
    status,
    tokenRegion,
    scrollingTable('API keys', ['Name', 'Permission', 'Created', 'Last used', 'Id', ''], tbody),
  );

  const act = actionRunner(ctx, alert, status, () => load());

  async function load(): Promise<void> {
    try {
      // The most one page holds; an account has far fewer keys.
      const answer = await ctx.api.get<ListAnswer<ApiKey>>('/api-keys?limit=100');
      clearError(alert);
      replaceChildren(
        tbody,
        answer.data.length === 0
          ? h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No keys.'))
          : answer.data.map((key) => {
              const cell = h('td', { class: 'actions' });
              const ask = (): void => {
                replaceChildren(
                  cell,
                  button('Confirm revoke', () =>
                    void act(async () => {
                      await ctx.api.delete(`/api-keys/${segment(key.id)}`);
                      return `Revoked ${key.name}. Anything using it is refused from now on.`;
                    }),
                  { class: 'danger' }),
                  button('Cancel', () => {
                    replaceChildren(cell, button('Revoke', ask));
                    cell.querySelector('button')?.focus();
                  }),
                );
                cell.querySelector('button')?.focus();
              };
              replaceChildren(cell, button('Revoke', ask));
              return h('tr', null, h('td', null, key.name), h('td', null, PERMISSIONS.find((p) => p.value === key.permission)?.label ?? key.permission), h('td', { class: 'when' }, time(key.created_at)), h('td', { class: 'when' }, key.last_used_at ? time(key.last_used_at) : 'never'), h('td', null, h('code', null, key.id)), cell);
            }),
      );
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  return { dispose: () => undefined };
}
