import { segment } from '../api';
import type { ListAnswer, Suppression } from '../api-types';
import { append, button, field, h, on, replaceChildren, routeLink, scrollingTable, select, type Child } from '../dom';
import { badge, time } from '../format';
import { actionRunner, alertRegion, clearError, heading, type MountedPage, type PageContext, showError, statusRegion } from '../page';
import { emailRoute } from '../router';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The suppression list: filter by origin, add by hand, remove one or a selection. */
export function mountSuppressions(ctx: PageContext, page: HTMLElement): MountedPage {
  const alert = alertRegion();
  const status = statusRegion();
  const origin = select(
    [
      { value: '', label: 'All' },
      { value: 'bounce', label: 'bounce' },
      { value: 'complaint', label: 'complaint' },
      { value: 'manual', label: 'manual' },
    ],
    '',
  );
  on(origin, 'change', () => void load());

  const address = h('input', { type: 'email', autocomplete: 'off', required: true, placeholder: 'reader@example.com' });
  const addForm = h('form', { class: 'inline-form', 'aria-label': 'Add a suppression' }, field('Email address', address), h('button', { type: 'submit' }, 'Add suppression'));
  on(addForm, 'submit', (event) => {
    event.preventDefault();
    const email = address.value.trim();
    if (email === '') return;
    void act(async () => {
      await ctx.api.post('/suppressions', { email });
      address.value = '';
      return `Added ${email} to the suppression list.`;
    });
  });

  const tbody = h('tbody');
  const removeSelected = button('Remove selected', () => {
    const ids = Array.from(tbody.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')).map((box) => box.value);
    if (ids.length === 0) {
      replaceChildren(status, 'Select the suppressions to remove first.');
      return;
    }
    void act(async () => {
      await ctx.api.post('/suppressions/batch/remove', { ids });
      return `Removed ${ids.length} suppression${ids.length === 1 ? '' : 's'}.`;
    });
  });
  const more = button('Show more', () => void load(true));
  let rows: Suppression[] = [];
  let hasMore = false;

  append(
    page,
    h('div', { class: 'page-head' }, heading('Suppressions'), h('p', { class: 'lede' }, 'Addresses Outbox will not send to: hard bounces, complaints, and the ones added by hand.')),
    addForm,
    h('div', { class: 'filters' }, field('Origin', origin)),
    alert,
    status,
    h('div', { class: 'toolbar' }, removeSelected),
    scrollingTable('Suppressions', ['Select', 'Address', 'Origin', 'Cause', 'Added', ''], tbody),
    h('div', { class: 'pager' }, more),
  );

  const act = actionRunner(ctx, alert, status, () => load());

  async function load(append = false): Promise<void> {
    try {
      const after = append ? rows[rows.length - 1]?.id : undefined;
      const answer = await ctx.api.get<ListAnswer<Suppression>>('/suppressions', { limit: '50', origin: origin.value, after });
      rows = append ? [...rows, ...answer.data] : answer.data;
      hasMore = answer.has_more === true;
      clearError(alert);
      replaceChildren(
        tbody,
        rows.length === 0
          ? h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No suppressions.'))
          : rows.map((row) => suppressionRow(row, () => act(async () => {
              await ctx.api.delete(`/suppressions/${segment(row.id)}`);
              return `Removed ${row.email}.`;
            }))),
      );
      more.hidden = !hasMore;
      removeSelected.disabled = rows.length === 0;
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  return { dispose: () => undefined };
}

function suppressionRow(row: Suppression, remove: () => void): HTMLTableRowElement {
  const box = h('input', { type: 'checkbox', value: row.id, 'aria-label': `Select ${row.email}` });
  return h(
    'tr',
    null,
    h('td', null, box),
    h('td', null, row.email),
    h('td', null, badge(row.origin)),
    h('td', null, cause(row)),
    h('td', { class: 'when' }, time(row.created_at)),
    h('td', null, button('Remove', remove)),
  );
}

/** What put the address on the list: the email that bounced or was complained about, when Outbox sent it. */
function cause(row: Suppression): Child {
  if (row.origin === 'manual') return 'Added by hand';
  const what = row.origin === 'bounce' ? 'A hard bounce of ' : 'A complaint about ';
  if (row.source_id && UUID.test(row.source_id)) return [what, routeLink(emailRoute(row.source_id), 'this email')];
  if (row.source_id) return [what, 'SES message ', h('code', null, row.source_id), ' (not sent by Outbox)'];
  return row.origin === 'bounce' ? 'A hard bounce' : 'A complaint';
}
